import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NormalizedOffer } from '@app/domain';
import type { FeedReport } from '@app/feeds';
import { runCli } from '../cli';

/**
 * Every fixture in test/fixtures/feeds through `feed:check --json`, asserting what expected.json
 * (the shared fixtures' answer key) says.
 */
const FIXTURES = join(__dirname, '../../../../test/fixtures');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, Expectation>;

interface Limit {
  value: string;
  unit: string;
}
interface Check {
  i?: number;
  from?: string;
  to?: string;
  city?: string | null;
  in?: string;
  out?: string;
  reserve?: string | null;
  min?: Limit | string | null;
  max?: Limit | string | null;
  frommin?: string;
  frommax?: string;
  tomin?: string;
  tomax?: string;
  fromfee?: Array<{ kind: string; value: string; unit?: string }>;
  tofee?: Array<{ kind: string; value: string; unit?: string }>;
  minfee?: Array<{ kind: string; value: string; unit?: string }>;
  params?: string[];
}
interface Expectation {
  status: string;
  items?: number;
  rows?: number;
  directions?: number;
  duplicates?: number;
  dropped?: string[];
  check?: Check[];
  cities_in_order?: Array<string | null>;
  after_aliasing?: Array<{
    from?: string;
    to?: string;
    out?: string;
    city?: string;
    flag?: string;
    dropped_duplicate?: string;
  }>;
  first?: Check;
  last?: Check;
}

async function feedCheck(file: string): Promise<{ status: number; report: FeedReport }> {
  const out: string[] = [];
  const status = await runCli(
    ['feed:check', join(FIXTURES, 'feeds', file), '--json'],
    {},
    { out: (t) => out.push(t), err: () => undefined },
  );
  expect(out).toHaveLength(1);
  return { status, report: JSON.parse(out[0]!) as FeedReport };
}

const STATUS: Record<string, { status: FeedReport['status']; code?: string; exit: number }> = {
  OK: { status: 'ok', exit: 0 },
  OK_EMPTY: { status: 'empty', exit: 0 },
  MAINTENANCE: { status: 'maintenance', exit: 1 },
  PARSE_ERROR: { status: 'error', code: 'xml_malformed', exit: 1 },
  ERROR_HTML: { status: 'error', code: 'html_page', exit: 1 },
};

function findOffer(report: FeedReport, check: Check): NormalizedOffer {
  const offer =
    check.i !== undefined && report.stats.rejected === 0 && report.stats.duplicates === 0
      ? report.offers[check.i]
      : report.offers.find(
          (o) => o.from === check.from && o.to === check.to && (check.city === undefined || o.city === check.city),
        );
  expect(offer, `offer for ${JSON.stringify(check)}`).toBeDefined();
  return offer!;
}

function assertOffer(offer: NormalizedOffer, check: Check): void {
  const limit = (value: Limit | string | null | undefined) =>
    value === undefined ? undefined : value === null ? null : typeof value === 'string' ? value : value.value;
  const fields: Array<[unknown, unknown]> = [
    [offer.from, check.from],
    [offer.to, check.to],
    [offer.city, check.city],
    [offer.in, check.in],
    [offer.out, check.out],
    [offer.reserve, check.reserve],
    [offer.fromMin, limit(check.min)],
    [offer.fromMax, limit(check.max)],
    [offer.fromMin, check.frommin],
    [offer.fromMax, check.frommax],
    [offer.toMin, check.tomin],
    [offer.toMax, check.tomax],
    [offer.flags, check.params],
  ];
  for (const [actual, wanted] of fields) if (wanted !== undefined) expect(actual).toEqual(wanted);
  for (const [actual, wanted] of [
    [offer.fromFee, check.fromfee],
    [offer.toFee, check.tofee],
    [offer.minFee, check.minfee],
  ] as const) {
    if (wanted !== undefined) expect(actual).toEqual(wanted.map((fee): unknown => expect.objectContaining(fee)));
  }
}

const feedFiles = Object.keys(expected).filter((name) => !name.startsWith('_') && !name.startsWith('api/'));

describe('feed:check on every shared fixture', () => {
  it('covers every feed fixture', () => {
    expect(feedFiles.sort()).toEqual(readdirFeeds());
  });

  it.each(feedFiles)('%s', async (file) => {
    const want = expected[file]!;
    const { status, report } = await feedCheck(file);
    const mapped = STATUS[want.status]!;
    expect(report.status).toBe(mapped.status);
    expect(status).toBe(mapped.exit);
    if (mapped.code) expect(report.error?.code).toBe(mapped.code);
    if (want.items !== undefined) expect(report.stats.items).toBe(want.items);
    if (want.rows !== undefined) expect(report.stats.items).toBe(want.rows);
    if (want.directions !== undefined) expect(report.stats.offers).toBe(want.directions);
    if (want.duplicates !== undefined) expect(report.stats.duplicates).toBe(want.duplicates);
    if (want.dropped) expect(report.stats.rejected).toBe(want.dropped.length);
    for (const check of want.check ?? []) assertOffer(findOffer(report, check), check);
    if (want.cities_in_order) expect(report.offers.map((o) => o.city)).toEqual(want.cities_in_order);
    for (const entry of want.after_aliasing ?? []) {
      if (entry.from && entry.out) assertOffer(findOffer(report, entry), entry);
    }
    if (want.after_aliasing) {
      expect(report.rejected.map((r) => r.reason)).toEqual([
        'ambiguous currency code USDT (no network suffix): add an alias',
        'unknown currency code ZZZUNKNOWN',
      ]);
      expect(report.stats.duplicates).toBe(1);
    }
    if (want.first) assertOffer(report.offers[0]!, want.first);
    if (want.last) assertOffer(report.offers.at(-1)!, want.last);
  });

  it('reads the gzip twin exactly like the plain file', async () => {
    const plain = await feedCheck('large-6000.xml');
    const gzipped = await feedCheck('large-6000.xml.gz');
    expect(gzipped.report).toEqual(plain.report);
  });

  it('normalizes standard.xml, .json and .txt to the same directions and rates', async () => {
    const key = (o: NormalizedOffer) => `${o.from}>${o.to}:${o.in}:${o.out}:${o.reserve}`;
    const xml = (await feedCheck('standard.xml')).report.offers.map(key);
    expect((await feedCheck('standard.json')).report.offers.map(key)).toEqual(xml);
    expect((await feedCheck('standard.txt')).report.offers.map(key)).toEqual(xml);
    const json = (await feedCheck('standard.json')).report.offers;
    const fromXml = (await feedCheck('standard.xml')).report.offers;
    expect(json).toEqual(fromXml);
  });

  it('says where a truncated body ends', async () => {
    const { report } = await feedCheck('truncated.xml');
    expect(report.error?.message).toBe('malformed XML: the body ends inside <rates><item><to> (truncated?)');
    expect(report.offers).toEqual([]);
  });

  it('keeps the maintenance text and hides no reason', async () => {
    const { report } = await feedCheck('maintenance-ru.xml');
    expect(report).toMatchObject({ status: 'maintenance', format: 'xml', error: null, offers: [] });
  });
});

describe('feed:check usage', () => {
  const run = async (args: string[]) => {
    const err: string[] = [];
    const status = await runCli(args, {}, { out: () => undefined, err: (t) => err.push(t) });
    return { status, err: err.join('\n') };
  };

  it('exits 2 without a source, with two, or with a bad format', async () => {
    expect((await run(['feed:check'])).status).toBe(2);
    expect((await run(['feed:check', 'a', 'b'])).status).toBe(2);
    const bad = await run(['feed:check', 'x.xml', '--format', 'yaml']);
    expect(bad.status).toBe(2);
    expect(bad.err).toMatch(/--format must be one of auto, xml, json, txt/);
  });

  it('exits 2 for a file that does not exist', async () => {
    const missing = await run(['feed:check', '/nonexistent/rates.xml']);
    expect(missing.status).toBe(2);
    expect(missing.err).toMatch(/cannot read \/nonexistent\/rates.xml: ENOENT/);
  });

  it('prints a readable summary without --json', async () => {
    const out: string[] = [];
    const status = await runCli(
      ['feed:check', join(FIXTURES, 'feeds', 'code-aliases.xml')],
      {},
      { out: (t) => out.push(t), err: () => undefined },
    );
    expect(status).toBe(0);
    expect(out.join('\n')).toMatch(
      /^status: ok \(xml: XML \(BestChange\)\) — 6 items, 3 offers, 2 rejected, 1 duplicates\nrejected:\n {2}item 3: ambiguous/,
    );
  });
});

function readdirFeeds(): string[] {
  return readdirSync(join(FIXTURES, 'feeds')).sort();
}
