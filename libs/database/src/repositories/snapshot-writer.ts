import type { PoolClient, QueryArrayResult } from 'pg';
import type { EntityManager } from 'typeorm';
import type { NormalizedOffer } from '@app/domain';
import type { ReferenceView } from '../integrity/reference-cache';
import { GUARD_PROBES_MAX, WRITTEN_COLUMNS, WrittenCandidate, writtenCandidatesSql } from '../integrity/rate-guard';
import { offerKey } from '../offer-key';
import { PairMap } from '../pair-map';
import { executeOn } from '../session-statements';
import { arrayElement, integerLiteral, textArray } from '../sql-literals';
import { arrayLiteral, STAGED, stageOffers, StagedOffer } from './snapshot-writer-copy';

export { arrayLiteral, copyText } from './snapshot-writer-copy';

export interface SnapshotChange {
  inserted: number;
  updated: number;
  deleted: number;
  /** Directions whose offers changed: the read caches to invalidate. */
  touched: Array<[string, string]>;
}

export const NO_CHANGE: SnapshotChange = { inserted: 0, updated: 0, deleted: 0, touched: [] };

/** What the rate guard's candidates are read with, in the write's own statement (writtenCandidatesSql). */
export interface GuardRead {
  /** The narrowest band of the policy, percent. */
  band: string;
  now: Date;
  /** The process's copy of the references for that band (ReferenceCache), or null: every written offer is judged. */
  references: ReferenceView | null;
}

/**
 * Statements a write sends ahead of its first own, in the same round trip: the caller's BEGIN and the feed row's
 * lock (FeedsRepository.applyAnswer) — a write under a valid cache is then one round trip, lock and all. Given
 * their rows (each an array of its values), `answered` tells whether the write goes on: false (the feed is gone)
 * stops it, and nothing is written (a cached write that went with the lock found no snapshot version: the feed's
 * row cascades to it).
 */
export interface Ahead {
  readonly sql: string;
  answered(rows: ReadonlyArray<ReadonlyArray<unknown>>): boolean;
}

/**
 * A write and, when the guard asked (GuardRead) and something was written, its candidates as the write's
 * statement read them, with `stale`: whether a key is one the statement changed or deleted (judgeWritten).
 */
export interface WrittenSnapshot extends SnapshotChange {
  candidates: WrittenCandidate[] | null;
  stale: (from: string, to: string, city: string) => boolean;
  /** The references' version the write's statement saw (null: nothing judged), for ReferenceCache.seen. */
  referencesVersion: string | null;
  /**
   * Every offer of the feed in the directions the write touched, when it knows them without a walk over the feed:
   * a feed without cities has one offer per direction — the one it wrote there, none where it deleted one. Null
   * for a feed with cities (a touched direction may hold offers it did not write).
   */
  touchedOffers: readonly NormalizedOffer[] | null;
}

const NOTHING_WRITTEN: WrittenSnapshot = {
  ...NO_CHANGE,
  candidates: null,
  stale: () => false,
  referencesVersion: null,
  touchedOffers: [],
};

/**
 * A 53-bit fingerprint of an offer's values (cyrb53 over their canonical text). Two offers with the
 * same values have the same fingerprint; a change is missed only on a 2^-53 collision.
 */
export function offerFingerprint(o: NormalizedOffer): string {
  return String(fingerprintOf(o));
}

/**
 * offerFingerprint as a number (exact: below 2^53). Hashes the fields one after the other, as if over their
 * joined text (the same value), without building that text: a poll fingerprints every offer it read.
 */
function fingerprintOf(o: NormalizedOffer): number {
  h1 = 0xdeadbeef;
  h2 = 0x41c6ce57;
  mix(o.in);
  mix('|');
  mix(o.out);
  mix('|');
  mix(o.reserve ?? '');
  mix('|');
  mix(o.fromMin ?? '');
  mix('|');
  mix(o.fromMax ?? '');
  mix('|');
  mix(o.toMin ?? '');
  mix('|');
  mix(o.toMax ?? '');
  mix('|');
  mixFees(o.fromFee);
  mix('|');
  mixFees(o.toFee);
  mix('|');
  mixFees(o.minFee);
  mix('|');
  for (let i = 0; i < o.flags.length; i++) {
    if (i > 0) mix('\u001f');
    mix(o.flags[i]!);
  }
  mix('|');
  if (o.floating !== null) {
    mix(o.floating.percent ?? '');
    mix('/');
    mix(o.floating.minutes === null || o.floating.minutes === undefined ? '' : String(o.floating.minutes));
  }
  mix('|');
  mix(o.delayMinutes === null || o.delayMinutes === undefined ? '' : String(o.delayMinutes));
  let a = h1;
  let b = h2;
  a = Math.imul(a ^ (a >>> 16), 2246822507) ^ Math.imul(b ^ (b >>> 13), 3266489909);
  b = Math.imul(b ^ (b >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909);
  return 4294967296 * (2097151 & b) + (a >>> 0);
}

/** cyrb53's running state (fingerprintOf is synchronous: one offer at a time). */
let h1 = 0;
let h2 = 0;

function mix(text: string): void {
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
}

function mixFees(fees: NormalizedOffer['fromFee']): void {
  for (const fee of fees) {
    mix(fee.kind);
    mix(':');
    mix(fee.value);
    mix(':');
    mix(fee.unit ?? '');
    mix(';');
  }
}

/** What a write needs of an offer to diff it: its stored key and its fingerprint. */
interface OfferPrint {
  readonly key: string;
  readonly fp: number;
  /**
   * The stamp of the last write whose offers held this very object (0: none yet). Equal to a cached
   * snapshot's `stamp`, the object is one of the offers that snapshot was written from — its key is stored
   * with its fingerprint — so the diff skips it without a look-up (9,500 of 10,000 offers of a 5 % change).
   */
  stamp: number;
}

/** The last stamp handed out: every write of a snapshot takes a new one (SnapshotCache entries carry it). */
let stamps = 0;

/**
 * Where an offer object keeps its key and fingerprint once a write has seen it: the feeds' memo hands a poll
 * the very objects of the last one for the items whose bytes did not change (~90–95 % of a feed), so those are
 * read, not hashed again — and their key is the string the diff already looked up, its hash kept in it.
 * An offer is a value, never changed once made (the memo relies on that too: it hands the same objects to
 * every poll); an object the writer has not seen — any offer of a feed read without the memo — is hashed.
 *
 * A property of the object, not an entry of a WeakMap by it: a WeakMap look-up of each of a feed's 10,000
 * offers was 1 ms of a 14 ms write (bench:ingest, 5 % changed), and a worker held ~800,000 such entries at 500
 * exchangers — ephemerons, which every garbage collection of the old generation traces apart. The property is
 * a symbol, not enumerable and read-only: JSON, spreads and copies of an offer (`{ ...offer, rate }`) never carry
 * it, so a changed copy is always hashed anew. A frozen offer cannot take it and is hashed on every write.
 */
const PRINT = Symbol('ratewatch.offerPrint');
type Printed = NormalizedOffer & { [PRINT]?: OfferPrint };

function printOf(o: NormalizedOffer): OfferPrint {
  const kept = (o as Printed)[PRINT];
  if (kept !== undefined) return kept;
  const print: OfferPrint = { key: offerKey(o.from, o.to, o.city ?? ''), fp: fingerprintOf(o), stamp: 0 };
  if (Object.isExtensible(o)) Object.defineProperty(o, PRINT, { value: print });
  return print;
}

/** A feed's stored snapshot as its last writer in this process left it: key → fingerprint. */
interface CachedSnapshot {
  /** feed_snapshots.version after the write that left these rows. */
  version: string;
  exchangerId: number;
  rows: Map<string, number>;
  /** How many of `rows` have a city: without any, a direction has one offer (the guard probes no others). */
  cities: number;
  /**
   * The stamp of the write that left these rows: exactly its offers' keys and fingerprints, so an offer whose
   * print carries it is stored as it is (OfferPrint.stamp).
   */
  stamp: number;
}

/**
 * The keys and fingerprints of the snapshots this process wrote last, per feed, so a poll diffs against
 * memory instead of reading its 10,000 stored rows back. An entry is trusted only while the feed row's
 * snapshot version (feed_snapshots, read under the feed row's lock) still is the value this process's write set: a write
 * by another worker, a restart, or a rolled-back transaction (its sequence value is never committed, never
 * handed out again) makes the entry miss, and the writer reads the stored rows as before. Bounded by the
 * offers it holds (about 100 bytes each); the feeds written longest ago give their room first.
 */
export class SnapshotCache {
  private readonly feeds = new Map<number, CachedSnapshot>();
  private held = 0;

  constructor(public limit = DEFAULT_CACHED_OFFERS) {}

  /** Offers held, over every feed. */
  get offers(): number {
    return this.held;
  }

  /** Takes a feed's entry out (the writer owns it until it puts a new one back). */
  take(feedId: number): CachedSnapshot | undefined {
    const entry = this.feeds.get(feedId);
    if (entry === undefined) return undefined;
    this.feeds.delete(feedId);
    this.held -= entry.rows.size;
    return entry;
  }

  put(feedId: number, entry: CachedSnapshot): void {
    this.take(feedId);
    if (entry.rows.size > this.limit) return;
    this.feeds.set(feedId, entry);
    this.held += entry.rows.size;
    for (const [id, oldest] of this.feeds) {
      if (this.held <= this.limit) break;
      this.feeds.delete(id);
      this.held -= oldest.rows.size;
    }
  }

  clear(): void {
    this.feeds.clear();
    this.held = 0;
  }
}

/** 1,000,000 offers: about 100 MB of a worker's heap, a 500-exchanger market of 2,000 offers each. */
export const DEFAULT_CACHED_OFFERS = 1_000_000;

/** The process's cache of written snapshots (SnapshotCache). */
export const snapshotCache = new SnapshotCache();

interface Diff {
  change: SnapshotChange;
  gone: Array<[string, string, string]>;
  changed: Array<StagedOffer & { key: string }>;
  /** The stored rows with a city, before and after the diff. */
  citiesBefore: number;
  cities: number;
  /** The directions of `change.touched`, to look up. */
  directions: Directions;
  /** The offers diffed, and their prints (the same order): every offer of the feed after the write. */
  offers: readonly NormalizedOffer[];
  prints: readonly OfferPrint[];
}

/**
 * Replaces a feed's snapshot inside the caller's transaction (which holds the feed row's lock): diffs the
 * offers against the stored keys and fingerprints — kept from this process's last write of the feed when
 * the feed's snapshot version says they are still what is stored (SnapshotCache), else read in one
 * statement — and writes only the difference in one statement (deletes by key, updates and inserts from
 * arrays, the new snapshot version), never a query per offer. With a valid cache an unchanged snapshot
 * costs one round trip (the version), a changed one one round trip (the write, which checks the version).
 */
export async function replaceSnapshot(
  tx: EntityManager,
  feed: { id: number; exchangerId: number },
  offers: readonly NormalizedOffer[],
  cache: SnapshotCache = snapshotCache,
  stageFrom = STAGE_FROM_ROWS,
  guard: GuardRead | null = null,
  ahead: Ahead | null = null,
): Promise<WrittenSnapshot> {
  const client = (await tx.queryRunner!.connect()) as PoolClient;
  const seen = new Array<OfferPrint>(offers.length);
  for (let i = 0; i < offers.length; i++) seen[i] = printOf(offers[i]!);
  // This write's stamp: its offers carry it from the diff on, and the cache entry it leaves does too — a
  // write that fails leaves no entry, so a stamp no entry has matches nothing.
  const stamp = ++stamps;
  // The statements ahead go with the first query, whichever it is.
  let pending = ahead;
  const takeAhead = () => {
    const opening = pending;
    pending = null;
    return opening;
  };
  const cached = cache.take(feed.id);
  if (cached !== undefined && cached.exchangerId === feed.exchangerId) {
    const diff = diffAgainst(cached.rows, offers, seen, cached.stamp, stamp, cached.cities);
    if (diff.changed.length === 0 && diff.gone.length === 0) {
      const rows = await sendAfter(
        client,
        takeAhead(),
        `SELECT version::text FROM feed_snapshots WHERE feed_id = ${integerLiteral(feed.id)}`,
      );
      if (rows === null) return NOTHING_WRITTEN;
      if (rows[0]?.[0] === cached.version) {
        cache.put(feed.id, { ...cached, stamp });
        return NOTHING_WRITTEN;
      }
    } else {
      const written = await writeDiff(client, feed, cached.version, diff, stageFrom, guard, takeAhead());
      if (written === STOPPED) return NOTHING_WRITTEN;
      if (written !== MOVED) {
        applyDiff(cached.rows, diff);
        cache.put(feed.id, {
          version: written.version,
          exchangerId: feed.exchangerId,
          rows: cached.rows,
          cities: diff.cities,
          stamp,
        });
        return written.snapshot;
      }
    }
  }

  // No entry, or another writer's snapshot: read what is stored (one row, one text value: much cheaper to
  // ship and parse than 10,000 rows of five columns).
  const read = await sendAfter(
    client,
    takeAhead(),
    `SELECT (SELECT version::text FROM feed_snapshots WHERE feed_id = f.id) AS version,
            (SELECT string_agg(from_code || E'\\u001f' || to_code || E'\\u001f' || city || E'\\u001f' || CASE WHEN exchanger_id = ${integerLiteral(feed.exchangerId)} THEN fp::text ELSE '-1' END /* another exchanger's row: rewritten whatever its values */, E'\\n')
             FROM offers WHERE feed_id = f.id) AS rows
     FROM feeds f WHERE f.id = ${integerLiteral(feed.id)}`,
  );
  if (read === null) return NOTHING_WRITTEN;
  const version = (read[0]?.[0] as string | null | undefined) ?? null;
  const stored = new Map<string, number>();
  let cities = 0;
  const text = read[0]?.[1] as string | null | undefined;
  if (text) {
    for (const line of text.split('\n')) {
      const cut = line.lastIndexOf('\u001f');
      // A key without a city ends with its separator.
      if (line.charCodeAt(cut - 1) !== 0x1f) cities++;
      stored.set(line.slice(0, cut), Number(line.slice(cut + 1)));
    }
  }
  const diff = diffAgainst(stored, offers, seen, NO_STAMP, stamp, cities);
  if (diff.changed.length === 0 && diff.gone.length === 0) {
    if (version) cache.put(feed.id, { version, exchangerId: feed.exchangerId, rows: stored, cities, stamp });
    return NOTHING_WRITTEN;
  }
  const written = await writeDiff(client, feed, version, diff, stageFrom, guard, null);
  if (written === MOVED || written === STOPPED)
    throw new Error(`feed ${feed.id}: its snapshot version changed under the feed row's lock`);
  applyDiff(stored, diff);
  cache.put(feed.id, {
    version: written.version,
    exchangerId: feed.exchangerId,
    rows: stored,
    cities: diff.cities,
    stamp,
  });
  return written.snapshot;
}

/**
 * Runs `text` (a simple query: no parameters) after the statements `ahead`, if any, in one round trip; answers
 * its rows as arrays of values, or null when `ahead.answered` stopped the write.
 */
async function sendAfter(client: PoolClient, ahead: Ahead | null, text: string): Promise<unknown[][] | null> {
  if (ahead === null) return (await client.query<unknown[]>({ text, rowMode: 'array' })).rows;
  // A simple query of several statements answers one result per statement.
  const results = (await client.query<unknown[]>({
    text: `${ahead.sql}; ${text}`,
    rowMode: 'array',
  })) as unknown as Array<QueryArrayResult<unknown[]>>;
  const own = results[results.length - 1]!;
  return ahead.answered(results.slice(0, -1).flatMap((r) => r.rows)) ? own.rows : null;
}

/** No stamp: rows read from the database, not left by a write of this process's offers. */
const NO_STAMP = -1;

/**
 * The diff of `offers` (their prints `seen`) against `stored`: an offer whose print carries `known` (the
 * stamp of the write that left `stored`) is skipped without a look-up; every print then carries `stamp`.
 */
function diffAgainst(
  stored: ReadonlyMap<string, number>,
  offers: readonly NormalizedOffer[],
  seen: readonly OfferPrint[],
  known: number,
  stamp: number,
  citiesBefore: number,
): Diff {
  const changed: Diff['changed'] = [];
  const touched = new Directions();
  let inserted = 0;
  let cities = citiesBefore;
  for (let i = 0; i < offers.length; i++) {
    const print = seen[i]!;
    if (print.stamp === known) {
      print.stamp = stamp;
      continue;
    }
    print.stamp = stamp;
    const { key, fp } = print;
    const before = stored.get(key);
    if (before === fp) continue;
    const offer = offers[i]!;
    if (before === undefined) {
      inserted++;
      if (offer.city) cities++;
    }
    changed.push({ key, offer, fp, op: before === undefined ? 'i' : 'u' });
    touched.add(offer.from, offer.to);
  }
  // The offers' keys are distinct (the normalizer drops duplicates): offers.length − inserted stored rows
  // are still offered; only when fewer than stored are some gone, and only then are the stored keys walked.
  const gone: Diff['gone'] = [];
  if (stored.size > offers.length - inserted) {
    const offered = new Set<string>();
    for (let i = 0; i < seen.length; i++) offered.add(seen[i]!.key);
    for (const key of stored.keys()) {
      if (offered.has(key)) continue;
      const [from, to, city] = key.split('\u001f') as [string, string, string];
      gone.push([from, to, city]);
      if (city !== '') cities--;
      touched.add(from, to);
    }
  }
  return {
    change: { inserted, updated: changed.length - inserted, deleted: gone.length, touched: touched.list },
    gone,
    changed,
    citiesBefore,
    cities,
    directions: touched,
    offers,
    prints: seen,
  };
}

/**
 * Distinct directions, in the order first added: by `from`, then `to`, without a string made per direction
 * (a fully changed feed adds 10,000; the codes are the normalizer's own strings, their hashes kept in them).
 */
class Directions {
  readonly list: Array<[string, string]> = [];
  private readonly seen = new PairMap<true>();

  add(from: string, to: string): void {
    if (this.seen.has(from, to)) return;
    this.seen.set(from, to, true);
    this.list.push([from, to]);
  }

  has(from: string, to: string): boolean {
    return this.seen.has(from, to);
  }
}

/**
 * The offers of the feed in the diff's touched directions, not written by it, that the copy of the references finds
 * suspect: a direction looked up by its codes (no key made per offer), the offer by the key its print keeps.
 */
function suspectSiblings(view: ReferenceView, diff: Diff): NormalizedOffer[] {
  const written = new Set(diff.changed.map((c) => c.key));
  const found: NormalizedOffer[] = [];
  for (let i = 0; i < diff.offers.length; i++) {
    const offer = diff.offers[i]!;
    if (!diff.directions.has(offer.from, offer.to)) continue;
    const { key } = diff.prints[i]!;
    if (!written.has(key) && view.suspect(key, offer.rate)) found.push(offer);
  }
  return found;
}

/** The stored rows after a diff was written. */
function applyDiff(rows: Map<string, number>, diff: Diff): void {
  for (const [from, to, city] of diff.gone) rows.delete(offerKey(from, to, city));
  for (const c of diff.changed) rows.set(c.key, c.fp);
}

/**
 * Changed offers from which a write stages them (one COPY into a temporary table, then the statement reads
 * them from there) instead of sending them as parameter arrays. Below it the arrays are cheaper: one round
 * trip instead of three.
 */
export const STAGE_FROM_ROWS = 64;

/** writeDiff's answers besides a write: the snapshot version was not the one diffed against; the write was stopped. */
const MOVED = Symbol('moved');
const STOPPED = Symbol('stopped');

/**
 * Writes a diff in one statement, if the feed's snapshot version still is `version`: deletes by key,
 * updates and inserts — from parameter arrays, or past `stageFrom` changed offers from the rows one COPY
 * just staged — and a new snapshot version (returned; MOVED when the version did not match and nothing was
 * written). Counts what it deleted, updated and inserted against the diff: a difference means the rows were
 * not what the version said (someone wrote offers without bumping it) — an error, so the transaction rolls
 * back and the next poll reads the rows.
 *
 * Staged, the statements `ahead`, the COPY and the statement go in one round trip, the statement as an
 * `EXECUTE` of the connection's prepared statement (executeOn: parsed and analysed once per connection, not on
 * every write), its values written in; with statements ahead the changed offers are always staged. STOPPED:
 * `ahead.answered` stopped it.
 */
async function writeDiff(
  client: PoolClient,
  feed: { id: number; exchangerId: number },
  version: string | null,
  diff: Diff,
  stageFrom: number,
  guard: GuardRead | null,
  ahead: Ahead | null,
): Promise<{ version: string; snapshot: WrittenSnapshot } | typeof MOVED | typeof STOPPED> {
  const { changed, gone } = diff;
  const staged = ahead !== null || changed.length >= stageFrom;
  let values: unknown[];
  if (staged) values = [];
  else {
    const updates = changed.filter((c) => c.op === 'u');
    const inserts = updates.length === changed.length ? [] : changed.filter((c) => c.op === 'i');
    values = [...columns(updates), ...columns(inserts)];
  }
  // The guard's other offers in the touched directions: only a feed with cities can have any (GuardRead).
  const touched = diff.change.touched;
  const others: GuardOthers =
    guard === null
      ? null
      : diff.citiesBefore === 0 && diff.cities === 0
        ? 'none'
        : touched.length > GUARD_PROBES_MAX
          ? 'feed'
          : 'probes';
  if (guard !== null) {
    // The written offers that may be outliers by the process's copy of the references (all of them without one).
    const view = guard.references;
    const suspects = view === null ? [] : changed.filter((c) => view.suspect(c.key, c.offer.rate));
    // And of the feed's other offers in the touched directions (a feed with cities) — unchanged, so stored as here.
    const siblings = view === null || others === 'none' ? [] : suspectSiblings(view, diff);
    values.push(
      guard.now,
      guard.band,
      view?.version ?? null,
      textArray(suspects.map((c) => c.offer.from)),
      textArray(suspects.map((c) => c.offer.to)),
      textArray(suspects.map((c) => c.offer.city ?? '')),
    );
    if (others !== 'none')
      values.push(
        textArray(touched.map((d) => d[0])),
        textArray(touched.map((d) => d[1])),
        textArray(siblings.map((o) => o.from)),
        textArray(siblings.map((o) => o.to)),
        textArray(siblings.map((o) => o.city ?? '')),
      );
  }
  const statement = writeSqlOf(staged, others);
  const parameters = [
    feed.id,
    feed.exchangerId,
    version,
    textArray(gone.map((g) => g[0])),
    textArray(gone.map((g) => g[1])),
    textArray(gone.map((g) => g[2])),
    ...values,
  ];
  let row: WriteRow;
  if (staged) {
    const execution = await executeOn(client, statement.name, statement.text, parameters);
    const { sets } = await execution.send((text) => stageOffers(client, changed, ahead?.sql ?? '', text));
    if (ahead !== null && !ahead.answered(sets.slice(0, -1).flat())) return STOPPED;
    row = writeRowOf(sets[sets.length - 1]![0]!);
  } else {
    const { rows } = await client.query<unknown[]>({ ...statement, values: parameters, rowMode: 'array' });
    row = writeRowOf(rows[0]!);
  }
  if (row.version === null) return MOVED;
  if (row.deleted !== gone.length || row.updated !== diff.change.updated || row.inserted !== diff.change.inserted)
    throw new Error(
      `feed ${feed.id}: its stored offers were not those of snapshot version ${version} (deleted ${row.deleted}/${gone.length}, updated ${row.updated}/${diff.change.updated}, inserted ${row.inserted}/${diff.change.inserted})`,
    );
  return {
    version: row.version,
    snapshot: {
      ...diff.change,
      candidates: guard === null ? null : (row.candidates ?? []),
      stale: staleKeys(diff),
      referencesVersion: row.referencesVersion,
      touchedOffers: diff.citiesBefore === 0 && diff.cities === 0 ? changed.map((c) => c.offer) : null,
    },
  };
}

/** The write statement's row (writeSql). */
interface WriteRow {
  version: string | null;
  deleted: number;
  updated: number;
  inserted: number;
  candidates: WrittenCandidate[] | null;
  referencesVersion: string | null;
}

/** The write statement's row from its values, as pg parsed them (a parameterized query) or as text (staged). */
function writeRowOf(values: ReadonlyArray<unknown>): WriteRow {
  const [version, deleted, updated, inserted, candidates, referencesVersion] = values;
  return {
    version: (version as string | null) ?? null,
    deleted: Number(deleted),
    updated: Number(updated),
    inserted: Number(inserted),
    candidates:
      candidates === null || candidates === undefined
        ? null
        : typeof candidates === 'string'
          ? (JSON.parse(candidates) as WrittenCandidate[])
          : (candidates as WrittenCandidate[]),
    referencesVersion: (referencesVersion as string | null | undefined) ?? null,
  };
}

/** Whether a key is one the diff changed or deleted; its set is made on the first question (rarely asked). */
function staleKeys(diff: Diff): (from: string, to: string, city: string) => boolean {
  let keys: Set<string> | null = null;
  return (from, to, city) => {
    if (keys === null) {
      keys = new Set(diff.changed.map((c) => c.key));
      for (const [f, t, c] of diff.gone) keys.add(offerKey(f, t, c));
    }
    return keys.has(offerKey(from, to, city));
  };
}

/** The rows' values, one array literal per column of rowsFrom (decimals as their text: exact). One pass. */
function columns(rows: Diff['changed']): string[] {
  const n = rows.length;
  const cols = Array.from({ length: 18 }, () => new Array<string>(n));
  for (let i = 0; i < n; i++) {
    const { offer: o, fp } = rows[i]!;
    cols[0]![i] = arrayElement(o.from);
    cols[1]![i] = arrayElement(o.to);
    cols[2]![i] = arrayElement(o.city ?? '');
    cols[3]![i] = arrayElement(o.in);
    cols[4]![i] = arrayElement(o.out);
    cols[5]![i] = arrayElement(o.rate);
    cols[6]![i] = arrayElement(o.reserve);
    cols[7]![i] = arrayElement(o.fromMin);
    cols[8]![i] = arrayElement(o.fromMax);
    cols[9]![i] = arrayElement(o.toMin);
    cols[10]![i] = arrayElement(o.toMax);
    cols[11]![i] = o.fromFee.length === 0 ? EMPTY_JSON : arrayElement(JSON.stringify(o.fromFee));
    cols[12]![i] = o.toFee.length === 0 ? EMPTY_JSON : arrayElement(JSON.stringify(o.toFee));
    cols[13]![i] = o.minFee.length === 0 ? EMPTY_JSON : arrayElement(JSON.stringify(o.minFee));
    cols[14]![i] = o.flags.length === 0 ? EMPTY_FLAGS : arrayElement(arrayLiteral(o.flags));
    cols[15]![i] = o.floating === null ? 'NULL' : arrayElement(JSON.stringify(o.floating));
    cols[16]![i] = o.delayMinutes === null ? 'NULL' : String(o.delayMinutes);
    cols[17]![i] = String(fp);
  }
  return cols.map((col) => `{${col.join(',')}}`);
}

/** `[]` and `{}` as array elements (quoted: they hold brackets and braces). */
const EMPTY_JSON = '"[]"';
const EMPTY_FLAGS = '"{}"';

/**
 * Rows from the arrays of `columns()` at parameters $first…: each array of its column's type, so each value
 * is parsed once, by its type's input (flags, a text[] per row, from its literal).
 */
const rowsFrom = (first: number) => {
  const types = [
    'text',
    'text',
    'text',
    'numeric',
    'numeric',
    'numeric',
    'numeric',
    'numeric',
    'numeric',
    'numeric',
    'numeric',
    'jsonb',
    'jsonb',
    'jsonb',
    'text',
    'jsonb',
    'integer',
    'bigint',
  ];
  return `unnest(${types.map((type, i) => `$${first + i}::${type}[]`).join(', ')})
    AS c(from_code, to_code, city, amount_in, amount_out, rate, reserve, from_min, from_max, to_min, to_max, from_fee, to_fee, min_fee, flags, floating, delay_minutes, fp)`;
};

/** Whether and how a write reads the guard's candidates: null not at all, else its other offers' form. */
type GuardOthers = null | 'none' | 'probes' | 'feed';

/**
 * The diff in one statement, every part conditional on the feed's snapshot version ($3), and a new version:
 * deletes by key ($4–$6), updates and inserts from `updates` and `inserts` (each a FROM item `c` with the
 * columns of rowsFrom). Offers are found by primary key, each part planned for its own rows. With `guard`
 * (parameters from `first`: now, the band, the version of the writer's copy of the references and the written
 * offers it found suspect — from, to, city — and for other offers the touched directions' froms and tos and the
 * other offers it found suspect — from, to, city), the
 * rate guard's candidates too, as one json value (writtenCandidatesSql): no statement, no probe of its own; and
 * the references' version the statement saw.
 */
const writeSql = (updates: string, inserts: string, guard: GuardOthers = null, first = 0) => `
WITH current AS (SELECT WHERE (SELECT version FROM feed_snapshots WHERE feed_id = $1) IS NOT DISTINCT FROM $3::bigint),
gone AS (
  DELETE FROM offers o USING unnest($4::text[], $5::text[], $6::text[]) AS d(from_code, to_code, city)
  WHERE EXISTS (SELECT FROM current) AND o.feed_id = $1 AND o.from_code = d.from_code AND o.to_code = d.to_code AND o.city = d.city
  RETURNING 1
),
updated AS (
  UPDATE offers o SET exchanger_id = $2, amount_in = c.amount_in, amount_out = c.amount_out, rate = c.rate, reserve = c.reserve,
         from_min = c.from_min, from_max = c.from_max, to_min = c.to_min, to_max = c.to_max, from_fee = c.from_fee, to_fee = c.to_fee,
         min_fee = c.min_fee, flags = c.flags::text[], floating = c.floating, delay_minutes = c.delay_minutes, fp = c.fp, updated_at = now()
  FROM ${updates}
  WHERE EXISTS (SELECT FROM current) AND o.feed_id = $1 AND o.from_code = c.from_code AND o.to_code = c.to_code AND o.city = c.city
  RETURNING ${guard === null ? '1' : WRITTEN_COLUMNS}
),
inserted AS (
  INSERT INTO offers AS o (feed_id, exchanger_id, from_code, to_code, city, amount_in, amount_out, rate, reserve,
                      from_min, from_max, to_min, to_max, from_fee, to_fee, min_fee, flags, floating, delay_minutes, fp, updated_at)
  SELECT $1, $2, c.from_code, c.to_code, c.city, c.amount_in, c.amount_out, c.rate, c.reserve, c.from_min, c.from_max, c.to_min,
         c.to_max, c.from_fee, c.to_fee, c.min_fee, c.flags::text[], c.floating, c.delay_minutes, c.fp, now()
  FROM ${inserts}
  WHERE EXISTS (SELECT FROM current)
  RETURNING ${guard === null ? '1' : WRITTEN_COLUMNS}
),${guard === null ? '' : `\nwritten AS (SELECT * FROM updated UNION ALL SELECT * FROM inserted),`}
bumped AS (
  INSERT INTO feed_snapshots (feed_id, version) SELECT $1, nextval('snapshot_versions') WHERE EXISTS (SELECT FROM current)
  ON CONFLICT (feed_id) DO UPDATE SET version = EXCLUDED.version
  RETURNING version
)
SELECT (SELECT version::text FROM bumped) AS version, (SELECT count(*) FROM gone)::int AS deleted,
       (SELECT count(*) FROM updated)::int AS updated, (SELECT count(*) FROM inserted)::int AS inserted${
         guard === null
           ? ''
           : `,
       (SELECT json_agg(g) FROM (${writtenCandidatesSql({
         feed: '$1',
         now: `$${first}::timestamptz`,
         band: `$${first + 1}`,
         version: `$${first + 2}`,
         suspects: { froms: `$${first + 3}`, tos: `$${first + 4}`, cities: `$${first + 5}` },
         froms: `$${first + 6}`,
         tos: `$${first + 7}`,
         siblings: { froms: `$${first + 8}`, tos: `$${first + 9}`, cities: `$${first + 10}` },
         others: guard,
       })}) g WHERE EXISTS (SELECT FROM current)) AS candidates,
       (SELECT version::text FROM direction_references_version) AS references_version`
       }`;

/**
 * The statement of a write (writeSql): updates from the arrays $7–$24 and inserts from $25–$42, or from the rows
 * stageOffers put in the staging table; the guard's parameters after them. Each text made once. The arrays' form
 * is sent as a named statement of the protocol, the staged form (it goes with its COPY in one simple query) as
 * a prepared statement of SQL (executeOn): either way each connection parses it once, not on every write.
 */
function writeSqlOf(staged: boolean, guard: GuardOthers): { name: string; text: string } {
  const name = `ratewatch_write_${staged ? 'staged' : 'arrays'}_${guard ?? 'unguarded'}`;
  let text = WRITE_SQLS.get(name);
  if (text === undefined) {
    text = staged ? writeSql(STAGED(false), STAGED(true), guard, 7) : writeSql(rowsFrom(7), rowsFrom(25), guard, 43);
    WRITE_SQLS.set(name, text);
  }
  return { name, text };
}
const WRITE_SQLS = new Map<string, string>();
