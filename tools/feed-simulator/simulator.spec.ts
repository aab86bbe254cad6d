import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundledCatalog } from '@app/database';
import {
  bandOf,
  DEFAULT_CURRENCY_ALIASES,
  DEFAULT_INTEGRITY_BAND,
  DEFAULT_INTEGRITY_BANDS,
  judgeRate,
} from '@app/domain';
import { buildContext, checkFeed } from '@app/feeds';
import { decimalText, FeedSimulator, SimExchanger } from './simulator';

const kinds = new Map(readBundledCatalog().map((c) => [c.code, c.kind]));
const keyOf = (i: { from: string; to: string; city: string | null }) => `${i.from}|${i.to}|${i.city ?? ''}`;
/** Every direction's rates across the exchangers. */
const market = (exchangers: SimExchanger[]) => {
  const byDirection = new Map<string, string[]>();
  for (const e of exchangers)
    for (const i of e.items) byDirection.set(keyOf(i), [...(byDirection.get(keyOf(i)) ?? []), i.rate]);
  return byDirection;
};
/** The guard's market reference: the median of three or more exchangers' rates. */
const median = (rates: string[]) =>
  rates.length < 3 ? null : [...rates].sort((a, b) => Number(a) - Number(b))[Math.floor((rates.length - 1) / 2)]!;
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
