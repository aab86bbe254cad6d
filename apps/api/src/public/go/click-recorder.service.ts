import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Registry } from 'prom-client';
import { ClickRecord, ClicksRepository, isDatabaseUnavailable } from '@app/database';
import { dailyVisitorHash, utcDay } from '@app/domain';
import { batchItemsDroppedCounter, METRICS_REGISTRY } from '@app/observability';
import { BatchWriter } from '../../common/batch-writer';

const FLUSH_EVERY_MS = 1000;
const FLUSH_AT = 500;
const MAX_BUFFERED = 50_000;
const BOT =
  /bot|crawl|spider|slurp|curl|wget|python|httpclient|http-client|okhttp|go-http|java\/|libwww|headless|phantom|preview|monitor|scanner|fetch|axios|node-fetch|^$/i;

/** True for user agents that are obviously not a person (recorded, but never unique). */
export function isBotUserAgent(userAgent: string): boolean {
  return BOT.test(userAgent.trim());
}

/** A click as the redirect sees it; the IP and user agent stay in memory only until the visitor hash is made. */
export type Click = Omit<ClickRecord, 'visitorHash' | 'isBot'> & { ip: string; userAgent: string };
type BufferedClick = Click & { isBot: boolean };

/**
 * Records clicks without slowing the redirect: a click is in the buffer before the redirect is answered,
 * and written in batches (every second or every 500 clicks); on shutdown — after the HTTP server has
 * answered its last request, before the database pool closes — the buffer is written out. The visitor is
 * a hash of IP and user agent with a salt that changes every UTC day, made when the batch is written (so
 * a click never waits for the salt): the raw IP is never stored. A click the database refuses for good
 * is dropped alone, counted in `ratewatch_batch_items_dropped_total{writer="clicks"}` and logged.
 */
@Injectable()
export class ClickRecorder implements OnApplicationShutdown {
  private readonly clicksToWrite: BatchWriter<BufferedClick>;
  private secret: Promise<string> | null = null;

  constructor(
    private readonly clicks: ClicksRepository,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    // Clicks are the evidence behind partner revenue: a failed write is retried, never dropped.
    this.clicksToWrite = new BatchWriter({
      name: 'clicks',
      write: async (batch) => clicks.recordBatch(await Promise.all(batch.map((click) => this.toRecord(click)))),
      everyMs: FLUSH_EVERY_MS,
      atCount: FLUSH_AT,
      maxBuffered: MAX_BUFFERED,
      onFailure: 'retry',
      // A click of an exchanger deleted meanwhile breaks the foreign key: only that click is dropped.
      isTransient: isDatabaseUnavailable,
      dropped: batchItemsDroppedCounter(registry),
      describe: ({ exchangerId, from, to, city, at }) => ({ exchangerId, from, to, city, at: at.toISOString() }),
    });
  }

  /** Buffers the click at once, before it returns (the promise is the callers' contract, settled already). */
  record(click: Click): Promise<void> {
    this.clicksToWrite.add({ ...click, isBot: isBotUserAgent(click.userAgent) });
    return Promise.resolve();
  }

  /** Writes what is buffered; resolves when it is in the database (or put back for a retry). */
  flush(): Promise<void> {
    return this.clicksToWrite.flush();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.clicksToWrite.close();
  }

  private async toRecord({ ip, userAgent, ...click }: BufferedClick): Promise<ClickRecord> {
    return { ...click, visitorHash: await this.visitorHash(ip, userAgent, click.at) };
  }

  private async visitorHash(ip: string, userAgent: string, at: Date): Promise<string> {
    this.secret ??= this.clicks.visitorSecret().catch((error: unknown) => {
      this.secret = null;
      throw error;
    });
    // The one formula reviews match visits with (a review is `visited` when its hashes meet the clicks').
    return dailyVisitorHash(await this.secret, utcDay(at), ip, userAgent);
  }
}
