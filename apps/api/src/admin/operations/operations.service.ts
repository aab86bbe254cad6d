import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AuditRepository, ClicksRepository } from '@app/database';
import type { FeedFormatSetting } from '@app/domain';
import { checkFeed, FeedReport } from '@app/feeds';
import { SafeHttpClient } from '@app/http-client';
import { CatalogSnapshots, checkFeedUrl, FeedScheduler } from '@app/ingestion';
import { FeedPollQueues } from '@app/queue';
import { timeWindow } from '../../common/validation';
import type { ClicksQuery } from './operations.dto';

/** What an operator reads and checks: the audit log, click counts, the feed validator and the queues. */
@Injectable()
export class OperationsService {
  constructor(
    private readonly audit: AuditRepository,
    private readonly clicks: ClicksRepository,
    private readonly catalogs: CatalogSnapshots,
    private readonly fetcher: SafeHttpClient,
    private readonly scheduler: FeedScheduler,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly feedPolls?: FeedPollQueues,
  ) {}

  auditLog(limit: number): Promise<unknown[]> {
    return this.audit.listAudit(limit);
  }

  /** Clicks grouped by exchanger and direction, with unique counts; the last 24 hours unless a window is given. */
  async clickCounts(filter: ClicksQuery) {
    const { since, until } = timeWindow(filter, 86_400_000);
    const items = await this.clicks.counts({
      since,
      until,
      exchanger: filter.exchanger ?? null,
      from: filter.from ?? null,
      to: filter.to ?? null,
    });
    return { since: since.toISOString(), until: until.toISOString(), items };
  }

  /** The validator: a URL (fetched through the same fetcher and SSRF guard as a poll) or a raw body. Nothing is stored. */
  async checkFeed(
    source: { url: string } | { body: Buffer; contentType: string | null },
    format: FeedFormatSetting,
  ): Promise<FeedReport> {
    const context = (await this.catalogs.current()).contextFor(null);
    if ('url' in source) return checkFeedUrl(this.fetcher, source.url, format, context);
    return checkFeed(source.body, { format, contentType: source.contentType }, context);
  }

  /** Per queue (the feed-poll queue, then its shards' if any): waiting, active, delayed, failed, and how many schedulers. */
  async queues() {
    if (!this.feedPolls)
      return {
        mode: 'standalone',
        items: [{ name: 'in-process', schedulers: (await this.scheduler.scheduledFeedIds()).length }],
      };
    const items = [];
    for (const queue of this.feedPolls.all()) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
      items.push({ name: queue.name, ...counts, schedulers: await queue.getJobSchedulersCount() });
    }
    return { mode: this.config.mode, items };
  }
}
