import {
  HOUSEKEEPING,
  JOBS,
  QUEUES,
  SCHEDULE_FAMILIES,
  ScheduledJob,
  ScheduleFamily,
  feedSchedulerId,
  partnerSchedulerId,
  scheduleOffsetMs,
} from '../queues';

/** A job produced every `everyMs`, at `offsetMs` into each interval, under a deterministic id. */
export interface RecurringSchedule {
  readonly id: string;
  readonly everyMs: number;
  readonly offsetMs: number;
  readonly job: ScheduledJob;
}

/** A schedule as the driver holds it now; `job` is unknown when the driver cannot tell. */
export interface ScheduleState {
  readonly id: string;
  readonly everyMs: number;
  readonly offsetMs: number;
  readonly job?: { readonly name: string; readonly data: unknown };
}

export interface ScheduleReconcileResult {
  /** Ids created or changed, sorted. */
  readonly upserted: string[];
  /** Ids removed, sorted. */
  readonly removed: string[];
}

/**
 * Every recurring job of ratewatch — feed polls, partner syncs, housekeeping — goes through this one
 * abstraction: BullMQ job schedulers in fleet mode (`BullRecurringSchedules`), in-process timers in
 * standalone mode (`InProcessRecurringSchedules`). Ids are deterministic, so an upsert changes a
 * schedule in place and there is never more than one per id.
 */
export abstract class RecurringSchedules {
  /** Creates the schedule, or changes it in place (never remove-then-add). */
  abstract upsert(schedule: RecurringSchedule): Promise<void>;
  abstract remove(id: string): Promise<void>;
  /** The schedules of one family now, sorted by id. */
  abstract list(family: ScheduleFamily): Promise<ScheduleState[]>;

  async ids(family: ScheduleFamily): Promise<string[]> {
    return (await this.list(family)).map((s) => s.id);
  }

  /**
   * Makes one family equal `desired`: upserts what is missing or differs (only those: an upsert
   * re-plans the next run) and removes the family's schedules that are not desired. Other families
   * are left alone.
   */
  async reconcile(family: ScheduleFamily, desired: readonly RecurringSchedule[]): Promise<ScheduleReconcileResult> {
    for (const schedule of desired)
      if (familyOf(schedule.id) !== family) throw new Error(`schedule ${schedule.id} is not of the ${family} family`);
    const current = new Map((await this.list(family)).map((s) => [s.id, s]));
    const wanted = new Set(desired.map((s) => s.id));
    const upserted: string[] = [];
    const removed: string[] = [];
    for (const schedule of desired) {
      if (sameSchedule(current.get(schedule.id), schedule)) continue;
      await this.upsert(schedule);
      upserted.push(schedule.id);
    }
    for (const id of current.keys()) {
      if (wanted.has(id)) continue;
      await this.remove(id);
      removed.push(id);
    }
    return { upserted: upserted.sort(), removed: removed.sort() };
  }
}

function sameSchedule(current: ScheduleState | undefined, wanted: RecurringSchedule): boolean {
  if (!current?.job || current.everyMs !== wanted.everyMs || current.offsetMs !== wanted.offsetMs) return false;
  return current.job.name === wanted.job.name && JSON.stringify(current.job.data) === JSON.stringify(wanted.job.data);
}

/** The family a schedule id belongs to, or null for an id that is not a ratewatch schedule. */
export function familyOf(id: string): ScheduleFamily | null {
  for (const family of Object.keys(SCHEDULE_FAMILIES) as ScheduleFamily[])
    if (id.startsWith(SCHEDULE_FAMILIES[family].prefix)) return family;
  return null;
}

/** A feed's polls: every interval, at the feed's own offset in it. */
export function feedPollSchedule(feedId: number, intervalSeconds: number): RecurringSchedule {
  const everyMs = intervalSeconds * 1000;
  return {
    id: feedSchedulerId(feedId),
    everyMs,
    offsetMs: scheduleOffsetMs(feedId, everyMs),
    job: { queue: QUEUES.feedPoll, name: JOBS.pollFeed, data: { feedId, trigger: 'schedule' } },
  };
}

/** A partner account's syncs: spread over the interval exactly like feeds. */
export function partnerSyncSchedule(exchangerId: number, intervalSeconds: number): RecurringSchedule {
  const everyMs = intervalSeconds * 1000;
  return {
    id: partnerSchedulerId(exchangerId),
    everyMs,
    offsetMs: scheduleOffsetMs(exchangerId, everyMs),
    job: { queue: QUEUES.partnerSync, name: JOBS.syncPartner, data: { exchangerId } },
  };
}

/** The housekeeping schedules, spread over their intervals like the rest. */
export function housekeepingSchedules(): RecurringSchedule[] {
  return Object.values(HOUSEKEEPING).map((h, index) => ({
    id: h.schedulerId,
    everyMs: h.every,
    offsetMs: scheduleOffsetMs(index + 1, h.every),
    job: { queue: QUEUES.feedPoll, name: h.job, data: {} },
  }));
}
