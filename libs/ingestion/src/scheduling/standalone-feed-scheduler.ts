import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FeedsRepository, SchedulableFeed } from '@app/database';
import { feedSchedulerId } from '@app/queue';
import { FeedPollService } from '../poll/feed-poll.service';
import { FeedScheduler, ReconcileResult, scheduleOffsetMs } from './feed-scheduler';

const RECONCILE_EVERY_MS = 60_000;
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Standalone mode: the same FeedPollService, triggered by in-process timers (@nestjs/schedule's
 * registry) instead of BullMQ. A feed never polls twice at once, and at most WORKER_CONCURRENCY polls
 * run together.
 */
@Injectable()
export class StandaloneFeedScheduler extends FeedScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StandaloneFeedScheduler.name);
  private readonly intervals = new Map<number, number>();
  private readonly starters = new Map<number, NodeJS.Timeout>();
  private readonly running = new Set<number>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(
    private readonly registry: SchedulerRegistry,
    feeds: FeedsRepository,
    private readonly poller: FeedPollService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super(feeds);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reconcile();
    this.registry.addInterval('feeds:reconcile', setInterval(() => void this.reconcile().catch((e: unknown) => this.logger.error(`reconcile failed: ${String(e)}`)), RECONCILE_EVERY_MS));
    this.registry.addInterval('feeds:prune-runs', setInterval(() => void this.feeds.pruneRuns().catch((e: unknown) => this.logger.error(`pruning runs failed: ${String(e)}`)), PRUNE_EVERY_MS));
  }

  /** Stops every timer and waits for the polls in hand to finish. */
  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const timer of this.starters.values()) clearTimeout(timer);
    this.starters.clear();
    for (const name of this.registry.getIntervals()) this.registry.deleteInterval(name);
    this.intervals.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  upsert(feed: SchedulableFeed): Promise<void> {
    if (this.stopping || this.intervals.get(feed.id) === feed.intervalSeconds) return Promise.resolve();
    this.clear(feed.id);
    const every = feed.intervalSeconds * 1000;
    this.intervals.set(feed.id, feed.intervalSeconds);
    // Same spreading as the fleet's schedulers: the first poll at this feed's offset in the interval.
    const first = (scheduleOffsetMs(feed.id, feed.intervalSeconds) - (Date.now() % every) + every) % every;
    this.starters.set(
      feed.id,
      setTimeout(() => {
        this.starters.delete(feed.id);
        this.trigger(feed.id);
        this.registry.addInterval(feedSchedulerId(feed.id), setInterval(() => this.trigger(feed.id), every));
      }, first),
    );
    return Promise.resolve();
  }

  remove(feedId: number): Promise<void> {
    this.clear(feedId);
    return Promise.resolve();
  }

  scheduledFeedIds(): Promise<number[]> {
    return Promise.resolve([...this.intervals.keys()].sort((a, b) => a - b));
  }

  async reconcile(): Promise<ReconcileResult> {
    const wanted = await this.feeds.listSchedulable();
    const wantedIds = new Set(wanted.map((f) => f.id));
    const upserted: number[] = [];
    const removed: number[] = [];
    for (const feed of wanted) {
      if (this.intervals.get(feed.id) === feed.intervalSeconds) continue;
      await this.upsert(feed);
      upserted.push(feed.id);
    }
    for (const feedId of [...this.intervals.keys()]) {
      if (wantedIds.has(feedId)) continue;
      this.clear(feedId);
      removed.push(feedId);
    }
    return { upserted, removed };
  }

  private trigger(feedId: number): void {
    if (this.stopping || this.running.has(feedId) || this.running.size >= this.config.worker.concurrency) return;
    this.running.add(feedId);
    const poll = this.poller
      .poll(feedId, 'schedule')
      .catch((error: unknown) => this.logger.error(`poll of feed ${feedId} failed: ${String(error)}`))
      .finally(() => {
        this.running.delete(feedId);
        this.inFlight.delete(poll);
      });
    this.inFlight.add(poll);
  }

  private clear(feedId: number): void {
    const starter = this.starters.get(feedId);
    if (starter) clearTimeout(starter);
    this.starters.delete(feedId);
    const name = feedSchedulerId(feedId);
    if (this.registry.getIntervals().includes(name)) this.registry.deleteInterval(name);
    this.intervals.delete(feedId);
  }
}

