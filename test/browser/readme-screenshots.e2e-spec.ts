/// <reference lib="dom" />
import { readFileSync, rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Demo, runDemo } from '../../tools/demo/demo';
import { DESKTOP, launchChromium, PHONE, shot } from '../support/browser';
import { http } from '../support/http';
import { waitFor } from '../support/processes';
import { createDataDir } from '../support/services';

/**
 * The README's pictures, taken from `npm run demo` as a newcomer sees it (`npm run docs:screenshots` writes
 * them into docs/): the busiest direction on the monitoring page, on a desktop and a phone, and the operator
 * page after logging in with the demo's key. Without SCREENSHOTS_DIR it checks what the pictures show.
 */
describe('the demo as the README pictures it', () => {
  const dataDir = createDataDir();
  let demo: Demo;
  let browser: Browser;

  beforeAll(async () => {
    demo = await runDemo({ exchangers: 40, port: 0, dataDir });
    browser = await launchChromium();
    // Wait until the market is in: every healthy feed polled once, so the table is as full as it gets.
    await waitFor(
      'twenty exchangers on BTC → SBERRUB',
      async () =>
        (await http<{ items: unknown[] }>(`${demo.api.url}/v1/rates?from=BTC&to=SBERRUB&limit=100`)).body.items
          .length >= 20,
      60_000,
      500,
    );
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows twenty and more exchangers on the busiest direction, on a desktop and on a phone', async () => {
    for (const [size, name] of [
      [DESKTOP, 'monitoring-page.png'],
      [PHONE, 'monitoring-page-phone.png'],
    ] as const) {
      const page = await browser.newPage(size);
      await page.goto(`${demo.api.url}/?from=BTC&to=SBERRUB`);
      await page.waitForFunction(() => document.querySelectorAll('#rates tbody tr').length >= 20);
      expect(await page.locator('#rates tbody tr').first().textContent()).toContain('RUB');
      await shot(page, name);
      await page.close();
    }
  });

  it("shows the operator page with the demo's faulty feeds after logging in with the demo's key", async () => {
    const page = await browser.newPage(DESKTOP);
    await page.goto(`${demo.api.url}/admin`);
    await page.fill('#key', readFileSync(`${dataDir}/demo-admin-key`, 'utf8').trim());
    await page.click('#login button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#feeds tbody tr').length >= 40);
    expect(await page.locator('#login').isVisible()).toBe(false);
    await shot(page, 'operator-page.png', false); // the top: the problem count and the first feeds
    await page.close();
  });
});
