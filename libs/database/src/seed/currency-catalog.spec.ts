import { describe, expect, it } from 'vitest';
import { parseCurrencyCsv, readBundledCatalog } from './currency-catalog';

describe('parseCurrencyCsv', () => {
  it('reads rows with their kind', () => {
    const rows = parseCurrencyCsv('bestchange_id,code,name,ticker,iso,kind\r\n1,WMZ,WebMoney WMZ,WMZ,USD,emoney\r\n');
    expect(rows).toEqual([
      { bestchangeId: 1, code: 'WMZ', name: 'WebMoney WMZ', ticker: 'WMZ', iso: 'USD', kind: 'emoney' },
    ]);
  });

  it('refuses a file without the header', () => {
    expect(() => parseCurrencyCsv('1,WMZ,WebMoney WMZ,WMZ,USD,emoney')).toThrow(/header/);
  });

  it('names the line of a bad row', () => {
    const text = 'bestchange_id,code,name,ticker,iso,kind\n1,WMZ,WebMoney WMZ,WMZ,USD,emoney\n2,wmz,x,x,x,emoney\n';
    expect(() => parseCurrencyCsv(text)).toThrow(/line 3: bad code "wmz"/);
    expect(() => parseCurrencyCsv('bestchange_id,code,name,ticker,iso,kind\n1,WMZ,W,W,USD,stocks')).toThrow(
      /unknown kind/,
    );
  });
});

describe('the bundled catalog', () => {
  it('holds the 322 standard codes, each once', () => {
    const rows = readBundledCatalog();
    expect(rows).toHaveLength(322);
    expect(new Set(rows.map((r) => r.code)).size).toBe(322);
    expect(rows.find((r) => r.code === 'USDTTRC20')).toMatchObject({ ticker: 'USDT', kind: 'crypto' });
  });
});
