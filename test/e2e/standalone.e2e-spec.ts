import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { FeedScheduler } from '@app/ingestion';
import { EmbeddedPostgres } from '@app/database';
import { createLogger } from '@app/observability';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { http } from '../support/http';
import { FeedServer } from '../support/feed-server';
import { createDataDir } from '../support/services';

/** Standalone mode end to end: embedded PostgreSQL in DATA_DIR, migrations, seed, HTTP. */
describe('standalone mode', () => {
  const dataDir = createDataDir();
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    FETCH_ALLOW_PRIVATE: 'true',
  });
  const logger = createLogger(config, 'test-api');
  const feedServer = new FeedServer();
  let api: RunningApi;

  beforeAll(async () => {
    await feedServer.start();
    api = await startApi(config, logger);
  });

  afterAll(async () => {
    await api?.close();
    await feedServer.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs on its own embedded database, listening on 127.0.0.1 only', () => {
    expect(api.config.mode).toBe('standalone');
    expect(api.config.database.url).toMatch(/^postgres:\/\/ratewatch:[^@]+@127\.0\.0\.1:\d+\/ratewatch$/);
  });

  it('is ready once the database answers', async () => {
    const ready = await http<{ status: string; details: Record<string, { status: string }> }>(
      `${api.url}/health/ready`,
    );
    expect(ready.status).toBe(200);
    expect(ready.body.details).toEqual({ database: { status: 'up' } });
    expect((await http(`${api.url}/health/live`)).status).toBe(200);
  });

  it('serves the seeded catalog', async () => {
    const answer = await http<{ items: Array<{ code: string; offers: number }> }>(`${api.url}/v1/currencies`);
    expect(answer.status).toBe(200);
    expect(answer.body.items.length).toBeGreaterThanOrEqual(300);
    expect(answer.body.items.find((c) => c.code === 'BTC')).toEqual({
      code: 'BTC',
      name: { en: 'Bitcoin (BTC)', ru: 'Bitcoin (BTC)' },
      displayName: 'Bitcoin (BTC)',
      urlName: 'bitcoin',
      unit: 'BTC',
      precision: 8,
      ticker: 'BTC',
      iso: 'BTC',
      kind: 'crypto',
      offers: 0,
    });
  });

  it('answers a malformed query with 400 and a message that says what to fix', async () => {
    const answer = await http<{ statusCode: number; message: string }>(`${api.url}/v1/currencies?withOffers=maybe`);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe('withOffers must be true or false');
    const unknown = await http<{ message: string }>(`${api.url}/v1/currencies?color=red`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe('property color should not exist');
  });

  it('exposes Prometheus metrics with request durations by route template', async () => {
    await http(`${api.url}/v1/currencies?withOffers=true`);
    const metrics = await http(`${api.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/ratewatch_process_cpu_user_seconds_total\{app="api"\}/);
    expect(metrics.text).toMatch(
      /http_request_duration_seconds_count\{app="api",method="GET",route="\/v1\/currencies",status_code="200"\} [1-9]/,
    );
    expect(metrics.text).not.toMatch(/route="\/v1\/currencies\?/);
  });

  it('serves OpenAPI at /docs-json and the UI at /docs', async () => {
    const spec = await http<{ openapi: string; paths: Record<string, unknown> }>(`${api.url}/docs-json`);
    expect(spec.body.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/v1/currencies', '/health/ready']));
    expect((await http(`${api.url}/docs`)).status).toBe(200);
  });

  it('polls feeds in-process on their schedule (@nestjs/schedule) and writes snapshots', async () => {
    feedServer.serve('/rates.xml', { body: readFileSync(join(__dirname, '../fixtures/feeds/standard.xml')) });
    const client = new Client({ connectionString: api.config.database.url! });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: number }>(
        `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('aura', 'Aura', 'https://aura.example', 'https://aura.example/?rid=1') RETURNING id)
         INSERT INTO feeds (exchanger_id, url, interval_s) SELECT id, $1, 5 FROM e RETURNING id`,
        [feedServer.url('/rates.xml')],
      );
      const feedId = rows[0]!.id;
      expect(await api.app.get(FeedScheduler).sync(feedId)).toBe('scheduled');
      const deadline = Date.now() + 12_000;
      let runs: Array<{ status: string }> = [];
      while (runs.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        runs = (
          await client.query<{ status: string }>(
            `SELECT status FROM feed_runs WHERE feed_id = $1 AND trigger = 'schedule'`,
            [feedId],
          )
        ).rows;
      }
      expect(runs[0]?.status).toBe('ok');
      const currencies = await http<{ items: Array<{ code: string; offers: number }> }>(
        `${api.url}/v1/currencies?withOffers=true`,
      );
      expect(currencies.body.items.find((c) => c.code === 'SBERRUB')?.offers).toBe(2);
      expect((await http(`${api.url}/metrics`)).text).toMatch(
        /ratewatch_feed_polls_total\{status="ok",error_code="",app="api"\} 1/,
      );
    } finally {
      await client.end();
    }
  });

  it('refuses a second server on the same data folder while the first runs', async () => {
    await expect(EmbeddedPostgres.start({ dataDir, log: () => undefined })).rejects.toThrow(
      /already running the embedded database/,
    );
  });
});

describe('standalone mode on a warm data folder', () => {
  it('starts again on the same folder and keeps its data', async () => {
    const dataDir = createDataDir();
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    try {
      const first = await startApi(config);
      await first.close();
      const second = await startApi(config);
      try {
        const answer = await http<{ items: unknown[] }>(`${second.url}/v1/currencies`);
        expect(answer.body.items).toHaveLength(322);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
