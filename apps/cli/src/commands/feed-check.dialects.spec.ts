import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundledCatalog } from '@app/database';
import { calculate, DEFAULT_CURRENCY_ALIASES, Dec } from '@app/domain';
import { buildContext, FeedReport } from '@app/feeds';
import { runCli } from '../cli';

/**
 * One fixture per dialect of DESIGN.md §2 (test/fixtures/dialects, written from the engine's export
 * code: Premium Exchanger's `direction_xml` module), through `feed:check --json` with the bundled
 * catalog and default aliases — the same reading a poll does.
 */
const DIALECTS = join(__dirname, '../../../../test/fixtures/dialects');
const reports = new Map<string, FeedReport>();
const statuses = new Map<string, number>();
const FILES = [
  'premium-eref-1.1.xml',
  'premium-cities.txt',
  'premium-maintenance.json',
  'premium-1.3.json',
  'units-and-renames.xml',
  'wrapped-roots.xml',
  'items-root.xml',
  'cr-line-ends.txt',
  'defects.xml',
];

beforeAll(async () => {
  for (const file of FILES) {
    const out: string[] = [];
    statuses.set(
      file,
      await runCli(
        ['feed:check', join(DIALECTS, file), '--json'],
        {},
        { out: (t) => out.push(t), err: () => undefined },
      ),
    );
    reports.set(file, JSON.parse(out.join('')) as FeedReport);
  }
});

const check = (file: string): FeedReport => reports.get(file)!;
const context = buildContext(
  readBundledCatalog().map((c) => ({ ...c, enabled: true })),
  Object.entries(DEFAULT_CURRENCY_ALIASES),
);
const offer = (report: FeedReport, from: string, to: string, city: string | null = null) => {
  const found = report.offers.find((o) => o.from === from && o.to === to && o.city === city);
  if (!found)
    throw new Error(
      `no ${from}→${to} ${city ?? ''} in ${JSON.stringify(report.offers.map((o) => `${o.from}→${o.to}`))}`,
    );
  return found;
};
const unit = (code: string) => {
  const c = context.currencies.get(code)!;
  return { code: c.code, ticker: c.ticker, iso: c.iso, kind: c.kind };
};

describe('dialect: EREF 1.1 as Premium Exchanger writes it (premium-eref-1.1.xml)', () => {
  let report: FeedReport;
  beforeAll(() => {
    report = check('premium-eref-1.1.xml');
  });

  it('is recognised as EREF 1.1, every item read', () => {
    expect(report).toMatchObject({
      status: 'ok',
      format: 'xml',
      dialect: 'xml-eref-1.1',
      stats: { items: 5, offers: 6, rejected: 0 },
    });
  });

  it('reads type="%" as a percent and repeated fee elements as components that all apply', () => {
    const btc = offer(report, 'BTC', 'SBERRUB');
    expect(btc.fromFee).toEqual([{ kind: 'percent', value: '0.5' }]);
    expect(btc.toFee).toEqual([
      { kind: 'fixed', value: '100', unit: 'SBERRUB' },
      { kind: 'percent', value: '0.2' },
    ]);
    expect(offer(report, 'PMUSD', 'USDTTRC20').fromFee).toEqual([
      { kind: 'percent', value: '0.5' },
      { kind: 'fixed', value: '0.01', unit: 'PMUSD' },
    ]);
  });

  it('applies every fee component in the calculator: 1 BTC less 0.5 %, then less 0.2 % and 100 RUB', () => {
    const result = calculate(offer(report, 'BTC', 'SBERRUB'), new Dec(1), 'give', unit('BTC'), unit('SBERRUB'));
    // 0.995 BTC × 6,612,345.5 = 6,579,283.7725; less 0.2 % (13,158.567545) and 100 = 6,566,025.204955 → 6,566,025.2
    expect(result).toMatchObject({ ok: true, get: new Dec('6566025.2') });
  });

  it('reads flag elements, false and 0 meaning absent', () => {
    expect(offer(report, 'BTC', 'SBERRUB').flags).toEqual(['manual', 'verifying']);
    expect(offer(report, 'USDTTRC20', 'CASHRUB', 'MSK').flags).toEqual(['juridical', 'floating']);
    expect(offer(report, 'SBERRUB', 'USDTTRC20').flags).toEqual(['verifying', 'cardverify']);
    expect(offer(report, 'PMUSD', 'USDTTRC20').flags).toEqual(['reg']);
  });

  it('keeps the floating terms and the delay', () => {
    expect(offer(report, 'USDTTRC20', 'CASHRUB', 'SPB')).toMatchObject({
      floating: { percent: '1', minutes: 30 },
      delayMinutes: 15,
    });
    expect(offer(report, 'ETH', 'BTC')).toMatchObject({ floating: { percent: '0.5', minutes: 20 }, delayMinutes: 30 });
    expect(offer(report, 'BTC', 'SBERRUB')).toMatchObject({ floating: null, delayMinutes: null });
  });

  it('reads limits with the engine’s unit suffix on the side they name', () => {
    expect(offer(report, 'SBERRUB', 'USDTTRC20')).toMatchObject({ fromMin: '5000', fromMax: '1000000', toMin: null });
  });
});

describe('dialect: TXT with the cash city (premium-cities.txt)', () => {
  it('makes one offer per city from the sixth field, a comma list included; `;;` lines have none', () => {
    const report = check('premium-cities.txt');
    expect(report).toMatchObject({ status: 'ok', dialect: 'txt-cities', stats: { items: 6, offers: 8 } });
    expect(report.offers.filter((o) => o.to === 'CASHRUB').map((o) => [o.city, o.rate])).toEqual([
      ['MSK', '96.4'],
      ['SPB', '96.1'],
    ]);
    expect(report.offers.filter((o) => o.to === 'CASHUSD').map((o) => o.city)).toEqual(['MSK', 'KZN', 'EKB']);
    expect(offer(report, 'BTC', 'SBERRUB')).toMatchObject({ city: null, reserve: '18500000' });
    expect(report.warnings).toEqual([]);
  });
});

describe('dialect: JSON maintenance (premium-maintenance.json)', () => {
  it('is maintenance (exit 1), not two broken rates', () => {
    expect(statuses.get('premium-maintenance.json')).toBe(1);
    expect(check('premium-maintenance.json')).toMatchObject({
      status: 'maintenance',
      error: null,
      warnings: ['maintenance: Техническое обслуживание'],
    });
  });
});

describe('dialect: JSON version 1.3 (premium-1.3.json)', () => {
  let report: FeedReport;
  beforeAll(() => {
    report = check('premium-1.3.json');
  });

  it('is recognised, every offer read', () => {
    expect(report).toMatchObject({
      status: 'ok',
      format: 'json',
      dialect: 'json-1.3',
      stats: { items: 6, offers: 7, rejected: 0 },
    });
  });

  it('applies the sign of xr: negative gives |xr| per 1, positive takes xr for 1', () => {
    expect(offer(report, 'BTC', 'USDTTRC20')).toMatchObject({ in: '1', out: '67120.35', rate: '67120.35' });
    expect(offer(report, 'SBERRUB', 'BTC')).toMatchObject({ in: '6600000', out: '1' });
    expect(offer(report, 'ETH', 'BTC')).toMatchObject({ in: '1', out: '0.03741' });
  });

  it('reads min/max as from-side limits and the reserve from the entry or from currencies.amounts', () => {
    expect(offer(report, 'SBERRUB', 'BTC')).toMatchObject({ fromMin: '5000', fromMax: '500000', reserve: '2.5' });
    expect(offer(report, 'BTC', 'SBERRUB').reserve).toBe('9500000');
  });

  it('reads every fee form: a number, {"%": p} and ["+", {"%": p}, sum]', () => {
    const sber = offer(report, 'SBERRUB', 'BTC');
    expect(sber.fromFee).toEqual([
      { kind: 'percent', value: '0.5' },
      { kind: 'fixed', value: '100', unit: 'SBERRUB' },
    ]);
    expect(sber.toFee).toEqual([{ kind: 'fixed', value: '0.0001', unit: 'BTC' }]);
    expect(offer(report, 'SBERRUB', 'USDTTRC20').fromFee).toEqual([{ kind: 'percent', value: '0.3' }]);
    expect(offer(report, 'ETH', 'BTC').toFee).toEqual([
      { kind: 'percent', value: '0.1' },
      { kind: 'fixed', value: '0.0002', unit: 'BTC' },
    ]);
  });

  it('reads options (ident is verifying, auth is registration; 0 is absent) and cities', () => {
    expect(offer(report, 'SBERRUB', 'BTC').flags).toEqual(['manual', 'verifying']);
    expect(offer(report, 'BTC', 'SBERRUB').flags).toEqual(['reg']);
    expect(offer(report, 'ETH', 'BTC').flags).toEqual([]);
    expect(report.offers.filter((o) => o.from === 'CASHRUB').map((o) => o.city)).toEqual(['MSK', 'SPB']);
  });
});

describe('feed:check summary of an EREF 1.1 file', () => {
  it('names the dialect and shows percent and absolute fees, every component, flags and floating terms', async () => {
    const out: string[] = [];
    expect(
      await runCli(
        ['feed:check', join(DIALECTS, 'premium-eref-1.1.xml')],
        {},
        { out: (t) => out.push(t), err: () => undefined },
      ),
    ).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/^status: ok \(xml-eref-1\.1: XML EREF 1\.1/);
    expect(text).toContain(
      'BTC → SBERRUB: 1 → 6612345.5 (rate 6612345.5), reserve 18500000, min 0.005 BTC, max 2 BTC, fee on BTC 0.5 %, fee on SBERRUB 100 SBERRUB + 0.2 %, flags manual,verifying',
    );
    expect(text).toContain('flags juridical,floating, floating 1 % within 30 min, delay 15 min');
  });
});

describe('dirt around the dialects', () => {
  it('units on the reserve and on in/out that name their side are read; other units reject the item (units-and-renames.xml)', () => {
    const report = check('units-and-renames.xml');
    expect(offer(report, 'BTC', 'USDTTRC20')).toMatchObject({ reserve: '120000', flags: [] });
    expect(offer(report, 'USDTTRC20', 'BTC')).toMatchObject({ in: '1', reserve: '1.5', flags: ['manual'] });
    expect(offer(report, 'ETH', 'USDTTRC20')).toMatchObject({ out: '2510', flags: [] });
    expect(report.rejected).toEqual([
      { index: 3, reason: 'in "1 BTC" is in BTC, which is not the from currency ETH' },
      { index: 4, reason: 'the reserve "1.5 BTC" is in BTC, which is not the to currency SBERRUB' },
    ]);
  });

  it('reads the renamed MATIC as POL', () => {
    expect(offer(check('units-and-renames.xml'), 'POL', 'USDTTRC20')).toMatchObject({ rate: '0.41', reserve: '50000' });
  });

  it('forgives comments before the root and namespace prefixes (wrapped-roots.xml)', () => {
    expect(check('wrapped-roots.xml')).toMatchObject({ status: 'ok', stats: { items: 2, offers: 2 }, warnings: [] });
  });

  it('reads <item>s under another root, with a warning (items-root.xml)', () => {
    expect(check('items-root.xml')).toMatchObject({
      status: 'ok',
      stats: { offers: 3 },
      warnings: ['the <item>s are under <items>, not <rates>; read anyway'],
    });
  });

  it('reads every line of a TXT feed with CR-only line ends (cr-line-ends.txt)', () => {
    expect(check('cr-line-ends.txt')).toMatchObject({ status: 'ok', dialect: 'txt', stats: { items: 3, offers: 3 } });
  });

  it('rejects each defective item alone and keeps the good ones (defects.xml)', () => {
    const report = check('defects.xml');
    expect(report).toMatchObject({ status: 'ok', stats: { items: 10, offers: 3, rejected: 7 } });
    expect(report.offers.map((o) => `${o.from}>${o.to}`)).toEqual(['BTC>USDTTRC20', 'USDTTRC20>ETH', 'TON>USDTTRC20']);
    expect(report.rejected.map((r) => [r.index, r.reason.replace(/"[^"]*"/, '…')])).toEqual([
      [1, 'the field from appears twice'],
      [2, 'an <item> inside an <item>'],
      [3, 'markup <b> inside <out>'],
      [4, 'out … is out of range: more than 40 significant digits'],
      [5, 'in … is out of range: smaller than 1e-30'],
      [7, 'the rate 10000000000000000000000000/1 is out of range: larger than 1e18'],
      [8, 'the min amount … is out of range: smaller than 1e-30'],
    ]);
    // The NUL byte inside param is gone; the flags around it stay.
    expect(offer(report, 'USDTTRC20', 'ETH').flags).toEqual(['manual', 'verifying']);
  });
});
