/// <reference lib="dom" />
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, DESKTOP, item, PagesFixture, PHONE, rates, shot } from '../support/browser';

const HOSTILE_NAME = `Nova <img src=x onerror="document.title='pwned'">`;
/** Paused feeds of exchangers that fill the list, so a feed near its end sits below the fold. */
const FILLERS = 24;

/** The operator page (`/admin`) in a real browser (Chromium through playwright-core) against standalone mode. */
describe('the operator page in Chromium', () => {
  const fx = new PagesFixture();
  let lastFiller: number;

  /** A page with the admin key already in its session, opened at `/admin` plus `hash`, its feeds listed. */
  async function board(viewport = DESKTOP, hash = ''): Promise<Page> {
    const page = await fx.browser.newPage(viewport);
    await page.addInitScript((key) => sessionStorage.setItem('ratewatch.adminKey', key), ADMIN_KEY);
    await page.goto(`${fx.api.url}/admin${hash}`);
    await page.locator(`#feeds tr[data-feed="${fx.feedIds.get('aura')}"]`).waitFor();
    return page;
  }
  const row = (page: Page, feedId: number) => page.locator(`#feeds tr[data-feed="${feedId}"]`);
  const feedOrder = (page: Page) =>
    page.$$eval('#feeds tbody tr[data-feed]', (rows) => rows.map((r) => Number((r as HTMLElement).dataset.feed)));
  const noSidewaysScroll = (page: Page) =>
    page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

  /** The runs panel opens right under the feed's row, its title and first run inside the viewport. */
  async function expectRunsUnder(page: Page, feedId: number): Promise<void> {
    await page.locator('#runs tbody tr').first().waitFor();
    await page.waitForFunction((id) => document.getElementById('runs-title')!.textContent.includes(`#${id} `), feedId);
    const feed = (await row(page, feedId).boundingBox())!;
    const panel = (await page.locator('#runs').boundingBox())!;
    const firstRun = (await page.locator('#runs tbody tr').first().boundingBox())!;
    const viewport = page.viewportSize()!;
    expect(panel.y).toBeGreaterThanOrEqual(feed.y + feed.height - 1);
    expect(panel.y - (feed.y + feed.height)).toBeLessThan(24);
    expect(feed.y).toBeGreaterThanOrEqual(-1); // an anchor puts the row's top border at the very top
    expect(firstRun.y + firstRun.height).toBeLessThanOrEqual(viewport.height);
  }

  beforeAll(async () => {
    await fx.start();
    await fx.addExchanger(
      'aura',
      'Aura Exchange',
      rates(item('BTC', 'SBERRUB', '6900000', '<amount>9000000</amount>'), item('ZZZCOIN', 'BTC', '1')),
    );
    await fx.addExchanger(
      'broken',
      'Broken',
      '<!DOCTYPE html><html><body>Checking your browser</body></html>',
      'text/html',
    );
    await fx.addExchanger(
      'clean',
      'Clean Co',
      rates(
        item('BTC', 'SBERRUB', '6800000', '<amount>9000000</amount>'),
        item('ETH', 'SBERRUB', '250000', '<amount>9000000</amount>'),
      ),
    );
    const { rows } = await fx.pg.query<{ id: number }>(
      `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url)
                  SELECT 'filler-' || n, 'Filler ' || n, 'https://filler.example', 'https://filler.example/?r=' || n
                  FROM generate_series(1, $1::int) n RETURNING id)
       INSERT INTO feeds (exchanger_id, url, enabled) SELECT id, 'https://filler.example/' || id || '.xml', false FROM e
       RETURNING id`,
      [FILLERS],
    );
    lastFiller = Math.max(...rows.map((r) => r.id));
  });

  afterAll(() => fx.stop());

  it('asks for the admin key with a command that makes one, shows feed health with the failing feed, its runs with the error, and refreshes a feed', async () => {
    const page = await fx.browser.newPage(DESKTOP);
    await page.goto(`${fx.api.url}/admin`);
    expect(await page.locator('#key-command').textContent()).toBe('npm run -s cli -- admin:key create --name ops');
    await page.fill('#key', 'wrong-key-wrong-key');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#login-error:has-text("refused")');
    await page.fill('#key', ADMIN_KEY);
    await page.click('#login button[type=submit]');
    const broken = row(page, fx.feedIds.get('broken')!);
    await broken.waitFor();
    expect(await page.locator('#login').isVisible()).toBe(false);
    expect(await broken.locator('.badge').textContent()).toBe('failing');
    expect(await broken.textContent()).toContain('html_page');
    expect(await row(page, fx.feedIds.get('clean')!).locator('.badge').textContent()).toBe('fresh');
    expect(await page.evaluate(() => sessionStorage.getItem('ratewatch.adminKey'))).toBe(ADMIN_KEY);

    // A feed's runs name the codes they rejected, so the operator knows which alias to add.
    await row(page, fx.feedIds.get('aura')!).click();
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

  it('calls a feed that rejects codes on every read "rejecting", counts it as a problem and shows what it rejected', async () => {
    const page = await board();
    const aura = row(page, fx.feedIds.get('aura')!);
    expect(await aura.locator('.badge').textContent()).toBe('rejecting');
    expect(await aura.locator('td[data-label=Rejected]').getAttribute('data-rejected')).toBe('1');
    expect(await aura.locator('td[data-label=Rejected]').textContent()).toContain('ZZZCOIN');
    expect(await row(page, fx.feedIds.get('clean')!).locator('td[data-label=Rejected]').textContent()).toBe('0');
    // failing (broken) + rejecting (aura); the paused fillers are no problem.
    expect(await page.locator('#summary [data-state=problem]').textContent()).toBe('2 problems');
    expect(await page.locator('#summary [data-state=rejecting]').textContent()).toBe('1 rejecting');
    expect(await page.locator('#summary [data-state=paused]').textContent()).toBe(`${FILLERS} paused`);
    // The summary's problem count filters the table to the problems.
    await page.click('#summary [data-state=problem]');
    expect(await feedOrder(page)).toEqual([fx.feedIds.get('aura'), fx.feedIds.get('broken')]);
    await page.close();
  });

  it('names each feed’s exchanger; filters by name, slug or URL and by state; sorts by the clicked column', async () => {
    const page = await board();
    const [aura, broken, clean] = ['aura', 'broken', 'clean'].map((s) => fx.feedIds.get(s)!);
    expect(await row(page, aura!).locator('td[data-label=Exchanger]').textContent()).toBe('Aura Exchange aura');
    expect(await row(page, clean!).locator('td[data-label=Exchanger] a').textContent()).toBe('Clean Co');

    await page.fill('#filter', 'clean co');
    expect(await feedOrder(page)).toEqual([clean]);
    await page.fill('#filter', 'BROKEN.xml');
    expect(await feedOrder(page)).toEqual([broken]);
    await page.fill('#filter', 'filler-1');
    expect((await feedOrder(page)).length).toBe(11); // filler-1, filler-10…19
    await page.fill('#filter', 'nothing-like-this');
    expect(await feedOrder(page)).toEqual([]);
    expect(await page.locator('#no-feeds').textContent()).toContain('No feed matches');
    await page.fill('#filter', '');
    await page.selectOption('#state-filter', 'rejecting');
    expect(await feedOrder(page)).toEqual([aura]);
    await page.selectOption('#state-filter', 'fresh');
    expect(await feedOrder(page)).toEqual([clean]);
    await page.selectOption('#state-filter', '');

    const sortBy = async (column: string) => page.click(`#feeds th[data-sort=${column}] button`);
    await sortBy('state');
    expect((await feedOrder(page)).slice(0, 3)).toEqual([broken, aura, clean]); // failing, rejecting, fresh
    expect(await page.getAttribute('#feeds th[data-sort=state]', 'aria-sort')).toBe('ascending');
    await sortBy('offers');
    await sortBy('offers'); // the second click: most first
    expect(await page.getAttribute('#feeds th[data-sort=offers]', 'aria-sort')).toBe('descending');
    expect((await feedOrder(page)).slice(0, 2)).toEqual([clean, aura]);
    await page.fill('#filter', 'e'); // Aura Exchange, Broken, Clean Co, every Filler
    await sortBy('exchanger');
    expect((await feedOrder(page)).slice(0, 3)).toEqual([aura, broken, clean]);
    await sortBy('exchanger');
    expect((await feedOrder(page)).slice(-3)).toEqual([clean, broken, aura]);
    await sortBy('rejected');
    await sortBy('rejected');
    expect((await feedOrder(page))[0]).toBe(aura);
    await page.close();
  });

  it('opens a feed’s runs right under it on a desktop, even for a feed far down the list', async () => {
    const page = await board();
    await row(page, lastFiller).click();
    await expectRunsUnder(page, lastFiller);
    expect(await page.locator('#runs tbody').textContent()).toContain('No runs yet');
    const aura = fx.feedIds.get('aura')!;
    await row(page, aura).click();
    await expectRunsUnder(page, aura);
    expect(page.url()).toMatch(new RegExp(`#feed-${aura}$`));
    // A second click on the open feed closes its runs.
    await row(page, aura).locator('td[data-label=Offers]').click();
    await page.locator('#runs').waitFor({ state: 'hidden' });
    await page.close();
  });

  it('its links go somewhere: #N opens that feed’s runs, exchanger names lead to the exchanger, #feed-N in the address opens it', async () => {
    const broken = fx.feedIds.get('broken')!;
    const page = await board(DESKTOP, `#feed-${broken}`);
    await expectRunsUnder(page, broken);
    await page.click(`#feeds tr[data-feed="${lastFiller}"] td[data-label=Feed] a`);
    await expectRunsUnder(page, lastFiller);
    // The exchangers' list links their feeds; following one while a filter hides it clears the filter.
    await page.fill('#filter', 'aura');
    const auraExchanger = await page.getAttribute(
      `#feeds tr[data-feed="${fx.feedIds.get('aura')}"] td[data-label=Exchanger] a`,
      'href',
    );
    await page.click(`#feeds tr[data-feed="${fx.feedIds.get('aura')}"] td[data-label=Exchanger] a`);
    expect(await page.locator(`${auraExchanger} .name`).textContent()).toBe('Aura Exchange');
    expect(await page.evaluate((h) => document.querySelector(h)!.matches(':target'), auraExchanger!)).toBe(true);
    await page.fill('#filter', '');
    await page.selectOption('#state-filter', 'fresh'); // hides broken's feed; following its link shows it again
    expect(await feedOrder(page)).toEqual([fx.feedIds.get('clean')]);
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.click(`#exchangers a[href="#feed-${broken}"]`);
    await expectRunsUnder(page, broken);
    expect(await page.inputValue('#state-filter')).toBe('');
    expect(await page.locator('#runs tbody tr').first().textContent()).toContain('html_page');
    await page.close();
  });

  it('adds, edits, pauses and deletes an exchanger and its feed, with the API’s validation messages beside the fields', async () => {
    fx.feeds.serve('/nova.xml', { body: rates(item('BTC', 'SBERRUB', '6700000', '<amount>9000000</amount>')) });
    const page = await board();
    const exchangerForm = page.locator('#exchanger-form');
    await page.click('#add-exchanger');
    await exchangerForm.waitFor();
    await page.fill('#exchanger-form [name=slug]', 'nova');
    await page.fill('#exchanger-form [name=siteUrl]', 'ftp://x');
    await page.fill('#exchanger-form [name=referralUrl]', 'https://nova.example/?rid=1');
    await page.click('#exchanger-form button[type=submit]');
    await page.waitForSelector('#exchanger-form .field-error[data-for=name]:not(:empty)');
    expect(await page.textContent('#exchanger-form .field-error[data-for=name]')).toContain('name');
    expect(await page.textContent('#exchanger-form .field-error[data-for=siteUrl]')).toContain('siteUrl');
    expect(await page.getAttribute('#exchanger-form [name=siteUrl]', 'aria-invalid')).toBe('true');
    expect(await page.textContent('#exchanger-form .form-error')).toContain('Not saved');
    expect(await page.isVisible('#exchanger-dialog')).toBe(true);
    await page.fill('#exchanger-form [name=name]', HOSTILE_NAME);
    await page.fill('#exchanger-form [name=siteUrl]', 'https://nova.example');
    await page.click('#exchanger-form button[type=submit]');
    await page.locator('#exchanger-dialog').waitFor({ state: 'hidden' });
    const novaRow = page.locator('#exchangers tr:has-text("Nova")');
    await novaRow.waitFor();
    // A name is text wherever it shows, never markup.
    expect(await novaRow.locator('.name').textContent()).toBe(HOSTILE_NAME);
    expect(await page.locator('#board img').count()).toBe(0);
    expect(await page.title()).toBe('ratewatch — operator');
    const novaId = Number(await novaRow.getAttribute('data-exchanger-id'));
    // A second exchanger with the same slug: the API's 409 message under the form.
    await page.click('#add-exchanger');
    await page.fill('#exchanger-form [name=name]', 'Nova again');
    await page.fill('#exchanger-form [name=slug]', 'nova');
    await page.fill('#exchanger-form [name=siteUrl]', 'https://nova.example');
    await page.fill('#exchanger-form [name=referralUrl]', 'https://nova.example/');
    await page.click('#exchanger-form button[type=submit]');
    await page.waitForSelector('#exchanger-form .form-error:not(:empty)');
    expect(await page.textContent('#exchanger-form .form-error')).toMatch(/Not saved: .*slug/);
    await page.click('#exchanger-form [data-cancel]');

    // Its feed: a bad URL first, then the real one.
    await novaRow.locator('button[data-add-feed]').click();
    await page.locator('#feed-form').waitFor();
    expect(await page.inputValue('#feed-form [name=exchangerId]')).toBe(String(novaId));
    await page.fill('#feed-form [name=url]', 'ftp://x');
    await page.fill('#feed-form [name=intervalSeconds]', '60');
    await page.click('#feed-form button[type=submit]');
    await page.waitForSelector('#feed-form .field-error[data-for=url]:not(:empty)');
    expect(await page.textContent('#feed-form .field-error[data-for=url]')).toContain('url');
    await page.fill('#feed-form [name=url]', fx.feeds.url('/nova.xml'));
    await page.fill('#feed-form [name=timeoutMs]', '90000'); // longer than the interval: the API refuses
    await page.click('#feed-form button[type=submit]');
    await page.waitForSelector('#feed-form .form-error:has-text("timeoutMs must be shorter")');
    await page.fill('#feed-form [name=timeoutMs]', '');
    await page.click('#feed-form button[type=submit]');
    await page.locator('#feed-dialog').waitFor({ state: 'hidden' });
    const { rows } = await fx.pg.query<{ id: number; interval_s: number }>(
      `SELECT id, interval_s FROM feeds WHERE exchanger_id = $1`,
      [novaId],
    );
    expect(rows).toEqual([{ id: expect.any(Number), interval_s: 60 }]);
    const feedId = rows[0]!.id;
    const feed = row(page, feedId);
    await feed.waitFor();
    expect(await feed.locator('td[data-label=Exchanger] a').textContent()).toBe(HOSTILE_NAME);
    expect(await novaRow.locator(`a[href="#feed-${feedId}"]`).textContent()).toBe(`#${feedId}`);

    // Edit the feed (only what changed is sent) and the exchanger's name, shown beside its feed.
    await feed.locator('button[data-edit-feed]').click();
    // The form keeps the last dialog's values until the feed is loaded: wait for the edit itself.
    await page.waitForSelector('#feed-form [name=exchangerId]:disabled');
    expect(await page.inputValue('#feed-form [name=intervalSeconds]')).toBe('60');
    await page.fill('#feed-form [name=intervalSeconds]', '120');
    await page.click('#feed-form button[type=submit]');
    await page.locator('#feed-dialog').waitFor({ state: 'hidden' });
    expect((await fx.pg.query(`SELECT interval_s FROM feeds WHERE id = $1`, [feedId])).rows[0]).toEqual({
      interval_s: 120,
    });
    await novaRow.locator('button[data-edit-exchanger]').click();
    expect(await page.inputValue('#exchanger-form [name=slug]')).toBe('nova');
    await page.fill('#exchanger-form [name=name]', 'Nova Exchange');
    await page.click('#exchanger-form button[type=submit]');
    await page.locator('#exchanger-dialog').waitFor({ state: 'hidden' });
    await page.waitForSelector(`#feeds tr[data-feed="${feedId}"] td[data-label=Exchanger] a:text-is("Nova Exchange")`);

    // Pause and resume the feed, then the exchanger.
    await feed.locator('button[data-toggle-feed]').click();
    await page.waitForSelector(`#feeds tr[data-feed="${feedId}"] .badge:text-is("paused")`);
    expect((await fx.pg.query(`SELECT enabled FROM feeds WHERE id = $1`, [feedId])).rows[0]).toEqual({
      enabled: false,
    });
    expect(await feed.locator('button[data-toggle-feed]').textContent()).toBe('Resume');
    await feed.locator('button[data-toggle-feed]').click();
    await page.waitForFunction(
      (id) => document.querySelector(`#feeds tr[data-feed="${id}"] .badge`)?.textContent !== 'paused',
      feedId,
    );
    await novaRow.locator('button[data-toggle-exchanger]').click();
    await page.waitForSelector(`#exchangers tr[data-exchanger-id="${novaId}"] .badge:text-is("paused")`);
    expect(await feed.locator('.badge').textContent()).toBe('paused');

    // Deleting asks first: dismissed, nothing goes; accepted, the feed goes, then the exchanger.
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.dismiss();
    });
    await feed.locator('button[data-delete-feed]').click();
    expect(asked).toContain(`#${feedId}`);
    expect((await fx.pg.query(`SELECT count(*)::int AS n FROM feeds WHERE id = $1`, [feedId])).rows[0]).toEqual({
      n: 1,
    });
    page.once('dialog', (d) => void d.accept());
    await feed.locator('button[data-delete-feed]').click();
    await feed.waitFor({ state: 'detached' });
    expect((await fx.pg.query(`SELECT count(*)::int AS n FROM feeds WHERE id = $1`, [feedId])).rows[0]).toEqual({
      n: 0,
    });
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await novaRow.locator('button[data-delete-exchanger]').click();
    await novaRow.waitFor({ state: 'detached' });
    expect(asked).toContain('Nova Exchange');
    expect((await fx.pg.query(`SELECT count(*)::int AS n FROM exchangers WHERE slug = 'nova'`)).rows[0]).toEqual({
      n: 0,
    });
    await page.close();
  });

  it('shows alert notices that were not delivered, with a count, their errors as text', async () => {
    const page = await board();
    expect(await page.locator('#alert-deliveries').isHidden()).toBe(true);
    await fx.pg.query(
      // The pending one is due in an hour: the page's own in-process deliverer leaves it alone meanwhile.
      `INSERT INTO alert_deliveries (event, url, body, status, attempts, last_error, last_http_status, finished_at, next_attempt_at)
       VALUES ('feed.failing', 'https://ops.example/hook/secret-path', '{}', 'failed', 6, $1, 500, now(), now()),
              ('alert.fired', 'https://bot.example/hook', '{}', 'delivered', 1, NULL, 200, now(), now()),
              ('alert.fired', 'https://slow.example/hook', '{}', 'pending', 2, 'HTTP 503', 503, NULL, now() + interval '1 hour')`,
      [HOSTILE_NAME],
    );
    await page.reload();
    await page.locator('#alert-deliveries tbody tr').nth(1).waitFor();
    const rows = await page.$$eval('#alert-deliveries tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent.trim())),
    );
    expect(rows.map((r) => r.slice(1))).toEqual([
      ['alert.fired', 'slow.example', 'pending', '2', 'HTTP 503'],
      ['feed.failing', 'ops.example', 'failed', '6', HOSTILE_NAME],
    ]);
    expect(await page.locator('#alert-deliveries-summary').textContent()).toMatch(
      /^1 failed in the last 24 hours · 1 pending · 1 delivered · 1 failed · 0 dropped in all$/,
    );
    expect(await page.locator('#alert-deliveries img').count()).toBe(0);
    expect(await page.title()).not.toBe('pwned');
    expect(await page.content()).not.toContain('secret-path');
    await page.close();
  });

  it('fits a phone: no sideways scroll, runs under the tapped feed card, the editor and the sort select usable', async () => {
    const page = await board(PHONE);
    const adminCss = await page.evaluate(() =>
      Array.from(document.styleSheets).some((sheet) => sheet.href?.endsWith('/web/admin.css') && sheet.cssRules.length),
    );
    expect(adminCss, '/web/admin.css is served (apps/api/src/web/web.controller.ts lists it)').toBe(true);
    expect(await noSidewaysScroll(page)).toBe(true);
    const aura = fx.feedIds.get('aura')!;
    await row(page, aura).locator('td[data-label=State]').tap();
    await expectRunsUnder(page, aura);
    expect(await noSidewaysScroll(page)).toBe(true);
    await row(page, lastFiller).locator('td[data-label=State]').tap();
    await expectRunsUnder(page, lastFiller);
    await shot(page, 'operator-page-phone.png');

    await page.selectOption('#sort-by', 'state');
    expect((await feedOrder(page))[0]).toBe(fx.feedIds.get('broken'));

    await page.click('#add-exchanger');
    await page.locator('#exchanger-form').waitFor();
    await page.click('#exchanger-form button[type=submit]');
    await page.waitForSelector('#exchanger-form .field-error[data-for=slug]:not(:empty)');
    const dialog = (await page.locator('#exchanger-dialog').boundingBox())!;
    expect(dialog.x).toBeGreaterThanOrEqual(0);
    expect(dialog.x + dialog.width).toBeLessThanOrEqual(PHONE.viewport.width);
    expect(await noSidewaysScroll(page)).toBe(true);
    await page.close();
  });
});
