import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../../test/support/random';
import { decodeBody } from '../decode/decode-body';
import { emptyRawItem, resetRawItem, setRawField } from '../raw-item';
import { scanXmlFeed, scanXmlFeedEach, scanXmlItem, scanXmlOpening, scanXmlPiecesEach } from './xml-fast-scanner';
import { XmlFeedReader } from './xml-feed.reader';

const reader = new XmlFeedReader();
const ROOT = process.cwd();
const FIXTURE_DIRS = [
  join(ROOT, 'test/fixtures/feeds'),
  join(ROOT, 'test/fixtures/dialects'),
  join(ROOT, '../shared/fixtures/feeds'),
];

function xmlFixtures(): Array<{ name: string; text: string }> {
  const found: Array<{ name: string; text: string }> = [];
  for (const dir of FIXTURE_DIRS) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.filter((n) => n.endsWith('.xml')))
      found.push({ name: `${dir}/${name}`, text: decodeBody(readFileSync(join(dir, name))).text.trimStart() });
  }
  return found;
}

/**
 * The differential check: whenever the fast path accepts a text, the reference path (validator +
 * htmlparser2) reads exactly the same items and dialect, with no warnings. Returns whether it accepted.
 */
function agrees(text: string): boolean {
  const fast = scanXmlFeed(text);
  if (fast === null) return false;
  const reference = reader.readFully(text);
  if (reference.kind !== 'items')
    throw new Error(
      `fast path accepted what the reference refuses: ${JSON.stringify(reference)}\n${text.slice(0, 400)}`,
    );
  expect({ dialect: fast.dialect, items: fast.items, warnings: [] as string[] }).toEqual({
    dialect: reference.dialect,
    items: reference.items,
    warnings: reference.warnings,
  });
  return true;
}

const SNIPPETS = [
  '<!-- a comment -->',
  '<![CDATA[ BTC ]]>',
  ']]>',
  '&foo;',
  '&lt;',
  '&amp;',
  '&#65;',
  '&#x41;',
  '&#X41;',
  '&#0;',
  '&#128;',
  '&#xD800;',
  '&#x110000;',
  '&#99999999;',
  '&',
  '&amp',
  '<item>',
  '</item>',
  '<item/>',
  '<ITEM>',
  '<!DOCTYPE rates>',
  '<!ENTITY x "y">',
  '<?pi data?>',
  '<?xml version="1.0"?>',
  '\uFEFF',
  '\r\n',
  '\u0000',
  '\u0085',
  '"',
  "'",
  '<',
  '>',
  '/',
  '=',
  '<from>BTC</from>',
  '<in>99999999999999999999999999999999999999999999999.5</in>',
  '<out>1e400</out>',
  '<x a="1" a="2"/>',
  '<fromfee type="%" TYPE="abs">1</fromfee>',
  '<tofee type=abs>1</tofee>',
  '<floating percent="1" minutes="30"/>',
  '<manual/>',
  '<r:item>',
  ' xmlns:r="urn:x"',
  ' attr="1"',
  '</rates>',
  '<rates>',
  'text',
  '\t',
];

describe('the XML fast path against the reference reader', () => {
  const fixtures = xmlFixtures();

  it('reads the common fixtures itself, and exactly as the reference does', () => {
    expect(fixtures.length).toBeGreaterThan(10);
    const accepted = fixtures.filter((f) => agrees(f.text)).map((f) => f.name.replace(/^.*\//, ''));
    // The shapes it exists for: BestChange's XML, EREF 1.1 as Premium Exchanger writes it, the big feed.
    expect(accepted).toEqual(expect.arrayContaining(['standard.xml', 'large-6000.xml', 'premium-eref-1.1.xml']));
  });

  it('never accepts a truncated body, and agrees on every cut it accepts', () => {
    const small = fixtures.filter((f) => f.text.length < 20_000);
    for (const { text } of small) {
      for (let cut = 0; cut < text.length; cut += Math.max(1, Math.floor(text.length / 300))) {
        const truncated = text.slice(0, cut);
        // A prefix of a complete document is never a complete document of the same root.
        if (truncated.trimEnd().length < text.trimEnd().length) expect(scanXmlFeed(truncated)).toBeNull();
      }
    }
  });

  it('agrees with the reference on thousands of hostile variants of the fixtures', () => {
    const next = seededRandom(21);
    const small = fixtures.filter((f) => f.text.length < 20_000);
    let accepted = 0;
    let variants = 0;
    for (const { text } of small) {
      for (let n = 0; n < 150; n++) {
        let variant = text;
        const edits = 1 + Math.floor(next() * 3);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(next() * variant.length);
          const roll = next();
          if (roll < 0.6)
            variant = variant.slice(0, at) + SNIPPETS[Math.floor(next() * SNIPPETS.length)] + variant.slice(at);
          else if (roll < 0.8) variant = variant.slice(0, at) + variant.slice(at + 1 + Math.floor(next() * 8));
          else variant = variant.slice(0, at) + variant[Math.floor(next() * variant.length)] + variant.slice(at);
        }
        variants++;
        if (agrees(variant)) accepted++;
      }
    }
    // Some variants stay ordinary (whitespace, an entity, a field): the comparison must have bitten.
    expect(variants).toBeGreaterThan(1000);
    expect(accepted).toBeGreaterThan(50);
  });

  it.each([
    ['CRLF line ends', (t: string) => t.replace(/\n/g, '\r\n')],
    ['tabs for indentation', (t: string) => t.replace(/\n/g, '\n\t\t')],
    ['a BOM character before the root', (t: string) => `\uFEFF${t}`],
    ['unclosed items', (t: string) => t.replace(/<\/item>/g, '')],
    ['an unclosed root', (t: string) => t.replace('</rates>', '')],
    ['mismatched closing tags', (t: string) => t.replace('</from>', '</to>')],
    ['nested items', (t: string) => t.replace('<item>', '<item><item>').replace('</item>', '</item></item>')],
    ['a second root', (t: string) => `${t}<rates></rates>`],
    ['text after the root', (t: string) => `${t} trailing`],
    ['entities in every value', (t: string) => t.replace(/<from>/g, '<from>&#32;').replace(/<\/to>/g, '&#x20;</to>')],
    ['an entity of its own', (t: string) => t.replace('<from>', '<from>&x;')],
    ['a raw ampersand', (t: string) => t.replace('<from>', '<from>A&B')],
    [
      'huge numbers',
      (t: string) => t.replace(/<out>[^<]*<\/out>/g, `<out>${'9'.repeat(500)}.${'1'.repeat(500)}</out>`),
    ],
    ['a DOCTYPE', (t: string) => t.replace('<rates', '<!DOCTYPE rates [<!ENTITY e "x">]><rates')],
    ['a comment between items', (t: string) => t.replace('</item>', '</item><!-- x -->')],
    ['CDATA in a value', (t: string) => t.replace('<from>', '<from><![CDATA[x]]>')],
    ['an attribute on an item', (t: string) => t.replace('<item>', '<item id="1">')],
    ['a duplicated attribute', (t: string) => t.replace('<rates', '<rates a="1" a="2"')],
    ['an attribute without quotes', (t: string) => t.replace('<rates', '<rates a=1')],
    ['capital letters', (t: string) => t.replace(/item>/g, 'Item>')],
    ['a namespace prefix', (t: string) => t.replace(/<(\/?)rates/g, '<$1r:rates')],
    ['a self-closing field and flag', (t: string) => t.replace('</item>', '<manual/><param/><fromname/></item>')],
    ['a repeated field', (t: string) => t.replace('</item>', '<from>X</from></item>')],
    ['markup in a value', (t: string) => t.replace('<from>', '<from><b>x</b>')],
    ['a NUL in a value', (t: string) => t.replace('<from>', '<from>\u0000')],
    ['an empty document', () => ''],
    ['a root and nothing else', () => '<rates>'],
  ])('agrees on %s', (_name, mutate) => {
    for (const { text } of fixtures.filter((f) => f.text.length < 100_000)) agrees(mutate(text));
  });

  it('accepts ordinary whitespace, entities and fields, reads them like the reference', () => {
    const base = '<?xml version="1.0" encoding="utf-8"?>\r\n<rates>\r\n';
    const docs = [
      `${base}<item><from> BTC </from><to>ETH</to><in>1</in><out>20</out><param>manual &amp; verifying</param></item>\r\n</rates>\r\n`,
      `${base}<item><from>&#66;TC</from><to>&#x45;TH</to><in>1</in><out>20</out><fromfee type="%">0.5</fromfee><manual>true</manual></item></rates>`,
      `${base}<item><from>BTC</from><to>ETH</to><in>1</in><out>20</out><minamount>1</minamount><minamount>2 BTC</minamount><city>MSK,SPB</city></item><item/></rates>`,
    ];
    for (const doc of docs.slice(0, 2)) expect(agrees(doc)).toBe(true);
    // `<item/>` is left to the reference.
    expect(scanXmlFeed(docs[2]!)).toBeNull();
  });

  it('hands over, item by item in one reused object, exactly the items it reads whole', () => {
    let compared = 0;
    for (const { text } of fixtures) {
      const handed: unknown[] = [];
      const dialect = scanXmlFeedEach(text, (item) => handed.push(structuredClone(item)));
      const whole = scanXmlFeed(text);
      if (whole === null) {
        expect(dialect).toBeNull();
        continue;
      }
      expect({ dialect, items: handed }).toEqual(whole);
      compared++;
    }
    expect(compared).toBeGreaterThan(5);
    // A reset item is an empty one, field for field.
    const item = emptyRawItem();
    setRawField(item, 'city', 'MSK');
    setRawField(item, 'minamount', '1');
    resetRawItem(item);
    expect(item).toStrictEqual(emptyRawItem());
  });

  it('reads a body in pieces cut after an </item> exactly as it reads the whole text, hostile variants too', () => {
    const next = seededRandom(47);
    // One character a byte: what the pieces are read as (latin1 stands for any such text).
    const oneByte = (text: string) => [...text].every((c) => c.charCodeAt(0) < 256);
    const inPieces = (text: string, pieceBytes: number) => {
      const bytes = Buffer.from(text, 'latin1');
      const handed: unknown[] = [];
      const dialect = scanXmlPiecesEach(
        bytes,
        0,
        (start, end) => bytes.toString('latin1', start, end),
        (item) => handed.push(structuredClone(item)),
        pieceBytes,
      );
      return dialect === null ? null : { dialect, items: handed };
    };
    let compared = 0;
    let accepted = 0;
    for (const { text } of fixtures.filter((f) => f.text.length < 20_000 && oneByte(f.text))) {
      for (let n = 0; n < 60; n++) {
        let variant = text;
        for (let e = 0; n > 0 && e < 1 + Math.floor(next() * 2); e++) {
          const at = Math.floor(next() * variant.length);
          const roll = next();
          if (roll < 0.3) {
            // Whitespace after an item's end: the document stays readable, its cuts fall elsewhere.
            const close = variant.indexOf('</item>', at);
            if (close !== -1) variant = `${variant.slice(0, close + 7)}\n \t${variant.slice(close + 7)}`;
            continue;
          }
          // The bytes of an </item> anywhere — in a value, a tag, an attribute, a comment — or another snippet.
          const snippet = roll < 0.65 ? '</item>' : SNIPPETS[Math.floor(next() * SNIPPETS.length)]!;
          variant = variant.slice(0, at) + snippet + variant.slice(at);
        }
        if (!oneByte(variant)) continue;
        const whole = scanXmlFeed(variant);
        for (const pieceBytes of [1, 9, 64, 700]) expect(inPieces(variant, pieceBytes)).toEqual(whole);
        compared++;
        if (whole !== null) accepted++;
      }
    }
    // The project's own fixtures alone (a clean checkout, without ../shared/fixtures beside it): ~770 and ~150.
    expect(compared).toBeGreaterThan(500);
    expect(accepted).toBeGreaterThan(60);
    // The large feed, in pieces of the size polls read.
    const large = fixtures.find((f) => f.name.endsWith('/large-6000.xml'))!.text;
    expect(inPieces(large, 64 * 1024)).toEqual(scanXmlFeed(large));
    expect(inPieces(`${large}</item>`, 64 * 1024)).toBeNull();
  });

  it('reads a feed as its parts in a row: the opening, each item alone, the end (what FeedMemo relies on)', () => {
    const next = seededRandom(33);
    const small = fixtures.filter((f) => f.text.length < 20_000);
    let compared = 0;
    for (const { text } of small) {
      for (let n = 0; n < 60; n++) {
        let variant = text;
        if (n > 0) {
          const at = Math.floor(next() * variant.length);
          variant = variant.slice(0, at) + SNIPPETS[Math.floor(next() * SNIPPETS.length)] + variant.slice(at);
        }
        const whole = scanXmlFeed(variant);
        const parts = inParts(variant);
        expect(parts).toEqual(whole);
        if (whole !== null) compared++;
      }
    }
    // The project's own fixtures give 61 readable variants (more where ../shared/fixtures is checked out beside it).
    expect(compared).toBeGreaterThan(50);
  });
});

/**
 * The pass FeedMemo makes over bytes, on text: the opening up to the first `<item>`, each `<item>` to
 * its first `</item>` alone, whitespace between, `</rates>` and whitespace to the end.
 */
function inParts(text: string): ReturnType<typeof scanXmlFeed> {
  const first = text.indexOf('<item>');
  if (first === -1) return scanXmlFeed(text);
  const opening = scanXmlOpening(text.slice(0, first));
  if (opening === null) return null;
  let eref11 = opening.eref11;
  const items = [];
  let p = first;
  for (;;) {
    const close = text.indexOf('</item>', p + 6);
    if (close === -1) return null;
    const item = scanXmlItem(text.slice(p, close + 7));
    if (item === null) return null;
    items.push(item.item);
    if (item.eref11) eref11 = true;
    p = close + 7;
    while (/[ \t\r\n]/.test(text[p] ?? '')) p++;
    if (text.startsWith('<item>', p)) continue;
    if (!text.startsWith('</rates>', p)) return null;
    if (text.slice(p + 8).replace(/[ \t\r\n]/g, '') !== '') return null;
    return { dialect: eref11 ? 'xml-eref-1.1' : 'xml', items };
  }
}
