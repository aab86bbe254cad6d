import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Queue } from 'bullmq';
import { PartnersRepository } from '@app/database';
import { JOBS, PartnerSyncJob, QUEUES } from '@app/queue';
import { PartnerSyncService } from './partner-sync.service';

export const partnerSchedulerId = (exchangerId: number) => `partner:${exchangerId}`;

/** One recurring sync per enabled partner account; `sync` follows one account after an admin change. */
export abstract class PartnerScheduler {
  constructor(protected readonly partners: PartnersRepository) {}

  protected abstract upsert(exchangerId: number, intervalSeconds: number): Promise<void>;
  protected abstract remove(exchangerId: number): Promise<void>;
  abstract scheduledExchangerIds(): Promise<number[]>;

  async sync(exchangerId: number): Promise<'scheduled' | 'unscheduled'> {
    const account = (await this.partners.listSchedulable()).find((a) => a.exchangerId === exchangerId);
    if (account) {
      await this.upsert(account.exchangerId, account.syncIntervalSeconds);
      return 'scheduled';
    }
    await this.remove(exchangerId);
    return 'unscheduled';
  }

  async reconcile(): Promise<void> {
    const wanted = await this.partners.listSchedulable();
    for (const account of wanted) await this.upsert(account.exchangerId, account.syncIntervalSeconds);
    const keep = new Set(wanted.map((a) => a.exchangerId));
    for (const id of await this.scheduledExchangerIds()) if (!keep.has(id)) await this.remove(id);
  }
}

/** Fleet mode: BullMQ job schedulers `partner:<exchangerId>` on the partner-sync queue. */
@Injectable()
export class BullPartnerScheduler extends PartnerScheduler {
  constructor(
    @InjectQueue(QUEUES.partnerSync) private readonly queue: Queue<PartnerSyncJob>,
    partners: PartnersRepository,
  ) {
    super(partners);
  }

  protected async upsert(exchangerId: number, intervalSeconds: number): Promise<void> {
    await this.queue.upsertJobScheduler(partnerSchedulerId(exchangerId), { every: intervalSeconds * 1000 }, { name: JOBS.syncPartner, data: { exchangerId }, opts: { attempts: 1, removeOnComplete: { count: 200 }, removeOnFail: { count: 500 } } });
  }

  protected async remove(exchangerId: number): Promise<void> {
    await this.queue.removeJobScheduler(partnerSchedulerId(exchangerId));
  }

  async scheduledExchangerIds(): Promise<number[]> {
    return (await this.queue.getJobSchedulers(0, -1)).flatMap((s) => {
      const match = /^partner:(\d+)$/.exec(s.key);
      return match ? [Number(match[1])] : [];
    });
  }
}

/** Standalone mode: in-process intervals calling the same PartnerSyncService. */
@Injectable()
export class StandalonePartnerScheduler extends PartnerScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly intervals = new Map<number, number>();
  private readonly running = new Set<number>();

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly syncer: PartnerSyncService,
    partners: PartnersRepository,
  ) {
    super(partners);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reconcile();
  }

  onApplicationShutdown(): void {
    for (const id of [...this.intervals.keys()]) this.clear(id);
  }

  protected upsert(exchangerId: number, intervalSeconds: number): Promise<void> {
    if (this.intervals.get(exchangerId) === intervalSeconds) return Promise.resolve();
    this.clear(exchangerId);
    this.intervals.set(exchangerId, intervalSeconds);
    this.registry.addInterval(partnerSchedulerId(exchangerId), setInterval(() => {
      if (this.running.has(exchangerId)) return;
      this.running.add(exchangerId);
      void this.syncer.sync(exchangerId).finally(() => this.running.delete(exchangerId));
    }, intervalSeconds * 1000));
    return Promise.resolve();
  }

  protected remove(exchangerId: number): Promise<void> {
    this.clear(exchangerId);
    return Promise.resolve();
  }

  scheduledExchangerIds(): Promise<number[]> {
    return Promise.resolve([...this.intervals.keys()].sort((a, b) => a - b));
  }

  private clear(exchangerId: number): void {
    const name = partnerSchedulerId(exchangerId);
    if (this.registry.getIntervals().includes(name)) this.registry.deleteInterval(name);
    this.intervals.delete(exchangerId);
  }
}
