/// <reference lib="dom" />
import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HousekeepingService } from '@app/background';
import { Demo, runDemo } from '../../tools/demo/demo';
import { DESKTOP, launchChromium } from '../support/browser';
import { http } from '../support/http';
import { waitFor } from '../support/processes';
import { createDataDir } from '../support/services';

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
    demo = await runDemo({ exchangers: 8, port: 0, dataDir });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("catches the typo exchanger's typo'd rate, shows it held back on /admin, and holds back no honest exchanger", async () => {
    const slug = demo.simulator.typoExchanger!;
    expect(slug).toBe('fathom');
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

    const page = await browser.newPage(DESKTOP);
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
