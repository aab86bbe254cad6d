import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS_CLIENT } from '@app/messaging';
import { HousekeepingService } from './housekeeping.service';

/** How soon a failed re-planning after a Redis reconnect is tried again. */
export const REPLAN_RETRY_MS = 3000;

/**
 * Plans every schedule when the process starts. In fleet mode the schedules live in Redis: after
 * every reconnect they are planned again, because a Redis that restarted without persistence has
 * forgotten them (with persistence this changes nothing) — retrying every few seconds until it works,
 * since with the database down too nothing else would (the housekeeping reconcile lived in that Redis).
 */
@Injectable()
export class SchedulePlanner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SchedulePlanner.name);
  private replanTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly housekeeping: HousekeepingService,
    @Optional() @Inject(REDIS_CLIENT) private readonly redis?: Redis,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.plan('at start');
    this.redis?.on('ready', () => this.replan());
  }

  onApplicationShutdown(): void {
    if (this.replanTimer) clearTimeout(this.replanTimer);
    this.replanTimer = null;
  }

  private replan(attempt = 1): void {
    if (this.replanTimer) clearTimeout(this.replanTimer);
    this.replanTimer = null;
    this.plan('after a Redis reconnect').catch((error: unknown) => {
      this.logger.error(
        `planning schedules after a Redis reconnect failed (attempt ${attempt}, retrying in ${REPLAN_RETRY_MS / 1000} s): ${String(error)}`,
      );
      this.replanTimer = setTimeout(() => this.replan(attempt + 1), REPLAN_RETRY_MS);
      this.replanTimer.unref();
    });
  }

  private async plan(when: string): Promise<void> {
    const { feeds, partners } = await this.housekeeping.reconcileSchedules();
    this.logger.log(
      `schedules planned ${when}: feeds ${feeds.upserted.length} upserted, ${feeds.removed.length} removed; partner accounts ${partners.upserted.length} upserted, ${partners.removed.length} removed`,
    );
  }
}
