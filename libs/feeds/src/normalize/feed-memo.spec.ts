import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../../test/support/random';
import type { FeedFormatSetting } from '@app/domain';
import { checkFeed, FeedReport } from '../report/feed-report';
import { NormalizationMemo } from './feed-memo';
import type { NormalizationContext } from './normalization-context';
import { context } from './scenarios/catalog.fixture';

const CODES = [
  'BTC',
  'ETH',
  'USDTTRC',
  'USDTTRC20',
  'PMUSD',
  'SBERRUB',
  'TINKOFF',
  'CASHUSD',
  'CASHRUB',
  'QWRUB',
  'XYZ',
];

/** One item of every kind the normalizer tells apart: good ones, rejects, warnings, cities, duplicates. */
function randomItem(next: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const parts = [`<from>${pick(CODES)}</from>`, `<to>${pick(CODES)}</to>`];
  parts.push(`<in>${pick(['1', '1', '0.5', '0', 'x', '2 BTC'])}</in>`);
  parts.push(`<out>${pick(['20', '6850000.5', '1,5', '1e400', '-1', '0.000001'])}</out>`);
  if (next() < 0.7) parts.push(`<amount>${pick(['100', '-5', 'lots', '100 ETH', '25 000'])}</amount>`);
  if (next() < 0.3) parts.push(`<minamount>${pick(['10', '0.1 BTC', 'abc', '5 XYZ'])}</minamount>`);
  if (next() < 0.2) parts.push(`<fromfee type="%">${pick(['0.5', 'x', '1'])}</fromfee>`);
  if (next() < 0.2) parts.push(`<city>${pick(['MSK', 'MSK,SPB', 'bad city!', ''])}</city>`);
  if (next() < 0.1) parts.push(`<param>manual, ${pick(['verifying', '0', 'reg'])}</param>`);
  if (next() < 0.05) parts.push('<manual>true</manual>');
  return `<item>${parts.join('')}</item>`;
}

const feed = (items: readonly string[]) =>
  Buffer.from(`<?xml version="1.0"?>\n<rates>\n${items.join('\n')}\n</rates>\n`);

function check(body: Buffer, ctx: NormalizationContext, memo?: NormalizationMemo, format: FeedFormatSetting = 'auto') {
  return checkFeed(body, { format, memo: memo?.forFeed(1) }, ctx);
}

/** The reports as data: with and without the memo they must be equal, field for field. */
const plain = (report: FeedReport) => JSON.parse(JSON.stringify(report)) as unknown;

describe('FeedMemo: the next poll normalizes only what changed, with the same report', () => {
  it('gives exactly the report of the full path over polls where items change, move, repeat and go', () => {
    const next = seededRandom(7);
    const ctx = context();
    const memo = new NormalizationMemo();
    let items = Array.from({ length: 300 }, () => randomItem(next));
    for (let poll = 0; poll < 12; poll++) {
      const body = feed(items);
      expect(plain(check(body, ctx, memo))).toEqual(plain(check(body, ctx)));
      // Next poll: 10 % changed, a few moved, one removed, one duplicated.
      items = items.map((item) => (next() < 0.1 ? randomItem(next) : item));
      const moved = items.splice(Math.floor(next() * items.length), 5);
      items.splice(Math.floor(next() * items.length), 0, ...moved);
      items.splice(Math.floor(next() * items.length), 1);
      items.push(items[Math.floor(next() * items.length)]!);
    }
    expect(memo.size.entries).toBeGreaterThan(250);
  });

  it('counts duplicates right after items whose value changed took over the direction counts of the ones they replaced', () => {
    const ctx = context();
    const memo = new NormalizationMemo();
    const item = (from: string, to: string, out: string, city = '') =>
      `<item><from>${from}</from><to>${to}</to><in>1</in><out>${out}</out>${city && `<city>${city}</city>`}</item>`;
    const polls = [
      [item('BTC', 'ETH', '20'), item('PMUSD', 'SBERRUB', '90'), item('CASHUSD', 'BTC', '1', 'MSK')],
      // Values changed in place (same directions): counts handed over.
      [item('BTC', 'ETH', '21'), item('PMUSD', 'SBERRUB', '91'), item('CASHUSD', 'BTC', '2', 'MSK')],
      // A changed value in place and a new item with a direction already there: a duplicate.
      [
        item('BTC', 'ETH', '22'),
        item('PMUSD', 'SBERRUB', '91'),
        item('CASHUSD', 'BTC', '2', 'MSK'),
        item('BTC', 'ETH', '5'),
      ],
      // In place, but another direction; then the first direction again further on.
      [
        item('ETH', 'BTC', '0.05'),
        item('PMUSD', 'SBERRUB', '92'),
        item('BTC', 'ETH', '23'),
        item('CASHUSD', 'BTC', '3', 'MSK'),
      ],
      // The duplicate goes; a city item changes city in place.
      [
        item('ETH', 'BTC', '0.05'),
        item('PMUSD', 'SBERRUB', '92'),
        item('BTC', 'ETH', '23'),
        item('CASHUSD', 'BTC', '3', 'SPB'),
      ],
      [
        item('ETH', 'BTC', '0.06'),
        item('BTC', 'ETH', '24'),
        item('BTC', 'ETH', '25'),
        item('CASHUSD', 'BTC', '3', 'SPB,MSK'),
      ],
    ];
    const duplicates: number[] = [];
    for (const items of polls) {
      const body = feed(items);
      const warm = check(body, ctx, memo);
      expect(plain(warm)).toEqual(plain(check(body, ctx)));
      duplicates.push(warm.stats.duplicates);
    }
    expect(duplicates).toEqual([0, 0, 1, 0, 0, 1]);
  });

  it('replays unchanged items instead of normalizing them again', () => {
    const ctx = context();
    const memo = new NormalizationMemo();
    const next = seededRandom(3);
    const items = Array.from({ length: 50 }, () => randomItem(next));
    const first = check(feed(items), ctx, memo);
    const second = check(feed([randomItem(next), ...items]), ctx, memo);
    // The very objects of the first poll: they were not built again.
    const reused = second.offers.filter((offer) => first.offers.includes(offer));
    expect(reused.length).toBeGreaterThan(0);
    expect(reused.length).toBeGreaterThanOrEqual(first.offers.length - 1);
  });

  it('forgets everything when the catalog or aliases change (another context), the format setting or the dialect', () => {
    const memo = new NormalizationMemo();
    const body = feed([
      '<item><from>BTC</from><to>USDTTRC</to><in>1</in><out>20</out></item>',
      '<item><from>BTC</from><to>MYRUB</to><in>1</in><out>20</out></item>',
    ]);
    const before = check(body, context(), memo);
    expect(before.stats).toMatchObject({ offers: 1, rejected: 1 });
    // An admin adds the exchanger's alias: a new catalog version, a new context.
    const aliased = context(undefined, [['MYRUB', 'SBERRUB']]);
    const after = check(body, aliased, memo);
    expect(plain(after)).toEqual(plain(check(body, aliased)));
    expect(after.stats).toMatchObject({ offers: 2, rejected: 0 });
    // The alias goes again.
    expect(plain(check(body, context(), memo))).toEqual(plain(before));
    // The format setting.
    expect(plain(check(body, context(), memo, 'xml'))).toEqual(plain(check(body, context(), undefined, 'xml')));
    // The dialect: an EREF 1.1 item makes the feed EREF 1.1; the memo's entries were made for BestChange XML.
    const eref = feed([
      '<item><from>BTC</from><to>USDTTRC</to><in>1</in><out>20</out></item>',
      '<item><from>ETH</from><to>BTC</to><in>1</in><out>0.05</out><frommin>1</frommin></item>',
    ]);
    const erefReport = check(eref, context(), memo, 'xml');
    expect(erefReport.dialect).toBe('xml-eref-1.1');
    expect(plain(erefReport)).toEqual(plain(check(eref, context(), undefined, 'xml')));
  });

  it('gives the full path its say on a broken or unusual body, and starts again after it', () => {
    const ctx = context();
    const memo = new NormalizationMemo();
    const next = seededRandom(11);
    const items = Array.from({ length: 40 }, () => randomItem(next));
    const body = feed(items);
    check(body, ctx, memo);
    const bodies = [
      body.subarray(0, body.length - 20),
      Buffer.from(body.toString().replace('<rates>', '<rates><!-- c -->')),
      Buffer.from(body.toString().replace('</item>', '</item><item>')),
      Buffer.from(body.toString().replace('<from>', '<from><![CDATA[x]]>')),
      Buffer.from(`\uFEFF${body.toString().replace(/\n/g, '\r\n')}`),
      // Non-ASCII text (two-byte strings), and a windows-1251 body that says so.
      Buffer.from(body.toString().replace(/<\/item>/g, '<fromname>Сбербанк</fromname></item>')),
      Buffer.concat([
        Buffer.from('<?xml version="1.0" encoding="windows-1251"?>\n<rates>\n'),
        Buffer.from([0x3c, 0x69, 0x74, 0x65, 0x6d, 0x3e]),
        Buffer.from('<from>BTC</from><to>ETH</to><in>1</in><out>20</out><param>'),
        Buffer.from([0xd1, 0xe1, 0xe5, 0xf0]),
        Buffer.from('</param></item>\n</rates>'),
      ]),
      body,
      Buffer.from(JSON.stringify({ rates: [{ from: 'BTC', to: 'ETH', in: 1, out: 20 }] })),
      Buffer.from('<error>Техническое обслуживание</error>'),
      body,
    ];
    for (const variant of bodies) expect(plain(check(variant, ctx, memo))).toEqual(plain(check(variant, ctx)));
  });

  it('keeps a feed within its bound and all feeds within the total, dropping only idle feeds', () => {
    const ctx = context();
    const next = seededRandom(5);
    const body = feed(Array.from({ length: 100 }, () => randomItem(next)));
    const tooSmall = new NormalizationMemo({ maxBytesPerFeed: 10_000, maxBytesTotal: 1e9, idleMs: 1000 });
    expect(plain(check(body, ctx, tooSmall))).toEqual(plain(check(body, ctx)));
    expect(tooSmall.size).toEqual({ feeds: 0, entries: 0, bytes: 0 });

    let now = 0;
    const sized = new NormalizationMemo();
    check(body, ctx, sized);
    const room = Math.floor(sized.size.bytes * 1.5);
    // The body's copy counts too.
    expect(sized.size.bytes).toBeGreaterThan(body.length);
    const roomForOne = new NormalizationMemo({ maxBytesPerFeed: 1e9, maxBytesTotal: room, idleMs: 1000 }, () => now);
    checkFeed(body, { format: 'auto', memo: roomForOne.forFeed('a') }, ctx);
    const one = roomForOne.size;
    expect(one.feeds).toBe(1);
    expect(one.bytes).toBeLessThanOrEqual(room);
    // A second feed while the first is busy: not kept (the first stays).
    now = 500;
    checkFeed(body, { format: 'auto', memo: roomForOne.forFeed('b') }, ctx);
    expect(roomForOne.size).toEqual(one);
    // The first went idle: it gives its room.
    now = 5000;
    checkFeed(body, { format: 'auto', memo: roomForOne.forFeed('b') }, ctx);
    expect(roomForOne.size.feeds).toBe(1);
    expect(roomForOne.forFeed('a').entryCount).toBe(0);
    expect(roomForOne.forFeed('b').entryCount).toBeGreaterThan(0);
  });

  it('tells apart items whose hashes collide, and drops any of them from the middle of a chain', () => {
    const memo = new NormalizationMemo().forFeed('collisions');
    const bytes = Buffer.from('<item>a</item><item>b</item><item>c</item><item>d</item>', 'latin1');
    const entry = (from: number) => ({
      offers: [],
      warnings: null,
      reject: null,
      eref11: false,
      bytes: 0,
      key: bytes.toString('latin1', from, from + 14),
      hash: 7,
      sameHash: null,
      replaced: null,
      handedOver: false,
      seen: 0,
      at: -1,
    });
    const [a, b, c] = [entry(0), entry(14), entry(28)];
    for (const e of [a, b, c]) memo.add(e);
    expect([memo.find(bytes, 0, 14, 7), memo.find(bytes, 14, 28, 7), memo.find(bytes, 28, 42, 7)]).toEqual([a, b, c]);
    // Same hash, other bytes; same bytes, other hash: not found.
    expect(memo.find(bytes, 42, 56, 7)).toBeUndefined();
    expect(memo.find(bytes, 0, 14, 8)).toBeUndefined();
    memo.delete(b);
    expect(memo.find(bytes, 14, 28, 7)).toBeUndefined();
    expect([memo.find(bytes, 0, 14, 7), memo.find(bytes, 28, 42, 7)]).toEqual([a, c]);
    memo.delete(c);
    memo.delete(a);
    expect(memo.find(bytes, 0, 14, 7)).toBeUndefined();
    expect(memo.entryCount).toBe(0);
  });
});
