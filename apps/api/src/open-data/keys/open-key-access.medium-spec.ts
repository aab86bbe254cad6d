import { randomUUID } from 'node:crypto';
import { HttpException } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { OpenKeysRepository } from '@app/database';
import { BusyError } from '@app/domain';
import { adminActor, migratedDatabase, TestDatabase } from '../../../../../test/support/services';
import { OpenKeyAccess } from './open-key-access.service';

/** What admitting `key` gives: `ok`, the HTTP status of a refusal, or `busy` with its Retry-After. */
async function outcome(access: OpenKeyAccess, key: string): Promise<string> {
  try {
    await access.admit(key);
    return 'ok';
  } catch (error) {
    if (error instanceof BusyError) return `429 after ${error.retryAfterSeconds}`;
    if (error instanceof HttpException) return String(error.getStatus());
    throw error;
  }
}

/**
 * Partner-key quotas across api replicas (real PostgreSQL and Redis): in a fleet the replicas share each
 * key's counts through Redis; while Redis is away each counts alone; usage reaches PostgreSQL in batches.
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

  it('counts per replica while Redis is away, and still refuses past the quota', async () => {
    const { key } = await keys.create(
      { name: 'no redis', perMinute: 2, perDay: 1000 },
      await adminActor(dataSource, 'b'),
    );
    const away = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0 });
    const alone = replica(away);
    await inFreshMinute();
    expect([await outcome(alone, key), await outcome(alone, key)]).toEqual(['ok', 'ok']);
    expect(await outcome(alone, key)).toMatch(/^429/);
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
