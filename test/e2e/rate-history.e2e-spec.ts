import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { HousekeepingService } from '@app/background';
import { FeedPollService, HistoryRecorder } from '@app/ingestion';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { FeedServer } from '../support/feed-server';
import { feedPublisher } from '../support/ingestion';
import { http } from '../support/http';
import { waitFor } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/services';

interface Point {
  at: string;
  open: string | null;
  high: string;
  low: string;
  close: string | null;
  offers: number;
}
interface HistoryBody {
  from: string;
  to: string;
  city: string | null;
  resolution: string;
  since: string;
  until: string;
  points: Point[];
}
interface ErrorBody {
  statusCode: number;
  message: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const rates = (...items: string[]) => `<rates>${items.join('')}</rates>`;
const item = (from: string, to: string, out: string, city = '') =>
  `<item><from>${from}</from><to>${to}</to><in>1</in><out>${out}</out><amount>1000</amount>${city ? `<city>${city}</city>` : ''}</item>`;

/** GET /v1/rates/history over HTTP: the history the polls record of every direction, at each resolution. */
describe('rate history over HTTP', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let client: Client;
  const feeds = new FeedServer();

  const get = <T>(path: string, headers: Record<string, string> = {}) => http<T>(`${api.url}${path}`, { headers });
  /**
   * The feed `slug` now answers `body`, and is polled (the workers' write path), then recorded: the process's
   * HistoryRecorder drains what the write marked (it would within about a second by itself).
   */
  const polled = feedPublisher(feeds, () => ({ database: client, poller: api.app.get(FeedPollService) }));
  const publish = async (slug: string, body: string) => {
    expect((await polled(slug, body)).status).toBe('ok');
    await api.app.get(HistoryRecorder).drain();
  };

  /** Moves the direction's change points (overall, not per city), in their order, to `times`. */
  const placeAt = (from: string, to: string, times: Date[]) =>
    client.query(
      `UPDATE history_changes c SET at = v.at FROM (
         SELECT c2.direction_id, c2.at AS old, (($3::timestamptz[])[row_number() OVER (ORDER BY c2.at)]) AS at
         FROM history_changes c2 JOIN history_directions d ON d.id = c2.direction_id WHERE d.from_code = $1 AND d.to_code = $2 AND d.city = ''
       ) v WHERE c.direction_id = v.direction_id AND c.at = v.old`,
      [from, to, times],
    );
  /**
   * Folds the points `placeAt` moved into the past. The in-process schedule rolls history up every minute, and a
   * run since the test began has folded up to about now: the watermark is reset so the placed points are folded,
   * and a roll-up that found the scheduled one holding the lock is tried again.
   */
  const foldPlaced = async () => {
    await client.query(`UPDATE history_rollup SET folded_until = NULL`);
    await waitFor(
      'history rolled up',
      async () => (await api.app.get(HousekeepingService).rollUpHistory()).rolledUp.ran,
    );
  };
  const ohlc = (p: Point) => [p.at, p.open, p.high, p.low, p.close, p.offers];

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start();
    api = await startApi(
      loadConfig({
        DATABASE_URL: db.url,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        FETCH_ALLOW_PRIVATE: 'true',
        PUBLIC_CACHE_SECONDS: '30',
        PUBLIC_RATE_LIMIT: '0',
        HISTORY_RECORDING: 'true',
      }),
    );
    client = new Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await api?.close();
    await feeds.stop();
    await db?.drop();
  });

  it('has the history of a direction nobody viewed, from the polls alone, overall and per city', async () => {
    await publish(
      'cashier',
      rates(item('USDTTRC20', 'CASHUSD', '0.985', 'MSK'), item('USDTTRC20', 'CASHUSD', '0.99', 'SPB')),
    );
    const overall = await get<HistoryBody>('/v1/rates/history?from=usdttrc20&to=cashusd');
    expect(overall.status).toBe(200);
    expect(overall.body).toMatchObject({ from: 'USDTTRC20', to: 'CASHUSD', city: null, resolution: 'minute' });
    expect(Date.parse(overall.body.until) - Date.parse(overall.body.since)).toBe(6 * HOUR);
    expect(overall.body.points.map((p) => [p.close, p.offers])).toEqual([['0.99', 2]]);
    expect(Date.parse(overall.body.points[0]!.at) % 60_000).toBe(0);
    const msk = await get<HistoryBody>('/v1/rates/history?from=USDTTRC20&to=CASHUSD&city=msk');
    expect(msk.body).toMatchObject({ city: 'MSK', points: [{ close: '0.985', offers: 1 }] });
    expect((await get<HistoryBody>('/v1/rates/history?from=USDTTRC20&to=CASHUSD&city=EKB')).body.points).toEqual([]);
    // The older clients' shorthand: the last hours at minute resolution.
    const hours = await get<HistoryBody>('/v1/rates/history?from=USDTTRC20&to=CASHUSD&hours=2');
    expect(hours.body.resolution).toBe('minute');
    expect(Date.parse(hours.body.until) - Date.parse(hours.body.since)).toBe(2 * HOUR);
    expect(hours.body.points.map((p) => p.close)).toEqual(['0.99']);
    // The polls' change points are counted on /metrics: overall, MSK and SPB at least.
    const metrics = await http(`${api.url}/metrics`);
    const recorded = /^ratewatch_history_change_points_total(?:\{[^}]*\})? (\d+)$/m.exec(metrics.text);
    expect(Number(recorded?.[1])).toBeGreaterThanOrEqual(3);
    // The polled items are kept for the next poll (FEED_MEMO_MAX_MB), and counted.
    const memo = /^ratewatch_feed_memo\{measure="items"[^}]*\} (\d+)$/m.exec(metrics.text);
    expect(Number(memo?.[1])).toBeGreaterThanOrEqual(2);
    // The rate guard's copy of the references was read after the polls' writes (in the background).
    await waitFor('the reference copy read', async () => {
      const text = (await http(`${api.url}/metrics`)).text;
      return Number(/^ratewatch_rate_guard_reference_copy\{measure="reads"[^}]*\} (\d+)$/m.exec(text)?.[1]) >= 1;
    });
  });

  it('answers minute, hour and day buckets of known change points, led by the rate at since', async () => {
    const today = Math.floor(Date.now() / DAY) * DAY;
    const d0 = today - 3 * DAY;
    for (const out of ['20', '22', '21']) await publish('ledger', rates(item('BTC', 'ETH', out)));
    await placeAt('BTC', 'ETH', [
      new Date(d0 + 10 * HOUR + 10_000),
      new Date(d0 + 10 * HOUR + 20 * 60_000),
      new Date(d0 + 2 * DAY + 9 * HOUR),
    ]);
    await foldPlaced();
    const iso = (ms: number) => new Date(ms).toISOString();
    const series = async (query: string) => {
      const answer = await get<HistoryBody>(`/v1/rates/history?from=BTC&to=ETH&${query}`);
      expect(answer.status).toBe(200);
      return answer.body;
    };

    const days = await series('resolution=day');
    expect(Date.parse(days.until) - Date.parse(days.since)).toBe(365 * DAY);
    expect(days.points.map(ohlc)).toEqual([
      [iso(d0), null, '22', '20', '22', 1],
      [iso(d0 + 2 * DAY), '22', '22', '21', '21', 1],
    ]);
    const hours = await series('resolution=hour');
    expect(Date.parse(hours.until) - Date.parse(hours.since)).toBe(7 * DAY);
    expect(hours.points.map(ohlc)).toEqual([
      [iso(d0 + 10 * HOUR), null, '22', '20', '22', 1],
      [iso(d0 + 2 * DAY + 9 * HOUR), '22', '22', '21', '21', 1],
    ]);
    const minutes = await series(`resolution=minute&since=${iso(d0 + 10 * HOUR)}&until=${iso(d0 + 11 * HOUR)}`);
    expect(minutes.points.map(ohlc)).toEqual([
      [iso(d0 + 10 * HOUR), null, '20', '20', '20', 1],
      [iso(d0 + 10 * HOUR + 20 * 60_000), '20', '22', '20', '22', 1],
    ]);
    // From the middle of a quiet stretch: one point, the rate then, at since.
    const quiet = await series(`resolution=hour&since=${iso(d0 + DAY)}&until=${iso(d0 + DAY + 5 * HOUR)}`);
    expect(quiet.points.map(ohlc)).toEqual([[iso(d0 + DAY), '22', '22', '22', '22', 1]]);
    // The default minute range (the last 6 hours) holds none of these changes: the rate then leads it.
    expect((await series('')).points.map((p) => p.close)).toEqual(['21']);
    // Before anything was recorded: nothing.
    expect((await series(`resolution=day&since=${iso(d0 - 30 * DAY)}&until=${iso(d0 - DAY)}`)).points).toEqual([]);
  });

  it('is cached with an ETag, and follows a change of the direction at once', async () => {
    await publish('cached', rates(item('LTC', 'XMR', '0.5')));
    const first = await get<HistoryBody>('/v1/rates/history?from=LTC&to=XMR');
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toBe('public, max-age=30');
    expect((await get('/v1/rates/history?from=LTC&to=XMR', { 'if-none-match': etag })).status).toBe(304);
    await publish('cached', rates(item('LTC', 'XMR', '0.6')));
    const after = await get<HistoryBody>('/v1/rates/history?from=LTC&to=XMR', { 'if-none-match': etag });
    expect(after.status).toBe(200);
    expect(after.body.points.at(-1)).toMatchObject({ close: '0.6', high: '0.6' });
  });

  it('refuses what it cannot answer with a 400 that says what to fix, and an unknown currency with a 404', async () => {
    const refused = async (query: string, message: RegExp) => {
      const answer = await get<ErrorBody>(`/v1/rates/history?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.message, query).toMatch(message);
    };
    await refused('from=BTC&to=ETH&resolution=week', /resolution must be minute, hour or day/);
    await refused('from=BTC&to=ETH&since=yesterday', /since must be an ISO-8601 time/);
    await refused('from=BTC&to=ETH&until=2026-13-45T00:00:00Z', /until must be an ISO-8601 time/);
    await refused(
      'from=BTC&to=ETH&since=2026-06-02T00:00:00Z&until=2026-06-01T00:00:00Z',
      /since must be before until/,
    );
    await refused('from=BTC&to=ETH&resolution=minute&since=2026-01-01T00:00:00Z', /at most 3000.*coarser resolution/);
    await refused('from=BTC&to=ETH&hours=0', /hours must be at least 1/);
    await refused('from=BTC&to=ETH&hours=49', /hours must be at most 48/);
    await refused('from=BTC&to=ETH&hours=2&resolution=day', /give hours, or resolution and since, not both/);
    await refused('from=BTC&to=ETH&hours=2&since=2026-01-01T00:00:00Z', /not both/);
    await refused('from=BTC&to=BTC', /from and to must differ/);
    await refused('from=USDTTRC20&to=CASHUSD&city=Moscow', /did you mean MSK/i);
    expect((await get('/v1/rates/history?from=NOPE&to=BTC')).status).toBe(404);
  });
});
