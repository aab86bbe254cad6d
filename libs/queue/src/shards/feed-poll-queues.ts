import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '@app/config';
import { FEED_POLL_JOB_OPTIONS, QUEUES } from '../queues';
import { feedPollShardOf, feedPollShardQueue } from './feed-poll-shards';

/**
 * The queues feed polls go to (FEED_POLL_SHARDS; see feed-poll-shards.ts): with one shard, the feed-poll
 * queue itself; with more, one queue per shard beside it. Every process that schedules polls (the api, the
 * workers) must be configured with the same number.
 */
@Injectable()
export class FeedPollQueues implements OnApplicationShutdown {
  /** Every shard's queue, by shard. */
  readonly shards: readonly Queue[];

  constructor(
    @Inject(APP_CONFIG) config: { readonly worker: Pick<AppConfig['worker'], 'feedPollShards'> },
    @InjectQueue(QUEUES.feedPoll) readonly main: Queue,
  ) {
    const count = config.worker.feedPollShards;
    this.shards = count === 1 ? [main] : Array.from({ length: count }, (_, shard) => this.open(shard, count));
  }

  /** The queue of a feed's polls. */
  of(feedId: number): Queue {
    return this.shards[feedPollShardOf(feedId, this.shards.length)]!;
  }

  /** Every queue polls go to: the feed-poll queue (housekeeping, manual refreshes), then the shards'. */
  all(): Queue[] {
    return this.shards.length === 1 ? [this.main] : [this.main, ...this.shards];
  }

  /**
   * The queues of a layout of `count` shards (left by another FEED_POLL_SHARDS) that this layout does not have,
   * to look for schedulers in; the caller closes them.
   */
  openLayout(count: number): Queue[] {
    const names = new Set(this.all().map((queue) => queue.name));
    const opened: Queue[] = [];
    for (let shard = 0; shard < count; shard++)
      if (!names.has(feedPollShardQueue(shard, count))) opened.push(this.open(shard, count));
    return opened;
  }

  /** Where the number of shards the schedules were last laid out for is kept. */
  layoutKey(): string {
    return `${this.main.opts.prefix ?? 'bull'}:${QUEUES.feedPoll}:shards`;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.shards.filter((queue) => queue !== this.main).map((queue) => queue.close()));
  }

  private open(shard: number, count: number): Queue {
    return new Queue(feedPollShardQueue(shard, count), {
      connection: this.main.opts.connection,
      prefix: this.main.opts.prefix,
      defaultJobOptions: FEED_POLL_JOB_OPTIONS,
    });
  }
}
