import { createHash } from 'node:crypto';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ClickRecord, ClicksRepository, isDatabaseUnavailable } from '@app/database';
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

/**
 * Records clicks without slowing the redirect: they are buffered and written in batches (every second
 * or every 500 clicks), and the buffer is flushed on shutdown. The visitor is a hash of IP and user agent
 * with a salt that changes every UTC day — the raw IP is never stored.
 */
@Injectable()
export class ClickRecorder implements OnApplicationShutdown {
  private readonly clicksToWrite: BatchWriter<ClickRecord>;
  private secret: Promise<string> | null = null;

  constructor(private readonly clicks: ClicksRepository) {
    // Clicks are the evidence behind partner revenue: a failed write is retried, never dropped.
    this.clicksToWrite = new BatchWriter({
      name: 'clicks',
      write: (batch) => clicks.recordBatch(batch),
      everyMs: FLUSH_EVERY_MS,
      atCount: FLUSH_AT,
      maxBuffered: MAX_BUFFERED,
      onFailure: 'retry',
      // A click of an exchanger deleted meanwhile breaks the foreign key: only that click is dropped.
      isTransient: isDatabaseUnavailable,
    });
  }

  async record(click: Omit<ClickRecord, 'visitorHash' | 'isBot'> & { ip: string; userAgent: string }): Promise<void> {
    const visitorHash = await this.visitorHash(click.ip, click.userAgent, click.at);
    const { ip: _ip, userAgent, ...rest } = click;
    this.clicksToWrite.add({ ...rest, visitorHash, isBot: isBotUserAgent(userAgent) });
  }

  /** Writes what is buffered; resolves when it is in the database. */
  flush(): Promise<void> {
    return this.clicksToWrite.flush();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  private async visitorHash(ip: string, userAgent: string, at: Date): Promise<string> {
    this.secret ??= this.clicks.visitorSecret().catch((error: unknown) => {
      this.secret = null;
      throw error;
    });
    const daySalt = createHash('sha256')
      .update(`${await this.secret}|${at.toISOString().slice(0, 10)}`)
      .digest('hex');
    return createHash('sha256').update(`${daySalt}|${ip}|${userAgent}`).digest('hex');
  }
}
