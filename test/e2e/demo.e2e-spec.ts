import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HousekeepingService } from '@app/background';
import { runDemo } from '../../tools/demo/demo';
import { http } from '../support/http';
import { waitFor } from '../support/processes';
import { createDataDir } from '../support/services';

/** `npm run demo` in small: standalone mode, simulated exchangers registered through the admin API. */
describe('the demo', () => {
  it("shows the simulator's rates through the public API within a poll", async () => {
    const dataDir = createDataDir();
    const demo = await runDemo({ exchangers: 4, port: 0, dataDir, maxItems: 300 });
    try {
      const exchanger = demo.simulator.exchangers[0]!;
      const item = exchanger.items.find((i) => i.city === null)!;
      const deadline = Date.now() + 15_000;
      let rates: Array<{ exchanger: { slug: string }; rate: string }> = [];
      while (Date.now() < deadline && !rates.some((r) => r.exchanger.slug === exchanger.slug)) {
        rates = (await http<{ items: typeof rates }>(`${demo.api.url}/v1/rates?from=${item.from}&to=${item.to}`)).body
          .items;
        if (!rates.some((r) => r.exchanger.slug === exchanger.slug))
          await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect(rates.find((r) => r.exchanger.slug === exchanger.slug)?.rate).toBe(String(item.rate));
      const health = await http<{ items: Array<{ exchangerSlug: string }> }>(`${demo.api.url}/v1/admin/feeds/health`, {
        headers: { authorization: `Bearer ${demo.adminKey}` },
      });
      expect(health.body.items.map((f) => f.exchangerSlug).sort()).toEqual(['sim-1', 'sim-2', 'sim-3', 'sim-4']);
      // The simulated market is coherent: the rate guard finds references and holds back no honest offer.
      const refreshed = await waitFor(
        'market references from the simulated exchangers',
        async () => {
          const result = await demo.api.app.get(HousekeepingService).refreshReferences();
          return result.references.market > 0 && result;
        },
        20_000,
        300,
      );
      expect(refreshed.references.market).toBeGreaterThan(0);
      const held = await http<{ items: unknown[]; flagged: unknown[] }>(`${demo.api.url}/v1/admin/quarantine`, {
        headers: { authorization: `Bearer ${demo.adminKey}` },
      });
      expect(held.body).toMatchObject({ items: [], flagged: [] });
      // The reference pages are served in the demo too (the browser tests drive them).
      for (const page of ['/', '/admin']) {
        const answer = await http(`${demo.api.url}${page}`);
        expect(answer.headers.get('content-type')).toContain('text/html');
        expect(answer.text).toContain('<title>ratewatch');
      }
    } finally {
      await demo.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
