import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Actor, ExchangersRepository, FeedRow, FeedRunsRepository, FeedsRepository } from '@app/database';
import { FEED_DEFAULTS, InvalidFieldError, NotFoundError } from '@app/domain';
import { FeedScheduler } from '@app/ingestion';
import { SnapshotChanges } from '@app/messaging';
import { followSchedule } from '../follow-schedule';
import { requirePublicAddress } from '../outbound-address';
import { FeedRefresher } from './feed-refresher.service';
import type { CreateFeedDto, UpdateFeedDto } from './feeds.dto';

/**
 * Feeds as the admin manages them: the rules a feed must meet (a timeout shorter than its interval, a
 * public address unless FETCH_ALLOW_PRIVATE), its schedule following each change at once (after the
 * commit), its runs, health and a poll on demand.
 */
@Injectable()
export class FeedAdminService {
  constructor(
    private readonly feeds: FeedsRepository,
    private readonly feedRuns: FeedRunsRepository,
    private readonly exchangers: ExchangersRepository,
    private readonly scheduler: FeedScheduler,
    private readonly changes: SnapshotChanges,
    private readonly refresher: FeedRefresher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async listOfExchanger(exchangerId: number): Promise<FeedRow[]> {
    await this.requireExchanger(exchangerId);
    return this.feeds.listOfExchanger(exchangerId);
  }

  async get(id: number): Promise<FeedRow> {
    const row = await this.feeds.find(id);
    if (!row) throw new NotFoundError(`no feed ${id}`);
    return row;
  }

  /** Every feed with lastSuccessAt, lastStatus, lastError, consecutiveFailures, fresh and what it rejects. */
  health(): Promise<unknown[]> {
    return this.feeds.health();
  }

  async create(actor: Actor, exchangerId: number, dto: CreateFeedDto): Promise<FeedRow> {
    await this.requireExchanger(exchangerId);
    const fields = {
      url: normalizedUrl(dto.url),
      format: dto.format ?? FEED_DEFAULTS.format,
      intervalSeconds: dto.intervalSeconds ?? FEED_DEFAULTS.intervalSeconds,
      timeoutMs: dto.timeoutMs ?? FEED_DEFAULTS.timeoutMs,
      staleAfterSeconds: dto.staleAfterSeconds ?? FEED_DEFAULTS.staleAfterSeconds,
      enabled: dto.enabled ?? FEED_DEFAULTS.enabled,
    };
    checkTimeout(fields.timeoutMs, fields.intervalSeconds);
    requirePublicAddress('url', fields.url, this.config.fetch.allowPrivate);
    const row = await this.feeds.create(actor, exchangerId, fields);
    await followSchedule(`feed ${row.id} created`, () => this.scheduler.sync(row.id));
    // The schedule spreads feeds over their interval, so the first scheduled poll may be an interval away:
    // a new feed is polled at once, and the operator sees its first run right after registering it.
    if (fields.enabled) await followSchedule(`feed ${row.id} first poll`, () => this.refresher.refresh(row.id, false));
    return row;
  }

  async update(actor: Actor, id: number, dto: UpdateFeedDto): Promise<FeedRow> {
    const current = await this.get(id);
    checkTimeout(dto.timeoutMs ?? current.timeoutMs, dto.intervalSeconds ?? current.intervalSeconds);
    if (dto.url !== undefined) requirePublicAddress('url', dto.url, this.config.fetch.allowPrivate);
    const row = await this.feeds.update(
      actor,
      id,
      dto.url === undefined ? dto : { ...dto, url: normalizedUrl(dto.url) },
    );
    if (!row) throw new NotFoundError(`no feed ${id}`);
    await followSchedule(`feed ${id} changed`, () => this.scheduler.sync(id));
    if (dto.enabled !== undefined || dto.staleAfterSeconds !== undefined) this.changes.publish({ all: true });
    return row;
  }

  async delete(actor: Actor, id: number): Promise<void> {
    if (!(await this.feeds.delete(actor, id))) throw new NotFoundError(`no feed ${id}`);
    await followSchedule(`feed ${id} deleted`, () => this.scheduler.remove(id));
    this.changes.publish({ all: true });
  }

  async runs(id: number, limit: number): Promise<unknown[]> {
    await this.get(id);
    return this.feedRuns.list(id, limit);
  }

  /** Polls now: the job id, and with `wait` the finished run. */
  async refresh(id: number, wait: boolean): Promise<{ jobId: string; run?: unknown }> {
    await this.get(id);
    const { jobId } = await this.refresher.refresh(id, wait);
    if (!wait) return { jobId };
    const [run] = await this.feedRuns.list(id, 1);
    return { jobId, run: run ?? null };
  }

  private async requireExchanger(id: number): Promise<void> {
    if (!(await this.exchangers.find(id))) throw new NotFoundError(`no exchanger ${id}`);
  }
}

/** One spelling per URL (`HTTPS://Aura.Example:443/x` → `https://aura.example/x`), so one feed per URL holds. */
function normalizedUrl(url: string): string {
  return new URL(url).href;
}

function checkTimeout(timeoutMs: number, intervalSeconds: number): void {
  if (timeoutMs >= intervalSeconds * 1000) {
    throw new InvalidFieldError(`timeoutMs must be shorter than the interval (${intervalSeconds * 1000} ms)`);
  }
}
