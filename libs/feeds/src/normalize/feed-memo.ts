import type { FeedFormatSetting, NormalizedOffer } from '@app/domain';
import { BodyEncoding, decodeRange } from '../decode/decode-body';
import { MAX_FEED_ITEMS } from '../readers/feed-reader';
import { pickFormat } from '../readers/pick-reader';
import { FAST_PATH_REFUSED, scanXmlItem, scanXmlOpening } from '../readers/xml-fast-scanner';
import { CodeResolver } from './code-resolver';
import type { NormalizationContext } from './normalization-context';
import {
  ItemOutcome,
  itemOutcome,
  MAX_KEPT_REJECTS,
  MAX_KEPT_WARNINGS,
  NormalizationResult,
  offerKey,
  RejectedItem,
  SeenOffers,
} from './normalizer';

/** One item of the last poll, by its exact bytes: what normalizing it gave, and its EREF 1.1 mark. */
export interface MemoEntry extends ItemOutcome {
  readonly eref11: boolean;
  /** Its estimated size with its key (entryBytes), counted once when made. */
  readonly bytes: number;
  /** The item's bytes, `<item>` to `</item>`, one character a byte (latin1). */
  readonly key: string;
  /** A hash of those bytes (itemHash): the memo finds an entry by it, then compares the bytes. */
  readonly hash: number;
  /** The next entry of the memo with the same hash. */
  sameHash: MemoEntry | null;
  /**
   * While a poll is read: the last poll's entry whose place this new one took (an item whose value
   * changed). When that one leaves and its offers had the same directions, its direction counts are
   * handed over instead of being taken off and added again.
   */
  replaced: MemoEntry | null;
  /** True once its direction counts were handed over to the entry that replaced it. */
  handedOver: boolean;
  /** The last poll (FeedMemo.generation) whose feed had this item. */
  seen: number;
  /** Its position in the last poll's feed (FeedMemo.order). */
  at: number;
}

/** A feed's code resolver is started afresh past this many spellings (a feed that invents codes). */
const MAX_KEPT_SPELLINGS = 10_000;

export interface MemoLimits {
  /** A feed whose memo would take more than this is not memoised (its polls take the full path). */
  maxBytesPerFeed: number;
  /** All feeds' memos together. */
  maxBytesTotal: number;
  /** A feed not polled for this long gives its room to others when the total is full. */
  idleMs: number;
}

export const DEFAULT_MEMO_LIMITS: MemoLimits = {
  maxBytesPerFeed: 16 * 1024 * 1024,
  maxBytesTotal: 256 * 1024 * 1024,
  idleMs: 10 * 60_000,
};

/**
 * Estimated bytes an entry keeps alive: its key (the item's bytes as a one-byte string), the
 * entry and map slot, and per offer the object, its strings and arrays and its direction's count. An estimate on purpose — it
 * bounds the memo within a small factor, measuring the heap would cost more than the memo saves.
 */
const ENTRY_BYTES = 160;
const OFFER_BYTES = 560;

function entryBytes(key: string, entry: ItemOutcome): number {
  let bytes = ENTRY_BYTES + key.length + entry.offers.length * OFFER_BYTES;
  if (entry.warnings !== null) for (const warning of entry.warnings) bytes += 40 + warning.length * 2;
  if (entry.reject !== null) bytes += entry.reject.length * 2;
  return bytes;
}

/**
 * The items of every feed a polling process read last time, so that the next poll normalizes only the
 * items that changed (issue 21: ~90 % of a feed's items are the same from one poll to the next). Kept in
 * the process that polls: a process without it (a fresh worker, a feed over the bounds) takes the full
 * path, with the same report. Memory is bounded per feed and in total (MemoLimits); when the total is
 * full, feeds idle for `idleMs` are dropped, least recently used first, and a feed that still does not
 * fit is not memoised — evicting busy feeds for each other would make every poll a miss.
 */
export class NormalizationMemo {
  private readonly feeds = new Map<string | number, FeedMemo>();
  private total = 0;

  constructor(
    readonly limits: MemoLimits = DEFAULT_MEMO_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The memo of one feed (by its id), created empty on first use. */
  forFeed(feed: string | number): FeedMemo {
    let memo = this.feeds.get(feed);
    if (memo === undefined) {
      memo = new FeedMemo(this);
      this.feeds.set(feed, memo);
    } else {
      // Map order is the least-recently-used order.
      this.feeds.delete(feed);
      this.feeds.set(feed, memo);
    }
    memo.usedAt = this.now();
    return memo;
  }

  /** Feeds, entries and estimated bytes held now. */
  get size(): { feeds: number; entries: number; bytes: number } {
    let entries = 0;
    let feeds = 0;
    for (const memo of this.feeds.values()) {
      entries += memo.entryCount;
      if (memo.entryCount > 0) feeds++;
    }
    return { feeds, entries, bytes: this.total };
  }

  /** Called by a feed's memo before it keeps `bytes`: true when they fit (room made by dropping idle feeds). */
  admit(memo: FeedMemo, bytes: number): boolean {
    if (bytes > this.limits.maxBytesPerFeed) return false;
    if (this.total - memo.bytes + bytes <= this.limits.maxBytesTotal) return true;
    const idleBefore = this.now() - this.limits.idleMs;
    for (const [feed, other] of this.feeds) {
      if (this.total - memo.bytes + bytes <= this.limits.maxBytesTotal) break;
      if (other === memo || other.usedAt > idleBefore) continue;
      other.clear();
      this.feeds.delete(feed);
    }
    return this.total - memo.bytes + bytes <= this.limits.maxBytesTotal;
  }

  resized(delta: number): void {
    this.total += delta;
  }
}

/**
 * One feed's items from its last poll. Valid only for the same normalization context (the catalog
 * version's currencies, aliases and cities, and the exchanger's own aliases: the context object a
 * CatalogSnapshot builds once per version and exchanger), the same format setting, the same encoding
 * (the same bytes are other text in another one) and the same dialect; anything else empties it.
 * Entries are updated in place: a poll adds the items it had to normalize and drops those its feed no
 * longer has.
 */
export class FeedMemo {
  /**
   * The entries by the hash of their bytes (chained through sameHash). Not by the bytes as a string: V8
   * hashes a string a character at a time, which cost more than normalizing many changed items.
   */
  private readonly byHash = new Map<number, MemoEntry>();
  entryCount = 0;
  bytes = 0;
  usedAt = 0;
  /** The poll that last saw each entry (MemoEntry.seen). */
  generation = 0;
  /** The last poll's items in their order: most items are where they were, compared in place. */
  order: MemoEntry[] = [];
  /** Where each of them starts and ends in `kept` (numbers: comparing runs touches no entry object). */
  starts: number[] = [];
  ends: number[] = [];
  /** True when one of them marks EREF 1.1 (else the items a run matches need not be looked at for it). */
  hasEref11 = false;
  /**
   * A copy of the last poll's body (the caller's buffer is not ours to keep: it may be reused), and the
   * buffer the next copy goes to: two, so that a poll copies into memory already mapped.
   */
  kept: Buffer | null = null;
  private spare: Buffer | null = null;
  /** The entries' estimated bytes (the buffers are counted in `bytes` too). */
  entryBytes = 0;
  /**
   * How many offers of the entries have each direction (and city), and how many directions more than
   * one has: while none has, a poll without a repeated item has no duplicates and is replayed without
   * looking for them.
   */
  private readonly directions = new DirectionCounts();
  get shared(): number {
    return this.directions.shared;
  }
  private codes: CodeResolver | null = null;
  private context: NormalizationContext | null = null;
  private format: FeedFormatSetting | null = null;
  private encoding: string | null = null;
  private dialect: string | null = null;

  constructor(private readonly owner: NormalizationMemo) {}

  /** Empties the memo unless its entries were made for this context, format setting and encoding. */
  keepFor(context: NormalizationContext, format: FeedFormatSetting, encoding: string): void {
    if (this.context !== context || this.format !== format || this.encoding !== encoding) this.clear();
  }

  /** True when the memo's entries were made for a feed of another dialect (they must not be used). */
  isOtherDialect(dialect: string): boolean {
    return this.dialect !== null && this.dialect !== dialect;
  }

  /** Keeps a copy of this poll's body, where its items start and end, for the next poll to compare with. */
  keep(body: Uint8Array, starts: number[], ends: number[], hasEref11: boolean): void {
    let copy = this.spare;
    if (copy === null || copy.length < body.length) copy = Buffer.allocUnsafeSlow(body.length + (body.length >> 3));
    copy.set(body);
    this.spare = this.kept;
    this.kept = copy;
    this.starts = starts;
    this.ends = ends;
    this.hasEref11 = hasEref11;
  }

  /** After a poll changed the entries: keeps them for the next one if they fit the bounds, else forgets them. */
  commit(
    context: NormalizationContext,
    format: FeedFormatSetting,
    encoding: string,
    dialect: string,
    entryBytes: number,
  ): void {
    const bytes = entryBytes + (this.kept?.length ?? 0) + (this.spare?.length ?? 0);
    if (!this.owner.admit(this, bytes)) {
      this.clear();
      return;
    }
    this.owner.resized(bytes - this.bytes);
    this.bytes = bytes;
    this.entryBytes = entryBytes;
    this.context = context;
    this.format = format;
    this.encoding = encoding;
    this.dialect = dialect;
  }

  /** The code resolver of this context, kept from poll to poll (a feed names the same few codes), bounded. */
  resolver(context: NormalizationContext): CodeResolver {
    let codes = this.codes;
    if (codes === null || codes.context !== context || codes.size > MAX_KEPT_SPELLINGS) {
      codes = new CodeResolver(context);
      this.codes = codes;
    }
    return codes;
  }

  /** The entry of the item whose bytes are `body[from, to)` with this itemHash, if the memo has one. */
  find(body: Uint8Array, from: number, to: number, hash: number): MemoEntry | undefined {
    let entry: MemoEntry | null = this.byHash.get(hash) ?? null;
    for (; entry !== null; entry = entry.sameHash)
      if (entry.key.length === to - from && sameLatin1(body, from, entry.key)) return entry;
    return undefined;
  }

  add(entry: MemoEntry): void {
    this.insert(entry);
    this.countDirections(entry);
  }

  /** Makes the entry findable (its directions are counted apart: countDirections). */
  insert(entry: MemoEntry): void {
    entry.sameHash = this.byHash.get(entry.hash) ?? null;
    this.byHash.set(entry.hash, entry);
    this.entryCount++;
  }

  countDirections(entry: MemoEntry): void {
    const { offers } = entry;
    for (let i = 0; i < offers.length; i++) this.directions.add(offers[i]!);
  }

  delete(entry: MemoEntry): void {
    const head = this.byHash.get(entry.hash)!;
    if (head === entry) {
      if (entry.sameHash === null) this.byHash.delete(entry.hash);
      else this.byHash.set(entry.hash, entry.sameHash);
    } else {
      let before = head;
      while (before.sameHash !== entry) before = before.sameHash!;
      before.sameHash = entry.sameHash;
    }
    this.entryCount--;
    if (entry.handedOver) return;
    const { offers } = entry;
    for (let i = 0; i < offers.length; i++) this.directions.delete(offers[i]!);
  }

  clear(): void {
    this.owner.resized(-this.bytes);
    this.byHash.clear();
    this.entryCount = 0;
    this.directions.clear();
    this.codes = null;
    this.order = [];
    this.starts = [];
    this.ends = [];
    this.hasEref11 = false;
    this.kept = null;
    this.spare = null;
    this.bytes = 0;
    this.entryBytes = 0;
    this.context = null;
    this.format = null;
    this.encoding = null;
    this.dialect = null;
  }
}

/**
 * How many offers have each direction (and city), and how many directions more than one offer has. Keyed
 * as SeenOffers keys: by the catalog's code strings (their hashes kept), a key string built only for an
 * offer with a city.
 */
class DirectionCounts {
  private readonly byFrom = new Map<string, Map<string, number>>();
  private readonly withCity = new Map<string, number>();
  shared = 0;

  add(offer: NormalizedOffer): void {
    let counts: Map<string, number>;
    let key: string;
    if (offer.city === null) {
      let to = this.byFrom.get(offer.from);
      if (to === undefined) {
        to = new Map();
        this.byFrom.set(offer.from, to);
      }
      counts = to;
      key = offer.to;
    } else {
      counts = this.withCity;
      key = offerKey(offer);
    }
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    if (count === 2) this.shared++;
  }

  delete(offer: NormalizedOffer): void {
    const counts = offer.city === null ? this.byFrom.get(offer.from)! : this.withCity;
    const key = offer.city === null ? offer.to : offerKey(offer);
    const count = counts.get(key)! - 1;
    if (count === 0) counts.delete(key);
    else counts.set(key, count);
    if (count === 1) this.shared--;
  }

  clear(): void {
    this.byFrom.clear();
    this.withCity.clear();
    this.shared = 0;
  }
}

/** What an XML feed read through its memo gives: the count of items, the dialect, the normalized result. */
export interface MemoRead {
  items: number;
  dialect: 'xml' | 'xml-eref-1.1';
  normalized: NormalizationResult;
}

const LT = 0x3c;
/** Runs of at most this many items are compared in JavaScript (a memory compare is a call into C++). */
const SHORT_RUN = 32;
const ITEM_OPEN = Buffer.from('<item>');
const ITEM_CLOSE = Buffer.from('</item>');
const ROOT_CLOSE = Buffer.from('</rates>');
/** Bytes of the head pickFormat looks at: at least 1,024 characters in any splittable encoding. */
const HEAD_BYTES = 4100;
/** The opening (declaration and root) must lie in the head. */
const MAX_OPENING_BYTES = 2048;

/**
 * Reads an XML feed through its memo, from the bytes: an item whose bytes the last poll had is neither
 * decoded, read nor normalized — its outcome is replayed (the same offer objects; they are never
 * changed). Only what the cold path needs to decide is decoded: the head `pickFormat` looks at, the
 * opening up to the first `<item>`, and the items the memo does not know. Null when the body is not
 * one this pass takes, and FAST_PATH_REFUSED when the fast path refuses a part of it — the opening, an
 * item, what lies between or after them — and so the whole (scanXmlFeed: the pass is its parts in a row):
 * either way the caller empties the memo and reads the body cold, which gives the report; after a
 * refusal, with the reference reader alone. The answer is given only when it is, part for part, what
 * `decodeBody`, `readFeed` and `normalizeItems` give (for a splittable encoding, the text of a range
 * between ASCII bytes is the text of those bytes alone).
 */
export function readXmlWithMemo(
  body: Uint8Array,
  encoding: BodyEncoding,
  format: FeedFormatSetting,
  context: NormalizationContext,
  memo: FeedMemo,
): MemoRead | typeof FAST_PATH_REFUSED | null {
  if (!encoding.splittable || format === 'json' || format === 'txt') return null;
  memo.keepFor(context, format, encoding.encoding);
  const read = readItems(body, encoding, format, context, memo);
  if (read === null || read === FAST_PATH_REFUSED) {
    memo.clear();
    return read;
  }
  if (memo.isOtherDialect(read.dialect)) {
    // Outcomes do not depend on the dialect, but a memo is only ever used for the feed it was made for.
    memo.clear();
    return readXmlWithMemo(body, encoding, format, context, memo);
  }
  const normalized = replay(read, memo, MAX_FEED_ITEMS);
  memo.keep(body, read.starts, read.ends, read.hasEref11);
  memo.commit(context, format, encoding.encoding, read.dialect, normalized.bytes);
  return { items: read.order.length, dialect: read.dialect, normalized };
}

function isXmlSpace(c: number | undefined): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function bytesAt(body: Uint8Array, p: number, what: Uint8Array): boolean {
  if (p + what.length > body.length) return false;
  for (let i = 0; i < what.length; i++) if (body[p + i] !== what[i]) return false;
  return true;
}

interface ItemsRead {
  order: MemoEntry[];
  /** Where each item starts and ends in the body. */
  starts: number[];
  ends: number[];
  /** True when an item marks EREF 1.1. */
  hasEref11: boolean;
  dialect: 'xml' | 'xml-eref-1.1';
  /** Bytes of the entries it made. */
  added: number;
  /** The entries it made, their directions not counted yet (replay counts them). */
  made: MemoEntry[];
}

/**
 * The pass over the bytes: this poll's entries in order (new ones made); null to leave the body to the cold
 * path, FAST_PATH_REFUSED where the fast path refuses a part of it.
 */
function readItems(
  bytes: Uint8Array,
  encoding: BodyEncoding,
  format: FeedFormatSetting,
  context: NormalizationContext,
  memo: FeedMemo,
): ItemsRead | typeof FAST_PATH_REFUSED | null {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = body.length;
  // decodeBody's text starts at the offset (a BOM); readFeed trims its start: ASCII whitespace here, then `<`.
  let p = encoding.offset;
  while (isXmlSpace(body[p])) p++;
  if (body[p] !== LT) return null;
  const trimmed = p;

  // What pickFormat decides (not a page, not binary, XML) it decides from the first 1,024 characters and
  // the first element after the declaration: the head holds both.
  let headEnd = Math.min(n, trimmed + HEAD_BYTES);
  if (headEnd < n) while (headEnd > trimmed && body[headEnd]! >= 0x80) headEnd--;
  const head = decodeRange(body, encoding, trimmed, headEnd);
  if (headEnd < n && head.length < 1100) return null;
  const picked = pickFormat(head, format);
  if ('kind' in picked || picked.format !== 'xml') return null;

  const first = body.indexOf(ITEM_OPEN, trimmed);
  if (first === -1 || first - trimmed > MAX_OPENING_BYTES || first > headEnd) return null;
  const opening = scanXmlOpening(decodeRange(body, encoding, trimmed, first));
  if (opening === null) return FAST_PATH_REFUSED;
  const eref11 = opening.eref11;

  const { order: last, starts: lastStarts, ends: lastEnds, kept, hasEref11: lastHasEref11 } = memo;
  // A new poll: replay marks the entries it has with this generation.
  memo.generation++;
  const codes = memo.resolver(context);
  const order: MemoEntry[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const made: MemoEntry[] = [];
  let hasEref11 = false;
  let next = 0;
  let added = 0;
  /** How many items the next run compares at once: doubled while runs match, narrowed where items change. */
  let run = 16;
  // Where a run differs, the first differing byte is found by reading both bodies four bytes at a time.
  const bodyView = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const keptView = kept === null ? null : new DataView(kept.buffer, kept.byteOffset, kept.byteLength);
  /** False right after a run that stopped short: the item there is known to differ. */
  let tryRun = true;
  p = first;
  for (;;) {
    // Here: `<item>`. The items after the last one found are compared in place with the last poll's bytes,
    // many at once (one memory compare from the first one's `<item>` to the last one's `</item>`): most
    // items are where they were, with the same whitespace between them.
    let matched = 0;
    if (tryRun && kept !== null && next < last.length) {
      const from = lastStarts[next]!;
      const k = Math.min(run, last.length - next);
      const to = lastEnds[next + k - 1]!;
      // A long run is compared by one memory compare; a short one (where items change often) by reading
      // it up to its first differing byte, which also says how far it matches.
      const differs =
        k > SHORT_RUN
          ? sameBytes(body, p, kept, from, to)
            ? to - from
            : firstDifference(bodyView, p, keptView!, from, Math.min(to - from, n - p))
          : firstDifference(bodyView, p, keptView!, from, Math.min(to - from, n - p));
      if (differs === to - from) {
        matched = k;
        run = Math.min(run * 2, 4096);
      } else {
        // The items of the run that end before its first differing byte match (the rest of it does not).
        let lo = 0;
        while (lo < k && lastEnds[next + lo]! - from <= differs) lo++;
        matched = lo;
        run = Math.max(16, lo * 2);
        tryRun = false;
      }
    }
    if (matched > 0) {
      // More items than a feed may have: the whole pass refuses them too (the reference reports it).
      if (order.length + matched > MAX_FEED_ITEMS) return FAST_PATH_REFUSED;
      const from = lastStarts[next]!;
      const end = next + matched;
      // The entries are not looked at here (replay marks them seen): only their places are copied.
      const shift = p - from;
      for (let i = next; i < end; i++) {
        order.push(last[i]!);
        starts.push(lastStarts[i]! + shift);
        ends.push(lastEnds[i]! + shift);
      }
      if (lastHasEref11 && !hasEref11) for (let i = next; i < end; i++) if (last[i]!.eref11) hasEref11 = true;
      p += lastEnds[end - 1]! - from;
      next = end;
    } else {
      if (order.length >= MAX_FEED_ITEMS) return FAST_PATH_REFUSED;
      tryRun = true;
      const close = body.indexOf(ITEM_CLOSE, p + 6);
      if (close === -1) return FAST_PATH_REFUSED;
      const hash = itemHash(bodyView, p, close + 7);
      let entry = memo.find(body, p, close + 7, hash);
      if (entry === undefined) {
        const key = body.toString('latin1', p, close + 7);
        const text = encoding.ascii ? key : decodeRange(body, encoding, p, close + 7);
        const scanned = scanXmlItem(text);
        if (scanned === null) return FAST_PATH_REFUSED;
        const outcome = itemOutcome(scanned.item, codes, context.cities);
        // One literal, one object shape for every entry: the replay loop reads them monomorphically.
        entry = {
          offers: outcome.offers,
          warnings: outcome.warnings,
          reject: outcome.reject,
          eref11: scanned.eref11,
          bytes: entryBytes(key, outcome),
          key,
          hash,
          sameHash: null,
          replaced: next < last.length ? last[next]! : null,
          handedOver: false,
          seen: 0,
          at: -1,
        };
        memo.insert(entry);
        made.push(entry);
        added += entry.bytes;
        // It took the place of the item expected here.
        next++;
      } else {
        // Found elsewhere: the feed goes on from there.
        next = entry.at >= 0 ? entry.at + 1 : next + 1;
      }
      if (entry.eref11) hasEref11 = true;
      order.push(entry);
      starts.push(p);
      p = close + 7;
      ends.push(p);
    }
    while (isXmlSpace(body[p])) p++;
    if (bytesAt(body, p, ITEM_OPEN)) continue;
    if (!bytesAt(body, p, ROOT_CLOSE)) return FAST_PATH_REFUSED;
    p += ROOT_CLOSE.length;
    while (isXmlSpace(body[p])) p++;
    if (p !== n) return FAST_PATH_REFUSED;
    const dialect = eref11 || hasEref11 ? 'xml-eref-1.1' : 'xml';
    return { order, starts, ends, hasEref11, dialect, added, made };
  }
}

/**
 * How many bytes from `a`'s `ap` and `b`'s `bp` on are the same, up to `length`: eight at a time (two
 * little-endian reads each: no byte swap), then byte by byte where they differ.
 */
function firstDifference(a: DataView, ap: number, b: DataView, bp: number, length: number): number {
  let i = 0;
  while (
    i + 8 <= length &&
    a.getInt32(ap + i, true) === b.getInt32(bp + i, true) &&
    a.getInt32(ap + i + 4, true) === b.getInt32(bp + i + 4, true)
  )
    i += 8;
  while (i < length && a.getUint8(ap + i) === b.getUint8(bp + i)) i++;
  return i;
}

/** True when two entries' offers have the same directions and cities, in the same order. */
function sameDirections(a: MemoEntry, b: MemoEntry): boolean {
  if (a.offers.length !== b.offers.length) return false;
  for (let i = 0; i < a.offers.length; i++) {
    const x = a.offers[i]!;
    const y = b.offers[i]!;
    if (x.from !== y.from || x.to !== y.to || x.city !== y.city) return false;
  }
  return true;
}

/**
 * A hash of `bytes[from, to)` read four bytes at a time (a string's hash is computed a character at a
 * time): a small integer, so that the map keys stay unboxed. Equal bytes, equal hashes.
 */
function itemHash(bytes: DataView, from: number, to: number): number {
  let h = (to - from) | 0;
  let i = from;
  for (; i + 4 <= to; i += 4) h = Math.imul(h ^ bytes.getInt32(i, true), 0x9e3779b1) ^ (h >>> 15);
  for (; i < to; i++) h = Math.imul(h ^ bytes.getUint8(i), 0x9e3779b1) ^ (h >>> 15);
  return (h ^ (h >>> 13)) & 0x3fffffff;
}

/** True when `body` from `from` on holds the bytes of `latin1` (one character a byte). */
function sameLatin1(body: Uint8Array, from: number, latin1: string): boolean {
  for (let i = 0; i < latin1.length; i++) if (body[from + i] !== latin1.charCodeAt(i)) return false;
  return true;
}

/** True when `body` holds at `p` the bytes `kept` holds from `from` to `to`. */
function sameBytes(body: Buffer, p: number, kept: Buffer, from: number, to: number): boolean {
  const end = p + to - from;
  return end <= body.length && body.compare(kept, from, to, p, end) === 0;
}

/**
 * `normalizeItems` replayed from this poll's entries: the same offers, rejects (with this feed's
 * positions), warnings, duplicates and cap. The memo's entries become this poll's items (ones no longer
 * in the feed dropped); `commit` it with the returned bytes.
 */
function replay(read: ItemsRead, memo: FeedMemo, maxOffers: number): NormalizationResult & { bytes: number } {
  const { order } = read;
  const { generation } = memo;
  // This poll's entries marked seen, each with its (last) place; an entry met twice is counted once.
  let distinct = 0;
  for (let i = 0; i < order.length; i++) {
    const entry = order[i]!;
    if (entry.seen !== generation) {
      entry.seen = generation;
      distinct++;
    }
    entry.at = i;
  }
  // The directions of the entries this poll made: an entry that took the place of one that leaves now,
  // with offers of the same directions, takes over its counts (most changed items change a value only).
  for (let i = 0; i < read.made.length; i++) {
    const entry = read.made[i]!;
    const replaced = entry.replaced;
    entry.replaced = null;
    if (replaced !== null && replaced.seen !== generation && !replaced.handedOver && sameDirections(entry, replaced))
      replaced.handedOver = true;
    else memo.countDirections(entry);
  }
  // Items the feed no longer has go: what is left are this poll's items. Every entry not made by this
  // poll was an item of the last one: its order (an array, cheaper to walk than the map) has them all.
  let bytes = memo.entryBytes + read.added;
  if (distinct !== memo.entryCount) {
    const last = memo.order;
    for (let i = 0; i < last.length; i++) {
      const entry = last[i]!;
      if (entry.seen === generation) continue;
      memo.delete(entry);
      bytes -= entry.bytes;
      // An item the last poll had twice is dropped once.
      entry.seen = generation;
    }
  }
  memo.order = order;

  const offers: NormalizedOffer[] = [];
  const rejected: RejectedItem[] = [];
  const warnings: string[] = [];
  // No direction in two entries, no entry twice: no duplicates to look for.
  const seen = memo.shared > 0 || distinct !== order.length ? new SeenOffers() : null;
  let rejectedCount = 0;
  let duplicates = 0;
  let warningCount = 0;

  for (let index = 0; index < order.length; index++) {
    const entry = order[index]!;
    if (entry.warnings !== null) {
      for (const message of entry.warnings) {
        warningCount++;
        if (warnings.length < MAX_KEPT_WARNINGS) warnings.push(`item ${index}: ${message}`);
      }
    }
    if (entry.reject !== null) {
      rejectedCount++;
      if (rejected.length < MAX_KEPT_REJECTS) rejected.push({ index, reason: entry.reject });
      continue;
    }
    const entryOffers = entry.offers;
    for (let i = 0; i < entryOffers.length; i++) {
      const offer = entryOffers[i]!;
      if (seen !== null && !seen.add(offer)) {
        duplicates++;
        continue;
      }
      offers.push(offer);
    }
    if (offers.length + duplicates > maxOffers) break;
  }
  if (warningCount > warnings.length) warnings.push(`… and ${warningCount - warnings.length} more warnings`);
  return {
    offers,
    rejected,
    rejectedCount,
    duplicates,
    warnings,
    overflow: offers.length + duplicates > maxOffers,
    bytes,
  };
}
