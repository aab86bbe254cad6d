import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Actor, AdminRepository, ExchangerRow, FeedRow } from '@app/database';
import { InvalidRequestError, NotFoundError } from '@app/domain';
import { FeedScheduler, isForbiddenAddress, SnapshotChanges } from '@app/ingestion';
import { followSchedule } from './follow-schedule';
import type { CreateExchangerDto, CreateFeedDto, UpdateExchangerDto, UpdateFeedDto } from './admin.dto';

/**
 * Admin changes to exchangers and feeds. The schedule follows each change at once — after the
 * database commit (the scheduler reads the committed row).
 */
@Injectable()
export class AdminService {
  constructor(
    private readonly admin: AdminRepository,
    private readonly scheduler: FeedScheduler,
    private readonly changes: SnapshotChanges,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async exchanger(id: number): Promise<ExchangerRow> {
    const row = await this.admin.findExchanger(id);
    if (!row) throw new NotFoundError(`no exchanger ${id}`);
    return row;
  }

  createExchanger(actor: Actor, dto: CreateExchangerDto): Promise<ExchangerRow> {
    return this.admin.createExchanger(actor, { ...dto, status: dto.status ?? 'active' });
  }

  async updateExchanger(actor: Actor, id: number, dto: UpdateExchangerDto): Promise<ExchangerRow> {
    const row = await this.admin.updateExchanger(actor, id, dto);
    if (!row) throw new NotFoundError(`no exchanger ${id}`);
    if (dto.status !== undefined) {
      const feeds = await this.admin.listFeeds(id);
      await followSchedule(`exchanger ${id}`, async () => {
        for (const feed of feeds) await this.scheduler.sync(feed.id);
      });
      this.changes.publish({ all: true });
    }
    return row;
  }

  async deleteExchanger(actor: Actor, id: number): Promise<void> {
    const feedIds = await this.admin.deleteExchanger(actor, id);
    if (feedIds === null) throw new NotFoundError(`no exchanger ${id}`);
    await followSchedule(`exchanger ${id} deleted`, async () => {
      for (const feedId of feedIds) await this.scheduler.remove(feedId);
    });
    this.changes.publish({ all: true });
  }

  async feeds(exchangerId: number): Promise<FeedRow[]> {
    await this.exchanger(exchangerId);
    return this.admin.listFeeds(exchangerId);
  }

  async feed(id: number): Promise<FeedRow> {
    const row = await this.admin.findFeed(id);
    if (!row) throw new NotFoundError(`no feed ${id}`);
    return row;
  }

  async createFeed(actor: Actor, exchangerId: number, dto: CreateFeedDto): Promise<FeedRow> {
    await this.exchanger(exchangerId);
    const fields = { url: dto.url, format: dto.format ?? 'auto', intervalSeconds: dto.intervalSeconds ?? 30, timeoutMs: dto.timeoutMs ?? 10_000, staleAfterSeconds: dto.staleAfterSeconds ?? 300, enabled: dto.enabled ?? true };
    checkTimeout(fields.timeoutMs, fields.intervalSeconds);
    this.checkAddress(fields.url);
    const row = await this.admin.createFeed(actor, exchangerId, fields);
    await followSchedule(`feed ${row.id} created`, () => this.scheduler.sync(row.id));
    return row;
  }

  async updateFeed(actor: Actor, id: number, dto: UpdateFeedDto): Promise<FeedRow> {
    const current = await this.feed(id);
    checkTimeout(dto.timeoutMs ?? current.timeoutMs, dto.intervalSeconds ?? current.intervalSeconds);
    if (dto.url !== undefined) this.checkAddress(dto.url);
    const row = await this.admin.updateFeed(actor, id, dto);
    if (!row) throw new NotFoundError(`no feed ${id}`);
    await followSchedule(`feed ${id} changed`, () => this.scheduler.sync(id));
    if (dto.enabled !== undefined || dto.staleAfterSeconds !== undefined) this.changes.publish({ all: true });
    return row;
  }

  /**
   * A feed URL whose host is a private, loopback or link-local IP literal is refused up front (unless
   * FETCH_ALLOW_PRIVATE); a host name is checked where it matters, when the fetcher resolves it.
   */
  private checkAddress(url: string): void {
    if (this.config.fetch.allowPrivate || !isForbiddenAddress(new URL(url).hostname)) return;
    throw new InvalidRequestError('url points to a private, loopback or link-local address; feeds must be on the public internet (or set FETCH_ALLOW_PRIVATE=true)');
  }

  async deleteFeed(actor: Actor, id: number): Promise<void> {
    if (!(await this.admin.deleteFeed(actor, id))) throw new NotFoundError(`no feed ${id}`);
    await followSchedule(`feed ${id} deleted`, () => this.scheduler.remove(id));
    this.changes.publish({ all: true });
  }
}

function checkTimeout(timeoutMs: number, intervalSeconds: number): void {
  if (timeoutMs >= intervalSeconds * 1000) {
    throw new InvalidRequestError(`timeoutMs must be shorter than the interval (${intervalSeconds * 1000} ms)`);
  }
}
