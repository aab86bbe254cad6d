/// <reference lib="dom" />
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { Browser, chromium, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HousekeepingService } from '@app/background';
import { loadConfig } from '@app/config';
import { FeedPollService } from '@app/ingestion';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { Demo, runDemo } from '../../tools/demo/demo';
import { FeedServer } from '../support/feed-server';
import { http } from '../support/http';
import { waitFor } from '../support/processes';
import { createDataDir, createTestDatabase, TestDatabase } from '../support/services';

/** Debian's chromium (CI installs it with apt); CHROMIUM_PATH overrides. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Set to a folder (npm run docs:screenshots sets docs/) to save screenshots of both pages. */
const SCREENSHOTS = process.env.SCREENSHOTS_DIR;
const ADMIN_KEY = 'browser-test-admin-key-0123456789abcdef';

const item = (from: string, to: string, out: string, extra = '') =>
  `<item><from>${from}</from><to>${to}</to><in>1</in><out>${out}</out>${extra}</item>`;
const rates = (...items: string[]) => `<rates>${items.join('')}</rates>`;
const launchChromium = () =>
  chromium.launch({
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

/** The reference pages in a real browser (Chromium through playwright-core) against standalone mode. */
describe('the reference pages in Chromium', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let pg: Client;
  let browser: Browser;
  const feeds = new FeedServer();
  const feedIds = new Map<string, number>();

  const poll = (slug: string) => api.app.get(FeedPollService).poll(feedIds.get(slug)!, 'manual');
  const shot = async (page: Page, name: string) => {
    if (!SCREENSHOTS) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });
  };

  async function addExchanger(slug: string, name: string, body: string): Promise<void> {
    feeds.serve(`/${slug}.xml`, { body });
    const { rows } = await pg.query<{ id: number }>(
      `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1::text, $2, 'https://' || $1::text || '.example', 'https://' || $1::text || '.example/?rid=7') RETURNING id)
       INSERT INTO feeds (exchanger_id, url, interval_s, stale_after_s) SELECT id, $3, 3600, 7200 FROM e RETURNING id`,
      [slug, name, feeds.url(`/${slug}.xml`)],
    );
    feedIds.set(slug, rows[0]!.id);
    await poll(slug);
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (CI does), or set CHROMIUM_PATH`);
    db = await createTestDatabase();
    await feeds.start();
    api = await startApi(
      loadConfig({
        DATABASE_URL: db.url,
        ADMIN_API_KEY: ADMIN_KEY,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        FETCH_ALLOW_PRIVATE: 'true',
        PUBLIC_CACHE_SECONDS: '1',
        PUBLIC_RATE_LIMIT: '0',
      }),
    );
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    await addExchanger(
      'aura',
      'Aura Exchange',
      rates(
        item(
          'BTC',
          'SBERRUB',
          '6900000',
          '<amount>9000000</amount><minamount>0.01 BTC</minamount><maxamount>3 BTC</maxamount><param>manual</param>',
        ),
        item('BTC', 'ETH', '20.5', '<amount>50</amount>'),
        item('ZZZCOIN', 'BTC', '1'),
      ),
    );
    await addExchanger(
      'bitok',
      'Bitok',
      rates(item('BTC', 'SBERRUB', '6850000', '<amount>20000000</amount><param>verifying</param>')),
    );
    await addExchanger('cheap', 'Cheap Change', rates(item('BTC', 'SBERRUB', '6700000', '<amount>300000</amount>')));
    await addExchanger(
      'cashbox',
      'Cash Box',
      rates(item('USDTTRC20', 'CASHUSD', '0.99', '<amount>100000</amount><city>MSK, SPB</city>')),
    );
    feeds.serve('/broken.xml', {
      body: '<!DOCTYPE html><html><body>Checking your browser</body></html>',
      contentType: 'text/html',
    });
    const { rows } = await pg.query<{ id: number }>(
      `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('broken', 'Broken', 'https://broken.example', 'https://broken.example/') RETURNING id)
       INSERT INTO feeds (exchanger_id, url, interval_s) SELECT id, $1, 3600 FROM e RETURNING id`,
      [feeds.url('/broken.xml')],
    );
    feedIds.set('broken', rows[0]!.id);
    await poll('broken');
    // Six hours of best-rate history for the direction the first test opens, so its chart has a past.
    await pg.query(
      `INSERT INTO best_rate_history (from_code, to_code, minute, rate)
       SELECT 'BTC', 'SBERRUB', date_trunc('minute', now()) - make_interval(mins => m), round(6880000 + 20000 * sin(m / 40.0)) FROM generate_series(2, 360, 3) m`,
    );
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await pg?.end();
    await feeds.stop();
    await db?.drop();
  });

  it('chooses a direction, ranks the rows best first, computes an amount, and clicks through to the referral URL', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${api.url}/`);
    await page.fill('#from-filter', 'bitcoin');
    await page.selectOption('#from', 'BTC');
    await page.fill('#to-filter', 'sber');
    await page.selectOption('#to', 'SBERRUB');
    await page.waitForSelector('#rates tbody tr');
    expect(await page.locator('#rates tbody tr td:first-child').allTextContents()).toEqual([
      'Aura Exchange',
      'Bitok',
      'Cheap Change',
    ]);
    expect(await page.locator('#rates tbody tr').first().textContent()).toContain('6900000 SBERRUB');
    expect(await page.locator('#rates tbody tr').first().locator('.badge').allTextContents()).toEqual(['manual']);
    expect(page.url()).toContain('from=BTC&to=SBERRUB');

    await page.fill('#amount', '0.5');
    await page.locator('#amount').dispatchEvent('change');
    const expected = await http<{ items: Array<{ exchanger: { name: string }; get: string }> }>(
      `${api.url}/v1/rates?from=BTC&to=SBERRUB&amount=0.5`,
    );
    await page.waitForFunction(
      (get) => document.querySelector('#rates tbody tr td:nth-child(3)')?.textContent === `${get} SBERRUB`,
      expected.body.items[0]!.get,
    );
    expect(await page.locator('#rates tbody tr td:nth-child(3)').allTextContents()).toEqual(
      expected.body.items.map((i) => `${i.get} SBERRUB`),
    );
    await page.fill('#amount', '');
    await page.locator('#amount').dispatchEvent('change');
    await page.waitForFunction(() => document.querySelectorAll('#rates tbody tr').length === 3);
    await shot(page, 'monitoring-page.png');

    // The exchanger's site is not on this machine: the browser's request for it is where we land.
    const [landing] = await Promise.all([
      page.waitForRequest((r) => r.url().startsWith('https://aura.example/')),
      page.locator('#rates tbody tr a.go').first().click(),
    ]);
    expect(landing.url()).toBe('https://aura.example/?rid=7&cur_from=BTC&cur_to=SBERRUB');
    expect(landing.redirectedFrom()?.url()).toBe(`${api.url}/go/aura?from=BTC&to=SBERRUB`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('refreshes the table in place when a rate changes, without hiding it', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
    await page.goto(`${api.url}/?from=BTC&to=SBERRUB`);
    await page.waitForSelector('#rates tbody tr');
    await page.evaluate(() => {
      const table = document.getElementById('rates') as HTMLTableElement;
      new MutationObserver(() => {
        if (table.hidden || table.tBodies[0]!.rows.length === 0)
          (window as unknown as { flickered: boolean }).flickered = true;
      }).observe(table, { attributes: true, childList: true, subtree: true });
    });
    feeds.serve('/cheap.xml', { body: rates(item('BTC', 'SBERRUB', '7000000', '<amount>300000</amount>')) });
    await poll('cheap');
    await page.waitForFunction(
      () => document.querySelector('#rates tbody tr td:first-child')?.textContent === 'Cheap Change',
      undefined,
      { timeout: 12_000 },
    );
    expect(await page.evaluate(() => (window as unknown as { flickered?: boolean }).flickered ?? false)).toBe(false);
    await page.close();
  });

  it('draws the best rate of the last hours from the history the api keeps', async () => {
    await pg.query(
      `INSERT INTO best_rate_history (from_code, to_code, minute, rate)
       SELECT 'BTC', 'ETH', date_trunc('minute', now()) - make_interval(mins => m), round(20 + m / 100.0, 2) FROM generate_series(1, 240, 30) m`,
    );
    const page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
    await page.goto(`${api.url}/?from=BTC&to=ETH`);
    // The history and the live table arrive in either order; the chart ends with the live best rate.
    await page.waitForFunction(() => document.getElementById('chart-range')?.textContent?.includes('to 20.5,'));
    const points = await page.locator('#chart-svg polyline').getAttribute('points');
    expect(points?.split(' ').length).toBeGreaterThanOrEqual(8);
    expect(await page.locator('#chart-range').textContent()).toMatch(/^from 22.11 to 20.5, 9 points since /);
    await page.close();
  });

  it('filters a cash direction by city', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
    await page.goto(`${api.url}/?from=USDTTRC20&to=CASHUSD`);
    await page.waitForSelector('#rates tbody tr');
    expect((await page.locator('#rates tbody tr .badge').allTextContents()).sort()).toEqual(['MSK', 'SPB']);
    await page.fill('#city', 'spb');
    await page.locator('#city').dispatchEvent('change');
    await page.waitForFunction(() => document.querySelectorAll('#rates tbody tr').length === 1);
    expect(await page.locator('#rates tbody tr .badge').allTextContents()).toEqual(['SPB']);
    expect(page.url()).toContain('city=SPB');
    await page.fill('#city', 'EKB');
    await page.locator('#city').dispatchEvent('change');
    await page.waitForSelector('#status:has-text("No exchanger offers this direction")');
    await page.close();
  });

  it('fits a phone-width screen without sideways scrolling', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await page.goto(`${api.url}/?from=BTC&to=SBERRUB`);
    await page.waitForSelector('#rates tbody tr');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await page.locator('#rates thead').isVisible()).toBe(false);
    await shot(page, 'monitoring-page-phone.png');
    await page.close();
  });

  it('asks for the admin key, shows feed health with the failing feed, its runs with the error, and refreshes a feed', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
    await page.goto(`${api.url}/admin`);
    await page.fill('#key', 'wrong-key-wrong-key');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#login-error:has-text("refused")');
    await page.fill('#key', ADMIN_KEY);
    await page.click('#login button[type=submit]');
    const broken = page.locator(`#feeds tr[data-feed="${feedIds.get('broken')}"]`);
    await broken.waitFor();
    expect(await page.locator('#login').isVisible()).toBe(false);
    expect(await broken.locator('.badge').textContent()).toBe('failing');
    expect(await broken.textContent()).toContain('html_page');
    expect(await page.locator(`#feeds tr[data-feed="${feedIds.get('aura')}"] .badge`).textContent()).toBe('fresh');
    expect(await page.evaluate(() => sessionStorage.getItem('ratewatch.adminKey'))).toBe(ADMIN_KEY);

    // A feed's runs name the codes they rejected, so the operator knows which alias to add.
    await page.locator(`#feeds tr[data-feed="${feedIds.get('aura')}"]`).click();
    await page.waitForSelector('#runs tbody tr:has-text("ZZZCOIN")');
    await broken.click();
    await page.waitForSelector('#runs tbody tr:has-text("html_page")');
    expect(await page.locator('#runs tbody tr').first().textContent()).toContain('html_page');
    const before = await page.locator('#runs tbody tr').count();
    await broken.locator('button[data-refresh]').click();
    await page.waitForFunction((n) => document.querySelectorAll('#runs tbody tr').length === n + 1, before);
    await shot(page, 'operator-page.png');
    await page.close();
  });
});

interface QuarantineBody {
  items: Array<{ exchanger: string; from: string; to: string; rate: string; reason: string; deviationPercent: string }>;
  flagged: Array<{ exchanger: string }>;
}

/**
 * `npm run demo` in small, as it starts (standalone, simulated exchangers registered through the admin API):
 * its typo exchanger now and then publishes one rate × 1000, and the rate guard holds it back — and only it.
 */
describe('the demo in Chromium', () => {
  const dataDir = createDataDir();
  let demo: Demo;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (CI does), or set CHROMIUM_PATH`);
    demo = await runDemo({ exchangers: 8, port: 0, dataDir, maxItems: 400 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("catches the typo exchanger's typo'd rate, shows it held back on /admin, and holds back no honest exchanger", async () => {
    const slug = demo.simulator.typoExchanger!;
    expect(slug).toBe('sim-6');
    const quarantine = async () =>
      (
        await http<QuarantineBody>(`${demo.api.url}/v1/admin/quarantine`, {
          headers: { authorization: `Bearer ${demo.adminKey}` },
        })
      ).body;
    // The references refresh every 20 s in-process; refreshing them here as well spares the test the wait.
    const housekeeping = demo.api.app.get(HousekeepingService);
    const caught = await waitFor(
      "the typo exchanger's offer held back",
      async () => {
        await housekeeping.refreshReferences();
        const body = await quarantine();
        return body.items.some((i) => i.exchanger === slug) && body;
      },
      100_000,
      500,
    );
    // Held: the typo (× 1000, so ~99,900 % better than the market), and nothing of anyone else.
    expect(caught.items.map((i) => i.exchanger)).toEqual(caught.items.map(() => slug));
    for (const held of caught.items) {
      expect(held.reason).toBe('too_good');
      expect(Number(held.deviationPercent)).toBeGreaterThan(90_000);
    }
    expect(caught.flagged).toEqual([]);
    // Never shown to visitors: the direction's table has no row of the typo exchanger at the typo'd rate.
    const typo = caught.items[0]!;
    const table = await http<{ items: Array<{ exchanger: { slug: string }; rate: string }> }>(
      `${demo.api.url}/v1/rates?from=${typo.from}&to=${typo.to}&limit=100`,
    );
    expect(table.body.items.length).toBeGreaterThanOrEqual(3);
    expect(table.body.items.filter((r) => r.exchanger.slug === slug && r.rate === typo.rate)).toEqual([]);

    const page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
    await page.goto(`${demo.api.url}/admin`);
    await page.fill('#key', demo.adminKey);
    await page.click('#login button[type=submit]');
    // The page reloads the held offers every 5 s; a typo stays held until the next poll of its feed.
    const shown = await page.waitForFunction(
      (typoSlug) => {
        const rows = Array.from(document.querySelectorAll<HTMLElement>('#quarantine tbody tr[data-exchanger]'));
        const exchangers = rows.map((r) => r.dataset.exchanger);
        return exchangers.includes(typoSlug) && !document.getElementById('quarantine')!.hidden
          ? {
              exchangers,
              flagged: Array.from(document.querySelectorAll<HTMLElement>('#flagged li')).map(
                (li) => li.dataset.exchanger,
              ),
              text: rows.find((r) => r.dataset.exchanger === typoSlug)!.textContent,
            }
          : null;
      },
      slug,
      { timeout: 90_000, polling: 250 },
    );
    const { exchangers, flagged, text } = (await shown.jsonValue())!;
    expect(exchangers).toEqual(exchangers.map(() => slug));
    expect(flagged).toEqual([]);
    expect(text).toContain('too good');
    await page.close();
  }, 200_000);
});
