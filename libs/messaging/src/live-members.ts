import type { Redis } from 'ioredis';

/** Marks ARGV[2] alive at ARGV[1] ms, forgets members silent for ARGV[3] ms; the live members' ids. */
const BEAT = `redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

/**
 * Processes of one kind that are alive now, by their own say: each beats more often than `ttlMs`, and a
 * member silent for `ttlMs` (killed, lost host, cut from Redis) is forgotten by the next beat of any other.
 * One sorted set in Redis, scored by the members' own clocks (members whose clocks differ by more than the
 * ttl see each other come and go).
 */
export class LiveMembers {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
    readonly id: string,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Says this member is alive; every live member's id (this one's too), sorted. */
  async beat(): Promise<string[]> {
    const members = (await this.redis.eval(BEAT, 1, this.key, this.now(), this.id, this.ttlMs)) as string[];
    return members.sort();
  }

  /** This member leaves now (a clean shutdown) rather than after its ttl. */
  async leave(): Promise<void> {
    await this.redis.zrem(this.key, this.id);
  }
}
