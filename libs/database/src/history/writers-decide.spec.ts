import { describe, expect, it } from 'vitest';
import { compareDecimalStrings as compare } from '@app/domain';
import { seededRandom } from '../../../../test/support/random';
import { decideByWriters, DecidedBest, RecordedBest, WriterOffer } from './writers-decide';

const offer = (exchangerId: number, from: string, to: string, city: string, rate: string): WriterOffer => ({
  exchangerId,
  from,
  to,
  city,
  rate,
});
let nextId = 1;
const recordedBest = (from: string, to: string, city: string, rate: string | null, holder: number | null) => ({
  id: nextId++,
  from,
  to,
  city,
  rate,
  holder,
});
const wrote = (entries: Array<[string, string, number[]]>) =>
  writersOf(new Map(entries.map(([from, to, ids]) => [`${from}>${to}`, new Set(ids)])));
/** decideByWriters' look-up of a pair's writers, over writers by `from>to`. */
const writersOf = (writers: ReadonlyMap<string, ReadonlySet<number>>) => (from: string, to: string) =>
  writers.get(`${from}>${to}`);

describe('decideByWriters (the recorder deciding a pair by its writers’ own offers)', () => {
  it('keeps a holder that did not write, and lets a writer beat it or take it on a tie with a smaller id', () => {
    const r = [
      recordedBest('BTC', 'ETH', '', '30', 5),
      recordedBest('BTC', 'LTC', '', '100', 5),
      recordedBest('BTC', 'XMR', '', '7', 5),
    ];
    const decided = decideByWriters(
      wrote([
        ['BTC', 'ETH', [9]],
        ['BTC', 'LTC', [3]],
        ['BTC', 'XMR', [9]],
      ]),
      [offer(9, 'BTC', 'ETH', '', '31'), offer(3, 'BTC', 'LTC', '', '100.0'), offer(9, 'BTC', 'XMR', '', '6.9')],
      r,
    );
    expect(decided.redo).toEqual([]);
    expect(decided.own).toEqual([
      { id: r[0]!.id, from: 'BTC', to: 'ETH', city: '', rate: '31', holder: 9, previous: '30', moved: true },
      { id: r[1]!.id, from: 'BTC', to: 'LTC', city: '', rate: '100.0', holder: 3, previous: '100', moved: false },
    ]);
  });

  it('computes over every offer a pair whose holder lowered or withdrew its rate, or with a scope history lacks', () => {
    const decided = decideByWriters(
      wrote([
        ['BTC', 'ETH', [5]],
        ['BTC', 'LTC', [5]],
        ['CASHUSD', 'BTC', [2]],
      ]),
      [offer(5, 'BTC', 'ETH', '', '29'), offer(2, 'CASHUSD', 'BTC', 'MSK', '0.00001')],
      [
        recordedBest('BTC', 'ETH', '', '30', 5), // lowered
        recordedBest('BTC', 'LTC', '', '100', 5), // withdrawn
        recordedBest('CASHUSD', 'BTC', '', '0.00002', 7), // the pair overall stands; MSK has no row
      ],
    );
    expect(decided.own).toEqual([]);
    expect(new Set(decided.redo.map((p) => p.join('>')))).toEqual(new Set(['BTC>ETH', 'BTC>LTC', 'CASHUSD>BTC']));
  });

  it('decides as the plain reading of its rules on random markets', () => {
    const next = seededRandom(21);
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
    const rates = ['1', '1.0', '1.5', '2', '2.00', '0.5', '10', '9.99'];
    for (let round = 0; round < 300; round++) {
      const pairs = Array.from({ length: 1 + Math.floor(next() * 4) }, () => [pick(['A', 'B', 'C']), pick(['X', 'Y'])]);
      const writers = new Map<string, Set<number>>();
      const offers: WriterOffer[] = [];
      const recorded: RecordedBest[] = [];
      for (const [from, to] of pairs) {
        const key = `${from}>${to}`;
        if (writers.has(key)) continue;
        const ids = new Set(Array.from({ length: 1 + Math.floor(next() * 3) }, () => 1 + Math.floor(next() * 5)));
        writers.set(key, ids);
        for (const id of ids)
          for (const city of ['', 'MSK', 'SPB'])
            if (next() < 0.5) offers.push(offer(id, from!, to!, city, pick(rates)));
        for (const city of ['', 'MSK', 'SPB'])
          if (next() < 0.7)
            recorded.push(
              recordedBest(
                from!,
                to!,
                city,
                next() < 0.1 ? null : pick(rates),
                next() < 0.1 ? null : 1 + Math.floor(next() * 5),
              ),
            );
      }
      const got = decideByWriters(writersOf(writers), offers, recorded);
      const expected = plainReading(writers, offers, recorded);
      expect(sortOwn(got.own)).toEqual(sortOwn(expected.own));
      expect(new Set(got.redo.map((p) => p.join('>')))).toEqual(new Set(expected.redo.map((p) => p.join('>'))));
    }
  });
});

const sortOwn = (own: DecidedBest[]) => [...own].sort((a, b) => a.id - b.id);

/** The rules of decideByWriters read plainly (one string key per scope): what the fast form must answer. */
function plainReading(
  writers: ReadonlyMap<string, { has(writer: number): boolean }>,
  offers: readonly WriterOffer[],
  recorded: readonly RecordedBest[],
): { own: DecidedBest[]; redo: Array<[string, string]> } {
  const pairKey = (from: string, to: string) => `${from}>${to}`;
  const scopeKey = (from: string, to: string, city: string) => `${from}>${to}>${city}`;
  const scopesOf = (o: WriterOffer) => (o.city === '' ? [''] : ['', o.city]);
  const best = new Map<string, { rate: string; holder: number }>();
  const each = new Map<string, string>();
  for (const o of offers)
    for (const city of scopesOf(o)) {
      const scope = scopeKey(o.from, o.to, city);
      const top = best.get(scope);
      const cmp = top ? compare(o.rate, top.rate) : 1;
      if (cmp > 0 || (cmp === 0 && o.exchangerId < top!.holder))
        best.set(scope, { rate: o.rate, holder: o.exchangerId });
      const own = each.get(`${scope}>${o.exchangerId}`);
      if (own === undefined || compare(o.rate, own) > 0) each.set(`${scope}>${o.exchangerId}`, o.rate);
    }
  const redo = new Map<string, [string, string]>();
  const own: DecidedBest[] = [];
  const seen = new Set<string>();
  for (const c of recorded) {
    const scope = scopeKey(c.from, c.to, c.city);
    seen.add(scope);
    const m = best.get(scope);
    const wrote = c.holder !== null && (writers.get(pairKey(c.from, c.to))?.has(c.holder) ?? false);
    const holderNow = wrote ? (each.get(`${scope}>${c.holder}`) ?? null) : null;
    const beats = m !== undefined && (c.rate === null || compare(m.rate, c.rate) > 0);
    if (wrote && c.rate !== null && (holderNow === null || compare(holderNow, c.rate) < 0) && !beats) {
      redo.set(pairKey(c.from, c.to), [c.from, c.to]);
      continue;
    }
    const newHolder =
      m !== undefined &&
      c.rate !== null &&
      compare(m.rate, c.rate) === 0 &&
      m.holder < c.holder! &&
      (!wrote || (holderNow !== null && compare(holderNow, c.rate) === 0));
    if (m && (beats || newHolder)) own.push({ ...c, rate: m.rate, holder: m.holder, previous: c.rate, moved: beats });
  }
  for (const o of offers)
    for (const city of scopesOf(o))
      if (!seen.has(scopeKey(o.from, o.to, city))) redo.set(pairKey(o.from, o.to), [o.from, o.to]);
  return { own: own.filter((o) => !redo.has(pairKey(o.from, o.to))), redo: [...redo.values()] };
}
