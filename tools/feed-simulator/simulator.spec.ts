import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundledCatalog } from '@app/database';
import {
  bandOf,
  Dec,
  DEFAULT_CURRENCY_ALIASES,
  DEFAULT_INTEGRITY_BAND,
  DEFAULT_INTEGRITY_BANDS,
  judgeRate,
} from '@app/domain';
import { buildContext, checkFeed } from '@app/feeds';
import { DEMO_EXCHANGERS, DEMO_FAULTS, DEMO_TYPO } from '../demo/demo';
import { SIM_DIALECTS } from './market';
import { decimalText, FeedSimulator, SimExchanger, visitorRate } from './simulator';

const kinds = new Map(readBundledCatalog().map((c) => [c.code, c.kind]));
const keyOf = (i: { from: string; to: string; city: string | null }) => `${i.from}|${i.to}|${i.city ?? ''}`;
/** Every direction's rates across the exchangers. */
const market = (exchangers: SimExchanger[]) => {
  const byDirection = new Map<string, string[]>();
  for (const e of exchangers)
    for (const i of e.items) byDirection.set(keyOf(i), [...(byDirection.get(keyOf(i)) ?? []), i.rate]);
  return byDirection;
};
/** The guard's market reference: the median of three or more exchangers' rates (compared as decimals). */
const median = (rates: string[]) =>
  rates.length < 3 ? null : [...rates].sort((a, b) => new Dec(a).comparedTo(b))[Math.floor((rates.length - 1) / 2)]!;
const bandFor = (key: string) => {
  const [from, to] = key.split('|');
  return bandOf(kinds.get(from!)!, kinds.get(to!)!, DEFAULT_INTEGRITY_BANDS, DEFAULT_INTEGRITY_BAND);
};

const context = buildContext(
  readBundledCatalog().map((c) => ({ ...c, enabled: true })),
  Object.entries(DEFAULT_CURRENCY_ALIASES),
);

describe('FeedSimulator', () => {
  const simulator = new FeedSimulator({
    exchangers: 10,
    changeShare: 0.2,
    tickSeconds: 3600,
    maxItems: 400,
    faults: { 1: 'maintenance', 2: 'html', 3: 'truncated', 4: 'unknown-codes', 5: 'http500' },
    typo: { exchanger: 7, everySeconds: 3600 },
  });
  const fetchFeed = (index: number, headers: Record<string, string> = {}) =>
    fetch(simulator.feedUrl(simulator.exchangers[index]!), { headers });
  const report = async (index: number) => {
    const response = await fetchFeed(index);
    return checkFeed(
      Buffer.from(await response.arrayBuffer()),
      { format: 'auto', contentType: response.headers.get('content-type') },
      context,
    );
  };

  beforeAll(async () => {
    await simulator.start();
  });

  afterAll(async () => {
    await simulator.stop();
  });

  it('serves a realistic mix of formats whose every item ratewatch accepts', async () => {
    expect(simulator.exchangers.map((e) => e.format)).toEqual([
      'xml',
      'xml',
      'xml',
      'xml',
      'xml',
      'xml',
      'xml',
      'xml',
      'json',
      'txt',
    ]);
    for (const index of [0, 8, 9]) {
      const result = await report(index);
      expect(result.status).toBe('ok');
      expect(result.stats.rejected).toBe(0);
      expect(result.stats.items).toBe(simulator.exchangers[index]!.items.length);
    }
  });

  it('answers 304 to the ETag until the rates move', async () => {
    const first = await fetchFeed(0);
    const etag = first.headers.get('etag')!;
    expect((await fetchFeed(0, { 'if-none-match': etag })).status).toBe(304);
    simulator.tick();
    expect((await fetchFeed(0, { 'if-none-match': etag })).status).toBe(200);
  });

  it('tells the true rate of a direction and when it changed', async () => {
    const exchanger = simulator.exchangers[0]!;
    const item = exchanger.items[0]!;
    const truth = (await (
      await fetch(
        `${simulator.base}/truth/${exchanger.slug}?from=${item.from}&to=${item.to}${item.city ? `&city=${item.city}` : ''}`,
      )
    ).json()) as { rate: string; changedAt: string; typo: boolean };
    const offer = (await report(0)).offers.find(
      (o) => o.from === item.from && o.to === item.to && o.city === item.city,
    );
    expect(offer?.rate).toBe(truth.rate);
    expect(truth.typo).toBe(false);
  });

  it('renders again only the items that moved: after ticks and a typo the body is byte for byte a fresh render', () => {
    const sim = new FeedSimulator({
      exchangers: 10,
      changeShare: 0.1,
      tickSeconds: 3600,
      maxItems: 300,
      typo: { exchanger: 8 },
    });
    const fresh = (e: SimExchanger) => {
      const kept = e.cache;
      e.cache = null;
      const body = sim.body(e).body.toString();
      e.cache = kept;
      return body;
    };
    for (const e of sim.exchangers) sim.body(e);
    for (const step of ['tick', 'typo', 'tick', 'untypo', 'tick']) {
      if (step === 'tick') sim.tick();
      else if (step === 'typo') expect(sim.startTypo()).not.toBeNull();
      else sim.endTypo();
      for (const e of sim.exchangers) {
        const served = sim.body(e);
        expect(served.version, e.slug).toBe(e.version);
        expect(served.body.toString(), `${e.slug} after ${step}`).toBe(fresh(e));
      }
    }
    const typoFeed = sim.exchangers[8]!;
    expect(typoFeed.format).toBe('json');
    const typo = sim.startTypo()!;
    expect(sim.body(typoFeed).body.toString()).toContain(`"out":"${typo.rate}"`);
  });

  it('grows and shrinks the random catalog (bench:scale probes several sizes on one fleet)', async () => {
    const sim = await new FeedSimulator({ exchangers: 3, changeShare: 0.1, tickSeconds: 3600, maxItems: 200 }).start();
    try {
      const same = new FeedSimulator({ exchangers: 5, changeShare: 0.1, tickSeconds: 3600, maxItems: 200 });
      const resize = async (exchangers: string) =>
        fetch(`${sim.base}/resize?exchangers=${exchangers}`, { method: 'POST' });
      const grown = (await (await resize('5')).json()) as Array<{ slug: string; url: string }>;
      expect(grown.map((f) => f.slug)).toEqual(['sim-1', 'sim-2', 'sim-3', 'sim-4', 'sim-5']);
      // The seeded stream goes on: the grown market is the one five exchangers from the start would have.
      expect(sim.exchangers.map((e) => e.items.map((i) => `${keyOf(i)} ${i.rate}`))).toEqual(
        same.exchangers.map((e) => e.items.map((i) => `${keyOf(i)} ${i.rate}`)),
      );
      expect((await fetch(grown[4]!.url)).status).toBe(200);
      const shrunk = (await (await resize('2')).json()) as Array<{ slug: string }>;
      expect(shrunk.map((f) => f.slug)).toEqual(['sim-1', 'sim-2']);
      expect((await fetch(grown[2]!.url)).status).toBe(404);
      expect((await fetch(`${sim.base}/truth/sim-5?from=BTC&to=ETH`)).status).toBe(404);
      expect((await fetch(grown[1]!.url)).status).toBe(200);
      sim.tick();
      expect(sim.exchangers).toHaveLength(2);
      for (const bad of ['0', '-1', '1.5', 'x']) expect((await resize(bad)).status, bad).toBe(400);
      expect(() =>
        new FeedSimulator({ exchangers: 3, changeShare: 0.1, tickSeconds: 3600, market: true }).resize(4),
      ).toThrow(/random catalog/);
    } finally {
      await sim.stop();
    }
  });

  it('writes every rate as clean decimal text, with six significant digits at most', () => {
    expect([100, 89.53680001, 0.1 + 0.2, 1 / 3, 68000 / 0.011, 0.011 / 68000, 1e-12 * 3].map(decimalText)).toEqual([
      '100',
      '89.5368',
      '0.3',
      '0.333333',
      '6181820',
      '0.000000161765',
      '0.000000000003',
    ]);
    for (const rate of simulator.exchangers.flatMap((e) => e.items.map((i) => i.rate))) {
      expect(rate).toMatch(/^(0\.0*[1-9]\d{0,5}|[1-9]\d*(\.\d{1,5})?)$/);
      expect(
        rate
          .replace(/^[0.]+/, '')
          .replace('.', '')
          .replace(/0+$/, '').length,
      ).toBeLessThanOrEqual(6);
    }
  });

  it('prices directions like a market: one mid rate, each exchanger under it by its spread', () => {
    const fresh = new FeedSimulator({ exchangers: 10, changeShare: 0.2, tickSeconds: 3600, maxItems: 400 });
    for (const e of fresh.exchangers) expect(e.spread).toSatisfy((s: number) => s >= 0.005 && s <= 0.03);
    const byDirection = market(fresh.exchangers);
    // Popular directions are offered by several exchangers.
    expect([...byDirection.values()].filter((rates) => rates.length >= 3).length).toBeGreaterThan(20);
    expect(byDirection.get('BTC|USDTTRC20|')?.length).toBeGreaterThanOrEqual(5);
    for (const e of fresh.exchangers)
      for (const i of e.items) {
        const ratio = Number(i.rate) / fresh.midRate(i.from, i.to);
        expect(ratio).toBeLessThan(1 - e.spread + 0.0011);
        expect(ratio).toBeGreaterThan(1 - e.spread - 0.0011);
      }
    const mid = fresh.midRate('BTC', 'USDTTRC20');
    expect(mid).toBeGreaterThan(60_000);
    expect(mid).toBeLessThan(76_000);
    expect(fresh.midRate('USDTTRC20', 'SBERRUB')).toBeCloseTo(1 / 0.011, -1);
    expect(fresh.midRate('BTC', 'SBERRUB') * fresh.midRate('SBERRUB', 'BTC')).toBeCloseTo(1, 9);
  });

  it('builds the same market from the same seed', () => {
    const options = { exchangers: 3, changeShare: 0.5, tickSeconds: 3600, maxItems: 300 };
    const [a, b] = [new FeedSimulator(options), new FeedSimulator(options)];
    a.tick(0);
    b.tick(0);
    const items = (s: FeedSimulator) => s.exchangers.map((e) => e.items.map((i) => `${keyOf(i)} ${i.rate}`));
    expect(items(a)).toEqual(items(b));
    expect(items(new FeedSimulator({ ...options, seed: 7 }))).not.toEqual(items(a));
  });

  it('drifts so that no honest rate is ever better than the market by more than the guard allows', () => {
    const drifting = new FeedSimulator({ exchangers: 12, changeShare: 0.1, tickSeconds: 3600, maxItems: 800, seed: 3 });
    const start = drifting.midRate('BTC', 'USDTTRC20');
    const references: Array<Map<string, string>> = [];
    let judged = 0;
    const held: string[] = [];
    let moved = 0;
    for (let tick = 0; tick < 120; tick++) {
      const before = drifting.midRate('BTC', 'USDTTRC20');
      drifting.tick(tick);
      const step = drifting.midRate('BTC', 'USDTTRC20') / before - 1;
      expect(Math.abs(step)).toBeLessThanOrEqual(0.0101); // ±0.5 % per side at most
      moved = Math.max(moved, Math.abs(drifting.midRate('BTC', 'USDTTRC20') / start - 1));
      const byDirection = market(drifting.exchangers);
      const now = new Map<string, string>();
      for (const [key, rates] of byDirection) {
        const reference = median(rates);
        if (reference) now.set(key, reference);
      }
      references.push(now);
      // Judged against references a few ticks old (the refresh runs every 20 s, polls every 15 s).
      const reference = references[Math.max(0, references.length - 5)]!;
      if (tick % 10 !== 9) continue;
      for (const [key, rates] of byDirection) {
        const ref = reference.get(key);
        if (!ref) continue;
        for (const rate of rates) {
          judged++;
          if (judgeRate(rate, { rate: ref, source: 'market', exchangers: 3, via: null }, bandFor(key)))
            held.push(`${key} ${rate} vs ${ref}`);
        }
      }
    }
    expect(moved).toBeGreaterThan(0.002);
    expect(judged).toBeGreaterThan(5_000);
    expect(held).toEqual([]);
  });

  it("publishes the typo exchanger's typo on a direction with a market, caught by the guard, until it is corrected", async () => {
    const typoed = simulator.exchangers[7]!;
    expect(simulator.typoExchanger).toBe(typoed.slug);
    const first = await fetchFeed(7);
    const etag = first.headers.get('etag')!;
    const typo = simulator.startTypo()!;
    expect(typo.exchanger).toBe(typoed);
    expect(typo.item.city).toBeNull();
    expect(typo.rate).toBe(decimalText(Number(typo.item.rate) * 1000));
    const others = simulator.exchangers.filter((e) => e !== typoed && e.fault === 'none');
    const rates = others.flatMap((e) => e.byDirection.get(keyOf(typo.item))?.rate ?? []);
    expect(rates.length).toBeGreaterThanOrEqual(2);
    const reference = median([...rates, typo.rate])!; // the references count held offers in
    expect(
      judgeRate(typo.rate, { rate: reference, source: 'market', exchangers: 3, via: null }, bandFor(keyOf(typo.item)))
        ?.reason,
    ).toBe('too_good');

    expect((await fetchFeed(7, { 'if-none-match': etag })).status).toBe(200);
    const shown = (await report(7)).offers.filter((o) => o.from === typo.item.from && o.to === typo.item.to);
    expect(shown.map((o) => o.rate)).toEqual([typo.rate]);
    const truth = (await (
      await fetch(`${simulator.base}/truth/${typoed.slug}?from=${typo.item.from}&to=${typo.item.to}`)
    ).json()) as { rate: string; typo: boolean };
    expect(truth).toMatchObject({ rate: typo.rate, typo: true });
    // Only that one item is wrong.
    const honest = (await report(7)).offers.filter((o) => o.from !== typo.item.from || o.to !== typo.item.to);
    expect(honest.length).toBe(typoed.items.length - 1);

    simulator.endTypo();
    expect(simulator.typo).toBeNull();
    const after = (await report(7)).offers.filter((o) => o.from === typo.item.from && o.to === typo.item.to);
    expect(after.map((o) => o.rate)).toEqual([typo.item.rate]);
  });

  it('has no typo without a typo exchanger', () => {
    const plain = new FeedSimulator({ exchangers: 2, changeShare: 0.1, tickSeconds: 3600, maxItems: 300 });
    expect(plain.typoExchanger).toBeNull();
    expect(plain.startTypo()).toBeNull();
  });

  it('switches faults per exchanger', async () => {
    expect((await report(1)).status).toBe('maintenance');
    expect((await report(2)).error?.code).toBe('html_page');
    expect((await report(3)).error?.code).toBe('xml_malformed');
    expect((await report(4)).rejected.map((r) => r.reason)).toEqual(['unknown currency code ZZZCOIN']);
    expect((await fetchFeed(5)).status).toBe(500);
  });

  it('switches a fault over HTTP', async () => {
    const slug = simulator.exchangers[6]!.slug;
    expect((await fetch(`${simulator.base}/control/${slug}?fault=html`, { method: 'POST' })).status).toBe(204);
    expect((await report(6)).error?.code).toBe('html_page');
    expect((await fetch(`${simulator.base}/control/${slug}?fault=explode`, { method: 'POST' })).status).toBe(400);
    await fetch(`${simulator.base}/control/${slug}?fault=none`, { method: 'POST' });
    expect((await report(6)).status).toBe('ok');
  });
});

// Each test builds or walks whole 40-exchanger markets in decimals: seconds, more on a loaded machine.
describe('FeedSimulator, the market model (npm run demo)', { timeout: 30_000 }, () => {
  const demoMarket = (seed?: number) =>
    new FeedSimulator({
      exchangers: DEMO_EXCHANGERS,
      changeShare: 0.3,
      tickSeconds: 3600,
      market: true,
      faults: DEMO_FAULTS,
      typo: DEMO_TYPO,
      ...(seed === undefined ? {} : { seed }),
    });
  const simulator = demoMarket();
  const healthy = (s: FeedSimulator) => s.exchangers.filter((e) => e.fault === 'none');
  /** How many healthy exchangers offer a direction (and city). */
  const offeredBy = (s: FeedSimulator, key: string) => healthy(s).filter((e) => e.byDirection.has(key)).length;
  /** Every direction's visitor rates (what 1 `from` gets) across the exchangers. */
  const visitorMarket = (exchangers: SimExchanger[]) => {
    const byDirection = new Map<string, string[]>();
    for (const e of exchangers)
      for (const i of e.items)
        byDirection.set(keyOf(i), [...(byDirection.get(keyOf(i)) ?? []), visitorRate(i).toString()]);
    return byDirection;
  };

  beforeAll(async () => {
    await simulator.start();
  });

  afterAll(async () => {
    await simulator.stop();
  });

  it('has the named cast, the same whatever the seed, and the same market from the same seed', () => {
    expect(simulator.exchangers.slice(0, 3).map((e) => [e.slug, e.name])).toEqual([
      ['aurora', 'Aurora Exchange'],
      ['baikal', 'Baikal Change'],
      ['cobalt', 'Cobalt Swap'],
    ]);
    expect(new Set(simulator.exchangers.map((e) => e.slug)).size).toBe(DEMO_EXCHANGERS);
    const items = (s: FeedSimulator) => s.exchangers.map((e) => e.items.map((i) => `${keyOf(i)} ${i.rate}`));
    const again = demoMarket();
    again.tick(0);
    const once = demoMarket();
    once.tick(0);
    expect(items(again)).toEqual(items(once));
    const other = demoMarket(7);
    expect(other.exchangers.map((e) => e.slug)).toEqual(simulator.exchangers.map((e) => e.slug));
    expect(items(other)).not.toEqual(items(simulator));
  });

  it('quotes every item 0.2–3 % under the reference, the cheap side written as `in` (6 700 000 SBERRUB for 1 BTC)', () => {
    for (const e of simulator.exchangers)
      for (const i of e.items) {
        const ratio = visitorRate(i).div(simulator.market!.mid(i.from, i.to));
        expect(ratio.toNumber(), `${e.slug} ${keyOf(i)}`).toBeGreaterThanOrEqual(0.97 - 1e-5);
        expect(ratio.toNumber(), `${e.slug} ${keyOf(i)}`).toBeLessThanOrEqual(0.998 + 1e-5);
        expect(new Dec(i.rate).gte(1)).toBe(true);
      }
    const btcRub = simulator.market!.mid('BTC', 'SBERRUB').toNumber();
    expect(btcRub).toBeGreaterThan(5_000_000);
    expect(btcRub).toBeLessThan(8_000_000);
    expect(simulator.exchangers[0]!.byDirection.get('SBERRUB|BTC|')).toMatchObject({ inverse: true });
    expect(simulator.market!.mid('USDTTRC20', 'USDTERC20').toString()).toBe('1');
  });

  it('holds the facts the README relies on, for this seed and others', () => {
    for (const s of [simulator, ...[1, 2, 3, 7, 99].map(demoMarket)]) {
      const aurora = s.exchangers[0]!;
      expect(aurora.slug).toBe('aurora');
      expect(aurora.fault).toBe('none');
      expect(s.typoExchanger).not.toBe('aurora');
      for (const key of ['BTC|SBERRUB|', 'USDTTRC20|SBERRUB|', 'USDTTRC20|CASHUSD|MSK', 'USDTTRC20|CASHUSD|SPB'])
        expect(aurora.byDirection.has(key), key).toBe(true);
      for (const key of ['BTC|SBERRUB|', 'USDTTRC20|SBERRUB|', 'SBERRUB|BTC|', 'ETH|USDTTRC20|'])
        expect(offeredBy(s, key), key).toBeGreaterThanOrEqual(20);
      expect(offeredBy(s, 'USDTTRC20|CASHUSD|MSK')).toBeGreaterThanOrEqual(3);
      expect(offeredBy(s, 'USDTTRC20|CASHUSD|SPB')).toBeGreaterThanOrEqual(3);
      expect(offeredBy(s, 'USDTTRC20|CASHRUB|MSK')).toBeGreaterThanOrEqual(3);
    }
  });

  it('renders again only the moved items in every dialect: the body stays byte for byte a fresh render', () => {
    const sim = demoMarket(7);
    for (const e of sim.exchangers) sim.body(e);
    sim.tick();
    sim.startTypo();
    for (const e of sim.exchangers) {
      const served = sim.body(e).body.toString();
      e.cache = null;
      expect(served, `${e.slug} (${e.dialect})`).toBe(sim.body(e).body.toString());
    }
    expect(new Set(sim.exchangers.map((e) => e.dialect))).toEqual(new Set(SIM_DIALECTS));
  });

  it('publishes every dialect ratewatch reads, with limits, fees and flags, every item accepted', async () => {
    const dialects = new Set<string>();
    const flags = new Set<string>();
    const fees = new Set<string>();
    for (const exchanger of healthy(simulator)) {
      const response = await fetch(simulator.feedUrl(exchanger));
      const result = checkFeed(
        Buffer.from(await response.arrayBuffer()),
        { format: 'auto', contentType: response.headers.get('content-type') },
        context,
      );
      expect(result.status, exchanger.slug).toBe('ok');
      expect(result.rejected, exchanger.slug).toEqual([]);
      expect(result.warnings, exchanger.slug).toEqual([]);
      expect(result.stats.offers).toBe(exchanger.items.length);
      expect(result.dialect, exchanger.slug).toBe(exchanger.dialect);
      dialects.add(result.dialect!);
      for (const offer of result.offers) {
        const item = exchanger.byDirection.get(keyOf(offer))!;
        expect(new Dec(offer.rate).minus(visitorRate(item)).abs().div(offer.rate).toNumber()).toBeLessThan(1e-30);
        if (exchanger.format !== 'txt') expect(offer.fromMin, exchanger.slug).toBe(item.terms!.min);
        for (const f of offer.flags) flags.add(f);
        for (const f of [...offer.fromFee, ...offer.toFee]) fees.add(f.kind);
      }
    }
    expect([...dialects].sort()).toEqual([...SIM_DIALECTS].sort());
    expect([...flags].sort()).toEqual(['cardverify', 'floating', 'manual', 'verifying']);
    expect([...fees].sort()).toEqual(['fixed', 'percent']);
  });

  it('answers maintenance in the format of the feed', async () => {
    expect(simulator.exchangers[3]).toMatchObject({ slug: 'delta', fault: 'maintenance' });
    const bySlug = (slug: string) => simulator.exchangers.find((e) => e.slug === slug)!;
    const formats: string[] = [];
    for (const exchanger of [bySlug('delta'), bySlug('ember'), bySlug('juniper')]) {
      const before = exchanger.fault;
      simulator.setFault(exchanger.slug, 'maintenance');
      const response = await fetch(simulator.feedUrl(exchanger));
      const result = checkFeed(Buffer.from(await response.arrayBuffer()), { format: 'auto' }, context);
      simulator.setFault(exchanger.slug, before);
      expect(result.status, exchanger.slug).toBe('maintenance');
      formats.push(exchanger.format);
    }
    expect(formats).toEqual(['xml', 'json', 'txt']);
  });

  it('walks the reference by 0.1 % at most a tick and never lets an honest offer look better than the guard allows', () => {
    const drifting = demoMarket(5);
    const held: string[] = [];
    let judged = 0;
    let moved = 0;
    let reference = new Map<string, string>();
    const start = drifting.market!.mid('BTC', 'USDTTRC20');
    for (let tick = 0; tick < 120; tick++) {
      const before = drifting.market!.mid('BTC', 'USDTTRC20');
      drifting.tick(tick);
      const now = drifting.market!.mid('BTC', 'USDTTRC20');
      expect(now.div(before).minus(1).abs().toNumber()).toBeLessThanOrEqual(0.00101); // 10 bp of the base
      moved = Math.max(moved, now.div(start).minus(1).abs().toNumber());
      // Judged against references four ticks old (the refresh runs every 20 s, the demo ticks every 10 s).
      if (tick % 10 === 5)
        reference = new Map(
          [...visitorMarket(healthy(drifting))].flatMap(([key, rates]) => {
            const centre = median(rates);
            return centre ? [[key, centre]] : [];
          }),
        );
      if (tick % 10 !== 9) continue;
      for (const [key, rates] of visitorMarket(healthy(drifting))) {
        const ref = reference.get(key);
        if (!ref) continue;
        for (const rate of rates) {
          judged++;
          if (judgeRate(rate, { rate: ref, source: 'market', exchangers: 3, via: null }, bandFor(key)))
            held.push(`${key} ${rate} vs ${ref}`);
        }
      }
    }
    expect(moved).toBeGreaterThan(0.001);
    expect(judged).toBeGreaterThan(20_000);
    expect(held).toEqual([]);
  });

  it("typos the typo exchanger's rate × 1000 for the visitor, whichever side the feed prices", () => {
    const typoed = demoMarket();
    expect(typoed.typoExchanger).toBe('fathom');
    for (let round = 0; round < 10; round++) {
      const typo = typoed.startTypo()!;
      const shown = visitorRate(typo.item, typo.rate);
      expect(shown.div(visitorRate(typo.item)).toDecimalPlaces(6).toString()).toBe('1000');
      const others = visitorMarket(healthy(typoed).filter((e) => e !== typo.exchanger)).get(keyOf(typo.item))!;
      expect(others.length).toBeGreaterThanOrEqual(3);
      expect(
        judgeRate(shown.toString(), { rate: median(others)!, source: 'market', exchangers: 3, via: null }, '10')
          ?.reason,
      ).toBe('too_good');
    }
  });
});
