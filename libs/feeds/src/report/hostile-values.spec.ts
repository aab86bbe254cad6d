import { describe, expect, it } from 'vitest';
import { context } from '../normalize/scenarios/catalog.fixture';
import { checkFeed, FeedReport } from './feed-report';

/**
 * Feed content that used to fail a whole run (a throw, or text Postgres refuses) or to hold a worker
 * for seconds: each must give a report, with the damage limited to the item that carries it.
 */
const check = (body: string, format: 'auto' | 'xml' | 'json' | 'txt' = 'auto'): FeedReport =>
  checkFeed(Buffer.from(body), { format }, context());
const item = (inside: string) => `<item><from>BTC</from><to>ETH</to><in>1</in><out>20</out>${inside}</item>`;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What Postgres would refuse in jsonb: a NUL, or a lone surrogate (JSON.stringify writes it as \ud800). */
function storableAsJsonb(report: FeedReport): boolean {
  const texts = [report.error?.message ?? '', ...report.warnings, ...report.rejected.map((r) => r.reason)];
  return texts.every((text) => !text.includes('\u0000') && !LONE_SURROGATE.test(text));
}

describe('checkFeed: hostile values', () => {
  it('keeps lone surrogates out of stored messages (Postgres jsonb refuses \\ud800)', () => {
    const reports = [
      check('{"error":"Техническое обслуживание \\ud800"}'),
      check('{"error":"Access denied \\udc00"}'),
      check(
        '{"version":"1.3","currencies":{"list":{"1":"BTC"}},"exchange":{"\\ud800x":0,"1":{"to":{"\\udc00":{"xr":"1"}}}}}',
      ),
      check(`<rates>${item('')}<item><from>\ud800</from><to>ETH</to><in>1</in><out>2</out></item></rates>`),
    ];
    for (const report of reports) expect(storableAsJsonb(report), JSON.stringify(report)).toBe(true);
  });

  it('reads a number field of 100,000 digits followed by a letter in linear time, as unreadable', () => {
    const report = check(
      `<rates>${item('')}<item><from>ETH</from><to>BTC</to><in>1</in><out>${'1'.repeat(100_000)}x</out></item></rates>`,
    );
    expect(report.stats).toMatchObject({ offers: 1, rejected: 1 });
    expect(report.rejected[0]?.reason).toMatch(/^out must be a positive number/);
  });

  it('tells an HTML page of 300,000 unclosed <title tags without rescanning it', () => {
    expect(check(`<html>${'<title'.repeat(60_000)}`)).toMatchObject({ status: 'error', error: { code: 'html_page' } });
  });

  it('calls malformed JSON with long numbers and an unterminated string malformed, without the quadratic pass', () => {
    expect(check(`[1234567890123456789,"${'\\"'.repeat(100_000)}`)).toMatchObject({
      status: 'error',
      error: { code: 'json_malformed' },
    });
  });

  it('stops building offers once duplicates and cities pass the cap', () => {
    const line = `BTC;CASHUSD;1;1;1;${Array.from({ length: 500 }, (_, i) => `C${i}`).join(',')};\n`;
    const report = check(line.repeat(400), 'txt');
    expect(report).toMatchObject({ status: 'error', error: { code: 'too_many_items' } });
    expect(report.error?.message).toMatch(/cities and duplicates counted/);
  });

  it('does not take a short TXT feed for a maintenance notice because a comment says so', () => {
    expect(check('# maintenance window Sun 03:00\nBTC;ETH;1;20;5;\n', 'auto')).toMatchObject({
      status: 'ok',
      stats: { offers: 1 },
    });
  });

  it('keeps a flag and a city written with a character reference for NUL (read as U+FFFD)', () => {
    const report = check(
      `<rates><item><from>BTC</from><to>CASHUSD</to><in>1</in><out>20</out><param>manual&#0;</param><city>MSK&#0;</city></item></rates>`,
    );
    expect(report.offers[0]).toMatchObject({ flags: ['manual'], city: 'MSK' });
  });

  it('reads <item>s of a <rates> wrapped in another root, with a warning', () => {
    const report = check(`<response><status>ok</status><rates>${item('')}</rates></response>`);
    expect(report).toMatchObject({
      status: 'ok',
      stats: { offers: 1 },
      warnings: ['the <rates> are wrapped in <response>; read anyway'],
    });
  });
});

describe('checkFeed: EREF 1.1 limits with a unit', () => {
  it('moves a limit whose unit names the other side, and warns about a unit naming neither', () => {
    const report = check(
      '<rates><item><from>SBERRUB</from><to>BTC</to><in>6600000</in><out>1</out><frommin>0.01 BTC</frommin><tomax>500000 RUB</tomax><frommax>9 EUR</frommax></item></rates>',
    );
    // tomax in RUB is a from-side limit; frommax in EUR stays on its side: the smaller of the two maxima wins.
    expect(report.offers[0]).toMatchObject({ fromMin: null, toMin: '0.01', fromMax: '9', toMax: null });
    expect(report.warnings).toEqual([
      'item 0: frommax unit EUR names neither SBERRUB nor BTC; taken as a SBERRUB limit',
    ]);
  });
});
