import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '@app/config';
import { startHttpDrain } from '@app/observability';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { PublicCache } from '../../apps/api/src/public/public-cache.service';
import { RatesService } from '../../apps/api/src/public/rates/rates.service';
import { createTestDatabase, TestDatabase } from '../support/services';

interface RawAnswer {
  status: number;
  /** Header name (lower case) and value pairs, in the order they came, Date left out. */
  headers: Array<[string, string]>;
  body: string;
}

/** One request on its own connection, with the headers exactly as they came (fetch would merge and hide some). */
function raw(base: string, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const pairs: Array<[string, string]> = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2)
          pairs.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
        resolve({
          status: res.statusCode!,
          headers: pairs.filter(([name]) => name !== 'date'),
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const TABLE = '/v1/rates?from=BTC&to=SBERRUB';

/**
 * The fast path of /v1/rates (rates-fast-path.ts): a hot answer is written before Nest's pipeline, and must
 * be the normal path's answer byte for byte — status, headers (Date aside) and body — for GET, HEAD and
 * If-None-Match; anything it does not know goes the normal way.
 */
describe('GET /v1/rates fast path', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const logLines: Array<Record<string, unknown>> = [];
  const peeks: Array<{ url: string; hit: boolean }> = [];
  let tablesMade = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({
      DATABASE_URL: db.url,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      PUBLIC_CACHE_SECONDS: '60',
      PUBLIC_RATE_LIMIT: '0',
    });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    api = await startApi(config, pino({ name: 'ratewatch-api', level: 'info' }, sink));
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO exchangers (slug, name, site_url, referral_url)
         SELECT 'ex-' || g, 'Обменник ' || g, 'https://ex' || g || '.example', 'https://ex' || g || '.example/?rid=1' FROM generate_series(1, 3) g`,
      );
      await client.query(
        `INSERT INTO feeds (exchanger_id, url, interval_s, last_success_at, last_status, stale_after_s)
         SELECT id, 'https://ex' || id || '.example/rates.xml', 86400, now() + interval '1 day', 'ok', 86400 * 30 FROM exchangers`,
      );
      await client.query(
        `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate, reserve, from_min, from_max, to_fee, flags)
         SELECT f.id, f.exchanger_id, 'BTC', 'SBERRUB', 1, 6800000.5 + f.id, 6800000.5 + f.id, 10000000, 0.001, 10, '[]'::jsonb, '{}'::text[]
         FROM feeds f`,
      );
    } finally {
      await client.end();
    }
    // Which requests the fast path answered, and how many tables the normal path asked the service for.
    const cache = api.app.get(PublicCache);
    const peekRaw = cache.peekRaw.bind(cache);
    vi.spyOn(cache, 'peekRaw').mockImplementation((url: string) => {
      const hit = peekRaw(url);
      peeks.push({ url, hit: hit !== null });
      return hit;
    });
    const service = api.app.get(RatesService);
    const cachedTable = service.cachedTable.bind(service);
    vi.spyOn(service, 'cachedTable').mockImplementation((...args) => {
      tablesMade++;
      return cachedTable(...args);
    });
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  const lastPeek = (url: string) => peeks.filter((p) => p.url === url).at(-1)?.hit;

  it('answers a hot hit with the status, headers and bytes of the normal path', async () => {
    const before = tablesMade;
    const normal = await raw(api.url, TABLE);
    expect(lastPeek(TABLE)).toBe(false);
    expect(tablesMade).toBe(before + 1);
    const fast = await raw(api.url, TABLE);
    expect(lastPeek(TABLE)).toBe(true);
    expect(tablesMade).toBe(before + 1);
    expect(normal.status).toBe(200);
    expect(fast).toEqual(normal);
    expect(Object.fromEntries(fast.headers)).toMatchObject({
      'cache-control': 'public, max-age=60',
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(normal.body)),
    });
    expect(JSON.parse(fast.body)).toMatchObject({ from: 'BTC', to: 'SBERRUB' });
    expect(fast.body).toContain('Обменник'); // non-ASCII: the length is of the bytes, not of the characters
  });

  it('answers 304 on If-None-Match on the fast path as the normal path does', async () => {
    const { headers } = await raw(api.url, TABLE);
    const etag = Object.fromEntries(headers).etag!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    // Another spelling of the same table, never asked before: the normal path (the cache hit, not the fast path).
    const spelled = '/v1/rates?to=SBERRUB&from=BTC';
    const normal = await raw(api.url, spelled, 'GET', { 'if-none-match': etag });
    expect(lastPeek(spelled)).toBe(false);
    const fast = await raw(api.url, TABLE, 'GET', { 'if-none-match': `"old", W/${etag}` });
    expect(lastPeek(TABLE)).toBe(true);
    expect(normal.status).toBe(304);
    expect(fast).toEqual(normal);
    expect(fast.body).toBe('');
    expect(fast.headers.map(([name]) => name)).not.toContain('content-type');
    const changed = await raw(api.url, TABLE, 'GET', { 'if-none-match': '"something-else"' });
    expect(changed.status).toBe(200);
  });

  it('answers HEAD with the headers of GET and no body, on both paths', async () => {
    const get = await raw(api.url, TABLE);
    const fastHead = await raw(api.url, TABLE, 'HEAD');
    expect(lastPeek(TABLE)).toBe(true);
    const spelled = '/v1/rates?from=BTC&to=SBERRUB&side=give';
    const normalHead = await raw(api.url, spelled, 'HEAD');
    expect(lastPeek(spelled)).toBe(false);
    expect(fastHead).toEqual({ ...get, body: '' });
    expect(normalHead).toEqual(fastHead);
  });

  it('sends another spelling or casing of the query through the normal path, once, to the same answer', async () => {
    const hot = await raw(api.url, TABLE);
    for (const spelled of ['/v1/rates?from=btc&to=sberrub', '/v1/rates?to=SBERRUB&from=BTC&limit=100']) {
      const first = await raw(api.url, spelled);
      expect(lastPeek(spelled)).toBe(false);
      expect(first).toEqual(hot);
      const again = await raw(api.url, spelled);
      expect(lastPeek(spelled)).toBe(true);
      expect(again).toEqual(hot);
    }
  });

  it('still refuses invalid queries with 400, however often they are asked, and leaves other URLs alone', async () => {
    await raw(api.url, TABLE);
    for (const invalid of [
      '/v1/rates?from=BTC&to=BTC',
      '/v1/rates?from=BTC&to=SBERRUB&amount=-1',
      '/v1/rates?from=BTC&to=SBERRUB&exclude=nonsense',
      '/v1/rates?from=BTC&to=SBERRUB&from=ETH',
    ])
      for (let i = 0; i < 2; i++) {
        const answer = await raw(api.url, invalid);
        expect(answer.status).toBe(400);
        expect(lastPeek(invalid)).toBe(false);
      }
    expect((await raw(api.url, '/v1/rates?from=BTC&to=NOSUCH')).status).toBe(404);
    expect((await raw(api.url, '/v1/rates?from=BTC&to=SBERRUB', 'POST')).status).toBe(404);
    expect((await raw(api.url, '/v1/rates/history?from=BTC&to=SBERRUB')).status).toBe(200);
  });

  it('counts a hot hit in the request metrics and the cache counter, and logs it like the normal path', async () => {
    await raw(api.url, TABLE);
    const metrics = async () => (await raw(api.url, '/metrics')).body;
    const count = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
    const requests =
      /http_request_duration_seconds_count\{[^}]*method="GET",route="\/v1\/rates",status_code="200"\} (\d+)/;
    const hits = /ratewatch_public_cache_lookups_total\{result="hit"[^}]*\} (\d+)/;
    const before = await metrics();
    logLines.length = 0;
    await raw(api.url, TABLE);
    await raw(api.url, TABLE);
    expect(lastPeek(TABLE)).toBe(true);
    const after = await metrics();
    expect(count(after, requests) - count(before, requests)).toBe(2);
    expect(count(after, hits) - count(before, hits)).toBe(2);
    const completed = logLines.filter((l) => l.msg === 'request completed' && (l.req as { url: string }).url === TABLE);
    expect(completed).toHaveLength(2);
    expect(completed[0]).toMatchObject({ level: 30, req: { method: 'GET', url: TABLE }, res: { statusCode: 200 } });
    expect(typeof completed[0]!.responseTime).toBe('number');
    // The normal path's line has the same fields.
    logLines.length = 0;
    await raw(api.url, '/v1/rates?from=BTC&to=SBERRUB&limit=7');
    const normal = logLines.find((l) => l.msg === 'request completed');
    expect(Object.keys(normal!).sort()).toEqual(Object.keys(completed[0]!).sort());
  });

  // Last: the drain lasts until the app closes.
  it('says Connection: close on a hot hit once the shutdown drain has started', async () => {
    const keepAlive = { connection: 'keep-alive' };
    const before = await raw(api.url, TABLE, 'GET', keepAlive);
    expect(lastPeek(TABLE)).toBe(true);
    expect(Object.fromEntries(before.headers).connection).toBe('keep-alive');
    startHttpDrain(api.app);
    const during = await raw(api.url, TABLE, 'GET', keepAlive);
    expect(lastPeek(TABLE)).toBe(true);
    expect(during.status).toBe(200);
    expect(Object.fromEntries(during.headers).connection).toBe('close');
    expect(during.body).toBe(before.body);
  });
});
