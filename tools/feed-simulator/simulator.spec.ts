import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundledCatalog } from '@app/database';
import { DEFAULT_CURRENCY_ALIASES } from '@app/domain';
import { buildContext, checkFeed } from '@app/feeds';
import { FeedSimulator } from './simulator';

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
    ).json()) as { rate: string; changedAt: string };
    const offer = (await report(0)).offers.find(
      (o) => o.from === item.from && o.to === item.to && o.city === item.city,
    );
    expect(offer?.rate).toBe(truth.rate);
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
