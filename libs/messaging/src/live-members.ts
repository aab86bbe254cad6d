import type { Redis } from 'ioredis';

/** Marks ARGV[1] alive now (Redis's clock, ms), forgets members silent for ARGV[2] ms; the live members' ids. */
const BEAT = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

/**
 * Processes of one kind that are alive now, by their own say: each beats more often than `ttlMs`, and a
 * member silent for `ttlMs` (killed, lost host, cut from Redis) is forgotten by the next beat of any other.
 * One sorted set in Redis, scored by Redis's own clock: members on hosts whose clocks differ still agree on
 * who is alive.
 */
export class LiveMembers {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
    readonly id: string,
    readonly ttlMs: number,
  ) {}

  /** Says this member is alive; every live member's id (this one's too), sorted. */
  async beat(): Promise<string[]> {
    const members = (await this.redis.eval(BEAT, 1, this.key, this.id, this.ttlMs)) as string[];
    return members.sort();
  }

  /** This member leaves now (a clean shutdown) rather than after its ttl. */
  async leave(): Promise<void> {
    await this.redis.zrem(this.key, this.id);
  }
}
