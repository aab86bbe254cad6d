import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { createDataSource, FeedsRepository, isDatabaseUnavailable, newFeedRun } from '@app/database';
import type { SnapshotChangeEvent, SnapshotChanges } from '@app/messaging';
import type { SafeHttpClient } from '@app/http-client';
import { FeedServer } from '../../../../test/support/feed-server';
import { createExchangerWithFeed, pollServiceFor } from '../../../../test/support/ingestion';
import { offerOf } from '../../../../test/support/offers';
import { PoolSqueeze } from '../../../../test/support/pool-squeeze';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import type { CompletedPoll, FeedPollService } from './feed-poll.service';

const fixture = (name: string) => readFileSync(join(__dirname, '../../../../test/fixtures/feeds', name), 'utf8');
const STANDARD = fixture('standard.xml');

const xml = (...items: Array<[string, string, string, string?]>) =>
  `<rates>${items.map(([from, to, out, city]) => `<item><from>${from}</from><to>${to}</to><in>1</in><out>${out}</out><amount>100</amount>${city ? `<city>${city}</city>` : ''}</item>`).join('')}</rates>`;

describe('FeedPollService on a real PostgreSQL', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let poller: FeedPollService;
  let feeds: FeedsRepository;
  let fetcher: SafeHttpClient;
  let registry: Registry;
  let changes: SnapshotChanges;
  const server = new FeedServer();
  let feedId: number;
  let path: string;
  let counter = 0;

  const poll = async (trigger: 'schedule' | 'manual' = 'manual'): Promise<CompletedPoll> => {
    const outcome = await poller.poll(feedId, trigger);
    if (outcome.status === 'skipped') throw new Error(`skipped: ${outcome.reason}`);
    return outcome;
  };
  const offers = () =>
    dataSource.query<Array<{ from_code: string; to_code: string; city: string; amount_out: string }>>(
      `SELECT from_code, to_code, city, amount_out FROM offers WHERE feed_id = $1 ORDER BY from_code, to_code, city`,
      [feedId],
    );
  const feedRow = async () =>
    (
      await dataSource.query<
        Array<{
          last_status: string;
          consecutive_failures: number;
          last_error: unknown;
          in_maintenance: boolean;
          last_success_at: Date | null;
        }>
      >(
        `SELECT last_status, consecutive_failures, last_error, in_maintenance, last_success_at FROM feeds WHERE id = $1`,
        [feedId],
      )
    )[0]!;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(4));
    ({ poller, feeds, fetcher, registry, changes } = pollServiceFor(dataSource));
    await server.start();
  });

  afterAll(async () => {
    await server.stop();
    await fetcher.close();
    await dataSource.destroy();
    await db.drop();
  });

  beforeEach(async () => {
    path = `/feed-${++counter}.xml`;
    ({ feedId } = await createExchangerWithFeed(dataSource, `exchanger-${counter}`, server.url(path)));
  });

  it('writes the first snapshot and records the run', async () => {
    server.serve(path, { body: STANDARD });
    const outcome = await poll();
    expect(outcome.run).toMatchObject({
      status: 'ok',
      format: 'xml',
      items: 8,
      accepted: 8,
      inserted: 8,
      updated: 0,
      deleted: 0,
      httpStatus: 200,
    });
    expect(await offers()).toHaveLength(8);
    expect(await feedRow()).toMatchObject({ last_status: 'ok', consecutive_failures: 0, last_error: null });
    const runs = await dataSource.query<Array<{ status: string; inserted: number }>>(
      `SELECT status, inserted FROM feed_runs WHERE feed_id = $1`,
      [feedId],
    );
    expect(runs).toEqual([{ status: 'ok', inserted: 8 }]);
  });

  it("announces the directions it wrote with its feed, and those where the guard's verdicts changed without", async () => {
    // The guard judges DOGE→XMR against a market reference; TRX→XMR has none.
    await dataSource.query(
      `INSERT INTO direction_references (from_code, to_code, city, rate, source, exchangers) VALUES ('DOGE', 'XMR', '', 0.001, 'market', 5)`,
    );
    const heard: SnapshotChangeEvent[] = [];
    const stop = changes.onOwnChange((event) => heard.push(event));
    try {
      server.serve(path, { body: xml(['DOGE', 'XMR', '1000'], ['TRX', 'XMR', '0.5']) });
      expect((await poll()).run).toMatchObject({ status: 'ok', quarantined: 1 });
      // Where a verdict changed, other feeds' offers may have changed too: the whole direction is read again.
      expect(heard).toEqual([{ directions: [['TRX', 'XMR']], feed: feedId }, { directions: [['DOGE', 'XMR']] }]);
      heard.length = 0;
      server.serve(path, { body: xml(['DOGE', 'XMR', '1000'], ['TRX', 'XMR', '0.6']) });
      await poll();
      expect(heard).toEqual([{ directions: [['TRX', 'XMR']], feed: feedId }]);
    } finally {
      stop();
      await dataSource.query(`DELETE FROM direction_references WHERE from_code = 'DOGE' AND to_code = 'XMR'`);
    }
  });

  it('does not count a database that gave no connection in time as the feed failing: no run, no backoff, offers kept', async () => {
    // A poller on a pool of two connections that waits 300 ms for one; the test takes both while the feed is
    // being fetched, so the write finds none.
    const narrow = createDataSource({ url: db.url, poolSize: 2, connectTimeoutMs: 300 });
    await narrow.initialize();
    const { poller: narrowPoller, fetcher: narrowFetcher, registry: narrowRegistry } = pollServiceFor(narrow);
    try {
      server.serve(path, { body: xml(['BTC', 'USDTTRC20', '60000']) });
      expect((await narrowPoller.poll(feedId, 'schedule')).status).toBe('ok');
      const runs = async () =>
        (
          await dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM feed_runs WHERE feed_id = $1`, [
            feedId,
          ])
        )[0]!.n;
      const before = await runs();
      const squeeze = new PoolSqueeze(narrow, 2);
      server.serve(path, () => ({ body: xml(['BTC', 'USDTTRC20', '61000']), after: squeeze.take() }));
      // The connections come back the moment the write's wait for one fails: a poll that then recorded a failure
      // of the feed (as it did) would get one for it.
      const failed = await narrowPoller.poll(feedId, 'schedule').then(
        () => null,
        (error: unknown) => error,
      );
      // Given back by the failed wait itself, not by the test.
      expect(squeeze.held).toBe(0);
      squeeze.stop();
      expect(isDatabaseUnavailable(failed)).toBe(true);
      expect(await feedRow()).toMatchObject({ last_status: 'ok', consecutive_failures: 0 });
      expect(await runs()).toBe(before);
      expect(await offers()).toEqual([{ from_code: 'BTC', to_code: 'USDTTRC20', city: '', amount_out: '60000' }]);
      expect(await narrowRegistry.getSingleMetricAsString('ratewatch_feed_polls_total')).toMatch(
        /^ratewatch_feed_polls_total\{status="error",error_code="database_unavailable"\} 1$/m,
      );
      // The connections back, the next poll writes as usual.
      server.serve(path, { body: xml(['BTC', 'USDTTRC20', '61000']) });
      expect((await narrowPoller.poll(feedId, 'schedule')).status).toBe('ok');
      expect(await offers()).toEqual([{ from_code: 'BTC', to_code: 'USDTTRC20', city: '', amount_out: '61000' }]);
    } finally {
      await narrowFetcher.close();
      await narrow.destroy();
    }
  });

  it('writes nothing for an unchanged body', async () => {
    server.serve(path, { body: STANDARD });
    await poll();
    const before = await dataSource.query<Array<{ xmin: string }>>(
      `SELECT xmin::text FROM offers WHERE feed_id = $1 ORDER BY 1`,
      [feedId],
    );
    const outcome = await poll();
    expect(outcome.run).toMatchObject({ status: 'unchanged', inserted: 0, updated: 0, deleted: 0 });
    expect(await dataSource.query(`SELECT xmin::text FROM offers WHERE feed_id = $1 ORDER BY 1`, [feedId])).toEqual(
      before,
    );
  });

  it('answers a 304 with a successful poll and no work', async () => {
    server.serve(path, { body: STANDARD, etag: '"abc"' });
    await poll();
    const outcome = await poll();
    expect(outcome.run).toMatchObject({ status: 'not_modified', httpStatus: 304 });
    expect(await offers()).toHaveLength(8);
  });

  it('inserts, updates and deletes only what changed', async () => {
    server.serve(path, { body: xml(['BTC', 'ETH', '20'], ['BTC', 'SBERRUB', '6850000'], ['ETH', 'BTC', '0.05']) });
    await poll();
    const untouched = await dataSource.query<Array<{ xmin: string }>>(
      `SELECT xmin::text FROM offers WHERE feed_id = $1 AND to_code = 'SBERRUB'`,
      [feedId],
    );
    server.serve(path, {
      body: xml(['BTC', 'ETH', '21'], ['BTC', 'SBERRUB', '6850000.0'], ['ETH', 'SBERRUB', '340000']),
    });
    const outcome = await poll();
    expect(outcome.change).toMatchObject({ inserted: 1, updated: 1, deleted: 1 });
    expect(outcome.change?.touched.map((d) => d.join('>')).sort()).toEqual(['BTC>ETH', 'ETH>BTC', 'ETH>SBERRUB']);
    expect((await offers()).map((o) => `${o.from_code}>${o.to_code}=${o.amount_out}`)).toEqual([
      'BTC>ETH=21',
      'BTC>SBERRUB=6850000',
      'ETH>SBERRUB=340000',
    ]);
    // 6850000.0 equals 6850000: that row was not rewritten.
    expect(
      await dataSource.query(
        `SELECT xmin::text FROM offers WHERE feed_id = $1 AND to_code = 'SBERRUB' AND from_code = 'BTC'`,
        [feedId],
      ),
    ).toEqual(untouched);
  });

  it('keeps the previous snapshot when the body is broken, and says why', async () => {
    server.serve(path, { body: STANDARD });
    await poll();
    server.serve(path, { body: fixture('truncated.xml') });
    const outcome = await poll();
    expect(outcome.run).toMatchObject({ status: 'error', error: { code: 'xml_malformed' } });
    expect(await offers()).toHaveLength(8);
    expect(await feedRow()).toMatchObject({
      last_status: 'error',
      consecutive_failures: 1,
      last_error: { code: 'xml_malformed' },
    });
  });

  it('records HTTP errors and HTML pages as failed runs that change no offers', async () => {
    server.serve(path, { body: STANDARD });
    await poll();
    server.serve(path, { body: 'oops', status: 500 });
    expect((await poll()).run).toMatchObject({ status: 'error', httpStatus: 500, error: { code: 'http_error' } });
    server.serve(path, { body: fixture('html-error.xml'), contentType: 'text/html' });
    expect((await poll()).run).toMatchObject({ status: 'error', error: { code: 'html_page' } });
    expect(await offers()).toHaveLength(8);
    expect((await feedRow()).consecutive_failures).toBe(2);
  });

  it('hides offers at once on maintenance and shows the next good snapshot', async () => {
    server.serve(path, { body: STANDARD });
    await poll();
    server.serve(path, { body: fixture('maintenance-ru.xml') });
    expect((await poll()).run.status).toBe('maintenance');
    expect(await feedRow()).toMatchObject({ in_maintenance: true, consecutive_failures: 0 });
    expect(await offers()).toHaveLength(8);
    server.serve(path, { body: xml(['BTC', 'ETH', '20']) });
    await poll();
    expect(await feedRow()).toMatchObject({ in_maintenance: false, last_status: 'ok' });
    expect(await offers()).toHaveLength(1);
  });

  it('reads a 503 whose page says maintenance as maintenance (offers hidden at once); other 503s stay errors', async () => {
    server.serve(path, { body: STANDARD });
    await poll();
    server.serve(path, {
      body: '<html><head><title>Технические работы</title></head><body>Скоро вернёмся</body></html>',
      status: 503,
      contentType: 'text/html',
    });
    const outcome = await poll();
    expect(outcome.run).toMatchObject({
      status: 'maintenance',
      httpStatus: 503,
      error: null,
      warnings: ['maintenance: HTTP 503: Технические работы'],
    });
    expect(await feedRow()).toMatchObject({
      in_maintenance: true,
      last_status: 'maintenance',
      consecutive_failures: 0,
    });
    expect(await offers()).toHaveLength(8); // kept, hidden until the exchanger is back

    server.serve(path, {
      body: '<html><title>503 Service Temporarily Unavailable</title></html>',
      status: 503,
      contentType: 'text/html',
    });
    expect((await poll()).run.error?.code).toBe('http_error');
    server.serve(path, { body: STANDARD });
    expect((await poll()).run.status).toBe('ok');
    expect(await feedRow()).toMatchObject({ in_maintenance: false });
  });

  it('reads the engine’s JSON maintenance pair as maintenance, not as two broken rates', async () => {
    server.serve(path, { body: STANDARD });
    await poll();
    server.serve(path, { body: '["error","Техническое обслуживание"]', contentType: 'application/json' });
    expect((await poll()).run).toMatchObject({ status: 'maintenance', error: null, rejected: 0 });
    expect(await feedRow()).toMatchObject({ in_maintenance: true });
  });

  it('never records internal_error for feed content: bad values reject their items, the rest is written', async () => {
    server.serve(path, { body: STANDARD });
    await poll();
    const body = xml(
      ['BTC', 'ETH', '20'],
      ['ETH', 'BTC', `0.${'4'.repeat(20_000)}`],
      ['BTC', 'SBERRUB', '6850000'],
    ).replace(
      '</rates>',
      '<item><from>LTC</from><to>BTC</to><in>1e-400</in><out>1</out></item><item><from>XMR</from><to>BTC</to><in>1</in><out>0.002</out><param>manual\u0000</param><floating percent="1" minutes="30"/><delay>20</delay></item></rates>',
    );
    server.serve(path, { body });
    const outcome = await poll();
    expect(outcome.run).toMatchObject({ status: 'ok', dialect: 'xml-eref-1.1', accepted: 3, rejected: 2 });
    expect((await offers()).map((o) => `${o.from_code}>${o.to_code}`)).toEqual(['BTC>ETH', 'BTC>SBERRUB', 'XMR>BTC']);
    const [xmr] = await dataSource.query<Array<{ flags: string[]; floating: unknown; delay_minutes: number }>>(
      `SELECT flags, floating, delay_minutes FROM offers WHERE feed_id = $1 AND from_code = 'XMR'`,
      [feedId],
    );
    expect(xmr).toEqual({ flags: ['floating', 'manual'], floating: { percent: '1', minutes: 30 }, delay_minutes: 20 });
    const [run] = await dataSource.query<Array<{ dialect: string; rejects: Array<{ reason: string }> }>>(
      `SELECT dialect, rejects FROM feed_runs WHERE feed_id = $1 ORDER BY id DESC LIMIT 1`,
      [feedId],
    );
    expect(run?.dialect).toBe('xml-eref-1.1');
    expect(run?.rejects.map((r) => r.reason)).toEqual([
      expect.stringMatching(/more than 40 significant digits$/),
      'in "1e-400" is out of range: smaller than 1e-30',
    ]);
  });

  it('empties the snapshot for a valid feed without items', async () => {
    server.serve(path, { body: STANDARD });
    await poll();
    server.serve(path, { body: fixture('empty-rates.xml') });
    expect((await poll()).run).toMatchObject({ status: 'empty', deleted: 8 });
    expect(await offers()).toEqual([]);
  });

  it('refuses to wipe the snapshot when every item is rejected', async () => {
    server.serve(path, { body: STANDARD });
    await poll();
    server.serve(path, { body: xml(['NOPE1', 'BTC', '1'], ['NOPE2', 'BTC', '1']) });
    const outcome = await poll();
    expect(outcome.run).toMatchObject({ status: 'error', error: { code: 'no_valid_items' }, rejected: 2 });
    expect(outcome.run.rejects).toEqual([
      { index: 0, reason: 'unknown currency code NOPE1' },
      { index: 1, reason: 'unknown currency code NOPE2' },
    ]);
    expect(await offers()).toHaveLength(8);
  });

  it('applies an alias change from the next poll, even for the same bytes', async () => {
    server.serve(path, { body: xml(['BTC', 'ETH', '20'], ['XYZCOIN', 'BTC', '1']) });
    expect((await poll()).run).toMatchObject({ status: 'ok', accepted: 1, rejected: 1 });
    await dataSource.query(`INSERT INTO currency_aliases (alias, code) VALUES ('XYZCOIN', 'LTC')`);
    expect((await poll()).run).toMatchObject({ status: 'ok', accepted: 2, rejected: 0, inserted: 1 });
  });

  it('never interleaves two polls of one feed', async () => {
    const a = xml(['BTC', 'ETH', '20'], ['BTC', 'SBERRUB', '1'], ['ETH', 'BTC', '0.05']);
    const b = xml(['LTC', 'BTC', '0.001'], ['BTC', 'ETH', '19'], ['ETH', 'LTC', '40'], ['TRX', 'BTC', '0.000001']);
    let turn = 0;
    server.serve(path, () => ({ body: turn++ % 2 === 0 ? a : b }));
    await Promise.all([poll(), poll(), poll(), poll()]);
    const keys = (await offers()).map((o) => `${o.from_code}>${o.to_code}=${o.amount_out}`).join(',');
    expect(['BTC>ETH=20,BTC>SBERRUB=1,ETH>BTC=0.05', 'BTC>ETH=19,ETH>LTC=40,LTC>BTC=0.001,TRX>BTC=0.000001']).toContain(
      keys,
    );
  });

  it('backs off scheduled polls of a failing feed but not manual refreshes', async () => {
    server.serve(path, { body: 'down', status: 503 });
    for (let i = 0; i < 3; i++) await poll('schedule');
    const skipped = await poller.poll(feedId, 'schedule');
    expect(skipped).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/^backing off until /) as unknown,
    });
    expect((await poll('manual')).run.status).toBe('error');
  });

  it('skips disabled feeds and feeds of paused exchangers', async () => {
    server.serve(path, { body: STANDARD });
    await dataSource.query(`UPDATE feeds SET enabled = false WHERE id = $1`, [feedId]);
    expect(await poller.poll(feedId, 'schedule')).toEqual({ status: 'skipped', reason: `feed ${feedId} is disabled` });
    await dataSource.query(`UPDATE feeds SET enabled = true WHERE id = $1`, [feedId]);
    await dataSource.query(
      `UPDATE exchangers SET status = 'paused' WHERE id = (SELECT exchanger_id FROM feeds WHERE id = $1)`,
      [feedId],
    );
    expect(await poller.poll(feedId, 'schedule')).toMatchObject({
      status: 'skipped',
      reason: expect.stringContaining('paused') as unknown,
    });
    expect(await poller.poll(999_999, 'manual')).toEqual({ status: 'skipped', reason: 'feed 999999 does not exist' });
  });

  it('prunes runs beyond the retention', async () => {
    await dataSource.query(
      `INSERT INTO feed_runs (feed_id, started_at, duration_ms, status) SELECT $1, now() - interval '30 days', 1, 'ok' FROM generate_series(1, 5)`,
      [feedId],
    );
    expect(await feeds.pruneRuns()).toBe(5);
    expect(await dataSource.query(`SELECT 1 FROM feed_runs WHERE feed_id = $1`, [feedId])).toEqual([]);
  });

  it('processes at most POLL_PROCESSING_CONCURRENCY polls at once and reports the gate on /metrics', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 8; i++) {
      server.serve(`/gate-${i}.xml`, { body: xml(['BTC', 'ETH', `20.${i}`]) });
      ids.push(
        (await createExchangerWithFeed(dataSource, `gate-${counter}-${i}`, server.url(`/gate-${i}.xml`))).feedId,
      );
    }
    // Every value the gauge is given (reading and normalizing is synchronous: a sampler would miss it).
    const gauge = registry.getSingleMetric('ratewatch_poll_processing') as Gauge<'state'>;
    const reported: number[] = [];
    const set = gauge.set.bind(gauge);
    const spy = vi.spyOn(gauge, 'set').mockImplementation(((labels: { state: string }, value: number) => {
      if (labels.state === 'active') reported.push(value);
      set(labels, value);
    }) as typeof gauge.set);
    const outcomes = await Promise.all(ids.map((id) => poller.poll(id, 'manual')));
    spy.mockRestore();
    expect(outcomes.map((o) => o.status)).toEqual(Array(8).fill('ok'));
    expect(Math.max(...reported)).toBeGreaterThan(0);
    expect(Math.max(...reported)).toBeLessThanOrEqual(4);
    const metric = await gauge.get();
    const value = (state: string) => metric.values.find((v) => v.labels.state === state)?.value;
    expect({ active: value('active'), waiting: value('waiting') }).toEqual({ active: 0, waiting: 0 });
  });

  it('times each stage of a poll on /metrics: fetch, wait for a read slot, read, wait for a write slot, write', async () => {
    const counts = async () => {
      const metric = await (registry.getSingleMetric('ratewatch_feed_poll_stage_seconds') as Histogram<'stage'>).get();
      return Object.fromEntries(
        metric.values
          .filter((v) => v.metricName?.endsWith('_count'))
          .map((v): [string, number] => [String(v.labels.stage), v.value]),
      ) as Record<string, number>;
    };
    const before = await counts();
    server.serve('/stages.xml', { body: xml(['BTC', 'ETH', '20.5']) });
    const { feedId } = await createExchangerWithFeed(dataSource, `stages-${counter}`, server.url('/stages.xml'));
    expect((await poller.poll(feedId, 'manual')).status).toBe('ok');
    const after = await counts();
    const added = (stage: string) => (after[stage] ?? 0) - (before[stage] ?? 0);
    expect(['fetch', 'wait_read', 'read', 'wait_write', 'write'].map(added)).toEqual([1, 1, 1, 1, 1]);
    // The same body again: fetched and found unchanged, nothing read or written.
    expect((await poller.poll(feedId, 'manual')).status).toBe('unchanged');
    const again = await counts();
    expect(['fetch', 'read', 'write'].map((stage) => (again[stage] ?? 0) - (after[stage] ?? 0))).toEqual([1, 0, 0]);
  });

  it('counts feeds by state for the metrics', async () => {
    server.serve(path, { body: STANDARD });
    await poll();
    const counts = await feeds.countByState();
    expect(counts.fresh).toBeGreaterThanOrEqual(1);
  });
});

describe('snapshot writes keep hostile text intact', () => {
  it('round-trips flags with quotes, backslashes, braces, tabs and Unicode', async () => {
    const { db, dataSource } = await migratedDatabase();
    try {
      const { feeds } = pollServiceFor(dataSource);
      const { exchangerId, feedId } = await createExchangerWithFeed(dataSource, 'hostile', 'https://h.example/r.xml');
      const flags = [
        'manual',
        'say "hi"',
        'back\\slash',
        '{braces}',
        'tab\there',
        'new\nline',
        'кириллица',
        "'; DROP TABLE offers; --",
      ];
      const run = newFeedRun('manual', 'ok', {
        format: 'xml',
        dialect: 'xml-eref-1.1',
        httpStatus: 200,
        bytes: 1,
        items: 1,
        accepted: 1,
      });
      const offer = offerOf({
        fromFee: [{ kind: 'fixed', value: '1', unit: 'BTC' }],
        flags,
        floating: { percent: '0.5', minutes: 30 },
        delayMinutes: 15,
      });
      expect(
        await feeds.applyAnswer(
          { id: feedId, exchangerId },
          run,
          { etag: null, lastModified: null, contentHash: 'a' },
          [offer],
        ),
      ).toMatchObject({ inserted: 1 });
      const [row] = await dataSource.query<Array<{ flags: string[]; from_fee: unknown }>>(
        `SELECT flags, from_fee, floating, delay_minutes FROM offers WHERE feed_id = $1`,
        [feedId],
      );
      expect(row).toEqual({
        flags,
        from_fee: [{ kind: 'fixed', value: '1', unit: 'BTC' }],
        floating: { percent: '0.5', minutes: 30 },
        delay_minutes: 15,
      });
      // The same values again: nothing is rewritten.
      expect(
        await feeds.applyAnswer(
          { id: feedId, exchangerId },
          run,
          { etag: null, lastModified: null, contentHash: 'b' },
          [offer],
        ),
      ).toMatchObject({ inserted: 0, updated: 0, deleted: 0 });
    } finally {
      await dataSource.destroy();
      await db.drop();
    }
  });
});
