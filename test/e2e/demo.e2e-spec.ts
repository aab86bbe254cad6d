import { chmodSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HousekeepingService } from '@app/background';
import { Dec } from '@app/domain';
import { Demo, DEMO_EXCHANGERS, DEMO_FILES, runDemo } from '../../tools/demo/demo';
import { http } from '../support/http';
import { waitFor } from '../support/processes';
import { createDataDir } from '../support/services';

interface RateRow {
  exchanger: { slug: string };
  rate: string;
  city: string | null;
  flags: string[];
  fromFee: Array<{ kind: string }>;
  toFee: Array<{ kind: string }>;
  fromMin: string | null;
}
interface FeedHealth {
  id: number;
  exchangerSlug: string;
  fresh: boolean;
  lastStatus: string | null;
}

/** `npm run demo` as it starts: standalone mode, the market model's 40 exchangers registered through the admin API. */
describe('the demo', () => {
  const dataDir = createDataDir();
  let demo: Demo | null = null;
  const admin = (path: string) =>
    http<{ items: unknown[] }>(`${demo!.api.url}${path}`, { headers: { authorization: `Bearer ${demo!.adminKey}` } });
  const auth = () => ({ authorization: `Bearer ${demo!.adminKey}`, 'content-type': 'application/json' });
  /** Registers an exchanger with one hourly feed through the admin API; the feed's id. */
  const addExchanger = async (slug: string, url: string) => {
    const exchanger = await http<{ id: number }>(`${demo!.api.url}/v1/admin/exchangers`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ slug, name: slug, siteUrl: 'https://x.example', referralUrl: 'https://x.example/?r=1' }),
    });
    const feed = await http<{ id: number }>(`${demo!.api.url}/v1/admin/exchangers/${exchanger.body.id}/feeds`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ url, intervalSeconds: 3600, timeoutMs: 1000 }),
    });
    expect(feed.status, JSON.stringify(feed.body)).toBe(201);
    return feed.body.id;
  };
  const rates = async (query: string) =>
    (await http<{ items: RateRow[] }>(`${demo!.api.url}/v1/rates?${query}&limit=100`)).body.items;

  afterAll(async () => {
    await demo?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows a coherent market with the facts the README relies on, in every feed dialect', async () => {
    demo = await runDemo({ port: 0, dataDir });
    expect(demo.registration).toEqual({ created: DEMO_EXCHANGERS, repointed: 0, disabled: [] });
    const healthy = demo.simulator.exchangers.filter((e) => e.fault === 'none').map((e) => e.slug);
    const feeds = await waitFor(
      'every healthy feed polled',
      async () => {
        const items = (await admin('/v1/admin/feeds/health')).body.items as FeedHealth[];
        return items.filter((f) => healthy.includes(f.exchangerSlug) && f.fresh).length === healthy.length && items;
      },
      30_000,
      250,
    );
    expect(feeds.length).toBe(DEMO_EXCHANGERS);

    // The busiest direction: 20+ healthy exchangers, every rate within 0.2–3 % under the reference (plus its drift).
    const mid = demo.simulator.market!.mid('BTC', 'SBERRUB');
    const btcRub = await rates('from=BTC&to=SBERRUB');
    expect(btcRub.length).toBeGreaterThanOrEqual(20);
    for (const row of btcRub) {
      const ratio = new Dec(row.rate).div(mid).toNumber();
      expect(ratio, row.exchanger.slug).toBeGreaterThan(0.96);
      expect(ratio, row.exchanger.slug).toBeLessThan(1.005);
    }
    // The facts the README's examples use.
    for (const query of ['from=BTC&to=SBERRUB', 'from=USDTTRC20&to=SBERRUB', 'from=USDTTRC20&to=CASHUSD&city=MSK'])
      expect(
        (await rates(query)).map((r) => r.exchanger.slug),
        query,
      ).toContain('aurora');
    for (const query of ['from=USDTTRC20&to=SBERRUB', 'from=SBERRUB&to=BTC', 'from=ETH&to=USDTTRC20'])
      expect((await rates(query)).length, query).toBeGreaterThanOrEqual(20);
    for (const city of ['MSK', 'SPB']) {
      const cash = await rates(`from=USDTTRC20&to=CASHUSD&city=${city}`);
      expect(new Set(cash.map((r) => r.exchanger.slug)).size, city).toBeGreaterThanOrEqual(3);
      expect(cash.map((r) => r.city)).toEqual(cash.map(() => city));
    }
    expect((await rates('from=USDTTRC20&to=CASHRUB&city=MSK')).length).toBeGreaterThanOrEqual(3);
    // Limits, fees and flags, as exchangers publish them.
    const busy = [...btcRub, ...(await rates('from=SBERRUB&to=BTC')), ...(await rates('from=USDTTRC20&to=SBERRUB'))];
    expect(new Set(busy.flatMap((r) => r.flags))).toEqual(new Set(['manual', 'verifying', 'cardverify', 'floating']));
    expect(new Set(busy.flatMap((r) => [...r.fromFee, ...r.toFee].map((f) => f.kind)))).toEqual(
      new Set(['fixed', 'percent']),
    );
    expect(busy.filter((r) => r.fromMin !== null).length).toBeGreaterThan(busy.length / 2);

    // Every dialect the ingestion reads is in use.
    const dialects = new Set<string>();
    for (const feed of feeds.filter((f) => healthy.includes(f.exchangerSlug))) {
      // A 304 or an unchanged body is not read, so its run names no dialect: the last read one does.
      const runs = (await admin(`/v1/admin/feeds/${feed.id}/runs?limit=50`)).body.items as Array<{
        dialect: string | null;
      }>;
      dialects.add(runs.find((r) => r.dialect !== null)!.dialect!);
    }
    expect([...dialects].sort()).toEqual(['json', 'json-1.3', 'txt', 'txt-cities', 'xml', 'xml-eref-1.1']);

    // The faulty exchangers fail as intended, and only they.
    const failing = feeds.filter((f) => !f.fresh || f.lastStatus === 'error').map((f) => f.exchangerSlug);
    expect(failing.sort()).toEqual(['delta', 'harbor', 'lumen']);

    // The market is coherent: the rate guard finds references and holds back no honest offer (the typo
    // exchanger's typo, every 30 s, is the only thing it may hold).
    const refreshed = await waitFor(
      'market references from the simulated exchangers',
      async () => {
        const result = await demo!.api.app.get(HousekeepingService).refreshReferences();
        return result.references.market > 100 && result;
      },
      20_000,
      300,
    );
    expect(refreshed.references.market).toBeGreaterThan(100);
    const held = await http<{ items: Array<{ exchanger: string }>; flagged: unknown[] }>(
      `${demo.api.url}/v1/admin/quarantine`,
      { headers: { authorization: `Bearer ${demo.adminKey}` } },
    );
    expect(held.body.items.filter((i) => i.exchanger !== demo!.simulator.typoExchanger)).toEqual([]);
    expect(held.body.flagged).toEqual([]);
    // The reference pages are served in the demo too (the browser tests drive them).
    for (const page of ['/', '/admin']) {
      const answer = await http(`${demo.api.url}${page}`);
      expect(answer.headers.get('content-type')).toContain('text/html');
      expect(answer.text).toContain('<title>ratewatch');
    }
  }, 180_000);

  it("runs again on the same data folder: the same admin key, nothing registered twice, an older demo's feeds switched off", async () => {
    const { adminKey, simulator } = demo!;
    const port = new URL(simulator.base).port;
    // An exchanger of an older demo (its feed on a simulator port of long ago), and an operator's own.
    const older = await addExchanger('sim-1', `http://127.0.0.1:1/feeds/sim-1.xml`);
    const own = await addExchanger('my-exchanger', 'https://my-exchanger.example/rates.xml');
    await demo!.stop();
    demo = null;
    const secrets = [DEMO_FILES.adminKey, DEMO_FILES.secretKey].map((file) => join(dataDir, file));
    chmodSync(secrets[0]!, 0o644); // loosened by hand in between: the demo makes it owner-only again
    demo = await runDemo({ port: 0, dataDir });
    expect(demo.adminKey).toBe(adminKey);
    for (const file of secrets) expect(statSync(file).mode & 0o777, file).toBe(0o600);
    expect(new URL(demo.simulator.base).port).toBe(port); // its kept port was free again
    expect(demo.registration).toEqual({ created: 0, repointed: 0, disabled: ['sim-1'] });
    expect((await admin('/v1/admin/exchangers')).body.items.length).toBe(DEMO_EXCHANGERS + 2);
    const enabled = async (feedId: number) =>
      (await http<{ enabled: boolean }>(`${demo!.api.url}/v1/admin/feeds/${feedId}`, { headers: auth() })).body.enabled;
    expect(await enabled(older)).toBe(false);
    expect(await enabled(own)).toBe(true);
  }, 120_000);
});
