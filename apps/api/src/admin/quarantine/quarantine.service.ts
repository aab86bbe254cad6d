import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Actor, ExchangersRepository, QuarantineRepository } from '@app/database';
import { NotFoundError } from '@app/domain';
import { CatalogSnapshots } from '@app/ingestion';
import { SnapshotChanges } from '@app/messaging';
import type { AcceptQuarantineDto } from './quarantine.dto';

/** Rate integrity for operators (DESIGN.md §10): what the guard holds back, and the exceptions they grant. */
@Injectable()
export class QuarantineAdminService {
  constructor(
    private readonly quarantine: QuarantineRepository,
    private readonly exchangers: ExchangersRepository,
    private readonly catalogs: CatalogSnapshots,
    private readonly changes: SnapshotChanges,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Held offers (reference, deviation, reason, since), flagged exchangers and the exceptions in force. */
  list() {
    return this.quarantine.list();
  }

  /** Shows an exchanger's direction for `hours` whatever the guard says; what it held there is shown at once. */
  async accept(actor: Actor, dto: AcceptQuarantineDto): Promise<{ until: string; released: number }> {
    if (!(await this.exchangers.find(dto.exchangerId))) throw new NotFoundError(`no exchanger ${dto.exchangerId}`);
    const catalog = await this.catalogs.current();
    catalog.require(dto.from);
    catalog.require(dto.to);
    const accepted = await this.quarantine.accept(
      actor,
      {
        exchangerId: dto.exchangerId,
        from: dto.from,
        to: dto.to,
        city: dto.city ?? null,
        hours: dto.hours,
        reason: dto.reason ?? 'accepted by an operator',
      },
      this.config.history.recording,
    );
    this.changes.publish({ directions: [[dto.from, dto.to]] });
    return accepted;
  }
}
