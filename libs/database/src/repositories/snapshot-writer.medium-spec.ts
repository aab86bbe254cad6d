import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import type { NormalizedOffer } from '@app/domain';
import { offerOf } from '../../../../test/support/offers';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { replaceSnapshot, SnapshotCache, SnapshotChange } from './snapshot-writer';

/**
 * The writer's cache of written snapshots (issue 21): a worker trusts what it wrote last only while the feed
 * row's snapshot_version is the value its write set. Each SnapshotCache here plays one worker process. Every
 * case runs with both ways of sending the changed offers: parameter arrays (small diffs) and a COPY into the
 * session's staging table (from STAGE_FROM_ROWS changed offers on).
 */
describe.each([
  ['parameter arrays', Number.POSITIVE_INFINITY],
  ['a staged COPY', 1],
])('replaceSnapshot with a cache of written snapshots, changes sent as %s', (_form, stageFrom) => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let feed: { id: number; exchangerId: number };
  let slugs = 0;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase());
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  beforeEach(async () => {
    const [row] = await dataSource.query<Array<{ id: number; exchanger_id: number }>>(
      `WITH x AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1, 'X', 'https://x.example', 'https://x.example/?r=1') RETURNING id)
       INSERT INTO feeds (exchanger_id, url) SELECT id, 'https://' || $1 || '.example/rates.xml' FROM x RETURNING id, exchanger_id`,
      [`writer-${++slugs}`],
    );
    feed = { id: row!.id, exchangerId: row!.exchanger_id };
  });

  /** A poll's write as applyAnswer does it: in a transaction holding the feed row's lock. */
  const write = (cache: SnapshotCache, offers: NormalizedOffer[], target = feed): Promise<SnapshotChange> =>
    dataSource.transaction(async (tx) => {
      await tx.query(`SELECT 1 FROM feeds WHERE id = $1 FOR UPDATE`, [target.id]);
      return replaceSnapshot(tx, target, offers, cache, stageFrom);
    });

  const stored = async (feedId = feed.id) =>
    dataSource.query<
      Array<{ key: string; rate: string; reserve: string | null; flags: string[]; exchanger_id: number }>
    >(
      `SELECT from_code || '>' || to_code || '@' || city AS key, rate::text AS rate, reserve::text AS reserve, flags, exchanger_id
       FROM offers WHERE feed_id = $1 ORDER BY 1`,
      [feedId],
    );

  const counts = (change: SnapshotChange) => [change.inserted, change.updated, change.deleted];

  const btcEth = offerOf({ from: 'BTC', to: 'ETH', rate: '20' });
  const btcUsdt = offerOf({ from: 'BTC', to: 'USDTTRC20', rate: '67000.5' });
  const ethBtc = offerOf({ from: 'ETH', to: 'BTC', rate: '0.05' });

  it('writes the diff against what it wrote last, and a body with the same offers changes nothing', async () => {
    const cache = new SnapshotCache();
    expect(counts(await write(cache, [btcEth, btcUsdt]))).toEqual([2, 0, 0]);
    expect(cache.offers).toBe(2);
    const moved = { ...btcUsdt, out: '67100', rate: '67100' };
    const change = await write(cache, [btcEth, moved]);
    expect(counts(change)).toEqual([0, 1, 0]);
    expect(change.touched).toEqual([['BTC', 'USDTTRC20']]);
    expect(counts(await write(cache, [moved, btcEth]))).toEqual([0, 0, 0]);
    expect((await stored()).map((r) => [r.key, r.rate])).toEqual([
      ['BTC>ETH@', '20'],
      ['BTC>USDTTRC20@', '67100'],
    ]);
  });

  it('diffs against the stored rows when another worker wrote the feed after it (its version no longer matches)', async () => {
    const mine = new SnapshotCache();
    const other = new SnapshotCache();
    await write(mine, [btcEth, btcUsdt]);
    // The other worker: BTC→ETH moves, BTC→USDT goes, ETH→BTC comes.
    expect(counts(await write(other, [{ ...btcEth, out: '21', rate: '21' }, ethBtc]))).toEqual([1, 1, 1]);
    // Mine still holds [btcEth@20, btcUsdt]: without the version it would see nothing to do for btcEth@20
    // and try to insert ethBtc twice. It must diff against the rows the other worker left.
    const change = await write(mine, [btcEth, btcUsdt, ethBtc]);
    expect(counts(change)).toEqual([1, 1, 0]);
    expect((await stored()).map((r) => [r.key, r.rate])).toEqual([
      ['BTC>ETH@', '20'],
      ['BTC>USDTTRC20@', '67000.5'],
      ['ETH>BTC@', '0.05'],
    ]);
    // And the other worker, now stale in turn, finds nothing to do only because the rows are what it is given.
    expect(counts(await write(other, [btcEth, btcUsdt, ethBtc]))).toEqual([0, 0, 0]);
  });

  it('is not poisoned by a write whose transaction rolled back', async () => {
    const cache = new SnapshotCache();
    await write(cache, [btcEth]);
    const moved = { ...btcEth, out: '25', rate: '25' };
    await expect(
      dataSource.transaction(async (tx) => {
        await tx.query(`SELECT 1 FROM feeds WHERE id = $1 FOR UPDATE`, [feed.id]);
        expect(counts(await replaceSnapshot(tx, feed, [moved, ethBtc], cache, stageFrom))).toEqual([1, 1, 0]);
        throw new Error('the poll failed after the write (the guard, the run record …)');
      }),
    ).rejects.toThrow('the poll failed');
    expect((await stored()).map((r) => [r.key, r.rate])).toEqual([['BTC>ETH@', '20']]);
    // The cache saw the rolled-back write; the same offers again must be written, not skipped.
    expect(counts(await write(cache, [moved, ethBtc]))).toEqual([1, 1, 0]);
    expect((await stored()).map((r) => [r.key, r.rate])).toEqual([
      ['BTC>ETH@', '25'],
      ['ETH>BTC@', '0.05'],
    ]);
  });

  it('deletes offers that are gone and inserts them again when they come back, city by city', async () => {
    const cache = new SnapshotCache();
    const msk = offerOf({ from: 'USDTTRC20', to: 'CASHUSD', city: 'MSK', rate: '0.99' });
    const spb = { ...msk, city: 'SPB' };
    await write(cache, [btcEth, msk, spb]);
    const gone = await write(cache, [btcEth, msk]);
    expect(counts(gone)).toEqual([0, 0, 1]);
    expect(gone.touched).toEqual([['USDTTRC20', 'CASHUSD']]);
    expect((await stored()).map((r) => r.key)).toEqual(['BTC>ETH@', 'USDTTRC20>CASHUSD@MSK']);
    expect(counts(await write(cache, [spb, btcEth, msk]))).toEqual([1, 0, 0]);
    expect(counts(await write(cache, []))).toEqual([0, 0, 3]);
    expect(await stored()).toEqual([]);
    expect(counts(await write(cache, [btcEth]))).toEqual([1, 0, 0]);
  });

  it('diffs an offer object of an earlier write, not of the last one, by its values (a rate that went back)', async () => {
    const cache = new SnapshotCache();
    const moved = { ...btcEth, out: '25', rate: '25' };
    await write(cache, [btcEth, ethBtc]);
    expect(counts(await write(cache, [moved, ethBtc]))).toEqual([0, 1, 0]);
    // The very objects of the first write again: btcEth is no longer what is stored, ethBtc still is.
    expect(counts(await write(cache, [btcEth, ethBtc]))).toEqual([0, 1, 0]);
    expect(counts(await write(cache, [btcEth, ethBtc]))).toEqual([0, 0, 0]);
    // Another worker's write in between: none of this worker's objects is known stored any more.
    await write(new SnapshotCache(), [moved, ethBtc]);
    expect(counts(await write(cache, [btcEth, ethBtc]))).toEqual([0, 1, 0]);
    expect((await stored()).map((r) => [r.key, r.rate])).toEqual([
      ['BTC>ETH@', '20'],
      ['ETH>BTC@', '0.05'],
    ]);
  });

  it('writes a changed copy of a written offer (spread, assigned or cloned) and a frozen offer by their values', async () => {
    const cache = new SnapshotCache();
    const first = { ...btcEth };
    await write(cache, [first, ethBtc]);
    // Copies of an offer this writer has seen, each with another rate: none may pass for the original.
    const copies: NormalizedOffer[] = [
      { ...first, out: '21', rate: '21' },
      Object.assign({}, first, { out: '22', rate: '22' }),
      { ...structuredClone(first), out: '23', rate: '23' },
    ];
    for (const copy of copies) {
      expect(counts(await write(cache, [copy, ethBtc]))).toEqual([0, 1, 0]);
      expect((await stored())[0]!.rate).toBe(copy.rate);
    }
    // A frozen offer (it cannot keep what the writer learns of it) is diffed by its values every time.
    const frozen = Object.freeze({ ...btcEth, out: '24', rate: '24' });
    expect(counts(await write(cache, [frozen, ethBtc]))).toEqual([0, 1, 0]);
    expect(counts(await write(cache, [frozen, ethBtc]))).toEqual([0, 0, 0]);
    expect(counts(await write(cache, [Object.freeze({ ...frozen, out: '25', rate: '25' }), ethBtc]))).toEqual([
      0, 1, 0,
    ]);
    expect((await stored()).map((r) => [r.key, r.rate])).toEqual([
      ['BTC>ETH@', '25'],
      ['ETH>BTC@', '0.05'],
    ]);
    // What the writer keeps on an offer is not part of its value: not in its JSON, not in its keys.
    expect(JSON.parse(JSON.stringify(first))).toEqual(btcEth);
    expect(Reflect.ownKeys(first).filter((key) => typeof key === 'symbol')).toHaveLength(1);
    expect(Object.keys(first)).toEqual(Object.keys(btcEth));
  });

  it('refuses to trust its cache when the rows were changed behind the version, and reads them on the next poll', async () => {
    const cache = new SnapshotCache();
    await write(cache, [btcEth, btcUsdt]);
    // Not the protocol: rows deleted without a new snapshot_version (only the writer may change them).
    await dataSource.query(`DELETE FROM offers WHERE feed_id = $1 AND to_code = 'USDTTRC20'`, [feed.id]);
    await expect(write(cache, [btcEth, { ...btcUsdt, out: '1', rate: '1' }])).rejects.toThrow(
      /were not those of snapshot version/,
    );
    expect((await stored()).map((r) => r.key)).toEqual(['BTC>ETH@']);
    expect(counts(await write(cache, [btcEth, { ...btcUsdt, out: '1', rate: '1' }]))).toEqual([1, 0, 0]);
    expect((await stored()).map((r) => [r.key, r.rate])).toEqual([
      ['BTC>ETH@', '20'],
      ['BTC>USDTTRC20@', '1'],
    ]);
  });

  it('keeps decimals exact and text that needs quoting or escaping as it came', async () => {
    const cache = new SnapshotCache();
    const flags = [
      'manual',
      'a "quoted", {braced} \\ flag',
      'NULL',
      'tab\there',
      'two\nlines\r',
      '\\N',
      'Ünïcödé ₽ 🚀',
    ];
    const tiny = offerOf({
      from: 'BTC',
      to: 'CASHRUB',
      city: 'NULL',
      in: '1',
      out: '0.000000000123456789012345678901',
      rate: '0.000000000123456789012345678901',
      reserve: '12345678901234567890.123456789',
      flags,
      toFee: [{ kind: 'fixed', value: '1.50', unit: 'a\\b "c"\t₽' }],
      floating: { percent: '-0.5', minutes: 30 },
      delayMinutes: 15,
    });
    const spb = { ...tiny, city: 'Санкт-Петербург\\1' };
    await write(cache, [tiny, spb]);
    await write(cache, [
      { ...tiny, reserve: '0' },
      { ...spb, fromMin: '0.0000001', toMax: '1000000000000.5' },
    ]);
    const rows = await dataSource.query<Array<Record<string, unknown>>>(
      `SELECT city, rate::text AS rate, reserve::text AS reserve, from_min::text AS from_min, to_max::text AS to_max, flags,
              to_fee, floating, delay_minutes, exchanger_id FROM offers WHERE feed_id = $1 ORDER BY city`,
      [feed.id],
    );
    const same = {
      rate: '0.000000000123456789012345678901',
      flags,
      to_fee: [{ kind: 'fixed', value: '1.50', unit: 'a\\b "c"\t₽' }],
      floating: { percent: '-0.5', minutes: 30 },
      delay_minutes: 15,
      exchanger_id: feed.exchangerId,
    };
    expect(rows).toEqual([
      { ...same, city: 'NULL', reserve: '0', from_min: null, to_max: null },
      {
        ...same,
        city: 'Санкт-Петербург\\1',
        reserve: '12345678901234567890.123456789',
        from_min: '0.0000001',
        to_max: '1000000000000.5',
      },
    ]);
    // What was written is what the next poll finds unchanged.
    expect(
      counts(
        await write(cache, [
          { ...tiny, reserve: '0' },
          { ...spb, fromMin: '0.0000001', toMax: '1000000000000.5' },
        ]),
      ),
    ).toEqual([0, 0, 0]);
    expect(
      counts(
        await write(new SnapshotCache(), [
          { ...tiny, reserve: '0' },
          { ...spb, fromMin: '0.0000001', toMax: '1000000000000.5' },
        ]),
      ),
    ).toEqual([0, 0, 0]);
    // A city with a backslash, gone, while another offer changes: its key as it came, in the deleted keys.
    expect(counts(await write(cache, [{ ...tiny, reserve: '1' }]))).toEqual([0, 1, 1]);
    expect((await stored()).map((r) => [r.key, r.reserve])).toEqual([['BTC>CASHRUB@NULL', '1']]);
  });

  it("reads the rate guard's candidates in its own statement: what it wrote as written, held offers as they were", async () => {
    const cache = new SnapshotCache();
    const msk = offerOf({ from: 'USDTTRC20', to: 'CASHUSD', city: 'MSK', rate: '0.99' });
    await write(cache, [btcEth, btcUsdt, msk, { ...msk, city: 'SPB' }]);
    await dataSource.query(
      `UPDATE offers SET quarantine = '{"reason":"too_good","since":"2026-01-01T00:00:00Z"}' WHERE feed_id = $1 AND from_code = 'BTC'`,
      [feed.id],
    );
    await dataSource.query(
      `INSERT INTO direction_references (from_code, to_code, city, rate, source, exchangers) VALUES ('USDTTRC20', 'CASHUSD', 'SPB', 0.5, 'market', 5)
       ON CONFLICT (from_code, to_code, city) DO UPDATE SET rate = 0.5`,
    );
    const guard = { band: '5', now: new Date(), references: null };
    // BTC>ETH (held) changes, BTC>USDTTRC20 (held) goes, USDTTRC20>CASHUSD@MSK changes: SPB, in its direction and
    // out of band, is read too (a feed with cities); MSK, without a reference, is not a candidate.
    const written = await dataSource.transaction(async (tx) => {
      await tx.query(`SELECT 1 FROM feeds WHERE id = $1 FOR UPDATE`, [feed.id]);
      return replaceSnapshot(
        tx,
        feed,
        [
          { ...btcEth, out: '21', rate: '21' },
          { ...msk, rate: '0.98', out: '0.98' },
          { ...msk, city: 'SPB' },
        ],
        cache,
        stageFrom,
        guard,
      );
    });
    expect(counts(written)).toEqual([0, 2, 1]);
    const seen = (written.candidates ?? [])
      .map((c) => [c.src, `${c.from_code}>${c.to_code}@${c.city}`, c.rate, c.quarantine?.reason ?? null])
      .sort((a, b) => `${a[1]}${a[0]}`.localeCompare(`${b[1]}${b[0]}`));
    expect(seen).toEqual([
      ['h', 'BTC>ETH@', '20', 'too_good'],
      ['w', 'BTC>ETH@', '21', 'too_good'],
      ['h', 'BTC>USDTTRC20@', '67000.5', 'too_good'],
      ['p', 'USDTTRC20>CASHUSD@SPB', '0.99', null],
    ]);
    expect(written.stale('BTC', 'ETH', '')).toBe(true);
    expect(written.stale('BTC', 'USDTTRC20', '')).toBe(true);
    expect(written.stale('USDTTRC20', 'CASHUSD', 'SPB')).toBe(false);
    // Nothing changed: nothing written, nothing read.
    const same = await write(cache, [
      { ...btcEth, out: '21', rate: '21' },
      { ...msk, rate: '0.98', out: '0.98' },
      { ...msk, city: 'SPB' },
    ]);
    expect(counts(same)).toEqual([0, 0, 0]);
  });

  it('writes two feeds in one transaction, each its own offers', async () => {
    const [row] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO feeds (exchanger_id, url) VALUES ($1, 'https://writer-' || $2::text || '-b.example/rates.xml') RETURNING id`,
      [feed.exchangerId, slugs],
    );
    const second = { id: row!.id, exchangerId: feed.exchangerId };
    const cache = new SnapshotCache();
    await dataSource.transaction(async (tx) => {
      expect(counts(await replaceSnapshot(tx, feed, [btcEth, btcUsdt], cache, stageFrom))).toEqual([2, 0, 0]);
      expect(
        counts(await replaceSnapshot(tx, second, [{ ...btcEth, out: '30', rate: '30' }], cache, stageFrom)),
      ).toEqual([1, 0, 0]);
      expect(
        counts(await replaceSnapshot(tx, feed, [btcEth, { ...btcUsdt, out: '1', rate: '1' }], cache, stageFrom)),
      ).toEqual([0, 1, 0]);
    });
    expect((await stored()).map((r) => [r.key, r.rate])).toEqual([
      ['BTC>ETH@', '20'],
      ['BTC>USDTTRC20@', '1'],
    ]);
    expect((await stored(second.id)).map((r) => [r.key, r.rate])).toEqual([['BTC>ETH@', '30']]);
  });

  it('writes again on a connection whose transaction rolled back after its first staged write', async () => {
    // One connection throughout: the staging table its first write made goes with the rollback, and is made again.
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      const cache = new SnapshotCache();
      await runner.startTransaction();
      expect(counts(await replaceSnapshot(runner.manager, feed, [btcEth], cache, stageFrom))).toEqual([1, 0, 0]);
      await runner.rollbackTransaction();
      await runner.startTransaction();
      expect(counts(await replaceSnapshot(runner.manager, feed, [btcEth, ethBtc], cache, stageFrom))).toEqual([
        2, 0, 0,
      ]);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    expect((await stored()).map((r) => r.key)).toEqual(['BTC>ETH@', 'ETH>BTC@']);
  });

  it('writes on a connection whose staged write failed before or after its statement was prepared', async () => {
    // One connection throughout, every write staged: its prepared statement (executeOn) is what the server has.
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    const cache = new SnapshotCache();
    const stagedWrite = async (offers: NormalizedOffer[]) => {
      await runner.startTransaction();
      try {
        const change = counts(await replaceSnapshot(runner.manager, feed, offers, cache, 1));
        await runner.commitTransaction();
        return change;
      } catch (error) {
        await runner.rollbackTransaction();
        throw error;
      }
    };
    try {
      // Before: a value the COPY refuses, so the statement after it never ran (nor was prepared).
      await expect(stagedWrite([{ ...btcEth, rate: 'not a number' }])).rejects.toThrow(/numeric/);
      expect(await stagedWrite([btcEth])).toEqual([1, 0, 0]);
      // After: the statement ran and failed — a row stored behind the writer's back (its snapshot version unmoved, so
      // the writer trusts its cache) makes its insert collide.
      await dataSource.query(
        `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, city, amount_in, amount_out, rate)
         VALUES ($1, $2, 'ETH', 'BTC', '', 1, 0.05, 0.05)`,
        [feed.id, feed.exchangerId],
      );
      await expect(stagedWrite([btcEth, ethBtc])).rejects.toThrow(/duplicate key/);
      await dataSource.query(`DELETE FROM offers WHERE feed_id = $1 AND from_code = 'ETH'`, [feed.id]);
      expect(await stagedWrite([btcEth, ethBtc])).toEqual([1, 0, 0]);
    } finally {
      await runner.release();
    }
    expect((await stored()).map((r) => r.key)).toEqual(['BTC>ETH@', 'ETH>BTC@']);
  });

  it('updates exactly the changed offers, one or all, among keys that are prefixes or case variants of each other', async () => {
    // One update and all of them (the planner finds the rows by index probes or by a hash of the feed's rows),
    // warm and cold: no neighbouring key may be caught. Cities and codes that sort next to each other.
    const keys: Array<[string, string, string | null]> = [];
    for (const from of ['BTC', 'BTCLN', 'btc'])
      for (const to of ['ETH', 'ETHBEP20', 'ETH2'])
        for (const city of [null, 'A', 'a', 'AB', 'a b', 'Ä']) keys.push([from, to, city]);
    const offers = keys.map(([from, to, city], i) =>
      offerOf({ from, to, city, out: String(i + 1), rate: String(i + 1) }),
    );
    const cache = new SnapshotCache();
    expect(counts(await write(cache, offers))).toEqual([offers.length, 0, 0]);
    const rates = async () => new Map((await stored()).map((r) => [r.key, r.rate]));
    const before = await rates();

    // One changed offer: BTC→ETH in city 'a', between 'A' and 'AB' and beside BTCLN and ETH2.
    const one = keys.findIndex(([from, to, city]) => from === 'BTC' && to === 'ETH' && city === 'a');
    const poll = offers.map((o, i) => (i === one ? { ...o, out: '1000', rate: '1000' } : o));
    expect(counts(await write(cache, poll))).toEqual([0, 1, 0]);
    const after = await rates();
    expect([...after].filter(([key, rate]) => before.get(key) !== rate)).toEqual([['BTC>ETH@a', '1000']]);

    // Every offer changed, each to its own new value; then the cold path (no cache) the same.
    const all = offers.map((o, i) => ({ ...o, out: String(5000 + i), rate: String(5000 + i) }));
    expect(counts(await write(cache, all))).toEqual([0, offers.length, 0]);
    expect(await rates()).toEqual(new Map(keys.map(([f, t, c], i) => [`${f}>${t}@${c ?? ''}`, String(5000 + i)])));
    const cold = all.map((o, i) => (i % 9 === 4 ? { ...o, out: String(9000 + i), rate: String(9000 + i) } : o));
    expect(counts(await write(new SnapshotCache(), cold))).toEqual([0, 6, 0]);
    expect(await rates()).toEqual(
      new Map(keys.map(([f, t, c], i) => [`${f}>${t}@${c ?? ''}`, String((i % 9 === 4 ? 9000 : 5000) + i)])),
    );
  });

  it('rewrites every row when the feed now belongs to another exchanger', async () => {
    const cache = new SnapshotCache();
    await write(cache, [btcEth, btcUsdt]);
    const [other] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1, 'Y', 'https://y.example', 'https://y.example/?r=1') RETURNING id`,
      [`writer-${++slugs}`],
    );
    const moved = { id: feed.id, exchangerId: other!.id };
    expect(counts(await write(cache, [btcEth, btcUsdt], moved))).toEqual([0, 2, 0]);
    expect((await stored()).map((r) => r.exchanger_id)).toEqual([other!.id, other!.id]);
  });

  it('holds at most its limit of offers, giving up the feeds written longest ago', async () => {
    const cache = new SnapshotCache(3);
    const first = feed;
    await write(cache, [btcEth, btcUsdt]);
    const [row] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO feeds (exchanger_id, url) VALUES ($1, 'https://second.example/rates.xml') RETURNING id`,
      [feed.exchangerId],
    );
    const second = { id: row!.id, exchangerId: feed.exchangerId };
    await write(cache, [btcEth, ethBtc], second);
    expect(cache.offers).toBe(2);
    // The first feed was evicted: it reads its rows and still writes the right diff.
    expect(counts(await write(cache, [btcEth], first))).toEqual([0, 0, 1]);
    expect((await stored(first.id)).map((r) => r.key)).toEqual(['BTC>ETH@']);
  });
});
