import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailOpenThrottlerStorage } from './fail-open-throttler-storage';

describe('FailOpenThrottlerStorage (real Redis)', () => {
  let redis: Redis;
  const prefixes = [`rw-test-${randomUUID()}`, `rw-test-${randomUUID()}`];

  beforeAll(async () => {
    redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await redis.connect();
  });

  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`*${prefix}*`);
      if (keys.length) await redis.del(...keys);
    }
    redis.disconnect();
  });

  it('keeps the counts of two installations (two REDIS_PREFIXes) on one Redis apart, and under their prefix', async () => {
    const [first, second] = prefixes.map((prefix) => new FailOpenThrottlerStorage(redis, prefix));
    for (let i = 0; i < 3; i++) await first!.increment('visitor', 60_000, 3, 0, 'default');
    const blocked = await first!.increment('visitor', 60_000, 3, 60_000, 'default');
    const other = await second!.increment('visitor', 60_000, 3, 60_000, 'default');

    expect(blocked).toMatchObject({ totalHits: 4, isBlocked: true });
    expect(other).toMatchObject({ totalHits: 1, isBlocked: false });
    const keys = await redis.keys(`*visitor*`);
    const ours = keys.filter((key) => prefixes.some((prefix) => key.includes(prefix)));
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.every((key) => key.startsWith(`{${prefixes[0]}:`) || key.startsWith(`{${prefixes[1]}:`))).toBe(true);
  });
});
