/// <reference lib="dom" />
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { Browser, chromium, Page } from 'playwright-core';
import { loadConfig } from '@app/config';
import { FeedPollService } from '@app/ingestion';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { FeedServer } from './feed-server';
import { createTestDatabase, TestDatabase } from './services';

/** Debian's chromium (CI installs it with apt); CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Set to a folder (npm run docs:screenshots sets docs/) to save screenshots of the pages. */
const SCREENSHOTS = process.env.SCREENSHOTS_DIR;
export const ADMIN_KEY = 'browser-test-admin-key-0123456789abcdef';
export const DESKTOP = { viewport: { width: 1200, height: 820 } };
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

export const item = (from: string, to: string, out: string, extra = '') =>
  `<item><from>${from}</from><to>${to}</to><in>1</in><out>${out}</out>${extra}</item>`;
export const rates = (...items: string[]) => `<rates>${items.join('')}</rates>`;

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (CI does), or set CHROMIUM_PATH`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
}

/** Saves a screenshot (of the whole page, or of what the window shows) when SCREENSHOTS_DIR is set (the README's pictures). */
export async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage });
}

/**
 * Standalone ratewatch on a scratch database, a feed server for its exchangers and a browser: what the page
 * tests drive. Exchangers are added with their feed body and polled at once.
 */
export class PagesFixture {
  db!: TestDatabase;
  api!: RunningApi;
  pg!: Client;
  browser!: Browser;
  readonly feeds = new FeedServer();
  readonly feedIds = new Map<string, number>();

  async start(): Promise<this> {
    this.db = await createTestDatabase();
    await this.feeds.start();
    this.api = await startApi(
      loadConfig({
        HISTORY_RECORDING: 'true',
        DATABASE_URL: this.db.url,
        ADMIN_API_KEY: ADMIN_KEY,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        FETCH_ALLOW_PRIVATE: 'true',
        PUBLIC_CACHE_SECONDS: '1',
        PUBLIC_RATE_LIMIT: '0',
      }),
    );
    this.pg = new Client({ connectionString: this.db.url });
    await this.pg.connect();
    this.browser = await launchChromium();
    return this;
  }

  poll(slug: string) {
    return this.api.app.get(FeedPollService).poll(this.feedIds.get(slug)!, 'manual');
  }

  /** Registers an exchanger whose feed serves `body` (as `contentType`) and polls it once. */
  async addExchanger(slug: string, name: string, body: string, contentType?: string): Promise<void> {
    this.feeds.serve(`/${slug}.xml`, { body, ...(contentType ? { contentType } : {}) });
    const { rows } = await this.pg.query<{ id: number }>(
      `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1::text, $2, 'https://' || $1::text || '.example', 'https://' || $1::text || '.example/?rid=7') RETURNING id)
       INSERT INTO feeds (exchanger_id, url, interval_s, stale_after_s) SELECT id, $3, 3600, 7200 FROM e RETURNING id`,
      [slug, name, this.feeds.url(`/${slug}.xml`)],
    );
    this.feedIds.set(slug, rows[0]!.id);
    await this.poll(slug);
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await this.api?.close();
    await this.pg?.end();
    await this.feeds.stop();
    await this.db?.drop();
  }
}
