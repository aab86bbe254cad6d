import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/processes';
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
    // Long enough that no pause of a busy machine between two calls below outlasts it.
    const TTL_MS = 3_000;
    const b = new LiveMembers(redis, key, 'b', TTL_MS);
    const a = new LiveMembers(redis, key, 'a', TTL_MS);
    const c = new LiveMembers(redis, key, 'c', TTL_MS);
    expect(await b.beat()).toEqual(['b']);
    expect(await a.beat()).toEqual(['a', 'b']);
    expect(await c.beat()).toEqual(['a', 'b', 'c']);
    // The set does not outlive its members.
    expect(await redis.pttl(key)).toBeGreaterThan(0);
    expect(await redis.pttl(key)).toBeLessThanOrEqual(TTL_MS);
    // c leaves cleanly; b goes silent: a, still beating, sees c gone at once and b once its ttl is past.
    await c.leave();
    expect(await a.beat()).not.toContain('c');
    const alone = await waitFor(
      'b forgotten',
      async () => {
        const members = await a.beat();
        return members.length === 1 ? members : null;
      },
      15_000,
      50,
    );
    expect(alone).toEqual(['a']);
    // A member that beats again is back.
    expect(await b.beat()).toEqual(['a', 'b']);
  });
});
