import { createHash } from 'node:crypto';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ClickRecord, ClicksRepository } from '@app/database';

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
  private readonly logger = new Logger(ClickRecorder.name);
  private buffer: ClickRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private secret: Promise<string> | null = null;

  constructor(private readonly clicks: ClicksRepository) {}

  async record(click: Omit<ClickRecord, 'visitorHash' | 'isBot'> & { ip: string; userAgent: string }): Promise<void> {
    const visitorHash = await this.visitorHash(click.ip, click.userAgent, click.at);
    if (this.buffer.length >= MAX_BUFFERED) return; // the database is unreachable for long: drop rather than exhaust memory
    const { ip: _ip, userAgent, ...rest } = click;
    this.buffer.push({ ...rest, visitorHash, isBot: isBotUserAgent(userAgent) });
    if (this.buffer.length >= FLUSH_AT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS);
  }

  /** Writes what is buffered; resolves when it is in the database. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.clicks.recordBatch(batch);
      } catch (error) {
        this.logger.error(`could not record ${batch.length} clicks, will retry: ${String(error)}`);
        this.buffer = [...batch, ...this.buffer].slice(0, MAX_BUFFERED);
        this.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS * 5);
      }
    });
    return this.flushing;
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
