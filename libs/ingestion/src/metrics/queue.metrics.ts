import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { Gauge, Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@app/observability';
import { FeedPollQueues, QUEUES } from '@app/queue';

/** Queue depth by state and the age of the oldest waiting job, per queue (worker `/metrics`). */
@Injectable()
export class QueueMetrics {
  constructor(
    @Inject(METRICS_REGISTRY) registry: Registry,
    feedPolls: FeedPollQueues,
    @InjectQueue(QUEUES.alertDelivery) alertDelivery: Queue,
  ) {
    const queues = [...feedPolls.all(), alertDelivery];
    new Gauge({
      name: 'ratewatch_queue_jobs',
      help: "Jobs in the feed-poll (and its shards') and alert-delivery queues by state",
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        for (const queue of queues) {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
          for (const [state, count] of Object.entries(counts)) this.set({ queue: queue.name, state }, count);
        }
      },
    });
    new Gauge({
      name: 'ratewatch_queue_oldest_waiting_seconds',
      help: 'Age of the oldest job waiting in each queue (0 when none waits)',
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        for (const queue of queues) {
          const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
          this.set({ queue: queue.name }, oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0);
        }
      },
    });
  }
}
