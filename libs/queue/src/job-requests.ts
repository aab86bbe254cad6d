import { Job, JobsOptions, Queue, QueueEvents } from 'bullmq';
import type { AppConfig } from '@app/config';
import { UnavailableError } from '@app/domain';
import { withinDeadline } from '@app/messaging';
import { bullConnection } from './queue.module';

/** How long adding a job may take before the answer is 503 (Redis away). */
export const JOB_ADD_WAIT_MS = 3000;
/** How long an answer waits for a worker to finish a job it asked for (the job itself goes on). */
export const JOB_FINISH_WAIT_MS = 120_000;

/**
 * Jobs a process that only enqueues (the api) asks workers to run now, and waits for when it must
 * answer with their outcome: a feed refresh, a partner sync. One implementation of "add within
 * JOB_ADD_WAIT_MS or UnavailableError, then wait for the worker".
 */
export class JobRequests<Data, Result> {
  private events: QueueEvents | null = null;

  constructor(
    private readonly queue: Queue<Data, Result>,
    private readonly config: AppConfig,
  ) {}

  /** Adds the job; `whenUnavailable` is the 503's message when Redis does not take it in time. */
  async add(name: string, data: Data, options: JobsOptions, whenUnavailable: string): Promise<Job<Data, Result>> {
    // BullMQ types the name by the queue's own name type; ours are the JOBS constants.
    const added = await withinDeadline(this.queue.add(name as never, data as never, options), JOB_ADD_WAIT_MS);
    if (!added.done) throw new UnavailableError(whenUnavailable);
    return added.value as Job<Data, Result>;
  }

  /** The job's result once a worker has finished it (rejects with its failure). */
  finished(job: Job<Data, Result>): Promise<Result> {
    this.events ??= new QueueEvents(this.queue.name, {
      connection: bullConnection(this.config.redis.url!, 'ratewatch-api-events'),
      prefix: this.config.redis.prefix,
    });
    return job.waitUntilFinished(this.events, JOB_FINISH_WAIT_MS);
  }

  async close(): Promise<void> {
    await this.events?.close();
  }
}
