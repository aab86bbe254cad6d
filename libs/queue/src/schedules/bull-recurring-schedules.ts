import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { JOB_OPTIONS, QUEUES, SCHEDULE_FAMILIES, ScheduleFamily } from '../queues';

/** The queues schedules produce jobs in. */
type ScheduledQueueName = (typeof SCHEDULE_FAMILIES)[ScheduleFamily]['queue'];
import { familyOf, RecurringSchedule, RecurringSchedules, ScheduleState } from './recurring-schedules';

/**
 * Fleet mode: one BullMQ job scheduler per schedule id (`upsertJobScheduler`, STYLE.md rule 6), in
 * the queue of the schedule's family. Redis holds them; any worker takes the jobs they produce.
 */
@Injectable()
export class BullRecurringSchedules extends RecurringSchedules {
  private readonly queues: Readonly<Record<ScheduledQueueName, Queue>>;

  constructor(@InjectQueue(QUEUES.feedPoll) feedPoll: Queue, @InjectQueue(QUEUES.partnerSync) partnerSync: Queue) {
    super();
    this.queues = { [QUEUES.feedPoll]: feedPoll, [QUEUES.partnerSync]: partnerSync };
  }

  async upsert(schedule: RecurringSchedule): Promise<void> {
    const { id, everyMs, offsetMs, job } = schedule;
    await this.queueOf(id).upsertJobScheduler(
      id,
      { every: everyMs, ...(offsetMs > 0 ? { offset: offsetMs } : {}) },
      { name: job.name, data: job.data, opts: JOB_OPTIONS[job.name] },
    );
  }

  async remove(id: string): Promise<void> {
    await this.queueOf(id).removeJobScheduler(id);
  }

  async list(family: ScheduleFamily): Promise<ScheduleState[]> {
    const { prefix, queue } = SCHEDULE_FAMILIES[family];
    const schedulers = await this.queues[queue].getJobSchedulers(0, -1);
    return schedulers
      .filter((s) => s.key.startsWith(prefix))
      .map((s) => ({
        id: s.key,
        everyMs: Number(s.every ?? 0),
        offsetMs: Number(s.offset ?? 0),
        ...(s.template ? { job: { name: s.name, data: s.template.data as unknown } } : {}),
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  private queueOf(id: string): Queue {
    const family = familyOf(id);
    if (!family) throw new Error(`${id} is not a ratewatch schedule id`);
    return this.queues[SCHEDULE_FAMILIES[family].queue];
  }
}
