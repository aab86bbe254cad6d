import { Injectable, Logger } from '@nestjs/common';
import { PartnersRepository } from '@app/database';
import { exchangerIdOfScheduler, partnerSchedulerId, partnerSyncSchedule, RecurringSchedules } from '@app/queue';

/**
 * One recurring sync per enabled partner account, through the one recurring-schedule abstraction
 * (the same ids, offsets and reconcile as feeds). `sync` follows one account after an admin change.
 */
@Injectable()
export class PartnerScheduler {
  private readonly logger = new Logger(PartnerScheduler.name);

  constructor(
    private readonly schedules: RecurringSchedules,
    private readonly partners: PartnersRepository,
  ) {}

  async scheduledExchangerIds(): Promise<number[]> {
    return exchangerIds(await this.schedules.ids('partner'));
  }

  async sync(exchangerId: number): Promise<'scheduled' | 'unscheduled'> {
    const account = (await this.partners.listSchedulable()).find((a) => a.exchangerId === exchangerId);
    if (account) {
      await this.schedules.upsert(partnerSyncSchedule(account.exchangerId, account.syncIntervalSeconds));
      return 'scheduled';
    }
    await this.schedules.remove(partnerSchedulerId(exchangerId));
    return 'unscheduled';
  }

  async reconcile(): Promise<{ upserted: number[]; removed: number[] }> {
    const wanted = await this.partners.listSchedulable();
    const result = await this.schedules.reconcile(
      'partner',
      wanted.map((a) => partnerSyncSchedule(a.exchangerId, a.syncIntervalSeconds)),
    );
    const outcome = { upserted: exchangerIds(result.upserted), removed: exchangerIds(result.removed) };
    if (outcome.upserted.length + outcome.removed.length > 0)
      this.logger.log(
        `reconciled partner schedules: ${outcome.upserted.length} upserted, ${outcome.removed.length} removed`,
      );
    return outcome;
  }
}

function exchangerIds(scheduleIds: readonly string[]): number[] {
  return scheduleIds.flatMap((id) => exchangerIdOfScheduler(id) ?? []).sort((a, b) => a - b);
}
