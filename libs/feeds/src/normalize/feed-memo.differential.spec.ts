import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../../test/support/random';
import type { FeedFormatSetting } from '@app/domain';
import { checkFeed, FeedReport } from '../report/feed-report';
import { NormalizationMemo } from './feed-memo';
import { buildContext, CatalogEntry, NormalizationContext } from './normalization-context';
import { CATALOG } from './scenarios/catalog.fixture';

/**
 * The memo's promise, checked against the cold path on everything at hand: a poll read through a warm
 * memo gives exactly the report a process without it gives — offers, rejects with their item numbers,
 * duplicates, warnings, errors — whatever the previous polls were; and the cold path (the one-pass
 * reader normalizing as it reads) gives exactly the report of the reference reader.
 */
const ROOT = process.cwd();
const FIXTURE_DIRS = [
  join(ROOT, 'test/fixtures/feeds'),
  join(ROOT, 'test/fixtures/dialects'),
  join(ROOT, '../shared/fixtures/feeds'),
];

function fixtures(): Array<{ name: string; bytes: Buffer }> {
  const found: Array<{ name: string; bytes: Buffer }> = [];
  for (const dir of FIXTURE_DIRS) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.filter((n) => /\.(xml|json|txt)$/.test(n)))
      found.push({ name: `${dir}/${name}`, bytes: readFileSync(join(dir, name)) });
  }
  return found;
}

/** The scenario catalog plus every code the fixtures name, so that their items mostly normalize. */
function wideContext(all: Array<{ bytes: Buffer }>): NormalizationContext {
  const codes = new Set<string>();
  for (const { bytes } of all)
    for (const match of bytes.toString('latin1').matchAll(/<(?:from|to)>\s*([A-Z0-9]{2,12})\s*</g))
      codes.add(match[1]!);
  const extra: CatalogEntry[] = [...codes]
    .filter((code) => !CATALOG.some((c) => c.code === code))
    .map((code) => ({
      code,
      ticker: code,
      iso: code,
      kind: code.startsWith('CASH') ? 'cash' : 'crypto',
      enabled: true,
    }));
  return buildContext([...CATALOG, ...extra], [['USDTTRC', 'USDTTRC20']]);
}

/** The report as data (offer objects are compared by value, not identity). */
const plain = (report: FeedReport) => JSON.parse(JSON.stringify(report)) as unknown;

function expectSame(
  body: Buffer,
  context: NormalizationContext,
  memo: NormalizationMemo,
  format: FeedFormatSetting = 'auto',
  contentType: string | null = null,
): FeedReport {
  const warm = checkFeed(body, { format, contentType, memo: memo.forFeed(1) }, context);
  const cold = checkFeed(body, { format, contentType }, context);
  const reference = checkFeed(body, { format, contentType, referenceOnly: true }, context);
  expect(plain(warm)).toEqual(plain(cold));
  expect(plain(cold)).toEqual(plain(reference));
  return warm;
}

const SNIPPETS = [
  '<!-- c -->',
  '<![CDATA[x]]>',
  '&amp;',
  '&#65;',
  '&x;',
  '&',
  '<item>',
  '</item>',
  '<item/>',
  '</rates>',
  '<rates>',
  '\r\n',
  '\t',
  ' ',
  '\u0000',
  '\u00a0',
  '<from>BTC</from>',
  '<city>MSK,SPB</city>',
  '<out>1e400</out>',
  '<minamount>0.1 BTC</minamount>',
  '<manual>true</manual>',
  '<fromfee type="%">0.5</fromfee>',
  'Сбербанк',
  '<html>',
  '<?xml version="1.0" encoding="windows-1251"?>',
];

/** A random edit of a body's bytes: a snippet in, a few bytes out, a byte changed, an item doubled or moved. */
function hostile(bytes: Buffer, next: () => number): Buffer {
  const text = bytes.toString('latin1');
  const at = Math.floor(next() * text.length);
  const roll = next();
  if (roll < 0.35) {
    const snippet = Buffer.from(SNIPPETS[Math.floor(next() * SNIPPETS.length)]!).toString('latin1');
    return Buffer.from(text.slice(0, at) + snippet + text.slice(at), 'latin1');
  }
  if (roll < 0.5) return Buffer.from(text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 6)), 'latin1');
  if (roll < 0.65) {
    const digit = String.fromCharCode(48 + Math.floor(next() * 10));
    return Buffer.from(text.slice(0, at) + digit + text.slice(at + 1), 'latin1');
  }
  const items = [...text.matchAll(/<item>[\s\S]*?<\/item>/g)];
  if (items.length === 0) return bytes.subarray(0, at);
  const one = items[Math.floor(next() * items.length)]!;
  const where = items[Math.floor(next() * items.length)]!.index;
  if (roll < 0.8) return Buffer.from(text.slice(0, where) + one[0] + '\n' + text.slice(where), 'latin1');
  // Moved: out of its place, in at another.
  const without = text.slice(0, one.index) + text.slice(one.index + one[0].length);
  const to = Math.min(where, without.length);
  return Buffer.from(without.slice(0, to) + one[0] + without.slice(to), 'latin1');
}

/** A text in windows-1251 (Cyrillic letters and ASCII only). */
function cp1251(text: string): Buffer {
  return Buffer.from(
    [...text].map((ch) => (ch >= 'А' && ch <= 'я' ? ch.charCodeAt(0) - 0x410 + 0xc0 : ch.charCodeAt(0) & 0xff)),
  );
}

describe('FeedMemo against the cold path', () => {
  const all = fixtures();
  const ctx = wideContext(all);

  it('every fixture, polled again and again through one memo, with hostile edits and truncations between', () => {
    expect(all.length).toBeGreaterThan(20);
    const next = seededRandom(2126);
    let polls = 0;
    for (const { bytes } of all) {
      const memo = new NormalizationMemo();
      const small = bytes.length < 50_000;
      expectSame(bytes, ctx, memo);
      expectSame(bytes, ctx, memo);
      let previous = bytes;
      for (let n = 0; n < (small ? 60 : 6); n++) {
        // Mostly edits of the last poll (the memo knows most of its items), sometimes the fixture again.
        const base = next() < 0.2 ? bytes : previous;
        const variant = next() < 0.1 ? base.subarray(0, Math.floor(next() * base.length)) : hostile(base, next);
        expectSame(variant, ctx, memo);
        previous = variant;
        polls++;
      }
      expectSame(bytes, ctx, memo);
    }
    expect(polls).toBeGreaterThan(1000);
  }, 180_000);

  it('replays the items it knows: the offer objects of the last poll come back (the memo path ran)', () => {
    const large = all.find((f) => f.name.endsWith('large-6000.xml'))!.bytes;
    const memo = new NormalizationMemo();
    const first = expectSame(large, ctx, memo);
    const text = large.toString('latin1');
    let count = 0;
    const changed = Buffer.from(
      text.replace(/<out>([^<]*)<\/out>/g, (all, out: string) => (count++ % 10 === 0 ? `<out>${out}1</out>` : all)),
      'latin1',
    );
    const second = expectSame(changed, ctx, memo);
    const reused = second.offers.filter((offer, i) => offer === first.offers[i]).length;
    expect(reused).toBeGreaterThan(second.offers.length * 0.85);
    expect(reused).toBeLessThan(second.offers.length);
    // Four reference reads of a 6,000-item feed: seconds on a machine shared with benchmarks.
  }, 30_000);

  it('every truncation of a feed the memo knows is read as the cold path reads it', () => {
    const standard = all.find((f) => f.name.endsWith('feeds/standard.xml'))!.bytes;
    const memo = new NormalizationMemo();
    for (let cut = 0; cut <= standard.length; cut++) {
      expectSame(standard, ctx, memo);
      expectSame(standard.subarray(0, cut), ctx, memo);
    }
    // A few hundred polls, each read three ways: tens of seconds on a machine shared with benchmarks.
  }, 120_000);

  it('a changed catalog context, format setting or dialect is never answered from the old entries', () => {
    const memo = new NormalizationMemo();
    const body = Buffer.from(
      '<?xml version="1.0"?>\n<rates>\n<item><from>BTC</from><to>MYRUB</to><in>1</in><out>20</out></item>\n' +
        '<item><from>BTC</from><to>ETH</to><in>1</in><out>20</out></item>\n</rates>\n',
    );
    const before = expectSame(body, ctx, memo);
    expect(before.stats).toMatchObject({ offers: 1, rejected: 1 });
    const aliased = buildContext(CATALOG, [['MYRUB', 'SBERRUB']]);
    expect(expectSame(body, aliased, memo).stats).toMatchObject({ offers: 2, rejected: 0 });
    expectSame(body, ctx, memo);
    for (const format of ['xml', 'auto', 'json', 'txt', 'xml'] as const) expectSame(body, ctx, memo, format);
    const eref = Buffer.from(
      body
        .toString()
        .replace(
          '</rates>',
          '<item><from>ETH</from><to>BTC</to><in>1</in><out>1</out><frommin>1</frommin></item></rates>',
        ),
    );
    expect(expectSame(eref, ctx, memo).dialect).toBe('xml-eref-1.1');
    expect(expectSame(body, ctx, memo).dialect).toBe('xml');
    const erefRoot = Buffer.from(body.toString().replace('<rates>', '<rates xsi:schemaLocation="x/1.1.xsd">'));
    expect(expectSame(erefRoot, ctx, memo).dialect).toBe('xml-eref-1.1');
  });

  it('asks what the cold path asks of the head first: control characters make it binary, not a feed', () => {
    const memo = new NormalizationMemo();
    const item = (param: string) =>
      `<item><from>BTC</from><to>ETH</to><in>1</in><out>20</out><param>${param}</param></item>\n`;
    const body = (param: string) => Buffer.from(`<rates>\n${item(param)}${item('x').repeat(20)}</rates>\n`);
    expectSame(body('manual'), ctx, memo);
    const binary = expectSame(body('\u0001'.repeat(300)), ctx, memo);
    expect(binary.error?.code).toBe('not_a_feed');
    expectSame(body('manual'), ctx, memo);
    // The same item far from the head: an ordinary feed.
    const late = Buffer.from(`<rates>\n${item('x').repeat(40)}${item('\u0001'.repeat(300))}</rates>\n`);
    expect(expectSame(late, ctx, memo).status).toBe('ok');
  });

  it('the same item bytes in another encoding are other text: UTF-8, windows-1251 declared or not, a BOM', () => {
    const memo = new NormalizationMemo();
    const items =
      '<item><from>BTC</from><to>CASHRUB</to><in>1</in><out>20</out><city>Москва</city><param>наличные</param></item>\n' +
      '<item><from>BTC</from><to>ETH</to><in>1</in><out>20</out><fromname>Биткоин</fromname></item>\n';
    const utf8 = Buffer.from(`<?xml version="1.0" encoding="utf-8"?>\n<rates>\n${items}</rates>\n`);
    const declared = cp1251(`<?xml version="1.0" encoding="windows-1251"?>\n<rates>\n${items}</rates>\n`);
    const undeclared = cp1251(`<?xml version="1.0"?>\n<rates>\n${items}</rates>\n`);
    // The UTF-8 bytes read as windows-1251: the very same item bytes, other text.
    const utf8Declared1251 = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="windows-1251"?>'),
      utf8.subarray(utf8.indexOf('?>') + 2),
    ]);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]);
    const bodies = [
      utf8,
      utf8,
      utf8Declared1251,
      utf8,
      declared,
      undeclared,
      declared,
      bom,
      utf8,
      bom,
      utf8Declared1251,
    ];
    for (const body of bodies) expectSame(body, ctx, memo);
    // The Content-Type's charset decides too, when the prolog says nothing.
    const bare = Buffer.from(`<rates>\n${items}</rates>\n`);
    for (const type of [
      null,
      'text/xml; charset=windows-1251',
      'text/xml; charset=utf-8',
      'text/xml; charset=koi8-r',
      null,
    ])
      expectSame(bare, ctx, memo, 'auto', type);
    // UTF-16 and the multi-byte encodings take the cold path.
    expectSame(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`<rates>\n${items}</rates>`, 'utf16le')]),
      ctx,
      memo,
    );
    expectSame(bare, ctx, memo, 'auto', 'text/xml; charset=shift_jis');
    expectSame(bare, ctx, memo);
  });
});
