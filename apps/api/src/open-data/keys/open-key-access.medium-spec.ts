import { randomUUID } from 'node:crypto';
import { AddressInfo, connect, createServer, Socket } from 'node:net';
import { HttpException } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { OpenKeysRepository } from '@app/database';
import { BusyError } from '@app/domain';
import { adminActor, migratedDatabase, TestDatabase } from '../../../../../test/support/services';
import { OpenKeyAccess, QuotasUncountedError } from './open-key-access.service';

/** A TCP path to the real Redis that can be cut (Redis goes away for whoever talks through it). */
async function redisPath(): Promise<{ port: number; cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(6379, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/** What admitting `key` gives: `ok`, the HTTP status of a refusal, or `busy` with its Retry-After. */
async function outcome(access: OpenKeyAccess, key: string): Promise<string> {
  try {
    await access.admit(key);
    return 'ok';
  } catch (error) {
    if (error instanceof BusyError) return `429 after ${error.retryAfterSeconds}`;
    if (error instanceof QuotasUncountedError) return `503 after ${error.retryAfterSeconds}`;
    if (error instanceof HttpException) return String(error.getStatus());
    throw error;
  }
}

/**
 * Partner-key quotas across api replicas (real PostgreSQL and Redis): in a fleet the replicas share each
 * key's counts through Redis; while Redis is away each counts alone against its share of what was left;
 * usage reaches PostgreSQL in batches.
 */
describe('OpenKeyAccess', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let redis: Redis;
  let keys: OpenKeysRepository;
  const prefix = `rw-test-${randomUUID()}`;
  const config = loadConfig({
    REDIS_URL: 'redis://127.0.0.1:6379',
    DATABASE_URL: 'postgres://x@127.0.0.1/x',
    REDIS_PREFIX: prefix,
  });
  const made: OpenKeyAccess[] = [];
  const replica = (withRedis: Redis | null = redis) => {
    const access = new OpenKeyAccess(keys, config, withRedis ?? undefined);
    made.push(access);
    return access;
  };
  const inFreshMinute = async () => {
    while (Date.now() % 60_000 > 50_000) await new Promise((resolve) => setTimeout(resolve, 200));
  };

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase());
    keys = new OpenKeysRepository(dataSource);
    redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await redis.connect();
  });

  afterAll(async () => {
    for (const access of made) await access.onApplicationShutdown();
    const left = await redis.keys(`${prefix}*`);
    if (left.length) await redis.del(...left);
    redis.disconnect();
    await dataSource?.destroy();
    await db?.drop();
  });

  it('shares the count per minute between replicas through Redis', async () => {
    const { key } = await keys.create(
      { name: 'shared', perMinute: 3, perDay: 1000 },
      await adminActor(dataSource, 'a'),
    );
    const [a, b] = [replica(), replica()];
    await inFreshMinute();
    expect([await outcome(a, key), await outcome(b, key), await outcome(a, key)]).toEqual(['ok', 'ok', 'ok']);
    expect(await outcome(b, key)).toMatch(/^429 after ([1-9]|[1-5]\d|60)$/);
    expect(await redis.keys(`${prefix}:open:m:*`)).toHaveLength(1);
  });

  it('grants no more than the quota across replicas while Redis is away: each counts alone against its share', async () => {
    const { key } = await keys.create(
      { name: 'no redis', perMinute: 5, perDay: 1000 },
      await adminActor(dataSource, 'b'),
    );
    // Two replicas of their own fleet (their own prefix), each talking to the real Redis through a path we cut.
    const fleet = loadConfig({
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://x@127.0.0.1/x',
      REDIS_PREFIX: `${prefix}-fleet`,
    });
    const path = await redisPath();
    const clients = [0, 1].map(
      () => new Redis({ host: '127.0.0.1', port: path.port, lazyConnect: true, maxRetriesPerRequest: 0 }),
    );
    for (const c of clients) {
      c.on('error', () => undefined);
      await c.connect();
    }
    const [a, b] = clients.map((c) => {
      const access = new OpenKeyAccess(keys, fleet, c);
      made.push(access);
      return access;
    });
    // Each constructor already sent a beat, and the two connections may reach Redis in either order: the one
    // first there counted itself alone. Wait for both (a call joins its replica's beat in flight), then beat again.
    await Promise.all([a!.sayAlive(), b!.sayAlive()]);
    for (const r of [a, b]) await r!.sayAlive();
    expect([a!.knownReplicas(), b!.knownReplicas()]).toEqual([2, 2]);
    await inFreshMinute();
    // Shared while Redis answers: 2 of the 5.
    expect([await outcome(a!, key), await outcome(b!, key)]).toEqual(['ok', 'ok']);
    await path.cut();
    while (clients.some((c) => c.status === 'ready')) await new Promise((resolve) => setTimeout(resolve, 20));
    // Alone, each from the shared count it last saw, against its half of what was left: a (saw 1) up to
    // 1 + ⌊(5 − 1) / 2⌋ = 3, two more; b (saw 2) up to 2 + ⌊(5 − 2) / 2⌋ = 3, one more. 2 + 2 + 1 = the quota
    // of 5 (before, each replica granted the whole quota alone: 2 + 5 + 5).
    expect([await outcome(a!, key), await outcome(a!, key)]).toEqual(['ok', 'ok']);
    expect(await outcome(a!, key)).toMatch(/^429 after/);
    expect(await outcome(b!, key)).toBe('ok');
    expect(await outcome(b!, key)).toMatch(/^429 after/);
    for (const c of clients) c.disconnect();
    await redis.del(`${prefix}-fleet:open:replicas`);
  });

  it('answers 503 with Retry-After on a replica that never reached Redis: it cannot know its share', async () => {
    const { key } = await keys.create(
      { name: 'never reached', perMinute: 100, perDay: 1000 },
      await adminActor(dataSource, 'e'),
    );
    // Nothing listens on port 1.
    const away = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0 });
    away.on('error', () => undefined);
    const alone = replica(away);
    await alone.sayAlive();
    expect(alone.knownReplicas()).toBeNull();
    expect(await outcome(alone, key)).toMatch(/^503 after ([1-9]|10)$/);
    away.disconnect();
  });

  it('refuses past the quota per day, counting from what PostgreSQL has, and writes usage in one batch', async () => {
    const { key, info } = await keys.create(
      { name: 'daily', perMinute: 100, perDay: 3 },
      await adminActor(dataSource, 'c'),
    );
    const a = replica(null);
    expect([await outcome(a, key), await outcome(a, key)]).toEqual(['ok', 'ok']);
    // Nothing written yet: counts go to PostgreSQL every few seconds, not per request.
    expect(await dataSource.query(`SELECT * FROM open_key_usage WHERE key_id = $1`, [info.id])).toEqual([]);
    await a.flush();
    // A replica started now (no Redis) knows the day's 2 from PostgreSQL: one more, then 429 until midnight UTC.
    const b = replica(null);
    expect(await outcome(b, key)).toBe('ok');
    const refused = await outcome(b, key);
    const untilMidnight = Math.ceil((86_400_000 - (Date.now() % 86_400_000)) / 1000);
    expect(Math.abs(Number(refused.replace('429 after ', '')) - untilMidnight)).toBeLessThanOrEqual(2);
    await b.flush();
    const [row] = await dataSource.query(`SELECT served::int, refused::int FROM open_key_usage WHERE key_id = $1`, [
      info.id,
    ]);
    expect(row).toEqual({ served: 3, refused: 1 });
  });

  it('refuses an unknown key (401) and a revoked one (403), the revocation seen within the look-up time', async () => {
    const actor = await adminActor(dataSource, 'd');
    const { key, info } = await keys.create({ name: 'revoked', perMinute: 100, perDay: 1000 }, actor);
    const a = replica();
    expect(await outcome(a, key)).toBe('ok');
    expect(await outcome(a, 'rwo_nope')).toBe('401');
    expect(await outcome(a, '  ')).toBe('401');
    await keys.revoke(info.id, actor);
    a.forget();
    expect(await outcome(a, key)).toBe('403');
  });
});
