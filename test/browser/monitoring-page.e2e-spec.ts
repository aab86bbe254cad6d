/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { HistoryRepository } from '@app/database';
import { DESKTOP, item, PagesFixture, PHONE, rates, shot } from '../support/browser';
import { http } from '../support/http';
import { waitFor } from '../support/processes';

const EVIL_NAME = '<img src=x onerror="window.pwned=1">Evil & Co';
/** Russian groups thousands with a no-break space. */
const NBSP = '\u00a0';
const SIZES = [
  ['desktop', DESKTOP],
  ['phone', PHONE],
] as const;

/** The page's own functions (rates.js is a classic script: its functions are globals of the page). */
interface PageFunctions {
  formatDecimal(value: string, places: number, minPlaces?: number): string;
  rateNumber(value: string, code: string): string;
  compareDecimal(a: string, b: string): number;
  plural(n: number, forms: string[], lang: string): string;
}

/** The texts of the table's column `n` (1-based), top to bottom. */
const column = (page: Page, n: number) => page.locator(`#rates tbody tr td:nth-child(${n})`).allTextContents();
/** The exchangers' names, top to bottom (the cell also holds their review counts). */
const exchangers = (page: Page) => page.locator('#rates tbody tr td:nth-child(1) a.go').allTextContents();

/** The y coordinates of the chart's line, as a share of the plot's height (0 = top, 1 = bottom). */
function lineSpan(page: Page): Promise<{ top: number; bottom: number }> {
  return page.evaluate(() => {
    const svg = document.getElementById('chart-svg')!;
    const [top, height] = [Number(svg.dataset.plotTop), Number(svg.dataset.plotHeight)];
    const ys = svg
      .querySelector('polyline')!
      .getAttribute('points')!
      .split(' ')
      .map((p) => (Number(p.split(',')[1]) - top) / height);
    return { top: Math.min(...ys), bottom: Math.max(...ys) };
  });
}

/** Every segment of the chart's first line is horizontal or vertical: a step line (a rate holds until the next). */
function isStepLine(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const corners = document
      .querySelector('#chart-svg polyline')!
      .getAttribute('points')!
      .split(' ')
      .map((p) => p.split(',').map(Number));
    return corners.slice(1).every(([x, y], i) => x === corners[i]![0] || y === corners[i]![1]);
  });
}

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
      rates(
        item(
          'BTC',
          'SBERRUB',
          '6850000',
          '<amount>20000000</amount><fromfee>0.0005 BTC</fromfee><tofee>1 %</tofee><param>verifying</param>',
        ),
      ),
    );
    await fx.addExchanger('cheap', 'Cheap Change', rates(item('BTC', 'SBERRUB', '6700000', '<amount>300000</amount>')));
    await fx.addExchanger(
      'cashbox',
      'Cash Box',
      rates(item('USDTTRC20', 'CASHUSD', '0.99', '<amount>100000</amount><city>MSK, SPB</city>')),
    );
    // A name that is markup: shown as text, never run.
    await fx.addExchanger('evil', EVIL_NAME, rates(item('ETH', 'BTC', '0.05', '<amount>10</amount>')));
    await fx.addExchanger('steady', 'Steady', rates(item('USDTTRC20', 'SBERRUB', '99', '<amount>1000000</amount>')));
    // Six hours of history for the direction the first test opens, so its chart has a past.
    await seedHistory(
      'BTC',
      'SBERRUB',
      Array.from({ length: 120 }, (_, i) => [
        360 - i * 3,
        String(Math.round(6880000 + 20000 * Math.sin((360 - i * 3) / 40))),
      ]),
    );
    // A 1 % step: two hours at 100, then 99 (the live rate).
    await seedHistory('USDTTRC20', 'SBERRUB', [
      [120, '100'],
      [60, '99'],
    ]);
    // BTC → ETH over a year: 23 long ago, then down to 20.01, and the live 20.5 (the poll's own change point).
    await seedHistory('BTC', 'ETH', [
      [300 * DAY_MINUTES, '23'],
      [20 * DAY_MINUTES, '21.8'],
      [3 * DAY_MINUTES, '21.2'],
      [300, '22.4'],
      [180, '20.01'],
    ]);
  });

  const DAY_MINUTES = 24 * 60;
  /**
   * Seeds a direction's history as the workers record it: change points `[minutes ago, rate]` before the
   * poll's own, each with the rate before it, then a roll-up from scratch into minute, hour and day buckets
   * (the in-process housekeeping may be rolling up too: waited for).
   */
  async function seedHistory(from: string, to: string, points: Array<[number, string]>): Promise<void> {
    await fx.pg.query(
      `INSERT INTO history_directions (from_code, to_code, changed_at) VALUES ($1, $2, now())
       ON CONFLICT ON CONSTRAINT history_directions_key DO NOTHING`,
      [from, to],
    );
    await fx.pg.query(
      `INSERT INTO history_changes (direction_id, at, rate, offers)
       SELECT d.id, now() - make_interval(mins => p.m), p.rate, 1 FROM history_directions d, unnest($3::int[], $4::numeric[]) AS p(m, rate)
       WHERE d.from_code = $1 AND d.to_code = $2 AND d.city = ''`,
      [from, to, points.map((p) => p[0]), points.map((p) => p[1])],
    );
    await fx.pg.query(
      `UPDATE history_changes c SET previous = v.previous FROM (
         SELECT c2.direction_id, c2.at, lag(c2.rate) OVER (ORDER BY c2.at) AS previous
         FROM history_changes c2 JOIN history_directions d ON d.id = c2.direction_id WHERE d.from_code = $1 AND d.to_code = $2 AND d.city = ''
       ) v WHERE c.direction_id = v.direction_id AND c.at = v.at`,
      [from, to],
    );
    await fx.pg.query(`UPDATE history_rollup SET folded_until = NULL`);
    const history = fx.api.app.get(HistoryRepository);
    const retention = loadConfig({}).history.retention;
    await waitFor('a roll-up of the seeded history', async () => (await history.rollUp(retention)).ran);
  }

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
    expect(await exchangers(page)).toEqual(['Aura Exchange', 'Bitok', 'Cheap Change']);
    expect(await page.locator('#rates tbody tr').first().textContent()).toContain('6,900,000 RUB');
    expect(await page.locator('#rates tbody tr').first().locator('.badge').allTextContents()).toEqual(['manual']);
    expect(page.url()).toContain('from=BTC&to=SBERRUB');

    await page.fill('#amount', '0.5');
    await page.locator('#amount').dispatchEvent('change');
    const expected = await http<{ items: Array<{ exchanger: { name: string }; get: string }> }>(
      `${fx.api.url}/v1/rates?from=BTC&to=SBERRUB&amount=0.5`,
    );
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.includes('for giving 0.5 BTC'));
    expect(await exchangers(page)).toEqual(expected.body.items.map((i) => i.exchanger.name));
    // Aura has no fees: half of 6 900 000 RUB.
    expect((await column(page, 3))[0]).toBe('3,450,000 RUB');
    expect((await column(page, 2))[0]).toBe('0.5 BTC');
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

  it('draws hours and days from the history the workers record, as a step line, over the range chosen', async () => {
    const page = await fx.browser.newPage(DESKTOP);
    await page.goto(`${fx.api.url}/?from=BTC&to=ETH`);
    const caption = () => page.locator('#chart-range').textContent();
    const pointsOf = async (resolution: string) =>
      (await http<{ points: unknown[] }>(`${fx.api.url}/v1/rates/history?from=BTC&to=ETH&resolution=${resolution}`))
        .body.points.length;
    // The last 6 hours by the minute, led by the rate at their start; the history and the live table arrive
    // in either order, and the live rate (the last close) adds no point.
    await page.waitForFunction(() => document.getElementById('chart-range')?.textContent?.includes('to 20.5,'));
    expect(await caption()).toMatch(/^from 21.2 to 20.5, 4 points since \d/);
    expect(await page.locator('#chart-caption').textContent()).toBe('Best rate over the last 6 hours:');
    expect(await isStepLine(page)).toBe(true);
    for (const label of await page.locator('#chart-svg .x-label').allTextContents())
      expect(label).toMatch(/^\d\d:\d\d$/);

    // 7 days by the hour: led by the rate a week ago (kept as hours).
    await page.click('button[data-range="hour"]');
    await page.waitForFunction(() => document.getElementById('chart-range')?.textContent?.startsWith('from 21.8 '));
    expect(await caption()).toMatch(new RegExp(`^from 21.8 to 20.5, ${await pointsOf('hour')} points since `));
    expect(await pointsOf('hour')).toBe(5);
    expect(await page.locator('#chart-caption').textContent()).toBe('Best rate over the last 7 days:');
    expect(await page.getAttribute('button[data-range="hour"]', 'aria-pressed')).toBe('true');
    expect(await isStepLine(page)).toBe(true);
    for (const label of await page.locator('#chart-svg .x-label').allTextContents())
      expect(label).toMatch(/^\d\d\/\d\d, \d\d:\d\d$/);

    // A year by the day: from the first change, 300 days ago.
    await page.click('button[data-range="day"]');
    await page.waitForFunction(() => document.getElementById('chart-range')?.textContent?.startsWith('from 23 '));
    const days = await pointsOf('day');
    expect(days).toBeGreaterThanOrEqual(4);
    expect(await caption()).toMatch(new RegExp(`^from 23 to 20.5, ${days} points since `));
    expect(await isStepLine(page)).toBe(true);
    for (const label of await page.locator('#chart-svg .x-label').allTextContents())
      expect(label).toMatch(/^\d\d\/\d\d\/\d\d$/);
    await page.click('button[data-lang="ru"]');
    await page.waitForFunction(() => document.documentElement.lang === 'ru');
    expect(await page.locator('#chart-caption').textContent()).toBe('Лучший курс за последний год:');
    expect(await page.locator('button[data-range="day"]').textContent()).toBe('1 год');

    // Back to 6 hours: the same minutes again.
    await page.click('button[data-range="minute"]');
    await page.waitForFunction(() => document.getElementById('chart-range')?.textContent?.startsWith('от 21,2 '));
    await page.close();
  });

  describe.each(SIZES)('on a %s', (size, viewport) => {
    it('shows amounts in display units with the thousands separators of the language', async () => {
      const page = await fx.browser.newPage(viewport);
      await page.goto(`${fx.api.url}/?from=BTC&to=SBERRUB`);
      await page.waitForSelector('#rates tbody tr');
      const aura = page.locator('#rates tbody tr').first();
      expect(await aura.locator('td').allTextContents()).toEqual([
        'Aura Exchange😀 0😐 0😞 0',
        '1 BTC',
        '6,900,000 RUB',
        '9,000,000 RUB',
        '—',
        '0.01 – 3 BTC',
        'manual',
        expect.stringMatching(/^\d+ (s|min) ago$/),
      ]);
      await page.click('button[data-lang="ru"]');
      await page.waitForFunction(() => document.documentElement.lang === 'ru');
      expect(await aura.locator('td:nth-child(3)').textContent()).toBe(`6${NBSP}900${NBSP}000 RUB`);
      expect(await aura.locator('td:nth-child(4)').textContent()).toBe(`9${NBSP}000${NBSP}000 RUB`);
      expect(await aura.locator('td:nth-child(6)').textContent()).toBe('0,01 – 3 BTC');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        viewport.viewport.width,
      );
      await page.close();
    });

    it('narrows "You receive" to the directions that exist from "You give"', async () => {
      const page = await fx.browser.newPage(viewport);
      await page.goto(`${fx.api.url}/`);
      await page.waitForSelector('#from option[value="BTC"]');
      const targets = async (from: string) => {
        const answer = await http<{ items: Array<{ to: string }> }>(`${fx.api.url}/v1/directions?from=${from}`);
        return answer.body.items.map((d) => d.to).sort();
      };
      const shown = () => page.$$eval('#to option', (options) => options.map((o) => (o as HTMLOptionElement).value));
      await page.selectOption('#from', 'BTC');
      await page.waitForFunction(() => document.querySelectorAll('#to option').length === 2);
      expect((await shown()).sort()).toEqual(await targets('BTC'));
      expect((await shown()).sort()).toEqual(['ETH', 'SBERRUB']);
      await page.selectOption('#to', 'ETH');
      await page.waitForSelector('#rates tbody tr');

      // Another "You give": its own directions, and the old "You receive" (not among them) is let go.
      await page.selectOption('#from', 'USDTTRC20');
      await page.waitForFunction(() => !document.querySelector('#to option[value="ETH"]'));
      expect((await shown()).sort()).toEqual(await targets('USDTTRC20'));
      expect((await shown()).sort()).toEqual(['CASHUSD', 'SBERRUB']);
      await page.waitForFunction(() => document.getElementById('rates')!.hidden);
      expect(await page.locator('#title').textContent()).toBe('Choose what you give and what you receive');
      await page.selectOption('#to', 'SBERRUB');
      await page.waitForFunction(() => document.querySelector('#rates tbody td a')?.textContent === 'Steady');
      await page.close();
    });

    it('picks the city of a cash direction by name, among the cities that direction has', async () => {
      const page = await fx.browser.newPage(viewport);
      await page.goto(`${fx.api.url}/?from=BTC&to=SBERRUB`);
      await page.waitForSelector('#rates tbody tr');
      expect(await page.locator('#city').isVisible()).toBe(false);

      await page.goto(`${fx.api.url}/?from=USDTTRC20&to=CASHUSD`);
      await page.waitForSelector('#rates tbody tr');
      expect(await page.locator('#city').isVisible()).toBe(true);
      expect(await page.locator('#city option').allTextContents()).toEqual([
        'All cities',
        'Moscow',
        'Saint Petersburg',
      ]);
      expect((await page.locator('#rates tbody tr .badge.city').allTextContents()).sort()).toEqual([
        'Moscow',
        'Saint Petersburg',
      ]);
      await page.selectOption('#city', { label: 'Saint Petersburg' });
      await page.waitForFunction(() => document.querySelectorAll('#rates tbody tr').length === 1);
      expect(await page.locator('#rates tbody tr .badge.city').allTextContents()).toEqual(['Saint Petersburg']);
      expect(page.url()).toContain('city=SPB');

      // A city of the catalog that the direction does not serve, from a shared link: chosen, and said to be empty.
      await page.goto(`${fx.api.url}/?from=USDTTRC20&to=CASHUSD&city=EKB`);
      await page.waitForSelector('#status:has-text("No exchanger offers this direction")');
      expect(await page.locator('#city option:checked').textContent()).toBe('Yekaterinburg');
      // A link with a city the catalog does not know: all cities, not an error.
      await page.goto(`${fx.api.url}/?from=USDTTRC20&to=CASHUSD&city=%3Cb%3EMoscow`);
      await page.waitForFunction(() => document.querySelectorAll('#rates tbody tr').length === 2);
      expect(await page.locator('#city option:checked').textContent()).toBe('All cities');
      expect(page.url()).not.toContain('city=');
      await page.goto(`${fx.api.url}/?from=USDTTRC20&to=CASHUSD&city=ekb`);
      await page.waitForSelector('#status:has-text("No exchanger offers this direction")');
      await page.click('button[data-lang="ru"]');
      expect(await page.locator('#city option').allTextContents()).toEqual([
        'Все города',
        'Екатеринбург',
        'Москва',
        'Санкт-Петербург',
      ]);
      await page.close();
    });

    it('shows fees and flags per row, and hides manual or verifying exchangers when asked', async () => {
      const page = await fx.browser.newPage(viewport);
      await page.goto(`${fx.api.url}/?from=BTC&to=SBERRUB`);
      await page.waitForSelector('#rates tbody tr');
      const bitok = page.locator('#rates tbody tr', { hasText: 'Bitok' });
      expect(await bitok.locator('td.fees .badge').allTextContents()).toEqual(['give: 0.0005 BTC', 'get: 1 %']);
      expect(await bitok.locator('.badge.flag').allTextContents()).toEqual(['verification']);
      expect(
        await page.locator('#rates tbody tr', { hasText: 'Aura' }).locator('.badge.flag').allTextContents(),
      ).toEqual(['manual']);

      await page.check('#hide-manual');
      await page.waitForFunction(() => document.querySelectorAll('#rates tbody tr').length === 2);
      expect(await exchangers(page)).not.toContain('Aura Exchange');
      expect(page.url()).toContain('exclude=manual');
      await page.check('#hide-verifying');
      await page.waitForFunction(() => document.querySelectorAll('#rates tbody tr').length === 1);
      expect(await exchangers(page)).toEqual(['Cheap Change']);
      expect(page.url()).toContain('exclude=manual%2Cverifying');

      // The filters survive a reload from the link, and unchecking brings the rows back.
      await page.reload();
      await page.waitForSelector('#rates tbody tr');
      expect(await page.isChecked('#hide-manual')).toBe(true);
      expect(await exchangers(page)).toEqual(['Cheap Change']);
      await page.uncheck('#hide-manual');
      await page.uncheck('#hide-verifying');
      await page.waitForFunction(() => document.querySelectorAll('#rates tbody tr').length === 3);
      await page.close();
    });

    it('draws the chart with labelled axes, and a 1 % move as a step, not a cliff', async () => {
      const page = await fx.browser.newPage(viewport);
      await page.goto(`${fx.api.url}/?from=USDTTRC20&to=SBERRUB`);
      await page.waitForFunction(() => document.querySelectorAll('#chart-svg polyline').length === 1);
      const xLabels = await page.locator('#chart-svg .x-label').allTextContents();
      expect(xLabels).toHaveLength(3);
      for (const label of xLabels) expect(label).toMatch(/^\d\d:\d\d$/);
      // Round ticks inside a range padded around the two levels: ±1 % of the middle at least.
      expect(await page.locator('#chart-svg .y-label').allTextContents()).toEqual(['100', '99.5', '99']);
      const oneStep = await lineSpan(page);
      expect(oneStep.bottom - oneStep.top).toBeGreaterThan(0.3);
      expect(oneStep.bottom - oneStep.top).toBeLessThan(0.6);

      // A large move (BTC → ETH's last 6 hours: 21.2, 22.4, down to 20.01, then 20.5) still uses most of the height.
      await page.goto(`${fx.api.url}/?from=BTC&to=ETH`);
      await page.waitForFunction(() => document.getElementById('chart-range')?.textContent?.includes('to 20.5,'));
      const large = await lineSpan(page);
      expect(large.bottom - large.top).toBeGreaterThan(0.8);
      expect(await page.locator('#chart-svg .y-label').allTextContents()).toEqual(['22', '21', '20']);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        viewport.viewport.width,
      );
      await page.close();
    });

    it('sorts by rate, reserve or exchanger name', async () => {
      const page = await fx.browser.newPage(viewport);
      await page.goto(`${fx.api.url}/?from=BTC&to=SBERRUB`);
      await page.waitForSelector('#rates tbody tr');
      const best = await http<{ items: Array<{ exchanger: { name: string } }> }>(
        `${fx.api.url}/v1/rates?from=BTC&to=SBERRUB`,
      );
      const bestFirst = best.body.items.map((i) => i.exchanger.name);
      expect(await exchangers(page)).toEqual(bestFirst);
      // Reserves 20 000 000, 9 000 000 and 300 000: as text "9000000" would come first.
      const byReserve = ['Bitok', 'Aura Exchange', 'Cheap Change'];
      if (size === 'desktop') {
        await page.click('th[data-sort="reserve"] button');
        expect(await exchangers(page)).toEqual(byReserve);
        expect(await page.getAttribute('th[data-sort="reserve"]', 'aria-sort')).toBe('descending');
        await page.click('th[data-sort="reserve"] button');
        expect(await exchangers(page)).toEqual([...byReserve].reverse());
        expect(await page.getAttribute('th[data-sort="reserve"]', 'aria-sort')).toBe('ascending');
        await page.click('th[data-sort="exchanger"] button');
        expect(await exchangers(page)).toEqual(['Aura Exchange', 'Bitok', 'Cheap Change']);
        await page.click('th[data-sort="exchanger"] button');
        expect(await exchangers(page)).toEqual(['Cheap Change', 'Bitok', 'Aura Exchange']);
        await page.click('th[data-sort="rate"] button');
      } else {
        // The phone has no header row: a select sorts instead.
        expect(await page.locator('#rates thead').isVisible()).toBe(false);
        await page.selectOption('#sort', 'reserve');
        expect(await exchangers(page)).toEqual(byReserve);
        await page.selectOption('#sort', 'exchanger');
        expect(await exchangers(page)).toEqual(['Aura Exchange', 'Bitok', 'Cheap Change']);
        await page.selectOption('#sort', 'rate');
      }
      expect(await exchangers(page)).toEqual(bestFirst);
      expect(await page.locator('#status').textContent()).toContain('best first');
      await page.close();
    });

    it('counts exchangers with the right plural, in English and Russian', async () => {
      const page = await fx.browser.newPage(viewport);
      await page.goto(`${fx.api.url}/?from=BTC&to=ETH`);
      await page.waitForSelector('#status:has-text("1 exchanger, best first.")');
      await page.goto(`${fx.api.url}/?from=BTC&to=SBERRUB`);
      await page.waitForSelector('#status:has-text("3 exchangers, best first.")');
      await page.click('button[data-lang="ru"]');
      expect(await page.locator('#status').textContent()).toBe('3 обменника, лучшие сверху.');
      await page.goto(`${fx.api.url}/?from=BTC&to=ETH`);
      await page.waitForSelector('#status:has-text("1 обменник, лучшие сверху.")');
      const forms = await page.evaluate(() => {
        const w = window as unknown as PageFunctions;
        return [0, 1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111, 112].map((n) =>
          w.plural(n, ['обменник', 'обменника', 'обменников'], 'ru'),
        );
      });
      expect(forms).toEqual([
        'обменников',
        'обменник',
        'обменника',
        'обменника',
        'обменников',
        'обменников',
        'обменников',
        'обменников',
        'обменник',
        'обменника',
        'обменников',
        'обменник',
        'обменников',
        'обменников',
      ]);
      await page.close();
    });

    it('switches names to Russian, remembers the choice, and starts in the browser language', async () => {
      const page = await fx.browser.newPage({ ...viewport, locale: 'ru-RU' });
      await page.goto(`${fx.api.url}/?from=BTC&to=SBERRUB`);
      await page.waitForSelector('#rates tbody tr');
      expect(await page.locator('#to option[value="SBERRUB"]').textContent()).toBe('Сбербанк RUB — SBERRUB');
      expect(await page.locator('#title').textContent()).toBe('Bitcoin (BTC) → Сбербанк RUB');
      expect(await page.locator('legend').first().textContent()).toBe('Отдаёте');
      expect(await page.getAttribute('#from', 'aria-label')).toBe('Отдаёте');
      expect((await page.locator('#rates th').first().textContent())?.trim()).toBe('Обменник');
      await page.click('button[data-lang="en"]');
      expect(await page.locator('#to option[value="SBERRUB"]').textContent()).toBe('Sberbank RUB — SBERRUB');
      expect(await page.locator('#title').textContent()).toBe('Bitcoin (BTC) → Sberbank RUB');
      await page.reload();
      await page.waitForSelector('#rates tbody tr');
      expect(await page.locator('#title').textContent()).toBe('Bitcoin (BTC) → Sberbank RUB');
      expect(await page.getAttribute('button[data-lang="en"]', 'aria-pressed')).toBe('true');
      await page.click('button[data-lang="ru"]');
      await page.goto(`${fx.api.url}/?from=USDTTRC20&to=CASHUSD`);
      await page.waitForSelector('#rates tbody tr');
      expect(await page.locator('#title').textContent()).toBe('Tether TRC20 (USDT) → Наличные USD');
      expect((await page.locator('#rates tbody tr .badge.city').allTextContents()).sort()).toEqual([
        'Москва',
        'Санкт-Петербург',
      ]);
      await page.close();
    });
  });

  it('shows feed text such as an exchanger name as text, never as markup', async () => {
    const page = await fx.browser.newPage(DESKTOP);
    await page.goto(`${fx.api.url}/?from=ETH&to=BTC`);
    await page.waitForSelector('#rates tbody tr');
    expect(await exchangers(page)).toEqual([EVIL_NAME]);
    expect(await page.locator('#rates img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    await page.close();
  });

  it('formats and compares decimal strings digit by digit, beyond what a float holds', async () => {
    const page = await fx.browser.newPage(DESKTOP);
    await page.goto(`${fx.api.url}/`);
    await page.waitForSelector('#from option');
    const answers = await page.evaluate(() => {
      const w = window as unknown as PageFunctions;
      return {
        format: [
          w.formatDecimal('12345678901234567890.125', 2, 2),
          w.formatDecimal('999.995', 2, 2),
          w.formatDecimal('0.000000015', 8),
          w.formatDecimal('0.5', 8),
          w.formatDecimal('6850000.5', 2, 2),
          w.formatDecimal('0000.10', 2),
          w.formatDecimal('1e5', 2),
          // Rates keep six significant digits, and fiat cents only when there is a fraction.
          w.rateNumber('0.99', 'CASHUSD'),
          w.rateNumber('0.123456789', 'CASHUSD'),
          w.rateNumber('0.0000146', 'BTC'),
          w.rateNumber('6900000', 'SBERRUB'),
          w.rateNumber('20.5', 'ETH'),
        ],
        compare: [
          w.compareDecimal('9000000', '20000000'),
          w.compareDecimal('0.10', '0.1'),
          w.compareDecimal('123456789012345678901', '123456789012345678900'),
          w.compareDecimal('0.30000000000000001', '0.3'),
          w.compareDecimal('00012.5', '12.49'),
        ],
      };
    });
    expect(answers.format).toEqual([
      '12,345,678,901,234,567,890.13',
      '1,000',
      '0.00000002',
      '0.5',
      '6,850,000.50',
      '0.1',
      '1e5',
      '0.99',
      '0.123457',
      '0.0000146',
      '6,900,000',
      '20.5',
    ]);
    expect(answers.compare).toEqual([-1, 0, 1, 1, 1]);
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

  // Last: it changes Cheap Change's rate, which the tests above rank.
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
      () => document.querySelector('#rates tbody tr td:first-child a.go')?.textContent === 'Cheap Change',
      undefined,
      { timeout: 12_000 },
    );
    expect(await page.evaluate(() => (window as unknown as { flickered?: boolean }).flickered ?? false)).toBe(false);
    await page.close();
  });
});
