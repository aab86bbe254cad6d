import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Redis } from 'ioredis';
import { withinDeadline } from './within-deadline';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** How long a rate-limit count may take before the request goes on uncounted. */
const COUNT_TIMEOUT_MS = 250;
const NOT_COUNTED: ThrottlerStorageRecord = { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };

/**
 * Per-IP counts in Redis (shared by every api replica) that never hold a visitor up: while Redis is
 * down or slow, requests go through uncounted instead of waiting for it (ratewatch's Redis client
 * queues commands until it reconnects, so a plain Redis storage made every uncached public request
 * hang for the whole outage). Rate limiting is abuse protection; the rates must stay readable.
 */
export class FailOpenThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger(FailOpenThrottlerStorage.name);
  private readonly counts: ThrottlerStorageRedisService;
  private lastWarning = 0;

  /** `prefix` is REDIS_PREFIX: installations sharing one Redis count their visitors apart. */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.counts = new ThrottlerStorageRedisService(redis);
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (this.redis.status !== 'ready') return this.uncounted(`Redis is ${this.redis.status}`);
    try {
      const outcome = await withinDeadline(
        this.counts.increment(`${this.prefix}:throttle:${key}`, ttl, limit, blockDuration, throttlerName),
        COUNT_TIMEOUT_MS,
      );
      return outcome.done ? outcome.value : this.uncounted(`Redis did not answer within ${COUNT_TIMEOUT_MS} ms`);
    } catch (error) {
      return this.uncounted(String(error));
    }
  }

  private uncounted(why: string): ThrottlerStorageRecord {
    if (Date.now() - this.lastWarning > 10_000) {
      this.lastWarning = Date.now();
      this.logger.warn(`public requests are not rate-limited for now: ${why}`);
    }
    return NOT_COUNTED;
  }
}
