import { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { Gauge, Registry } from 'prom-client';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { AppConfig } from '@app/config';
import { LiveMembers, withinDeadline } from '@app/messaging';
import { bullConnection, feedPollShardQueue, ownedShards, QUEUES } from '@app/queue';
import { feedPollWorkerOptions } from './feed-poll.processor';

/** How often a worker says it is alive and deals the shards again. */
export const SHARD_BEAT_MS = 3_000;
/** A worker silent this long is taken for gone: its shards go to the others. */
export const SHARD_MEMBER_TTL_MS = 10_000;
/** How long a beat may wait for Redis before this worker keeps the shards it has. */
const BEAT_DEADLINE_MS = 2_000;

/** What runs a poll job (FeedPollProcessor.process). */
export type PollJobHandler = (job: Job) => Promise<unknown>;

/**
 * The feed-poll shards this worker takes (FEED_POLL_SHARDS > 1; see @app/queue's feed-poll-shards.ts): it
 * beats every SHARD_BEAT_MS in a set of live workers in Redis, deals the shards over the live ones the way
 * every worker does (`ownedShards`), and runs one BullMQ worker per shard it owns, closing those of shards
 * it no longer owns (their polls in hand finish first). Concurrency is shared: the process's
 * WORKER_CONCURRENCY split over its shards. A worker that dies stops beating; after SHARD_MEMBER_TTL_MS
 * the others deal its shards among themselves, and BullMQ's stalled-job check hands its polls in hand to
 * their new owner. While Redis does not answer, a worker keeps the shards it has. Made by WorkerModule's factory
 * (with FeedPollProcessor's `process` as the handler).
 */
export class FeedPollShardWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FeedPollShardWorkers.name);
  readonly id: string;
  private readonly members: LiveMembers;
  private readonly workers = new Map<number, Worker>();
  private readonly closing = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private dealing: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    redis: Redis,
    private readonly handle: PollJobHandler,
    /** `id`: this worker's among the live ones (by default its host, pid and a random part); `registry`: its metrics. */
    { id, registry }: { id?: string; registry?: Registry } = {},
  ) {
    this.id = id ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    if (registry) {
      const owned = () => this.workers.size;
      new Gauge({
        name: 'ratewatch_feed_poll_shards_owned',
        help: 'Feed-poll shards this worker takes now (FEED_POLL_SHARDS > 1; 0 with one queue)',
        registers: [registry],
        collect() {
          this.set(owned());
        },
      });
    }
    this.members = new LiveMembers(
      redis,
      `${config.redis.prefix}:${QUEUES.feedPoll}:workers`,
      this.id,
      SHARD_MEMBER_TTL_MS,
    );
  }

  /** The shards this worker runs now, ascending. */
  owned(): number[] {
    return [...this.workers.keys()].sort((a, b) => a - b);
  }

  /** Polls the worker of a shard this worker runs takes at once (its share of WORKER_CONCURRENCY). */
  concurrencyOf(shard: number): number | undefined {
    return this.workers.get(shard)?.concurrency;
  }

  onApplicationBootstrap(): void {
    if (this.config.worker.feedPollShards === 1) return;
    this.timer = setInterval(() => void this.deal(), SHARD_BEAT_MS);
    this.timer.unref();
    void this.deal();
  }

  /** Says this worker is alive and takes the shards it owns among the live workers now (one deal at a time). */
  deal(): Promise<void> {
    this.dealing ??= (async () => {
      try {
        const beat = await withinDeadline(this.members.beat(), BEAT_DEADLINE_MS);
        if (!beat.done || this.stopped) return;
        this.take(ownedShards(beat.value, this.id, this.config.worker.feedPollShards));
      } catch (error) {
        // Redis away: the shards in hand stay (their workers reconnect by themselves).
        this.logger.warn(`feed-poll shards not dealt (kept ${this.workers.size}): ${(error as Error).message}`);
      } finally {
        this.dealing = null;
      }
    })();
    return this.dealing;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.dealing;
    if (this.config.worker.feedPollShards > 1)
      await withinDeadline(this.members.leave(), BEAT_DEADLINE_MS).catch(() => undefined);
    this.take([]);
    await this.closed();
  }

  /** Resolves once the workers of the shards given up so far have closed (their polls in hand finished). */
  async closed(): Promise<void> {
    await Promise.all(this.closing);
  }

  private take(shards: readonly number[]): void {
    const wanted = new Set(shards);
    const before = this.owned().join(', ');
    for (const [shard, worker] of this.workers) {
      if (wanted.has(shard)) continue;
      this.workers.delete(shard);
      const closed = worker.close().catch((error: Error) => this.logger.warn(`shard ${shard}: ${error.message}`));
      this.closing.add(closed);
      void closed.finally(() => this.closing.delete(closed));
    }
    const concurrency = Math.max(1, Math.ceil(this.config.worker.concurrency / Math.max(1, wanted.size)));
    for (const shard of wanted) {
      const running = this.workers.get(shard);
      if (running) running.concurrency = concurrency;
      else this.workers.set(shard, this.open(shard, concurrency));
    }
    const now = this.owned().join(', ');
    if (now !== before) this.logger.log(`feed-poll shards taken: ${now || 'none'} (were ${before || 'none'})`);
  }

  private open(shard: number, concurrency: number): Worker {
    const { redis, worker } = this.config;
    const opened = new Worker(feedPollShardQueue(shard, worker.feedPollShards), (job) => this.handle(job), {
      connection: bullConnection(redis.url!, `ratewatch-worker-shard-${shard}`),
      prefix: redis.prefix,
      concurrency,
      ...feedPollWorkerOptions(this.config),
    });
    opened.on('error', (error) => this.logger.warn(`feed-poll shard ${shard}: ${error.message}`));
    return opened;
  }
}
