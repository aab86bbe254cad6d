import { describe, expect, it } from 'vitest';
import { TxtFeedReader } from './txt-feed.reader';

const reader = new TxtFeedReader();

describe('TxtFeedReader', () => {
  it('reads CRLF lines with and without a trailing semicolon', () => {
    const result = reader.read('BTC;SBERRUB;1;6850000.5;12500000;\r\nETH;BTC;1;0.05;3\r\n');
    expect(result).toMatchObject({ kind: 'items', items: [{ from: 'BTC', to: 'SBERRUB', in: '1', out: '6850000.5', amount: '12500000' }, { from: 'ETH', amount: '3' }] });
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
});
