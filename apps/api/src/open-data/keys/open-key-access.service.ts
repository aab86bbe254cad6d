import {
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
  Optional,
  UnauthorizedException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/config';
import { OpenKeyCheck, OpenKeyInfo, OpenKeysRepository, keyHash } from '@app/database';
import { BusyError, UnavailableError } from '@app/domain';
import { LiveMembers, REDIS_CLIENT, withinDeadline } from '@app/messaging';

/** How long a key's look-up (its quotas, revocation) is trusted: a revocation reaches every replica within it. */
export const KEY_CHECK_MS = 2000;
/** How often each replica adds its usage counts to PostgreSQL (one statement for all keys). */
export const USAGE_FLUSH_MS = 5000;
/** How long a shared count may take before the request is counted by this replica alone. */
const REDIS_TIMEOUT_MS = 250;
/** Look-ups kept at most (unknown keys included): a flood of random keys cannot grow memory. */
const MAX_CACHED_CHECKS = 10_000;

/** How often each replica says it is alive (through Redis), and how long one that stopped saying so is counted. */
export const REPLICA_BEAT_MS = 10_000;
const REPLICA_TTL_MS = 3 * REPLICA_BEAT_MS;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Adds 1 to a day's count, first seeding it with what PostgreSQL has (a Redis that lost it restarts from there). */
const DAY_INCREMENT = `if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return redis.call('INCR', KEYS[1])`;
/** Adds 1 to a minute's count, expiring with it. */
const MINUTE_INCREMENT = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n`;

const utcDay = (at: number) => new Date(at).toISOString().slice(0, 10);

/**
 * The quotas cannot be counted: Redis is away and this replica never learnt how many share them (503, with
 * Retry-After).
 */
export class QuotasUncountedError extends UnavailableError {
  override name = 'QuotasUncountedError';
  constructor(readonly retryAfterSeconds: number) {
    super(
      `open-data quotas cannot be counted for a moment (their shared store is away): retry after ${retryAfterSeconds} s`,
    );
  }
}

/**
 * Who may call the keyed JSON API, and how often. A presented key is looked up by its hash (trusted for
 * KEY_CHECK_MS: a revoked key is refused by every replica within 2 s); each key has quotas per minute
 * (fixed windows) and per UTC day. Counts are shared by the replicas through Redis in a fleet and kept
 * in-process in standalone mode; served and refused requests are added to `open_key_usage` every
 * USAGE_FLUSH_MS in one statement, never per request.
 *
 * While Redis is away, each replica counts alone against its share: from the shared count it last saw (for
 * the day, PostgreSQL's if larger), what was left of the quota divided by the replicas alive when Redis last
 * answered (each says so every REPLICA_BEAT_MS), rounded down. N replicas together then grant the quota, not
 * N times it — more only by requests a replica had not seen counted before Redis went — and a key whose
 * requests all reach one replica (one kept-alive connection) gets that replica's share until Redis is back.
 * A replica that never reached Redis does not know its share and answers 503 with Retry-After rather than
 * grant the whole quota on every replica.
 */
@Injectable()
export class OpenKeyAccess implements OnApplicationShutdown {
  private readonly logger = new Logger(OpenKeyAccess.name);
  private readonly checks = new Map<string, { at: number; check: Promise<OpenKeyCheck> }>();
  /** Per key, the minute's count: the shared one as last seen, then (Redis away) counted here from that base. */
  private readonly minutes = new Map<number, { window: number; base: number; count: number }>();
  /** Per key, the day's count, the same way. */
  private readonly days = new Map<number, { day: string; base: number; count: number }>();
  private pending = new Map<string, { keyId: number; day: string; served: number; refused: number }>();
  private readonly timer: NodeJS.Timeout;
  private readonly beat: NodeJS.Timeout | null = null;
  private lastWarning = 0;
  /** The replicas alive (fleet): this one among them. */
  private readonly members: LiveMembers | null = null;
  /** Replicas alive when Redis last answered (null: it never has). */
  private replicas: number | null = null;
  private beating: Promise<void> | null = null;

  constructor(
    private readonly keys: OpenKeysRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(REDIS_CLIENT) private readonly redis?: Redis,
  ) {
    this.timer = setInterval(() => void this.flush(), USAGE_FLUSH_MS);
    this.timer.unref();
    if (this.redis) {
      this.members = new LiveMembers(this.redis, this.replicasKey(), randomUUID(), REPLICA_TTL_MS);
      this.beat = setInterval(() => void this.sayAlive(), REPLICA_BEAT_MS);
      this.beat.unref();
      this.redis.on('ready', this.onReady);
      void this.sayAlive();
    }
  }

  private readonly onReady = () => void this.sayAlive();

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (this.beat) clearInterval(this.beat);
    this.redis?.off('ready', this.onReady);
    await this.beating;
    if (this.redis?.status === 'ready' && this.members)
      await withinDeadline(this.members.leave(), REDIS_TIMEOUT_MS).catch(() => undefined);
    await this.flush();
  }

  /** Replicas counted alive when Redis last answered (null: never), for tests and metrics. */
  knownReplicas(): number | null {
    return this.replicas;
  }

  /** Says this replica is alive and learns how many are (their shares of the quotas while Redis is away). */
  sayAlive(): Promise<void> {
    this.beating ??= (async () => {
      try {
        const members = this.members ? await this.sharedCall(() => this.members!.beat()) : null;
        if (members !== null) this.replicas = Math.max(1, members.length);
      } finally {
        this.beating = null;
      }
    })();
    return this.beating;
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
    const perMinute = await this.countMinute(key.id, window, key.perMinute, now);
    if (perMinute.count > perMinute.limit) {
      this.tally(key.id, day, 'refused');
      throw new BusyError(
        `open-data key ${key.id} is past its ${key.perMinute} requests a minute: wait for the seconds in Retry-After`,
        Math.max(1, Math.ceil(((window + 1) * MINUTE_MS - now) / 1000)),
      );
    }
    const perDay = await this.countDay(key.id, day, check.servedToday, key.perDay, now);
    if (perDay.count > perDay.limit) {
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

  /**
   * The minute's count with this request, and the limit it is held to. Alone (Redis away), this replica starts
   * from the shared count it last saw and may serve its share of what was left.
   */
  private async countMinute(
    keyId: number,
    window: number,
    quota: number,
    now: number,
  ): Promise<{ count: number; limit: number }> {
    const shared = await this.shared(`${this.prefix()}:open:m:${keyId}:${window}`, MINUTE_INCREMENT, [
      String(MINUTE_MS + 1000),
    ]);
    if (shared !== null) {
      this.minutes.set(keyId, { window, base: shared, count: shared });
      return { count: shared, limit: quota };
    }
    const replicas = this.replicasOrRefuse(now);
    let entry = this.minutes.get(keyId);
    if (!entry || entry.window !== window) this.minutes.set(keyId, (entry = { window, base: 0, count: 0 }));
    return { count: ++entry.count, limit: entry.base + this.shareOf(quota - entry.base, replicas) };
  }

  /**
   * The day's count with this request, and its limit; `servedToday` is what PostgreSQL had when the key was
   * looked up. Alone, this replica starts from the larger of that and the shared count it last saw, and may
   * serve its share of what was left.
   */
  private async countDay(
    keyId: number,
    day: string,
    servedToday: number,
    quota: number,
    now: number,
  ): Promise<{ count: number; limit: number }> {
    const shared = await this.shared(`${this.prefix()}:open:d:${keyId}:${day}`, DAY_INCREMENT, [
      String(servedToday),
      String(2 * DAY_MS),
    ]);
    if (shared !== null) {
      this.days.set(keyId, { day, base: shared, count: shared });
      return { count: shared, limit: quota };
    }
    const replicas = this.replicasOrRefuse(now);
    let entry = this.days.get(keyId);
    if (!entry || entry.day !== day) this.days.set(keyId, (entry = { day, base: servedToday, count: servedToday }));
    else if (entry.count === entry.base && servedToday > entry.base) entry.base = entry.count = servedToday;
    return { count: ++entry.count, limit: entry.base + this.shareOf(quota - entry.base, replicas) };
  }

  /** A replica's share of `left` among `replicas` (rounded down: together they never grant more than it). */
  private shareOf(left: number, replicas: number): number {
    return Math.max(0, replicas === 0 ? left : Math.floor(left / replicas));
  }

  /** How many replicas share the quotas, for a count made here (0: standalone, alone); 503 when unknown. */
  private replicasOrRefuse(now: number): number {
    if (!this.redis) return 0;
    if (this.replicas === null)
      throw new QuotasUncountedError(Math.max(1, Math.ceil((REPLICA_BEAT_MS - (now % REPLICA_BEAT_MS)) / 1000)));
    return this.replicas;
  }

  private replicasKey(): string {
    return `${this.prefix()}:open:replicas`;
  }

  private prefix(): string {
    return this.config.redis.prefix;
  }

  /** The shared count after this request (fleet), or null: standalone, or Redis away or slow (counted here then). */
  private async shared(key: string, script: string, args: string[]): Promise<number | null> {
    const count = await this.sharedCall((redis) => redis.eval(script, 1, key, ...args) as Promise<number>);
    return count === null ? null : Number(count);
  }

  /** What `work` gets from Redis, or null: standalone, or Redis away or slow (then warned, at most every 10 s). */
  private async sharedCall<T>(work: (redis: Redis) => Promise<T>): Promise<T | null> {
    if (!this.redis) return null;
    if (this.redis.status !== 'ready') return this.unshared(`Redis is ${this.redis.status}`);
    try {
      const outcome = await withinDeadline(work(this.redis), REDIS_TIMEOUT_MS);
      return outcome.done ? outcome.value : this.unshared(`Redis did not answer within ${REDIS_TIMEOUT_MS} ms`);
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
