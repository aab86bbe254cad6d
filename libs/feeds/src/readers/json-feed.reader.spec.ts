import { describe, expect, it } from 'vitest';
import { canonicalDecimal } from '@app/domain';
import { JsonFeedReader } from './json-feed.reader';
import { MAX_FEED_ITEMS } from './feed-reader';

const reader = new JsonFeedReader();
const items = (json: string) => {
  const result = reader.read(json);
  if (result.kind !== 'items') throw new Error(`expected items, got ${JSON.stringify(result)}`);
  return result.items;
};

describe('JsonFeedReader', () => {
  it('keeps every digit of long numbers and huge exponents, whatever path parses them', () => {
    const [item] = items(
      '{"rates":[{"from":"BTC","in":12345678.123456789,"out":1e-400,"amount":99999999999999999999}]}',
    );
    expect(item).toMatchObject({ in: '12345678.123456789', out: '1e-400', amount: '99999999999999999999' });
  });

  it('gives the same values on the float-safe path and the exact path', () => {
    const body = (pad: string) =>
      `{"pad":"${pad}","rates":[{"in":1.2E-5,"out":84.20,"amount":-1,"minamount":[25,"0.5 BTC"]}]}`;
    const fast = items(body('x'))[0]!;
    const exact = items(body('1234567890123456'))[0]!;
    for (const field of ['in', 'out', 'amount'] as const)
      expect(canonicalDecimal(fast[field])).toBe(canonicalDecimal(exact[field]));
    expect(fast.minamount).toEqual(['25', '0.5 BTC']);
    expect(exact.minamount).toEqual(['25', '0.5 BTC']);
  });

  it('keeps JSON numbers exactly as written', () => {
    const [item] = items(
      '{"rates":[{"from":"BTC","to":"ETH","in":1,"out":0.10000000000000000555,"amount":12345678901234567890.5}]}',
    );
    expect(item).toMatchObject({ in: '1', out: '0.10000000000000000555', amount: '12345678901234567890.5' });
  });

  it('does not touch digits inside strings', () => {
    const [item] = items('{"rates":[{"from":"USDT\\"TRC20 1.5","to":"ETH","in":"1,5","out":2e-5}]}');
    expect(item).toMatchObject({ from: 'USDT"TRC20 1.5', in: '1,5' });
    expect(canonicalDecimal(item!.out)).toBe('0.00002');
  });

  it('reads the older dialect', () => {
    const [item] = items(
      '[{"from":"BTC","to":"ETH","in":1,"out":20,"in_min_amount":0.01,"in_max_amount":"2","in_min_fee":"0.0001","in_fee":"1 %","out_fee":0.5,"options":["manual","verifying"]}]',
    );
    expect(item).toMatchObject({ in: '1', out: '20' });
    expect(item).toMatchObject({
      frommin: '0.01',
      frommax: '2',
      minfee: [{ text: '0.0001' }],
      fromfee: [{ text: '1 %' }],
      tofee: [{ text: '0.5' }],
      param: 'manual,verifying',
    });
  });

  it('reads repeated limits given as arrays', () => {
    expect(items('{"rates":[{"minamount":["1 BTC","0.5 BTC"]}]}')[0]?.minamount).toEqual(['1 BTC', '0.5 BTC']);
  });

  it('keeps the index of an item that is not an object', () => {
    const list = items('{"rates":[42, {"from":"BTC"}]}');
    expect(list).toHaveLength(2);
    expect(list[1]?.from).toBe('BTC');
  });

  it('calls malformed or truncated JSON an error', () => {
    expect(reader.read('{"rates":[{"from":"BTC"')).toMatchObject({ kind: 'error', code: 'json_malformed' });
    expect(reader.read('{"rates":[{"out":NaN}]}')).toMatchObject({ kind: 'error', code: 'json_malformed' });
  });

  it('refuses an unexpected shape and reads an error answer', () => {
    expect(reader.read('{"data":[]}')).toMatchObject({ kind: 'error', code: 'json_unexpected_shape' });
    expect(reader.read('{"error":"Техническое обслуживание"}')).toMatchObject({ kind: 'maintenance' });
  });

  it('refuses a feed with too many items', () => {
    const huge = `{"rates":[${'{},'.repeat(MAX_FEED_ITEMS)}{}]}`;
    expect(reader.read(huge)).toMatchObject({ kind: 'error', code: 'too_many_items' });
  });
});

describe('JsonFeedReader number quoting', () => {
  it('gives the same items whether or not a string looks like a number in value position', () => {
    const tricky = '{"rates":[{"from":"BTC","to":"ETH","in":1,"out":20.5,"param":"x:1,y","city":"[2]"}]}';
    const [item] = items(tricky);
    expect(item).toMatchObject({ in: '1', out: '20.5', param: 'x:1,y', city: '[2]' });
  });

  it('keeps numbers in nested arrays and after whitespace', () => {
    const [item] = items('{ "rates" : [ { "from" : "BTC" , "in" :\n 1.50 , "out" : 2e3 } ] }');
    expect([canonicalDecimal(item!.in), canonicalDecimal(item!.out)]).toEqual(['1.5', '2000']);
  });
});

describe('JsonFeedReader: the dominant engine’s dialects', () => {
  it('reads the engine’s maintenance pair as maintenance, any other error pair as an error answer', () => {
    expect(reader.read('["error","Техническое обслуживание"]')).toMatchObject({
      kind: 'maintenance',
      message: 'Техническое обслуживание',
    });
    expect(reader.read('["error","Maintenance"]')).toMatchObject({ kind: 'maintenance' });
    expect(reader.read('["ERROR","Access denied"]')).toMatchObject({ kind: 'error', code: 'feed_error_answer' });
  });

  it('still reads a two-element array of rates as rates', () => {
    expect(items('[{"from":"BTC"},{"from":"ETH"}]')).toHaveLength(2);
  });

  it('reads an options object of the usual dialect: known flags, the rest as free flags, falsy ones absent', () => {
    const [item] = items(
      '{"rates":[{"from":"BTC","options":{"manual":true,"ident":1,"juridical":0,"weekends":1,"reg":false}}]}',
    );
    expect(item).toMatchObject({ flags: ['manual', 'verifying'], param: 'weekends' });
  });

  describe('version 1.3', () => {
    const v13 = (exchange: string, list = '{"1":"BTC","2":"ETH","3":"CASHUSD"}', amounts = '{}') =>
      reader.read(`{"version":"1.3","currencies":{"list":${list},"amounts":${amounts}},"exchange":${exchange}}`);
    const v13items = (exchange: string, list?: string, amounts?: string) => {
      const result = v13(exchange, list, amounts);
      if (result.kind !== 'items') throw new Error(JSON.stringify(result));
      return result.items;
    };

    it('is recognised by its shape, whatever the version says', () => {
      expect(v13('{}')).toMatchObject({ kind: 'items', dialect: 'json-1.3', items: [] });
    });

    it('turns a negative xr into 1 → |xr| and a positive one into xr → 1, JSON numbers exact', () => {
      const list = v13items('{"1":{"to":{"2":{"xr":-26.70000000000000000001}}},"2":{"to":{"1":{"xr":"26.9"}}}}');
      expect(list.map((i) => [i.from, i.to, i.in, i.out])).toEqual([
        ['BTC', 'ETH', '1', '26.70000000000000000001'],
        ['ETH', 'BTC', '26.9', '1'],
      ]);
    });

    it('marks an offer whose currency id is not in the list, or which has no xr, as defective', () => {
      const list = v13items('{"1":{"to":{"9":{"xr":"-1"},"2":{"min":"1"}}},"7":[]}');
      // Keys that look like integers come in numeric order, as the engine writes them (ksort).
      expect(list.map((i) => i.defect)).toEqual([
        'the rate xr is missing',
        'currency id "9" is not in currencies.list',
        'exchange["7"] has no "to" object',
      ]);
    });

    it('takes the reserve from the offer, else from currencies.amounts of the received currency', () => {
      const list = v13items(
        '{"1":{"to":{"2":{"xr":"-26","amount":"5"}}},"2":{"to":{"1":{"xr":"27"}}}}',
        undefined,
        '{"1":"0.75"}',
      );
      expect(list.map((i) => i.amount)).toEqual(['5', '0.75']);
    });

    it('keeps an unknown fee form as a short text for the normalizer to warn about', () => {
      const [item] = v13items('{"1":{"to":{"2":{"xr":"-26","inFee":{"per-mille":3}}}}}');
      expect(item?.fromfee).toEqual([{ text: '{…}' }]);
    });

    it('reads a fee sum nested 5,000 deep without recursing that deep (one item warned, the feed read)', () => {
      const deep = `${'["+",'.repeat(5000)}1${']'.repeat(5000)}`;
      const [item] = v13items(
        `{"1":{"to":{"2":{"xr":"-26","inFee":${deep},"outFee":${'['.repeat(5000)}1${']'.repeat(5000)}}}}}`,
      );
      expect(item?.fromfee).toEqual([{ text: '[…]' }]);
      expect(item?.tofee).toEqual([{ text: '[…]' }]);
    });

    it('counts entries without a "to" object against the item cap too', () => {
      const exchange = `{${Array.from({ length: MAX_FEED_ITEMS + 5 }, (_, i) => `"${i}":0`).join(',')}}`;
      expect(v13(exchange)).toMatchObject({ kind: 'error', code: 'too_many_items' });
    });

    it('quotes ids in messages, so a lone surrogate or markup in an id stays visible text', () => {
      const list = v13items('{"\\ud800x":{"to":0},"1":{"to":{"<b>":{"xr":"1"}}}}');
      expect(list.map((i) => i.defect)).toEqual([
        'currency id "<b>" is not in currencies.list',
        'exchange["\\ud800x"] has no "to" object',
      ]);
    });

    it('counts offers against the item cap', () => {
      const targets = Array.from({ length: 400 }, (_, i) => `"${i}":{"xr":"1"}`).join(',');
      const exchange = `{${Array.from({ length: 251 }, (_, i) => `"${i}":{"to":{${targets}}}`).join(',')}}`;
      expect(MAX_FEED_ITEMS).toBeLessThan(251 * 400);
      expect(v13(exchange)).toMatchObject({ kind: 'error', code: 'too_many_items' });
    });
  });
});
