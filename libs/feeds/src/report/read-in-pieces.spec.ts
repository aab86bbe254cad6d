import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bodyEncoding } from '../decode/decode-body';
import { FAST_PATH_REFUSED } from '../readers/xml-fast-scanner';
import { context } from '../normalize/scenarios/catalog.fixture';
import { checkFeed, readXmlInPieces } from './feed-report';

const LARGE = readFileSync(join(__dirname, '../../../../test/fixtures/feeds/large-6000.xml'));
const ctx = context();

/** A large ASCII XML body is read in pieces (scanXmlPiecesEach), never as one string: the same report as the reference. */
describe('a large XML feed read in pieces', () => {
  const both = (body: Buffer, format: 'auto' | 'xml' = 'auto') => ({
    pieces: checkFeed(body, { format }, ctx),
    reference: checkFeed(body, { format, referenceOnly: true }, ctx),
  });

  /** Whether checkFeed reads `body` in pieces (and the pieces accept it). */
  const readInPieces = (body: Buffer) => {
    const read = readXmlInPieces(body, bodyEncoding(body), 'auto', ctx);
    return read !== null && read !== FAST_PATH_REFUSED;
  };

  it('reports exactly what the reference reader reports', () => {
    const { pieces, reference } = both(LARGE);
    expect(readInPieces(LARGE)).toBe(true);
    expect(pieces.stats.items).toBe(6000);
    expect(pieces.stats.offers).toBeGreaterThan(100);
    expect(pieces).toEqual(reference);
  });

  it('leaves a small feed, and any other than ASCII XML, to the whole-text path', () => {
    expect(readInPieces(LARGE.subarray(0, 100_000))).toBe(false);
    expect(readInPieces(Buffer.from(`{"rates": [${' '.repeat(300_000)}]}`))).toBe(false);
    expect(readInPieces(Buffer.from(LARGE.toString('latin1').replace('<from>', '<from>é'), 'utf8'))).toBe(false);
  });

  it.each([
    [
      'an </item> in a value past the first piece',
      false,
      (t: string) => replaceAt(t, 200_000, '<from>', '<from>x</item>'),
    ],
    ['a comment past the first piece', false, (t: string) => replaceAt(t, 300_000, '</item>', '</item><!-- x -->')],
    ['text after the root', false, (t: string) => `${t}</item>trailing`],
    ['an HTML page of the same size', false, (t: string) => `<html><body>${t}</body></html>`],
    ['leading whitespace', true, (t: string) => `\n\n  \t${t}`],
    ['CRLF line ends', true, (t: string) => t.replace(/\n/g, '\r\n')],
  ])('agrees with the reference on %s (read in pieces: %s)', (_name, inPieces, mutate) => {
    const body = Buffer.from(mutate(LARGE.toString('latin1')), 'latin1');
    expect(readInPieces(body)).toBe(inPieces);
    const { pieces, reference } = both(body);
    expect(pieces).toEqual(reference);
  });
});

/** `text` with the first `find` at or after `from` replaced by `by`. */
function replaceAt(text: string, from: number, find: string, by: string): string {
  const at = text.indexOf(find, from);
  return text.slice(0, at) + by + text.slice(at + find.length);
}
