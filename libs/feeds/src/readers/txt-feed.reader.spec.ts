import { describe, expect, it } from 'vitest';
import { TxtFeedReader } from './txt-feed.reader';

const reader = new TxtFeedReader();

describe('TxtFeedReader', () => {
  it('reads CRLF lines with and without a trailing semicolon', () => {
    const result = reader.read('BTC;SBERRUB;1;6850000.5;12500000;\r\nETH;BTC;1;0.05;3\r\n');
    expect(result).toMatchObject({
      kind: 'items',
      items: [
        { from: 'BTC', to: 'SBERRUB', in: '1', out: '6850000.5', amount: '12500000' },
        { from: 'ETH', amount: '3' },
      ],
    });
  });

  it('skips a header line, blank lines and comments', () => {
    const result = reader.read('from;to;in;out;amount\n\n# prices\nBTC;ETH;1;20;5\n');
    expect(result.kind === 'items' && result.items).toHaveLength(1);
  });

  it('keeps a short line as an item so the normalizer rejects it with its index', () => {
    const result = reader.read('BTC;ETH;1;20;5\nBTC;ETH\nETH;BTC;1;0.05;1');
    expect(result.kind === 'items' && result.items.map((i) => i.from)).toEqual(['BTC', undefined, 'ETH']);
  });

  it('refuses text without semicolons', () => {
    expect(reader.read('hello world')).toMatchObject({ kind: 'error', code: 'txt_malformed' });
  });

  it('reads the sixth field as the cash city, empty on non-cash lines (`;;`)', () => {
    const result = reader.read(
      'USDTTRC20;CASHRUB;1;96.4;1000;MSK;\nBTC;SBERRUB;1;6600000;5000;;\nUSDTTRC20;CASHUSD;1;0.99;100;MSK, SPB;',
    );
    expect(result).toMatchObject({ kind: 'items', dialect: 'txt-cities' });
    expect(result.kind === 'items' && result.items.map((i) => i.city)).toEqual(['MSK', undefined, 'MSK, SPB']);
  });

  it.each([
    ['CR', '\r'],
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['mixed', '\r'],
  ])('reads every line with %s line ends', (_name, end) => {
    const body =
      ['BTC;ETH;1;20;5', 'ETH;BTC;1;0.05;1', 'LTC;BTC;1;0.001;9'].join(end) +
      (_name === 'mixed' ? '\nXMR;BTC;1;0.002;3\r\n' : end);
    const result = reader.read(body);
    expect(result.kind === 'items' && result.items.map((i) => i.from)).toEqual(
      _name === 'mixed' ? ['BTC', 'ETH', 'LTC', 'XMR'] : ['BTC', 'ETH', 'LTC'],
    );
    expect(result).toMatchObject({ dialect: 'txt' });
  });
});
