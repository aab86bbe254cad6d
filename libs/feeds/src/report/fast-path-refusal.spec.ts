import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { NormalizationMemo } from '../normalize/feed-memo';
import { context } from '../normalize/scenarios/catalog.fixture';
import * as scanner from '../readers/xml-fast-scanner';
import { checkFeed } from './feed-report';

// The fast passes, counted: each calls through to the real one.
vi.mock('../readers/xml-fast-scanner', async (importOriginal) => {
  const real = await importOriginal<typeof import('../readers/xml-fast-scanner')>();
  return {
    ...real,
    scanXmlFeedEach: vi.fn(real.scanXmlFeedEach),
    scanXmlPiecesEach: vi.fn(real.scanXmlPiecesEach),
    scanXmlItem: vi.fn(real.scanXmlItem),
  };
});

const LARGE = readFileSync(join(__dirname, '../../../../test/fixtures/feeds/large-6000.xml')).toString('latin1');
const ctx = context();

/** `text` with the first `find` at or after `from` replaced by `by`. */
function replaceAt(text: string, from: number, find: string, by: string): string {
  const at = text.indexOf(find, from);
  return text.slice(0, at) + by + text.slice(at + find.length);
}

/** How many times each fast pass read a body (the memo's: items it read itself). */
const passes = () => ({
  memoItems: vi.mocked(scanner.scanXmlItem).mock.calls.length,
  pieces: vi.mocked(scanner.scanXmlPiecesEach).mock.calls.length,
  whole: vi.mocked(scanner.scanXmlFeedEach).mock.calls.length,
});

/**
 * A body the fast path refuses goes to the reference reader after the first fast pass that refuses it: the
 * memo's pass, the pass in pieces and the whole-text pass refuse the same bodies, and a hostile feed (a
 * megabyte of items with one comment at the end) would otherwise be scanned three times each poll.
 */
describe('a body the fast path refuses', () => {
  beforeEach(() => vi.clearAllMocks());

  const reference = (body: Buffer) => checkFeed(body, { format: 'auto', referenceOnly: true }, ctx);

  it.each([
    ['a comment past the first piece', replaceAt(LARGE, 600_000, '</item>', '</item><!-- x -->')],
    ['text after the root', `${LARGE}trailing`],
    ['a truncated last item', LARGE.slice(0, LARGE.lastIndexOf('</item>'))],
  ])('large, with %s: read by one fast pass, then the reference', (_name, text) => {
    const body = Buffer.from(text, 'latin1');
    const expected = reference(body);
    vi.clearAllMocks();

    // Without a memo: the pass in pieces refuses it, and the whole text is not scanned again.
    expect(checkFeed(body, { format: 'auto' }, ctx)).toEqual(expected);
    expect(passes()).toEqual({ memoItems: 0, pieces: 1, whole: 0 });

    // With a memo: its pass refuses it, and neither other pass runs.
    vi.clearAllMocks();
    const memo = new NormalizationMemo().forFeed(1);
    expect(checkFeed(body, { format: 'auto', memo }, ctx)).toEqual(expected);
    const { memoItems, pieces, whole } = passes();
    expect(memoItems).toBeGreaterThan(0);
    expect({ pieces, whole }).toEqual({ pieces: 0, whole: 0 });
  });

  it('small: read by the memo pass, then the reference', () => {
    const body = Buffer.from(replaceAt(LARGE.slice(0, 30_000), 20_000, '<from>', '<from><!-- x -->'), 'latin1');
    const memo = new NormalizationMemo().forFeed(1);
    const report = checkFeed(body, { format: 'auto', memo }, ctx);
    expect(report.status).toBe('error');
    expect(passes()).toMatchObject({ pieces: 0, whole: 0 });
    expect(report).toEqual(reference(body));
  });

  it('a body the memo does not take but the fast path reads (a long root tag) is still read by a fast pass', () => {
    // The memo looks for the first <item> within 2 KB of the start; the fast path reads any root tag.
    const body = Buffer.from(LARGE.replace('<rates', `<rates note="${'x'.repeat(3000)}"`), 'latin1');
    const memo = new NormalizationMemo().forFeed(1);
    expect(checkFeed(body, { format: 'auto', memo }, ctx)).toEqual(reference(body));
    expect(passes()).toMatchObject({ memoItems: 0, pieces: 1 });
  });
});
