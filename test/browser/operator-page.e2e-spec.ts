/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, DESKTOP, item, PagesFixture, rates, shot } from '../support/browser';

/** The operator page (`/admin`) in a real browser (Chromium through playwright-core) against standalone mode. */
describe('the operator page in Chromium', () => {
  const fx = new PagesFixture();

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
  });

  afterAll(() => fx.stop());

  it('asks for the admin key, shows feed health with the failing feed, its runs with the error, and refreshes a feed', async () => {
    const page = await fx.browser.newPage(DESKTOP);
    await page.goto(`${fx.api.url}/admin`);
    await page.fill('#key', 'wrong-key-wrong-key');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#login-error:has-text("refused")');
    await page.fill('#key', ADMIN_KEY);
    await page.click('#login button[type=submit]');
    const broken = page.locator(`#feeds tr[data-feed="${fx.feedIds.get('broken')}"]`);
    await broken.waitFor();
    expect(await page.locator('#login').isVisible()).toBe(false);
    expect(await broken.locator('.badge').textContent()).toBe('failing');
    expect(await broken.textContent()).toContain('html_page');
    expect(await page.locator(`#feeds tr[data-feed="${fx.feedIds.get('aura')}"] .badge`).textContent()).toBe('fresh');
    expect(await page.evaluate(() => sessionStorage.getItem('ratewatch.adminKey'))).toBe(ADMIN_KEY);

    // A feed's runs name the codes they rejected, so the operator knows which alias to add.
    await page.locator(`#feeds tr[data-feed="${fx.feedIds.get('aura')}"]`).click();
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
