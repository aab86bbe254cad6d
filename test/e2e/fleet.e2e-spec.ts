import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { runCli } from '../../apps/cli/src/cli';
import { RunningWorker, startWorker, WorkerModeError } from '../../apps/worker/src/bootstrap';
import { http } from '../support/http';
import { createTestDatabase, TEST_REDIS_URL, TestDatabase } from '../support/services';

/** Fleet mode: api and worker against the machine's PostgreSQL and Redis, migrations by the CLI. */
describe('fleet mode', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let worker: RunningWorker;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, PORT: '0', WORKER_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' };
    const out: string[] = [];
    const status = await runCli(['db:migrate'], env, { out: (t) => out.push(t), err: () => undefined });
    expect(status).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ currenciesAdded: 322 });
    const config = loadConfig(env);
    api = await startApi(config);
    worker = await startWorker(config);
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await db?.drop();
  });

  it('the api is ready when the database and Redis answer', async () => {
    const ready = await http<{ details: Record<string, { status: string }> }>(`${api.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.details).toEqual({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('the worker has its own health and metrics port', async () => {
    const ready = await http<{ details: Record<string, { status: string }> }>(`${worker.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.details).toEqual({ database: { status: 'up' }, redis: { status: 'up' } });
    const metrics = await http(`${worker.url}/metrics`);
    expect(metrics.text).toMatch(/ratewatch_process_resident_memory_bytes\{app="worker"\}/);
  });

  it('the api serves the catalog the CLI seeded', async () => {
    const answer = await http<{ items: unknown[] }>(`${api.url}/v1/currencies`);
    expect(answer.body.items).toHaveLength(322);
  });

  it('the api answers 503 when Redis is unreachable', async () => {
    const config = loadConfig({ DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:1', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    const broken = await startApi(config);
    try {
      const ready = await http<{ details: Record<string, { status: string }> }>(`${broken.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.details.redis?.status).toBe('down');
      expect(ready.body.details.database?.status).toBe('up');
    } finally {
      await broken.close();
    }
  });
});

describe('the worker outside fleet mode', () => {
  it('refuses to start and says what to set', async () => {
    await expect(startWorker(loadConfig({ LOG_LEVEL: 'silent' }))).rejects.toThrow(WorkerModeError);
    await expect(startWorker(loadConfig({ LOG_LEVEL: 'silent' }))).rejects.toThrow(/set DATABASE_URL and REDIS_URL/);
  });
});

describe('the CLI', () => {
  const io = () => {
    const lines = { out: [] as string[], err: [] as string[] };
    return { lines, io: { out: (t: string) => lines.out.push(t), err: (t: string) => lines.err.push(t) } };
  };

  it('exits 2 with the command list for an unknown command', async () => {
    const { lines, io: cliIo } = io();
    expect(await runCli(['db:explode'], {}, cliIo)).toBe(2);
    expect(lines.err.join('\n')).toMatch(/unknown command "db:explode"[\s\S]*db:migrate/);
  });

  it('exits 2 for unexpected arguments', async () => {
    const { lines, io: cliIo } = io();
    expect(await runCli(['db:migrate', '--force'], {}, cliIo)).toBe(2);
    expect(lines.err.join('\n')).toMatch(/usage: npm run -s cli -- db:migrate/);
  });

  it('exits 1 naming the bad variable', async () => {
    const { lines, io: cliIo } = io();
    expect(await runCli(['db:migrate'], { DATABASE_URL: 'mysql://nope' }, cliIo)).toBe(1);
    expect(lines.err.join('\n')).toMatch(/DATABASE_URL must be a postgres/);
  });
});
