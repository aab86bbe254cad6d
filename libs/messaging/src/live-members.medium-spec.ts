import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../../../test/support/services';
import { LiveMembers } from './live-members';

describe('LiveMembers (real Redis)', () => {
  const redis = new Redis(TEST_REDIS_URL);
  const key = `rwtest-${randomBytes(4).toString('hex')}:members`;
  afterAll(async () => {
    await redis.del(key);
    redis.disconnect();
  });

  it('lists the members that beat within the ttl, sorted, and forgets the silent and the gone', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const b = new LiveMembers(redis, key, 'b', 10_000, clock);
    const a = new LiveMembers(redis, key, 'a', 10_000, clock);
    const c = new LiveMembers(redis, key, 'c', 10_000, clock);
    expect(await b.beat()).toEqual(['b']);
    expect(await a.beat()).toEqual(['a', 'b']);
    expect(await c.beat()).toEqual(['a', 'b', 'c']);
    now += 6_000;
    expect(await a.beat()).toEqual(['a', 'b', 'c']);
    // b and c silent for more than the ttl: gone at a's next beat; c leaves cleanly before it says anything more.
    now += 5_000;
    expect(await a.beat()).toEqual(['a']);
    expect(await c.beat()).toEqual(['a', 'c']);
    await c.leave();
    expect(await a.beat()).toEqual(['a']);
    // The set does not outlive its members.
    expect(await redis.pttl(key)).toBeGreaterThan(0);
    expect(await redis.pttl(key)).toBeLessThanOrEqual(10_000);
  });
});
