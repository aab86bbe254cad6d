import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/config';
import { REDIS_CLIENT } from './redis.module';

/**
 * What changed in the shown offers: some directions, or (maintenance) possibly any. `feed`: only that feed's
 * offers changed in those directions (a poll's write) — a reader keeping a direction's offers may read that
 * feed's rows of it again instead of the whole direction.
 */
export type SnapshotChangeEvent = { directions: Array<[string, string]>; feed?: number } | { all: true };

/**
 * Tells the read caches that a snapshot changed. In standalone mode in-process; in fleet mode workers
 * publish on Redis (`<prefix>:snapshot-changes`) and every process with a listener (the api replicas)
 * subscribes.
 */
@Injectable()
export class SnapshotChanges implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SnapshotChanges.name);
  private readonly listeners = new Set<(event: SnapshotChangeEvent) => void>();
  private readonly writeListeners = new Set<(event: SnapshotChangeEvent) => void>();
  private subscriber: Redis | null = null;
  /** onModuleInit has run: a listener added later subscribes at once. */
  private started = false;
  private readonly channel: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Optional() @Inject(REDIS_CLIENT) private readonly redis?: Redis,
  ) {
    this.channel = `${config.redis.prefix}:snapshot-changes`;
  }

  onModuleInit(): void {
    this.started = true;
    if (this.listeners.size > 0) this.listen();
  }

  /**
   * Subscribes to the other processes' announcements — only once something here listens: a worker only
   * publishes (and hears its own writes through onOwnChange), and a subscription would have it receive and
   * parse every announcement of the fleet, a few thousand directions each poll.
   */
  private listen(): void {
    if (!this.redis || this.subscriber) return;
    this.subscriber = this.redis.duplicate({ connectionName: 'ratewatch-snapshot-changes', lazyConnect: false });
    this.subscriber.on('error', () => undefined);
    // Pub/sub does not replay what was published while this subscriber was away: after a reconnect any
    // direction may have changed unheard, so every cache that listens is told so (as maintenance does).
    let connected = false;
    this.subscriber.on('ready', () => {
      if (connected) this.emitLocally({ all: true });
      connected = true;
    });
    this.subscriber.on('message', (_channel: string, message: string) => {
      try {
        this.emitLocally(JSON.parse(message) as SnapshotChangeEvent);
      } catch {
        this.logger.warn('ignored a malformed snapshot-change message');
      }
    });
    // Not awaited: the api starts (and answers 503 on /health/ready) while Redis is away; ioredis
    // subscribes once connected and again after every reconnect.
    this.subscriber
      .subscribe(this.channel)
      .catch((error: unknown) => this.logger.warn(`could not subscribe to snapshot changes: ${String(error)}`));
  }

  async onApplicationShutdown(): Promise<void> {
    // A listener added while shutting down does not subscribe again.
    this.started = false;
    this.subscriber?.disconnect();
    this.subscriber = null;
    await Promise.resolve();
  }

  /** Announces a change; never throws (a lost announcement only delays freshness by the cache TTL). */
  publish(event: SnapshotChangeEvent): void {
    if ('directions' in event && event.directions.length === 0) return;
    // The process that made the change hears it once, whatever the mode (alerts are evaluated there, once).
    for (const listener of this.writeListeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.warn(`a change listener failed: ${String(error)}`);
      }
    }
    if (this.redis) {
      this.redis
        .publish(this.channel, JSON.stringify(event))
        .catch((error: unknown) => this.logger.warn(`could not publish a snapshot change: ${String(error)}`));
    } else {
      this.emitLocally(event);
    }
  }

  subscribe(listener: (event: SnapshotChangeEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.started) this.listen();
    return () => this.listeners.delete(listener);
  }

  /**
   * Hears only the changes this process publishes (its own writes), never those of other processes: work
   * that must happen once per change — evaluating alerts — listens here, not in every api replica.
   */
  onOwnChange(listener: (event: SnapshotChangeEvent) => void): () => void {
    this.writeListeners.add(listener);
    return () => this.writeListeners.delete(listener);
  }

  /** Every listener hears the event: one that throws is logged and does not keep it from the others. */
  private emitLocally(event: SnapshotChangeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.warn(`a change listener failed: ${String(error)}`);
      }
    }
  }
}
