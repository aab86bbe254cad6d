import type { PoolClient } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { FRESH_FEED_SQL } from '../freshness';
import { offerKey } from '../offer-key';
import { arrayElement } from '../sql-literals';
import { PairMap } from '../pair-map';
import { decideByWriters, RecordedBest, WriterOffer } from './writers-decide';

/** A direction as writes name it: (from, to). Its cities are recorded with it. */
export type DirectionPair = readonly [string, string];

/** The advisory lock class of the rate history: the recorder's key is RECORDER_LOCK, the roll-up's -1. */
export const HISTORY_LOCK_CLASS = 0x7261_7465;
/** The recorder's lock: one drain at a time in the fleet (session-level, taken before its snapshot). */
const RECORDER_LOCK = -2;
/**
 * Pairs a drain takes at most (whole pending rows, at least one): about a minute of BestChange's scale at its
 * cadence (500 feeds every 15 s, 200 directions changed a poll: ~6,700 a second), and two fifths of the first
 * snapshots of such a market — a direction many of them share is computed once per batch. A paced drain
 * (HistoryRecorder: RECORDER_PACE) finds some tens of seconds of marks waiting, and takes them in one batch:
 * with a quarter of this (fifteen seconds) it took them in four, each deciding again the popular directions
 * the others did — bench:scale at 500 exchangers: 64–77 % of polls done, the history 53–85 s behind,
 * PostgreSQL 77–89 % of a core (two runs); with this, 72–95 %, 5–27 s, 67–76 % (four). The drain's process
 * holds the offers a batch's marks carry, one or a few a pair: tens of megabytes at this size.
 */
export const DRAIN_MAX_PAIRS = 400_000;
/**
 * Pairs per statement when bests are computed over the market: a 40,000-direction first snapshot in one
 * statement sorts and hashes every pair's offers at once; a thousand at a time keeps each plan and its
 * memory small.
 */
const PAIRS_PER_STATEMENT = 1_000;

/**
 * Marks `pairs` as written, inside the writer's transaction (DESIGN.md §12): one row appended to
 * history_pending, which no other writer waits on. The recorder records their bests after the commit
 * (drainPending); a crash before it does leaves the row for the next drain. `exchangerId`: the writer's
 * exchanger — only its offers changed there, so its own shown rates may decide — or null (housekeeping:
 * held or freed offers, feeds shown or hidden) to compute every pair over every shown offer. `carry`: the
 * feed's shown offers, carried in the row (MarkCarry).
 */
export async function markPending(
  tx: EntityManager,
  pairs: readonly DirectionPair[],
  exchangerId: number | null,
  carry: MarkCarry | null = null,
): Promise<void> {
  if (pairs.length === 0) return;
  await tx.query(MARK_PENDING_SQL(1), markValues(pairs, exchangerId, carry));
}

/**
 * What a write knows of its feed's offers after it: its offers (`offers`, as written: all of them, or at least
 * every one in the pairs the mark names) and the keys (offerKey) of those the rate guard holds (`held`). A mark carrying them names, for each pair it marks, the feed's shown
 * offers there — their rates and cities — and the recorder decides the pair by them without looking them up
 * (drainBatch). Only a write that knows every held offer of its feed may carry (the guard judged it: judgeWritten).
 */
export interface MarkCarry {
  feedId: number;
  offers: ReadonlyArray<{ from: string; to: string; city: string | null; rate: string }>;
  held: ReadonlySet<string>;
}

/**
 * markPending as part of a writer's own statement (FeedsRepository.applyAnswer: with the feed's state and its
 * run, no round trip of its own): `INSERT … SELECT` of the row markPending appends, from the 7 parameters from
 * $first (markValues), appending nothing when no pair is named.
 */
export const MARK_PENDING_SQL = (first: number) =>
  `INSERT INTO history_pending (exchanger_id, froms, tos, feed_id, shown_pairs, shown_cities, shown_rates)
  SELECT $${first}::int, $${first + 1}::text[], $${first + 2}::text[], $${first + 3}::int, $${first + 4}::int[],
         $${first + 5}::text[], $${first + 6}::numeric[]
  WHERE $${first + 1}::text[] <> '{}'`;

/**
 * A write that marks every offer of its feed (a first snapshot: each one inserted) hands the feed to the history
 * as shown, as a re-evaluation would remember it (history_feeds), in the writer's own statement: `$feed` the
 * feed, `$first` whether the write does. Without it, the next minute's re-evaluation found a feed it had never
 * seen and marked its pairs a second time (bench:scale's warm-up: every first snapshot twice). Only a feed shown
 * at the commit (enabled, its exchanger active; the write makes it fresh and ends its maintenance); a feed the
 * history knows keeps its state. A drain that finds it hidden leaves word as for any feed held shown (MISSED_SQL).
 */
export const FEED_SEEN_SQL = (feed: number, first: number) =>
  `INSERT INTO history_feeds (feed_id, exchanger_id, shown)
  SELECT f.id, f.exchanger_id, true FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id
  WHERE f.id = $${feed} AND $${first}::boolean AND f.enabled AND e.status = 'active'
  ON CONFLICT (feed_id) DO NOTHING`;

/**
 * The parameters of MARK_PENDING_SQL: the exchanger, the pairs as two array literals (one text value each),
 * and with `carry` the feed and its shown offers in those pairs — each as its pair's ordinal (1-based), its
 * city and its rate, three array literals — else four nulls.
 */
export function markValues(
  pairs: readonly DirectionPair[],
  exchangerId: number | null,
  carry: MarkCarry | null,
): [number | null, string, string, number | null, string | null, string | null, string | null] {
  const froms = new Array<string>(pairs.length);
  const tos = new Array<string>(pairs.length);
  // Each pair's ordinal, by from and then to: a write looks every offer of its feed up, without building a key.
  const ordinal = carry === null ? null : new PairMap<number>();
  for (let i = 0; i < pairs.length; i++) {
    const [from, to] = pairs[i]!;
    froms[i] = arrayElement(from);
    tos[i] = arrayElement(to);
    ordinal?.set(from, to, i + 1);
  }
  const marked = [exchangerId, `{${froms.join(',')}}`, `{${tos.join(',')}}`] as const;
  if (carry === null || ordinal === null) return [...marked, null, null, null, null];
  const shown: { pairs: number[]; cities: string[]; rates: string[] } = { pairs: [], cities: [], rates: [] };
  const heldPairs = pairsOf(carry.held);
  for (const offer of carry.offers) {
    const n = ordinal.get(offer.from, offer.to);
    if (n === undefined) continue;
    const city = offer.city ?? '';
    if (heldPairs.has(offer.from, offer.to) && carry.held.has(offerKey(offer.from, offer.to, city))) continue;
    shown.pairs.push(n);
    shown.cities.push(arrayElement(city));
    shown.rates.push(offer.rate);
  }
  return [
    ...marked,
    carry.feedId,
    `{${shown.pairs.join(',')}}`,
    `{${shown.cities.join(',')}}`,
    `{${shown.rates.join(',')}}`,
  ];
}

/**
 * The directions of a set of offer keys (offerKey), by from and then to: a write asks it of each of its offers
 * and builds a key only for those in a direction with a held offer (a few of a fully changed feed's 10,000).
 */
function pairsOf(keys: ReadonlySet<string>): PairMap<true> {
  const pairs = new PairMap<true>();
  for (const key of keys) {
    const [from, to] = key.split('\u001f') as [string, string];
    pairs.set(from, to, true);
  }
  return pairs;
}

/** What one drain did. */
export interface DrainResult {
  /** False when another process was draining (`wait` not set): nothing was done. */
  ran: boolean;
  /** Pending rows (writes) taken, and the pairs they named (with repeats). */
  writes: number;
  marked: number;
  /** Distinct pairs recorded; of them, decided by their writers' own offers, and computed over every offer. */
  pairs: number;
  byWriters: number;
  computed: number;
  /**
   * Of the writers' offers in the pairs decided by them, how many (pair, writer) were decided by the offers
   * their marks carried, not looked up again.
   */
  carried: number;
  /** Change points written. */
  changes: number;
  /** Pending rows were left for another drain (the batch was full). */
  more: boolean;
}

const NOTHING: DrainResult = {
  ran: true,
  writes: 0,
  marked: 0,
  pairs: 0,
  byWriters: 0,
  computed: 0,
  carried: 0,
  changes: 0,
  more: false,
};

/**
 * A drain that waits for another's (`wait`) asks for the lock again after this long, doubling up to
 * WAIT_MAX_MS: it holds no connection meanwhile (a session blocked in pg_advisory_lock held one of a worker's
 * few for as long as the fleet's drains took — 133 s on average at 500 exchangers, four connections at once).
 */
const WAIT_FIRST_MS = 50;
const WAIT_MAX_MS = 1_000;

/**
 * Records the bests of the directions pending in history_pending (DESIGN.md §12), one batch of at most
 * `maxPairs` pairs (whole rows, oldest first): the rows are deleted and every best computed under ONE
 * snapshot, in one REPEATABLE READ transaction taken after the recorder's lock, so the bests are those of
 * the offers every write recorded before had committed; a write committing meanwhile left its own row, for
 * the next drain. A direction many writers touched is computed once.
 *
 * Per pair: where every pending write named its writer, only those writers' offers changed since the last
 * recording, so their shown rates decide against the best history holds (WRITERS_SQL) — unless the holder
 * lowered or withdrew its rate (or history has no row yet): then, and for rows without a writer, the pair is
 * computed over every shown offer (EVERY_PAIR_SQL).
 *
 * `wait`: wait for another process's drain to end instead of giving up (`ran: false`) — asking again now
 * and then, without holding a connection. `at`: the change time (default: the transaction's start, after
 * the lock).
 */
export async function drainPending(
  dataSource: DataSource,
  options: { wait?: boolean; at?: Date; maxPairs?: number } = {},
): Promise<DrainResult> {
  const drained = await underRecorderLock(dataSource, 'REPEATABLE READ', options.wait === true, (client) =>
    drainBatch(client, options.at ?? null, options.maxPairs ?? DRAIN_MAX_PAIRS),
  );
  if (!drained.ran) return { ...NOTHING, ran: false };
  // Words the batch's transaction could not leave (leaveWordOfMissed), left now it has committed.
  if (drained.value.missedLate.length > 0) await dataSource.query(MARK_MISSED_SQL, [drained.value.missedLate]);
  return drained.value.result;
}

/** Leaves the word of MISSED_SQL on feeds $1 (still held shown: a re-evaluation may have stored them since). */
const MARK_MISSED_SQL = `UPDATE history_feeds SET missed = true WHERE feed_id = ANY($1::int[]) AND shown AND NOT missed`;

/**
 * Leaves word of the feeds MISSED_SQL finds, in the drain's transaction (a crash loses neither the bests nor the
 * word). A re-evaluation storing one of those feeds' states after the drain's snapshot makes the update fail
 * to serialize (REPEATABLE READ): the update is undone alone and the ids answered, to be marked after the
 * commit — the re-evaluation may have looked at history before this drain's bests.
 */
async function leaveWordOfMissed(client: PoolClient): Promise<number[]> {
  const { rows } = await client.query<{ id: number }>(MISSED_SQL);
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  await client.query('SAVEPOINT missed');
  try {
    await client.query(MARK_MISSED_SQL, [ids]);
    await client.query('RELEASE SAVEPOINT missed');
    return [];
  } catch (error) {
    if ((error as { code?: string }).code !== SERIALIZATION_FAILURE) throw error;
    await client.query('ROLLBACK TO SAVEPOINT missed');
    return ids;
  }
}

const SERIALIZATION_FAILURE = '40001';

/**
 * Marks what feeds shown again or hidden since history last looked may have moved (DESIGN.md §12), and
 * answers the pairs marked. It looks at what history holds only once it has had the recorder's lock (and let
 * it go at once): a drain that began before the feeds moved — and did not see them as they are — has ended
 * then, and its bests are in what this looks at; every later drain sees the feeds as they are. The lock is not
 * held while it looks (seconds, when hundreds of feeds come back at once), so drains go on meanwhile.
 *
 * - Feeds shown again (`appeared`: fresh again, out of maintenance, new): each of their pairs where their
 *   exchanger's offer could move what history holds, marked with the exchanger as the writer, as if it had
 *   just written them (its own rates decide: decideByWriters). Where it cannot — history holds a greater rate
 *   of another exchanger, or an equal one of a smaller id, in the pair overall and in the offer's city — the
 *   offer changes nothing and is not marked: a fleet catching up brings hundreds of feeds back at once, and
 *   marking all their pairs had the drain decide the whole market again (500 feeds: 1,000,000 pairs, for
 *   the few thousand where a returning exchanger holds or takes the best).
 * - Exchangers hidden (`vanished`): the pairs where they hold a best, computed again over every shown offer.
 *
 * `remember` stores the feeds' states in the same transaction as the marks.
 */
export async function markFeedsMoved(
  dataSource: DataSource,
  appeared: readonly number[],
  vanished: readonly number[],
  remember: (tx: EntityManager) => Promise<unknown>,
): Promise<number> {
  await underRecorderLock(dataSource, null, true, () => Promise.resolve());
  return dataSource.transaction(async (tx) => {
    // The feeds' states are history's once their marks are: a re-evaluation after this commit finds nothing
    // more to mark for them, even while this one's drain still runs (see reevaluateFeeds).
    await remember(tx);
    const [shown] = await tx.query<Array<{ pairs: number }>>(MARK_APPEARED_SQL, [appeared]);
    const held = await tx.query<Array<{ from: string; to: string }>>(
      `SELECT DISTINCT from_code AS "from", to_code AS "to" FROM history_directions WHERE holder = ANY($1::int[])`,
      [vanished],
    );
    await markPending(
      tx,
      held.map((p) => [p.from, p.to] as const),
      null,
    );
    return shown!.pairs + held.length;
  });
}

/**
 * Runs `work` in a transaction of `isolation` (none: null) on a connection holding the recorder's lock, taken
 * before the transaction so its snapshot comes after the last drain committed, and released after it commits.
 * Without `wait`, answers `ran: false` at once when another process holds the lock; with it, asks again now
 * and then, holding no connection meanwhile.
 */
async function underRecorderLock<T>(
  dataSource: DataSource,
  isolation: 'REPEATABLE READ' | null,
  wait: boolean,
  work: (client: PoolClient) => Promise<T>,
): Promise<{ ran: false } | { ran: true; value: T }> {
  for (let pause = WAIT_FIRST_MS; ; pause = Math.min(2 * pause, WAIT_MAX_MS)) {
    const result = await ifRecorderFree(dataSource, isolation, work);
    if (result.ran || !wait) return result;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/**
 * The recorder's transaction settings: its statements sort and hash the offers of up to a thousand pairs at a
 * time (EVERY_PAIR_SQL, OWN_WRITE_SQL's counts), which spilled to disk at the default 4 MB (scratch market of
 * 612,000 offers, the bests of 1,000 pairs: 96–103 → 60–67 ms at 32 MB). One drain runs at a time in the fleet
 * (the recorder's lock), so this is one session's memory.
 */
const RECORDER_SETTINGS = `SET LOCAL work_mem = '32MB'`;

/** underRecorderLock's one try. */
async function ifRecorderFree<T>(
  dataSource: DataSource,
  isolation: 'REPEATABLE READ' | null,
  work: (client: PoolClient) => Promise<T>,
): Promise<{ ran: false } | { ran: true; value: T }> {
  const runner = dataSource.createQueryRunner();
  const client = (await runner.connect()) as PoolClient;
  let locked = false;
  try {
    const { rows } = await client.query<{ got: boolean }>(
      `SELECT pg_try_advisory_lock(${HISTORY_LOCK_CLASS}, ${RECORDER_LOCK}) AS got`,
    );
    locked = rows[0]?.got === true;
    if (!locked) return { ran: false };
    if (isolation === null) return { ran: true, value: await work(client) };
    await client.query(`BEGIN ISOLATION LEVEL ${isolation}; ${RECORDER_SETTINGS}`);
    try {
      const value = await work(client);
      await client.query('COMMIT');
      return { ran: true, value };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    if (locked)
      await client.query(`SELECT pg_advisory_unlock(${HISTORY_LOCK_CLASS}, ${RECORDER_LOCK})`).catch(() => undefined);
    await runner.release();
  }
}

/** A pending row as TAKE_SQL answers it: with a feed, the feed's shown offers in its pairs (MARK_PENDING_SQL). */
interface TakenRow {
  exchanger_id: number | null;
  froms: string[];
  tos: string[];
  feed_id: number | null;
  /** The carried offers' pairs, as 1-based ordinals in froms and tos. */
  shown_pairs: number[] | null;
  shown_cities: string[] | null;
  shown_rates: string[] | null;
  more: boolean;
}

/** What a pair's latest mark of a writer carried: its feed's shown offers there then; null: nothing. */
type Carried = { feed: number; offers: WriterOffer[] } | null;

/**
 * A pair a batch marks: the writers that touched it and what each one's latest mark carried (null: some write
 * asked for every offer), and whether history has a row for it (`known`).
 */
interface PairWriters {
  from: string;
  to: string;
  writers: Map<number, Carried> | null;
  known: boolean;
}

async function drainBatch(
  client: PoolClient,
  at: Date | null,
  maxPairs: number,
): Promise<{ result: DrainResult; missedLate: number[] }> {
  const { rows } = await client.query<TakenRow>(TAKE_SQL, [maxPairs]);
  if (rows.length === 0) return { result: NOTHING, missedLate: [] };
  const missedLate = await leaveWordOfMissed(client);
  // Each pair once, with the writers that touched it and what each one's latest mark carried (rows come in
  // id order, the order a feed's writes committed in); null: some write asked for every offer.
  const writersOf = new PairMap<PairWriters>();
  let marked = 0;
  let anyCarried = false;
  for (const row of rows) {
    marked += row.froms.length;
    const shown = carriedOffers(row);
    anyCarried ||= shown !== null;
    for (let i = 0; i < row.froms.length; i++) {
      const from = row.froms[i]!;
      const to = row.tos[i]!;
      let entry = writersOf.get(from, to);
      if (!entry) writersOf.set(from, to, (entry = { from, to, writers: new Map(), known: false }));
      if (row.exchanger_id === null) entry.writers = null;
      else entry.writers?.set(row.exchanger_id, shown && { feed: row.feed_id!, offers: shown[i] ?? [] });
    }
  }
  const clock = await client.query<{ at: Date }>(`SELECT COALESCE($1::timestamptz, now()) AS at`, [at]);
  const stamp = clock.rows[0]!.at;
  const every: { froms: string[]; tos: string[] } = { froms: [], tos: [] };
  const decidable: PairWriters[] = [];
  for (const entry of writersOf.values()) {
    if (entry.writers === null) {
      every.froms.push(entry.from);
      every.tos.push(entry.to);
    } else decidable.push(entry);
  }
  let changes = 0;
  let carried = 0;
  let computed = every.froms.length;
  if (decidable.length > 0) {
    // History's bests of the writers' pairs, then the writers' shown offers where history has some, read by
    // index and decided here (a statement doing it joined thousands of rows it could not estimate, and nested
    // loops took seconds). A pair history has no row for (a first snapshot) is computed over every offer.
    const { rows: recorded } = await client.query<RecordedBest>(RECORDED_SQL, [
      decidable.map((e) => e.from),
      decidable.map((e) => e.to),
    ]);
    for (const r of recorded) {
      const entry = writersOf.get(r.from, r.to);
      if (entry) entry.known = true;
    }
    // A writer's carried offers are its shown ones as long as the feed that carried them is still its only
    // shown feed: every later change of that feed's offers left a later mark (the writer's, or one for every
    // offer). Otherwise — an exchanger with several shown feeds, a feed hidden since, a mark that carried
    // nothing — its offers are looked up (WRITERS_OFFERS_SQL).
    const sole = anyCarried ? await soleShownFeeds(client) : new Map<number, number | null>();
    const mine: { froms: string[]; tos: string[]; writers: number[] } = { froms: [], tos: [], writers: [] };
    const offers: WriterOffer[] = [];
    for (const entry of decidable) {
      if (!entry.known) {
        every.froms.push(entry.from);
        every.tos.push(entry.to);
        computed++;
        continue;
      }
      for (const [writer, shown] of entry.writers!) {
        if (shown !== null && sole.get(writer) === shown.feed) {
          for (const offer of shown.offers) offers.push(offer);
          carried++;
          continue;
        }
        mine.froms.push(entry.from);
        mine.tos.push(entry.to);
        mine.writers.push(writer);
      }
    }
    if (mine.writers.length > 0) {
      const { rows: looked } = await client.query<WriterOffer>(WRITERS_OFFERS_SQL, [
        mine.froms,
        mine.tos,
        mine.writers,
      ]);
      for (const offer of looked) offers.push(offer);
    }
    const decided = decideByWriters((from, to) => writersOf.get(from, to)?.writers ?? undefined, offers, recorded);
    for (const [from, to] of decided.redo) {
      every.froms.push(from);
      every.tos.push(to);
    }
    computed += decided.redo.length;
    if (decided.own.length > 0) {
      const own = decided.own;
      const {
        rows: [written],
      } = await client.query<{ changes: number }>(OWN_WRITE_SQL, [
        own.map((o) => o.id),
        own.map((o) => o.from),
        own.map((o) => o.to),
        own.map((o) => o.city),
        own.map((o) => o.rate),
        own.map((o) => o.holder),
        own.map((o) => o.previous),
        own.map((o) => o.moved),
        stamp,
      ]);
      changes += written?.changes ?? 0;
    }
  }
  for (let i = 0; i < every.froms.length; i += PAIRS_PER_STATEMENT) {
    const {
      rows: [row],
    } = await client.query<{ changes: number }>(EVERY_PAIR_SQL, [
      every.froms.slice(i, i + PAIRS_PER_STATEMENT),
      every.tos.slice(i, i + PAIRS_PER_STATEMENT),
      stamp,
    ]);
    changes += row?.changes ?? 0;
  }
  return {
    result: {
      ran: true,
      writes: rows.length,
      marked,
      pairs: writersOf.size,
      byWriters: writersOf.size - computed,
      computed,
      carried,
      changes,
      more: rows[0]?.more === true,
    },
    missedLate,
  };
}

/** A carrying row's offers, by its pairs' index in froms and tos (none: absent); null: the row carried none. */
function carriedOffers(row: TakenRow): WriterOffer[][] | null {
  if (row.feed_id === null || row.exchanger_id === null || row.shown_pairs === null) return null;
  const byPair: WriterOffer[][] = [];
  for (let i = 0; i < row.shown_pairs.length; i++) {
    const pair = row.shown_pairs[i]! - 1;
    const offer: WriterOffer = {
      exchangerId: row.exchanger_id,
      from: row.froms[pair]!,
      to: row.tos[pair]!,
      city: row.shown_cities![i]!,
      rate: row.shown_rates![i]!,
    };
    (byPair[pair] ??= []).push(offer);
  }
  return byPair;
}

/** Each exchanger shown now with its shown feed, or null when it has several (FRESH_FEED_SQL). */
async function soleShownFeeds(client: PoolClient): Promise<Map<number, number | null>> {
  const { rows } = await client.query<{ id: number; exchanger_id: number }>(
    `WITH live AS (${LIVE_FEEDS}) SELECT id, exchanger_id FROM live`,
  );
  const sole = new Map<number, number | null>();
  for (const row of rows) sole.set(row.exchanger_id, sole.has(row.exchanger_id) ? null : row.id);
  return sole;
}

/**
 * Deletes the oldest pending rows up to $1 pairs (at least one row) and answers them in id order, each with
 * `more`: rows are left.
 */
// A batch is a prefix in id order; every row marks at least one pair, so it lies within the first $1 rows (a
// backlog is not read whole for each batch), and whatever is left has a greater id.
const TAKE_SQL = `WITH batch AS (
    SELECT id FROM (
      SELECT id, sum(cardinality(froms)) OVER (ORDER BY id) - cardinality(froms) AS before
      FROM (SELECT id, froms FROM history_pending ORDER BY id LIMIT $1) h
    ) p WHERE before < $1
  ),
  taken AS (
    DELETE FROM history_pending WHERE id IN (SELECT id FROM batch)
    RETURNING id, exchanger_id, froms, tos, feed_id, shown_pairs, shown_cities, shown_rates::text[] AS shown_rates
  )
  SELECT exchanger_id, froms, tos, feed_id, shown_pairs, shown_cities, shown_rates,
         EXISTS (SELECT 1 FROM history_pending WHERE id > (SELECT max(id) FROM batch)) AS more
  FROM taken ORDER BY id`;

/**
 * A recorded scope `r` (LEFT JOINed: absent is null) the offer `o` could move: none yet, nothing shown there,
 * held by the offer's exchanger (its rate may have changed while hidden), or beaten — a greater rate, or an
 * equal one of a smaller exchanger id (decideByWriters' rules).
 */
const MOVABLE = (
  r: string,
) => `(${r}.id IS NULL OR ${r}.rate IS NULL OR ${r}.holder IS NULL OR ${r}.holder = o.exchanger_id
    OR o.rate > ${r}.rate OR (o.rate = ${r}.rate AND o.exchanger_id < ${r}.holder))`;

/** markFeedsMoved's pending rows of the feeds $1 shown again: one per exchanger, its pairs it could move. */
const MARK_APPEARED_SQL = `WITH marked AS (
    INSERT INTO history_pending (exchanger_id, froms, tos)
    SELECT exchanger_id, array_agg(from_code), array_agg(to_code)
    FROM (
      SELECT DISTINCT o.exchanger_id, o.from_code, o.to_code
      FROM offers o
      LEFT JOIN history_directions d ON d.from_code = o.from_code AND d.to_code = o.to_code AND d.city = ''
      LEFT JOIN history_directions c ON o.city <> '' AND c.from_code = o.from_code AND c.to_code = o.to_code AND c.city = o.city
      WHERE o.feed_id = ANY($1::int[]) AND o.quarantine IS NULL AND (${MOVABLE('d')} OR (o.city <> '' AND ${MOVABLE('c')}))
    ) p
    GROUP BY exchanger_id
    RETURNING cardinality(froms) AS n)
  SELECT COALESCE(sum(n), 0)::int AS pairs FROM marked`;

const PAIRS = `SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS t(from_code, to_code)`;

/**
 * The recording statement over the pairs `candidates` yields: the best shown rate, offer count and holder
 * (the exchanger of the best; the smallest id on a tie) per pair overall (city '') and per city, against what
 * history holds; a change point where the rate differs (null: nothing shown any more), the holder kept up to
 * date where only it changed. Answers how many change points it wrote.
 */
function recordSql(candidates: string): string {
  return `WITH ${recordCtes(candidates)}
  SELECT count(*)::int AS changes FROM points`;
}

/** recordSql's common table expressions, `shown` rows from every shown offer of the candidates. */
function recordCtes(candidates: string): string {
  return `cand AS (${candidates}),
  shown AS (${SHOWN_ROWS_SQL('(o.from_code, o.to_code) IN (SELECT from_code, to_code FROM cand)')}),
  best AS (${SCOPES_OF('shown', `max(s.rate) AS rate, count(*)::int AS offers, ${HOLDER}`)}),
  cur AS (SELECT d.id, d.from_code, d.to_code, d.city, d.rate, d.holder FROM history_directions d JOIN cand USING (from_code, to_code)),
  diff AS (
    SELECT COALESCE(b.from_code, c.from_code) AS from_code, COALESCE(b.to_code, c.to_code) AS to_code, COALESCE(b.city, c.city) AS city,
           b.rate, COALESCE(b.offers, 0) AS offers, b.holder, c.rate AS previous, c.id IS NULL OR c.rate IS DISTINCT FROM b.rate AS changed
    FROM best b FULL JOIN cur c ON c.from_code = b.from_code AND c.to_code = b.to_code AND c.city = b.city
    WHERE c.id IS NULL OR c.rate IS DISTINCT FROM b.rate OR c.holder IS DISTINCT FROM b.holder
  ),
  clock AS (SELECT $3::timestamptz AS at),
  up AS (
    INSERT INTO history_directions AS h (from_code, to_code, city, rate, holder, changed_at)
    SELECT diff.from_code, diff.to_code, diff.city, diff.rate, diff.holder, clock.at FROM diff, clock
    ON CONFLICT ON CONSTRAINT history_directions_key DO UPDATE SET rate = excluded.rate, holder = excluded.holder,
       changed_at = CASE WHEN h.rate IS DISTINCT FROM excluded.rate THEN excluded.changed_at ELSE h.changed_at END
    RETURNING h.id, h.from_code, h.to_code, h.city
  ),
  points AS (
    INSERT INTO history_changes (direction_id, at, rate, previous, offers)
    SELECT up.id, clock.at, diff.rate, diff.previous, diff.offers
    FROM up JOIN diff USING (from_code, to_code, city), clock WHERE diff.changed
    ON CONFLICT (direction_id, at) DO UPDATE SET rate = excluded.rate, offers = excluded.offers
    RETURNING 1
  )`;
}

/**
 * The holder of a scope's best (aggregates of `s`): the exchanger of the greatest rate, the smallest id on a tie —
 * the greatest (rate, −id) pair, compared as a numeric array (exact). An aggregate without an ORDER BY of its own:
 * `(array_agg(exchanger_id ORDER BY rate DESC, exchanger_id))[1]` sorted each scope's offers again inside the
 * grouping's sort (scratch market of 612,000 offers, 1,000 pairs: 123–127 → 97–103 ms; 3,000 pairs: 301–460 →
 * 192–195 ms; the same bests).
 */
const HOLDER = `(-(max(ARRAY[s.rate, (-s.exchanger_id)::numeric]))[2])::int AS holder`;

/** Best rate per pair overall (city '') and per city of `shown` (a CTE with from_code, to_code, city, rate, …). */
const SCOPES_OF = (shown: string, aggregates: string, by = '') => `SELECT * FROM (
    SELECT ${by} s.from_code, s.to_code, CASE WHEN grouping(s.city) = 1 THEN '' ELSE s.city END AS city, grouping(s.city) AS whole, ${aggregates}
    FROM ${shown} s GROUP BY GROUPING SETS ((${by} s.from_code, s.to_code, s.city), (${by} s.from_code, s.to_code))
  ) g WHERE whole = 1 OR city <> ''`;

/**
 * Offers per pair overall (city '') and per city of `shown` (a CTE with from_code, to_code, city): counted per
 * city, then summed per pair — two hash aggregates, where SCOPES_OF's grouping sets sort every row (for a
 * drain's moved pairs, 170,000 offers sorted on disk at 300 exchangers: a third of OWN_WRITE_SQL).
 */
const COUNTS_OF = (
  shown: string,
) => `WITH per_city AS (SELECT from_code, to_code, city, count(*)::int AS offers FROM ${shown} GROUP BY 1, 2, 3)
  SELECT from_code, to_code, city, offers FROM per_city WHERE city <> ''
  UNION ALL
  SELECT from_code, to_code, '' AS city, sum(offers)::int AS offers FROM per_city GROUP BY 1, 2`;

/** The feeds shown now (FRESH_FEED_SQL), as a CTE body: id, exchanger_id, last_success_at. */
const LIVE_FEEDS = `SELECT f.id, f.exchanger_id, f.last_success_at FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id WHERE ${FRESH_FEED_SQL}`;

/**
 * Feeds history holds shown (history_feeds, as the last re-evaluation remembered them) but not shown in a
 * drain's snapshot: the bests it records leave their offers out — the writes it takes of theirs included. Were
 * such a feed shown again before the next re-evaluation, that one would find it as it remembered it and mark
 * nothing, and those offers would never reach the history until written again; so the drain leaves word
 * (`history_feeds.missed`) and the re-evaluation treats the feed, if shown by then, as shown again. (A deleted
 * feed may take the word too: the re-evaluation drops its row as gone.)
 */
const MISSED_SQL = `WITH live AS (${LIVE_FEEDS})
  SELECT h.feed_id AS id FROM history_feeds h
  WHERE h.shown AND NOT h.missed AND NOT EXISTS (SELECT FROM live WHERE live.id = h.feed_id)`;

/**
 * The rows of shownOffersSql(where) (exchanger_id, from_code, to_code, city, rate), without sorting them all to
 * pick each exchanger's feed: only an exchanger with several shown feeds (rare) needs that pick; every
 * other offer of a shown feed, not held back, is shown as it is.
 *
 * The pick runs only when some exchanger has several shown feeds (the uncorrelated EXISTS is a one-time
 * filter) and only over those exchangers' feeds (`several`). Without both, a plan made while the tables had
 * no statistics yet (a fleet's first minute: `live` estimated at one row) looped every shown feed × every
 * pair through the direction index and dropped the rows only at the end: 3–9 s a drain in bench:scale's
 * warm-up, for a pick that found nothing — and the rate history minutes behind when the window opened.
 */
export const SHOWN_ROWS_SQL = (where: string) => `WITH live AS (${LIVE_FEEDS}),
  shared AS (SELECT exchanger_id FROM live GROUP BY exchanger_id HAVING count(*) > 1)
  SELECT o.exchanger_id, o.from_code, o.to_code, o.city, o.rate FROM offers o
  WHERE o.quarantine IS NULL AND (${where}) AND (o.feed_id IN (SELECT id FROM live)) IS TRUE
    AND (o.exchanger_id IN (SELECT exchanger_id FROM shared)) IS NOT TRUE
  UNION ALL
  SELECT * FROM (
    SELECT DISTINCT ON (o.exchanger_id, o.from_code, o.to_code, o.city) o.exchanger_id, o.from_code, o.to_code, o.city, o.rate
    FROM (SELECT * FROM live WHERE exchanger_id IN (SELECT exchanger_id FROM shared) OFFSET 0) several
    JOIN offers o ON o.feed_id = several.id
    WHERE o.quarantine IS NULL AND (${where}) AND EXISTS (SELECT FROM shared)
    ORDER BY o.exchanger_id, o.from_code, o.to_code, o.city, several.last_success_at DESC, several.id DESC
  ) picked`;

/** The shown offers of each writer ($3) in its pairs ($1, $2), as shownOffersSql picks them; rates as text. */
const WRITERS_OFFERS_SQL = `WITH w AS (SELECT * FROM unnest($1::text[], $2::text[], $3::int[]) AS w(from_code, to_code, exchanger_id)),
  live AS (${LIVE_FEEDS})
  SELECT DISTINCT ON (o.exchanger_id, o.from_code, o.to_code, o.city) o.exchanger_id AS "exchangerId", o.from_code AS "from",
         o.to_code AS "to", o.city, o.rate::text AS rate
  FROM w JOIN live f ON f.exchanger_id = w.exchanger_id
  -- One index lookup a writer's feed and pair (LATERAL, not flattened: OFFSET 0): a plan joining the whole
  -- table sorted a million offers.
  CROSS JOIN LATERAL (
    SELECT o.exchanger_id, o.from_code, o.to_code, o.city, o.rate FROM offers o
    WHERE o.feed_id = f.id AND o.from_code = w.from_code AND o.to_code = w.to_code AND o.quarantine IS NULL
    OFFSET 0
  ) o
  ORDER BY o.exchanger_id, o.from_code, o.to_code, o.city, f.last_success_at DESC, f.id DESC`;

/** History's bests (every scope) of the pairs $1, $2 (each once). */
const RECORDED_SQL = `SELECT d.id, d.from_code AS "from", d.to_code AS "to", d.city, d.rate::text AS rate, d.holder
  FROM unnest($1::text[], $2::text[]) AS p(from_code, to_code)
  JOIN history_directions d ON d.from_code = p.from_code AND d.to_code = p.to_code`;

/**
 * Writes what decideByWriters decided (history_directions ids $1 of scopes $2, $3, $4: new rate $5 and holder
 * $6, the rate before $7, whether the rate moved $8; time $9): the rows updated, and a change point where the
 * rate moved, with the offers shown there counted over the market. Answers the change points written.
 */
const OWN_WRITE_SQL = `WITH own AS (
    SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::int[], $7::numeric[], $8::boolean[])
      AS o(id, from_code, to_code, city, rate, holder, previous, moved)
  ),
  moved AS (SELECT DISTINCT from_code, to_code FROM own WHERE moved),
  shown AS (${SHOWN_ROWS_SQL('(o.from_code, o.to_code) IN (SELECT from_code, to_code FROM moved)')}),
  counted AS (${COUNTS_OF('shown')}),
  clock AS (SELECT $9::timestamptz AS at),
  up AS (
    UPDATE history_directions h SET rate = own.rate, holder = own.holder,
           changed_at = CASE WHEN own.moved THEN clock.at ELSE h.changed_at END
    FROM own, clock WHERE h.id = own.id
    RETURNING h.id
  ),
  points AS (
    INSERT INTO history_changes (direction_id, at, rate, previous, offers)
    SELECT own.id, clock.at, own.rate, own.previous, COALESCE(n.offers, 0)
    FROM own JOIN up USING (id) CROSS JOIN clock
    LEFT JOIN counted n ON n.from_code = own.from_code AND n.to_code = own.to_code AND n.city = own.city
    WHERE own.moved
    ON CONFLICT (direction_id, at) DO UPDATE SET rate = excluded.rate, offers = excluded.offers
    RETURNING 1
  )
  SELECT count(*)::int AS changes FROM points`;

const EVERY_PAIR_SQL = recordSql(PAIRS);
