import { BeforeApplicationShutdown, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { JobName, SCHEDULE_FAMILIES, ScheduledJob, ScheduleFamily } from '../queues';
import { RecurringSchedule, RecurringSchedules, ScheduleState } from './recurring-schedules';

/** Runs the job a schedule produced, in this process: the in-process counterpart of a processor. */
export type ScheduledJobHandler<N extends ScheduledJob['name']> = (
  data: Extract<ScheduledJob, { name: N }>['data'],
) => Promise<unknown>;

/** At most this many runs of a job name at once (the counterpart of a BullMQ worker's concurrency). */
export type InProcessConcurrency = Partial<Record<JobName, number>>;

/**
 * Standalone mode: schedules as in-process timers in @nestjs/schedule's registry (a timeout for the
 * first run at the schedule's offset, then an interval), calling the handler registered for the job
 * name. Like BullMQ: one timer per id, a schedule never runs twice at once (a tick that finds its
 * previous run still going is skipped), and the concurrency per job name is bounded. Shutdown stops
 * every timer and waits for the runs in hand.
 */
export class InProcessRecurringSchedules extends RecurringSchedules implements BeforeApplicationShutdown {
  private readonly logger = new Logger(InProcessRecurringSchedules.name);
  private readonly schedules = new Map<string, RecurringSchedule>();
  private readonly handlers = new Map<JobName, (data: never) => Promise<unknown>>();
  private readonly running = new Set<string>();
  private readonly runningByName = new Map<JobName, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly concurrency: InProcessConcurrency = {},
  ) {
    super();
  }

  /** Registers what runs a job name (one handler per name; set before the schedules are planned). */
  handle<N extends ScheduledJob['name']>(name: N, handler: ScheduledJobHandler<N>): void {
    this.handlers.set(name, handler);
  }

  upsert(schedule: RecurringSchedule): Promise<void> {
    const current = this.schedules.get(schedule.id);
    if (
      this.stopping ||
      (current && sameTiming(current, schedule) && JSON.stringify(current.job) === JSON.stringify(schedule.job))
    )
      return Promise.resolve();
    this.clearTimers(schedule.id);
    this.schedules.set(schedule.id, schedule);
    const { id, everyMs, offsetMs } = schedule;
    // The first run at the schedule's offset in its interval (the BullMQ driver's `offset`), then every interval.
    const first = (((offsetMs - (Date.now() % everyMs)) % everyMs) + everyMs) % everyMs;
    const starter = setTimeout(() => {
      this.registry.deleteTimeout(id);
      this.trigger(id);
      this.registry.addInterval(
        id,
        setInterval(() => this.trigger(id), everyMs),
      );
    }, first);
    this.registry.addTimeout(id, starter);
    return Promise.resolve();
  }

  remove(id: string): Promise<void> {
    this.clearTimers(id);
    this.schedules.delete(id);
    return Promise.resolve();
  }

  list(family: ScheduleFamily): Promise<ScheduleState[]> {
    const prefix = SCHEDULE_FAMILIES[family].prefix;
    const states = [...this.schedules.values()]
      .filter((s) => s.id.startsWith(prefix))
      .map((s) => ({
        id: s.id,
        everyMs: s.everyMs,
        offsetMs: s.offsetMs,
        job: { name: s.job.name, data: s.job.data },
      }));
    return Promise.resolve(states.sort((a, b) => a.id.localeCompare(b.id)));
  }

  /** How many runs are in hand now. */
  get activeRuns(): number {
    return this.inFlight.size;
  }

  /** Stops every timer, then waits for the runs in hand to finish. No new run starts after this. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const id of [...this.schedules.keys()]) this.clearTimers(id);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Before the database closes (onApplicationShutdown), so the runs in hand can finish their writes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  private trigger(id: string): void {
    const schedule = this.schedules.get(id);
    if (this.stopping || !schedule || this.running.has(id)) return;
    const { name, data } = schedule.job;
    const limit = this.concurrency[name];
    if (limit !== undefined && (this.runningByName.get(name) ?? 0) >= limit) return;
    const handler = this.handlers.get(name);
    if (!handler) {
      this.logger.error(`no in-process handler for ${name} jobs; schedule ${id} does nothing`);
      return;
    }
    this.running.add(id);
    this.runningByName.set(name, (this.runningByName.get(name) ?? 0) + 1);
    const run: Promise<void> = Promise.resolve()
      .then(() => handler(data as never))
      .then(
        () => undefined,
        (error: unknown) => this.logger.error(`${name} run of schedule ${id} failed: ${String(error)}`),
      )
      .finally(() => {
        this.running.delete(id);
        this.runningByName.set(name, (this.runningByName.get(name) ?? 1) - 1);
        this.inFlight.delete(run);
      });
    this.inFlight.add(run);
  }

  private clearTimers(id: string): void {
    if (this.registry.doesExist('timeout', id)) this.registry.deleteTimeout(id);
    if (this.registry.doesExist('interval', id)) this.registry.deleteInterval(id);
  }
}

function sameTiming(a: RecurringSchedule, b: RecurringSchedule): boolean {
  return a.everyMs === b.everyMs && a.offsetMs === b.offsetMs;
}
