import {
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
  Optional,
  UnauthorizedException,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/config';
import { OpenKeyCheck, OpenKeyInfo, OpenKeysRepository, keyHash } from '@app/database';
import { BusyError } from '@app/domain';
import { REDIS_CLIENT, withinDeadline } from '@app/messaging';

/** How long a key's look-up (its quotas, revocation) is trusted: a revocation reaches every replica within it. */
export const KEY_CHECK_MS = 2000;
/** How often each replica adds its usage counts to PostgreSQL (one statement for all keys). */
export const USAGE_FLUSH_MS = 5000;
/** How long a shared count may take before the request is counted by this replica alone. */
const REDIS_TIMEOUT_MS = 250;
/** Look-ups kept at most (unknown keys included): a flood of random keys cannot grow memory. */
const MAX_CACHED_CHECKS = 10_000;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Adds 1 to a day's count, first seeding it with what PostgreSQL has (a Redis that lost it restarts from there). */
const DAY_INCREMENT = `if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return redis.call('INCR', KEYS[1])`;
/** Adds 1 to a minute's count, expiring with it. */
const MINUTE_INCREMENT = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n`;

const utcDay = (at: number) => new Date(at).toISOString().slice(0, 10);

/**
 * Who may call the keyed JSON API, and how often. A presented key is looked up by its hash (trusted for
 * KEY_CHECK_MS: a revoked key is refused by every replica within 2 s); each key has quotas per minute
 * (fixed windows) and per UTC day. Counts are shared by the replicas through Redis in a fleet (falling back
 * to this replica's own counts while Redis is away) and kept in-process in standalone mode; served and
 * refused requests are added to `open_key_usage` every USAGE_FLUSH_MS in one statement, never per request.
 */
@Injectable()
export class OpenKeyAccess implements OnApplicationShutdown {
  private readonly logger = new Logger(OpenKeyAccess.name);
  private readonly checks = new Map<string, { at: number; check: Promise<OpenKeyCheck> }>();
  private readonly minutes = new Map<number, { window: number; count: number }>();
  private readonly days = new Map<number, { day: string; count: number }>();
  private pending = new Map<string, { keyId: number; day: string; served: number; refused: number }>();
  private readonly timer: NodeJS.Timeout;
  private lastWarning = 0;

  constructor(
    private readonly keys: OpenKeysRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(REDIS_CLIENT) private readonly redis?: Redis,
  ) {
    this.timer = setInterval(() => void this.flush(), USAGE_FLUSH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /**
   * The key, if it may make one more request now: 401 when none is sent or it was never issued, 403 when
   * revoked, 429 (BusyError, with Retry-After) past its quota per minute or per day.
   */
  async admit(presented: string | undefined): Promise<OpenKeyInfo> {
    if (presented === undefined || presented.trim() === '')
      throw new UnauthorizedException(
        'no open-data key sent: put it in the path (/v1/open/{key}/…) or send X-Api-Key: <key>',
      );
    const now = Date.now();
    const day = utcDay(now);
    const check = await this.lookUp(presented.trim(), day, now);
    if (check.status === 'unknown')
      throw new UnauthorizedException('unknown open-data key: it was never issued here (mistyped, or from elsewhere)');
    if (check.status === 'revoked')
      throw new ForbiddenException(
        // Not the key's id or name: whoever presents a revoked key may have found it, not been given it.
        'this open-data key was revoked: ask the operator for a new one',
      );
    const { key } = check;
    const window = Math.floor(now / MINUTE_MS);
    const perMinute = await this.countMinute(key.id, window);
    if (perMinute > key.perMinute) {
      this.tally(key.id, day, 'refused');
      throw new BusyError(
        `open-data key ${key.id} is past its ${key.perMinute} requests a minute: wait for the seconds in Retry-After`,
        Math.max(1, Math.ceil(((window + 1) * MINUTE_MS - now) / 1000)),
      );
    }
    const perDay = await this.countDay(key.id, day, check.servedToday);
    if (perDay > key.perDay) {
      this.tally(key.id, day, 'refused');
      throw new BusyError(
        `open-data key ${key.id} is past its ${key.perDay} requests a day (UTC): come back after midnight UTC, in the seconds of Retry-After`,
        Math.max(1, Math.ceil(((Math.floor(now / DAY_MS) + 1) * DAY_MS - now) / 1000)),
      );
    }
    this.tally(key.id, day, 'served');
    return key;
  }

  /** Drops the cached look-ups: after a revocation here, this replica refuses the key at once. */
  forget(): void {
    this.checks.clear();
  }

  /** Adds the counts made since the last flush to PostgreSQL; on failure they are kept for the next one. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.keys.addUsage([...batch.values()]);
    } catch (error) {
      for (const [k, v] of batch) {
        const now = this.pending.get(k);
        if (now) {
          now.served += v.served;
          now.refused += v.refused;
        } else this.pending.set(k, v);
      }
      this.logger.warn(`open-data usage not written yet (kept for the next flush): ${String(error)}`);
    }
  }

  private lookUp(presented: string, day: string, now: number): Promise<OpenKeyCheck> {
    const hash = keyHash(presented);
    const cached = this.checks.get(hash);
    if (cached && now - cached.at < KEY_CHECK_MS) return cached.check;
    if (this.checks.size >= MAX_CACHED_CHECKS) this.checks.clear();
    const check = this.keys.check(presented, day);
    this.checks.set(hash, { at: now, check });
    check.catch(() => this.checks.delete(hash));
    return check;
  }

  private tally(keyId: number, day: string, outcome: 'served' | 'refused'): void {
    const k = `${keyId}|${day}`;
    let entry = this.pending.get(k);
    if (!entry) this.pending.set(k, (entry = { keyId, day, served: 0, refused: 0 }));
    entry[outcome]++;
  }

  private async countMinute(keyId: number, window: number): Promise<number> {
    const shared = await this.shared(`${this.prefix()}:open:m:${keyId}:${window}`, MINUTE_INCREMENT, [
      String(MINUTE_MS + 1000),
    ]);
    if (shared !== null) return shared;
    let entry = this.minutes.get(keyId);
    if (!entry || entry.window !== window) this.minutes.set(keyId, (entry = { window, count: 0 }));
    return ++entry.count;
  }

  /** The day's count with this request; `servedToday` is what PostgreSQL had when the key was looked up. */
  private async countDay(keyId: number, day: string, servedToday: number): Promise<number> {
    const shared = await this.shared(`${this.prefix()}:open:d:${keyId}:${day}`, DAY_INCREMENT, [
      String(servedToday),
      String(2 * DAY_MS),
    ]);
    if (shared !== null) return shared;
    let entry = this.days.get(keyId);
    if (!entry || entry.day !== day) this.days.set(keyId, (entry = { day, count: servedToday }));
    return ++entry.count;
  }

  private prefix(): string {
    return this.config.redis.prefix;
  }

  /** The shared count after this request (fleet), or null: standalone, or Redis away or slow (counted here then). */
  private async shared(key: string, script: string, args: string[]): Promise<number | null> {
    if (!this.redis) return null;
    if (this.redis.status !== 'ready') return this.unshared(`Redis is ${this.redis.status}`);
    try {
      const outcome = await withinDeadline(
        this.redis.eval(script, 1, key, ...args) as Promise<number>,
        REDIS_TIMEOUT_MS,
      );
      return outcome.done ? Number(outcome.value) : this.unshared(`Redis did not answer within ${REDIS_TIMEOUT_MS} ms`);
    } catch (error) {
      return this.unshared(String(error));
    }
  }

  private unshared(why: string): null {
    if (Date.now() - this.lastWarning > 10_000) {
      this.lastWarning = Date.now();
      this.logger.warn(`open-data quotas are counted per replica for now: ${why}`);
    }
    return null;
  }
}
