/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, item, PagesFixture, PHONE, rates, shot } from '../support/browser';
import { http } from '../support/http';

/** The monitoring page (`/`) in a real browser (Chromium through playwright-core) against standalone mode. */
describe('the monitoring page in Chromium', () => {
  const fx = new PagesFixture();

  beforeAll(async () => {
    await fx.start();
    await fx.addExchanger(
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
      ),
    );
    await fx.addExchanger(
      'bitok',
      'Bitok',
      rates(item('BTC', 'SBERRUB', '6850000', '<amount>20000000</amount><param>verifying</param>')),
    );
    await fx.addExchanger('cheap', 'Cheap Change', rates(item('BTC', 'SBERRUB', '6700000', '<amount>300000</amount>')));
    await fx.addExchanger(
      'cashbox',
      'Cash Box',
      rates(item('USDTTRC20', 'CASHUSD', '0.99', '<amount>100000</amount><city>MSK, SPB</city>')),
    );
    // Six hours of best-rate history for the direction the first test opens, so its chart has a past.
    await fx.pg.query(
      `INSERT INTO best_rate_history (from_code, to_code, minute, rate)
       SELECT 'BTC', 'SBERRUB', date_trunc('minute', now()) - make_interval(mins => m), round(6880000 + 20000 * sin(m / 40.0)) FROM generate_series(2, 360, 3) m`,
    );
  });

  afterAll(() => fx.stop());

  it('chooses a direction, ranks the rows best first, computes an amount, and clicks through to the referral URL', async () => {
    const page = await fx.browser.newPage(DESKTOP);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${fx.api.url}/`);
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
      `${fx.api.url}/v1/rates?from=BTC&to=SBERRUB&amount=0.5`,
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
    expect(landing.redirectedFrom()?.url()).toBe(`${fx.api.url}/go/aura?from=BTC&to=SBERRUB`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('refreshes the table in place when a rate changes, without hiding it', async () => {
    const page = await fx.browser.newPage(DESKTOP);
    await page.goto(`${fx.api.url}/?from=BTC&to=SBERRUB`);
    await page.waitForSelector('#rates tbody tr');
    await page.evaluate(() => {
      const table = document.getElementById('rates') as HTMLTableElement;
      new MutationObserver(() => {
        if (table.hidden || table.tBodies[0]!.rows.length === 0)
          (window as unknown as { flickered: boolean }).flickered = true;
      }).observe(table, { attributes: true, childList: true, subtree: true });
    });
    fx.feeds.serve('/cheap.xml', { body: rates(item('BTC', 'SBERRUB', '7000000', '<amount>300000</amount>')) });
    await fx.poll('cheap');
    await page.waitForFunction(
      () => document.querySelector('#rates tbody tr td:first-child')?.textContent === 'Cheap Change',
      undefined,
      { timeout: 12_000 },
    );
    expect(await page.evaluate(() => (window as unknown as { flickered?: boolean }).flickered ?? false)).toBe(false);
    await page.close();
  });

  it('draws the best rate of the last hours from the history the api keeps', async () => {
    await fx.pg.query(
      `INSERT INTO best_rate_history (from_code, to_code, minute, rate)
       SELECT 'BTC', 'ETH', date_trunc('minute', now()) - make_interval(mins => m), round(20 + m / 100.0, 2) FROM generate_series(1, 240, 30) m`,
    );
    const page = await fx.browser.newPage(DESKTOP);
    await page.goto(`${fx.api.url}/?from=BTC&to=ETH`);
    // The history and the live table arrive in either order; the chart ends with the live best rate.
    await page.waitForFunction(() => document.getElementById('chart-range')?.textContent?.includes('to 20.5,'));
    const points = await page.locator('#chart-svg polyline').getAttribute('points');
    expect(points?.split(' ').length).toBeGreaterThanOrEqual(8);
    expect(await page.locator('#chart-range').textContent()).toMatch(/^from 22.11 to 20.5, 9 points since /);
    await page.close();
  });

  it('filters a cash direction by city', async () => {
    const page = await fx.browser.newPage(DESKTOP);
    await page.goto(`${fx.api.url}/?from=USDTTRC20&to=CASHUSD`);
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
    const page = await fx.browser.newPage(PHONE);
    await page.goto(`${fx.api.url}/?from=BTC&to=SBERRUB`);
    await page.waitForSelector('#rates tbody tr');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await page.locator('#rates thead').isVisible()).toBe(false);
    await shot(page, 'monitoring-page-phone.png');
    await page.close();
  });
});
