import { Injectable } from '@nestjs/common';
import { Actor, ExchangerRow, ExchangersRepository, FeedsRepository } from '@app/database';
import { NotFoundError } from '@app/domain';
import { FeedScheduler } from '@app/ingestion';
import { SnapshotChanges } from '@app/messaging';
import { followSchedule } from '../follow-schedule';
import type { CreateExchangerDto, UpdateExchangerDto } from './exchangers.dto';

/**
 * Exchangers as the admin manages them. A status change or a deletion reschedules the exchanger's
 * feeds at once (after the commit: the scheduler reads the committed rows) and drops every cached table.
 */
@Injectable()
export class ExchangerAdminService {
  constructor(
    private readonly exchangers: ExchangersRepository,
    private readonly feeds: FeedsRepository,
    private readonly scheduler: FeedScheduler,
    private readonly changes: SnapshotChanges,
  ) {}

  list(): Promise<ExchangerRow[]> {
    return this.exchangers.list();
  }

  async get(id: number): Promise<ExchangerRow> {
    const row = await this.exchangers.find(id);
    if (!row) throw new NotFoundError(`no exchanger ${id}`);
    return row;
  }

  create(actor: Actor, dto: CreateExchangerDto): Promise<ExchangerRow> {
    return this.exchangers.create(actor, { ...dto, status: dto.status ?? 'active' });
  }

  async update(actor: Actor, id: number, dto: UpdateExchangerDto): Promise<ExchangerRow> {
    const row = await this.exchangers.update(actor, id, dto);
    if (!row) throw new NotFoundError(`no exchanger ${id}`);
    if (dto.status !== undefined) {
      const feeds = await this.feeds.listOfExchanger(id);
      await followSchedule(`exchanger ${id}`, async () => {
        for (const feed of feeds) await this.scheduler.sync(feed.id);
      });
      this.changes.publish({ all: true });
    }
    return row;
  }

  async delete(actor: Actor, id: number): Promise<void> {
    const feedIds = await this.exchangers.delete(actor, id);
    if (feedIds === null) throw new NotFoundError(`no exchanger ${id}`);
    await followSchedule(`exchanger ${id} deleted`, async () => {
      for (const feedId of feedIds) await this.scheduler.remove(feedId);
    });
    this.changes.publish({ all: true });
  }
}
