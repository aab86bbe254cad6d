/**
 * npm run bench:ingest — parse + normalize speed per format and snapshot-write speed, each against a
 * baseline measured in the same run (bare JSON.parse; a bare COPY into an unindexed temp table).
 * Medians of BENCH_RUNS runs (default 9). Needs the PostgreSQL of TEST_POSTGRES_URL (127.0.0.1:5432).
 * Then the rate guard's cost in a 1,000,000-offer market (rate-guard-market.ts; BENCH_GUARD_EXCHANGERS,
 * BENCH_GUARD_OFFERS). BENCH_ONLY=guard runs only the parse rows and the guard's, BENCH_ONLY=write skips the guard's,
 * BENCH_ONLY=parse runs only the parse rows (no database). Parse rows warm up BENCH_PARSE_WARMUP times (10).
 *
 * Issue 21's parse targets, as ratios to bare JSON.parse of the same items in the same run: "XML full
 * feed" (a poll of a feed whose every item is new to the process: the one-pass reader, then normalize)
 * ≥ 0.25×; "XML 10 % changed (memo warm)" (a poll whose feed changed one item in ten since the last one,
 * the feed's memo kept by the polling process) ≥ 1×.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createDataSource, FeedsRepository, migrateAndSeed, newFeedRun, readBundledCatalog } from '@app/database';
import { DEFAULT_CURRENCY_ALIASES, NormalizedOffer } from '@app/domain';
import { buildContext, checkFeed, NormalizationMemo, normalizeItems, RawFeedItem, XmlFeedReader } from '@app/feeds';
import { BenchRow, medianMs, printTable, writeResults } from './bench-kit';
import { benchGuard } from './rate-guard-market';
import { createScratchDatabase } from './scratch-database';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const ONLY = process.env.BENCH_ONLY ?? '';
const PARSE_WARMUP = Number(process.env.BENCH_PARSE_WARMUP ?? 10);
const FIXTURE = join(process.cwd(), 'test/fixtures/feeds/large-6000.xml');

async function main(): Promise<void> {
  const parse = await benchParsing();
  const write = ONLY === 'guard' || ONLY === 'parse' ? [] : await benchWriting();
  printTable(`Parse + normalize (one core, ${parse.items} items, median of ${RUNS})`, parse.rows);
  if (write.length > 0) printTable(`Snapshot write (10,000 offers, median of ${RUNS})`, write);
  // The guard's share of a poll: read + normalize of a 2,000-offer XML feed at the hot path's measured speed.
  const guard =
    ONLY === 'write' || ONLY === 'parse' ? null : await benchGuard(RUNS, (2_000 / parse.rows[0]!.value) * 1000);
  if (guard) {
    const market = `${guard.offers.toLocaleString('en-US')} offers, seeded in ${(guard.seedMs / 1000).toFixed(0)} s`;
    printTable(`Rate guard: one feed's snapshot write in a market of ${market} (median of ${RUNS * 3})`, guard.rows);
    printTable(`Rate guard: references over ${market}`, guard.refresh);
  }
  const file = writeResults('ingest', {
    runs: RUNS,
    node: process.version,
    parse: parse.rows,
    write,
    guard: guard && { offers: guard.offers, write: guard.rows, refresh: guard.refresh },
  });
  console.log(`\nresults written to ${file}`);
}

async function benchParsing(): Promise<{ items: number; rows: BenchRow[] }> {
  const xml = readFileSync(FIXTURE);
  const context = buildContext(
    readBundledCatalog().map((c) => ({ ...c, enabled: true })),
    Object.entries(DEFAULT_CURRENCY_ALIASES),
  );
  const read = new XmlFeedReader().read(xml.toString('utf8'));
  if (read.kind !== 'items') throw new Error('the fixture did not read');
  const items = read.items;
  const json = Buffer.from(jsonTwin(items));
  const txt = Buffer.from(items.map((i) => `${i.from};${i.to};${i.in};${i.out};${i.amount ?? ''};`).join('\n'));
  const eref = Buffer.from(erefTwin(items));
  const json13 = Buffer.from(json13Twin(items));
  const n = items.length;

  // Parse rows measure the steady state of a polling process, whose reader and normalizer run hot: each
  // figure first runs PARSE_WARMUP times, so the JIT has optimized it (2 warm-ups left them half-compiled).
  const timed = (fn: () => unknown, runs: number) => medianMs(fn, runs, PARSE_WARMUP);
  const jsonParse = await timed(() => JSON.parse(json.toString('utf8')), RUNS);
  const perSecond = (ms: number, count = n) => (count / ms) * 1000;
  const baseline = perSecond(jsonParse);
  const row = (figure: string, ms: number, target: number | null, count = n): BenchRow => ({
    figure,
    value: perSecond(ms, count),
    unit: 'offers/s',
    baseline: 'bare JSON.parse of the JSON twin',
    baselineValue: baseline,
    ratio: perSecond(ms, count) / baseline,
    target: target === null ? '' : `≥ ${target.toLocaleString('en-US')}`,
    met: target === null ? null : perSecond(ms, count) >= target,
  });

  // TXT carries no city, so its 1,000 cash items collapse into duplicates: count what each format yields.
  const offersOf = (body: Buffer) => checkFeed(body, { format: 'auto' }, context).stats.offers;
  const check =
    (body: Buffer, expected = offersOf(body)) =>
    () => {
      const report = checkFeed(body, { format: 'auto' }, context);
      if (report.stats.offers !== expected)
        throw new Error(`expected ${expected} offers, got ${report.stats.offers} (${report.error?.message ?? ''})`);
    };
  const text = xml.toString('utf8');
  // One poll in ten of a feed's items changed since the last poll: polls alternate between the fixture and
  // a twin whose every tenth `out` differs, so each timed poll finds 10 % of its items new to the memo.
  let changedCount = 0;
  const changed = Buffer.from(
    text.replace(/<out>([^<]*)<\/out>/g, (all, out: string) =>
      changedCount++ % 10 === 0 ? `<out>${out}1</out>` : all,
    ),
  );
  const memo = new NormalizationMemo();
  let polls = 0;
  const expected = offersOf(xml);
  const pollWithMemo = () => {
    const body = polls++ % 2 === 0 ? changed : xml;
    const report = checkFeed(body, { format: 'auto', memo: memo.forFeed(1) }, context);
    if (report.stats.offers !== expected) throw new Error(`expected ${expected} offers, got ${report.stats.offers}`);
  };
  const ratioRow = (figure: string, ms: number, target: number): BenchRow => ({
    ...row(figure, ms, null),
    target: `≥ ${target}× baseline`,
    met: perSecond(ms) / baseline >= target,
  });
  const fxp = new XMLParser({
    ignoreAttributes: true,
    parseTagValue: false,
    processEntities: false,
    htmlEntities: false,
  });
  return {
    items: n,
    rows: [
      row('XML  read + normalize (hot path)', await timed(check(xml), RUNS), 35_000),
      ratioRow('XML full feed (issue 21)', await timed(check(xml), RUNS), 0.25),
      ratioRow('XML 10 % changed (memo warm, issue 21)', await timed(pollWithMemo, RUNS * 3), 1),
      row('JSON read + normalize', await timed(check(json), RUNS), 150_000),
      row(
        `TXT  read + normalize (${offersOf(txt)} offers: no cities in TXT)`,
        await timed(check(txt), RUNS),
        200_000,
        offersOf(txt),
      ),
      row('XML EREF 1.1 read + normalize (typed fees, flag elements)', await timed(check(eref), RUNS), 35_000),
      row(
        `JSON 1.3 read + normalize (${offersOf(json13)} offers: one per pair)`,
        await timed(check(json13), RUNS),
        150_000,
        offersOf(json13),
      ),
      row('  XML: fast-xml-parser validator only', await timed(() => XMLValidator.validate(text), RUNS), null),
      row('  XML: fast-xml-parser full tree parse (no normalize)', await timed(() => fxp.parse(text), RUNS), null),
      row(
        '  XML: validator + htmlparser2 items (reference path, no normalize)',
        await timed(() => new XmlFeedReader().readFully(text), RUNS),
        null,
      ),
      row(
        '  XML: one-pass scanner items (no normalize)',
        await timed(() => new XmlFeedReader().read(text), RUNS),
        null,
      ),
      row('  normalize only (items already read)', await timed(() => normalizeItems(items, context), RUNS), null),
    ],
  };
}

/** The JSON twin of a feed: in/out/amount as JSON numbers, the rest strings. */
function jsonTwin(items: RawFeedItem[]): string {
  const entries = items.map((i) => {
    const parts = [
      `"from":${JSON.stringify(i.from)}`,
      `"to":${JSON.stringify(i.to)}`,
      `"in":${i.in}`,
      `"out":${i.out}`,
    ];
    if (i.amount) parts.push(`"amount":${i.amount}`);
    if (i.minamount[0]) parts.push(`"minamount":${JSON.stringify(i.minamount[0])}`);
    if (i.maxamount[0]) parts.push(`"maxamount":${JSON.stringify(i.maxamount[0])}`);
    if (i.city) parts.push(`"city":${JSON.stringify(i.city)}`);
    return `{${parts.join(',')}}`;
  });
  return `{"rates":[${entries.join(',')}]}`;
}

/**
 * The EREF 1.1 twin, as Premium Exchanger writes it: tabs and blank lines, limits with a unit, fees as
 * typed repeated elements, flags as elements, floating terms on one item in five.
 */
function erefTwin(items: RawFeedItem[]): string {
  const entries = items.map((i, n) => {
    const parts = [`<from>${i.from}</from>`, `<to>${i.to}</to>`, `<in>${i.in}</in>`, `<out>${i.out}</out>`];
    if (i.amount) parts.push(`<amount>${i.amount}</amount>`);
    if (i.minamount[0]) parts.push(`<frommin>${i.minamount[0]}</frommin>`);
    if (i.maxamount[0]) parts.push(`<frommax>${i.maxamount[0]}</frommax>`);
    parts.push('', `<fromfee type="%">0.5</fromfee>`);
    if (n % 2 === 0) parts.push(`<tofee type="abs">1</tofee><tofee type="%">0.2</tofee>`);
    if (n % 5 === 0) parts.push(`<floating percent="1" minutes="30" />`, `<delay>15</delay>`);
    parts.push('', n % 3 === 0 ? '<manual>true</manual><verifying>true</verifying>' : '<manual>false</manual>');
    if (i.city) parts.push(`<city>${i.city}</city>`);
    return `\t<item>\n\t\t${parts.join('\n\t\t')}\n\t</item>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<rates xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="https://docs.bestchange.biz/schema/1.1.xsd">\n${entries.join('\n')}\n</rates>`;
}

/** The JSON 1.3 twin: currencies by id, `exchange[from].to[to]` with a signed xr, fees, options, cities. */
function json13Twin(items: RawFeedItem[]): string {
  const ids = new Map<string, number>();
  const idOf = (code: string) => ids.get(code) ?? (ids.set(code, ids.size + 1), ids.size);
  const exchange = new Map<number, Map<number, string>>();
  items.forEach((i, n) => {
    const xr = i.in === '1' ? `-${i.out}` : i.in!;
    const entry = [`"xr":"${xr}"`, `"amount":"${i.amount ?? '0'}"`];
    if (i.minamount[0]) entry.push(`"min":"${i.minamount[0].replace(/[^\d.]/g, '')}"`);
    if (n % 2 === 0) entry.push(`"inFee":["+",{"%":"0.5"},"1"]`);
    if (n % 3 === 0) entry.push(`"options":{"manual":1,"ident":1}`);
    if (i.city) entry.push(`"cities":${JSON.stringify(i.city.split(','))}`);
    const to = exchange.get(idOf(i.from!)) ?? new Map<number, string>();
    to.set(idOf(i.to!), `{${entry.join(',')}}`);
    exchange.set(idOf(i.from!), to);
  });
  const list = [...ids].map(([code, id]) => `"${id}":"${code}"`).join(',');
  const body = [...exchange]
    .map(([from, to]) => `"${from}":{"to":{${[...to].map(([id, entry]) => `"${id}":${entry}`).join(',')}}}`)
    .join(',');
  return `{"version":"1.3","currencies":{"list":{${list}},"amounts":{}},"exchange":{${body}}}`;
}

async function benchWriting(): Promise<BenchRow[]> {
  const db = await createScratchDatabase('rw_bench');
  const url = db.url;
  try {
    await migrateAndSeed(url.toString());
    const dataSource = createDataSource({ url: url.toString(), poolSize: 2 });
    await dataSource.initialize();
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return await writeFigures(dataSource, client);
    } finally {
      await client.end();
      await dataSource.destroy();
    }
  } finally {
    await db.drop();
  }
}

async function writeFigures(dataSource: ReturnType<typeof createDataSource>, client: Client): Promise<BenchRow[]> {
  const feeds = new FeedsRepository(dataSource);
  const [exchanger] = await dataSource.query<Array<{ id: number }>>(
    `INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('bench', 'Bench', 'https://b.example', 'https://b.example/?r=1') RETURNING id`,
  );
  const [feedRow] = await dataSource.query<Array<{ id: number }>>(
    `INSERT INTO feeds (exchanger_id, url) VALUES ($1, 'https://b.example/rates.xml') RETURNING id`,
    [exchanger!.id],
  );
  const feed = { id: feedRow!.id, exchangerId: exchanger!.id };

  const base = snapshot(10_000, 0);
  const allChanged = snapshot(10_000, 1);
  const fivePercent = base.map((o, i) => (i % 20 === 0 ? { ...o, out: bump(o.out), rate: bump(o.rate) } : o));
  const run = newFeedRun('schedule', 'ok', {
    format: 'xml',
    dialect: 'xml',
    httpStatus: 200,
    bytes: 0,
    items: 10_000,
    accepted: 10_000,
  });
  const answer = { etag: null, lastModified: null, contentHash: 'x' };
  const apply = (offers: NormalizedOffer[]) =>
    feeds.applyAnswer(feed, { ...run, startedAt: new Date() }, answer, offers);

  // Baseline: a bare COPY of the same 10,000 rows into an unindexed temporary table.
  await client.query(`CREATE TEMP TABLE copy_baseline (feed_id int, exchanger_id int, from_code text, to_code text, city text, amount_in numeric, amount_out numeric, rate numeric,
                      reserve numeric, from_min numeric, from_max numeric, to_min numeric, to_max numeric, from_fee jsonb, to_fee jsonb, min_fee jsonb, flags text[])`);
  const copyText = base.map((o) => copyLine(feed, o)).join('');
  const copyMs = await medianMs(
    () => pipeline(Readable.from([copyText]), client.query(copyFrom('COPY copy_baseline FROM STDIN'))),
    RUNS,
    2,
    () => client.query('TRUNCATE copy_baseline'),
  );

  await apply(base);
  let flip = false;
  const allMs = await medianMs(async () => {
    flip = !flip;
    const change = await apply(flip ? allChanged : base);
    if (change.updated !== 10_000) throw new Error(`expected 10000 updates, got ${change.updated}`);
  }, RUNS);
  await apply(base);
  flip = false;
  const fiveMs = await medianMs(async () => {
    flip = !flip;
    const change = await apply(flip ? fivePercent : base);
    if (change.updated !== 500) throw new Error(`expected 500 updates, got ${change.updated}`);
  }, RUNS);
  const insertMs = await medianMs(
    () => apply(base),
    RUNS,
    1,
    () => dataSource.query(`DELETE FROM offers WHERE feed_id = $1`, [feed.id]),
  );

  // An unchanged body: hash the bytes, compare, record the poll — what FeedPollService does for it.
  const body = Buffer.from(
    `<rates>${base.map((o) => `<item><from>${o.from}</from><to>${o.to}</to><in>${o.in}</in><out>${o.out}</out><amount>${o.reserve}</amount></item>`).join('\n')}</rates>`,
  );
  const unchangedMs = await medianMs(async () => {
    const hash = createHash('sha256').update(body).digest('hex');
    if (hash !== createHash('sha256').update(body).digest('hex').slice(0)) throw new Error('unreachable');
    await feeds.recordUnchanged(
      feed.id,
      { ...run, status: 'unchanged', startedAt: new Date() },
      { etag: null, lastModified: null, contentHash: null },
    );
  }, RUNS);
  const hashOnlyMs = await medianMs(() => createHash('sha256').update(body).digest('hex'), RUNS);

  const row = (figure: string, ms: number, factor: number | null, target: string): BenchRow => ({
    figure,
    value: ms,
    unit: 'ms',
    baseline: 'bare COPY into an unindexed temp table',
    baselineValue: copyMs,
    ratio: ms / copyMs,
    target,
    met: factor === null ? null : ms / copyMs <= factor,
  });
  return [
    row('5 % changed (500 updates, diff of 10,000)', fiveMs, 1, '≤ 1× COPY'),
    row('100 % changed (10,000 updates)', allMs, 4, '≤ 4× COPY'),
    row('first write (10,000 inserts)', insertMs, null, ''),
    {
      ...row(
        `unchanged body (${(body.length / 1e6).toFixed(1)} MB: sha256 + record the poll)`,
        unchangedMs,
        null,
        '≤ 5 ms',
      ),
      met: unchangedMs <= 5,
    },
    row('  of which sha256 of the body twice', hashOnlyMs * 2, null, ''),
  ];
}

function bump(value: string): string {
  return (Number(value) * 1.001).toFixed(6).replace(/\.?0+$/, '');
}

/** `n` distinct directions over the catalog, realistic fields; `salt` shifts every rate. */
function snapshot(n: number, salt: number): NormalizedOffer[] {
  const codes = readBundledCatalog().map((c) => c.code);
  const offers: NormalizedOffer[] = [];
  for (let i = 0; offers.length < n; i++) {
    const from = codes[i % codes.length]!;
    const to = codes[(i * 7 + 1 + Math.floor(i / codes.length)) % codes.length]!;
    if (from === to || offers.some((o) => o.from === from && o.to === to)) continue;
    const out = (((i % 997) + 1) * 1.37 + salt).toFixed(4);
    offers.push({
      from,
      to,
      city: null,
      in: '1',
      out,
      rate: out,
      reserve: String(100000 + i),
      fromMin: '10',
      fromMax: '100000',
      toMin: null,
      toMax: null,
      fromFee: i % 5 === 0 ? [{ kind: 'percent', value: '0.5' }] : [],
      toFee: [],
      minFee: [],
      flags: i % 3 === 0 ? ['manual'] : [],
      floating: null,
      delayMinutes: null,
    });
  }
  return offers;
}

function copyLine(feed: { id: number; exchangerId: number }, o: NormalizedOffer): string {
  const n = (v: string | null) => v ?? '\\N';
  return (
    [
      feed.id,
      feed.exchangerId,
      o.from,
      o.to,
      o.city ?? '',
      o.in,
      o.out,
      o.rate,
      n(o.reserve),
      n(o.fromMin),
      n(o.fromMax),
      n(o.toMin),
      n(o.toMax),
      JSON.stringify(o.fromFee),
      JSON.stringify(o.toFee),
      JSON.stringify(o.minFee),
      `{${o.flags.join(',')}}`,
    ].join('\t') + '\n'
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
