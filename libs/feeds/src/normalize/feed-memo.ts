import type { FeedFormatSetting, NormalizedOffer } from '@app/domain';
import type { RawFeedItem } from '../raw-item';
import type { ItemLookup, ScannedItemMemo } from '../readers/xml-fast-scanner';
import { CodeResolver } from './code-resolver';
import type { NormalizationContext } from './normalization-context';
import {
  ItemOutcome,
  itemOutcome,
  MAX_KEPT_REJECTS,
  MAX_KEPT_WARNINGS,
  NormalizationResult,
  RejectedItem,
  SeenOffers,
} from './normalizer';

/** One item of the last poll, by its exact text: what normalizing it gave, and its EREF 1.1 mark. */
export interface MemoEntry extends ItemOutcome, ScannedItemMemo {
  /** Its estimated size with its key (entryBytes), counted once when made. */
  readonly bytes: number;
  /** The item's text (the map's key), detached from the body it came in. */
  readonly key: string;
  /** The last poll (FeedMemo.generation) whose feed had this item. */
  seen: number;
  /** Its position in the last poll's feed (FeedMemo.order). */
  at: number;
}

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
 * Estimated bytes an entry keeps alive: its key (the item's text, as a one- or two-byte string), the
 * entry and map slot, and per offer the object, its strings and arrays. An estimate on purpose — it
 * bounds the memo within a small factor, measuring the heap would cost more than the memo saves.
 */
const ENTRY_BYTES = 160;
const OFFER_BYTES = 480;

function entryBytes(raw: string, entry: ItemOutcome): number {
  let bytes = ENTRY_BYTES + raw.length * 2 + entry.offers.length * OFFER_BYTES;
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
      entries += memo.entries.size;
      if (memo.entries.size > 0) feeds++;
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
 * CatalogSnapshot builds once per version and exchanger), the same format setting and the same dialect;
 * anything else empties it. Entries are updated in place: a poll adds the items it had to normalize and
 * drops those its feed no longer has.
 */
export class FeedMemo {
  readonly entries = new Map<string, MemoEntry>();
  bytes = 0;
  usedAt = 0;
  /** The poll that last saw each entry (MemoEntry.seen). */
  generation = 0;
  /** The last poll's items in their order: most items are where they were, compared in place. */
  order: MemoEntry[] = [];
  private context: NormalizationContext | null = null;
  private format: FeedFormatSetting | null = null;
  private dialect: string | null = null;

  constructor(private readonly owner: NormalizationMemo) {}

  /**
   * The entry for an item's exact text, when the memo holds one for this context and format. The item
   * after the last one found is compared in place first (no slice, no hash: a memory compare), then the
   * map is asked.
   */
  lookupFor(context: NormalizationContext, format: FeedFormatSetting): ItemLookup<MemoEntry> {
    if (this.context !== context || this.format !== format) this.clear();
    if (this.entries.size === 0) return NO_ENTRY;
    const { entries, order } = this;
    let next = 0;
    return (text, start, end) => {
      // A substring is a view, not a copy; comparing it with a flat key is a memory compare.
      const raw = text.substring(start, end);
      const guess = order[next];
      if (guess !== undefined && guess.key === raw) {
        next++;
        return guess;
      }
      const entry = entries.get(raw);
      // Found elsewhere: the feed goes on from there. Not found: a changed item took this one's place.
      next = entry === undefined ? next + 1 : entry.at + 1;
      return entry;
    };
  }

  /** True when the memo's entries were made for a feed of another dialect (they must not be used). */
  isOtherDialect(dialect: string): boolean {
    return this.dialect !== null && this.dialect !== dialect;
  }

  /** After a poll changed the entries: keeps them for the next one if they fit the bounds, else forgets them. */
  commit(context: NormalizationContext, format: FeedFormatSetting, dialect: string, bytes: number): void {
    if (!this.owner.admit(this, bytes)) {
      this.clear();
      return;
    }
    this.owner.resized(bytes - this.bytes);
    this.bytes = bytes;
    this.context = context;
    this.format = format;
    this.dialect = dialect;
  }

  clear(): void {
    this.owner.resized(-this.bytes);
    this.entries.clear();
    this.order = [];
    this.bytes = 0;
    this.context = null;
    this.format = null;
    this.dialect = null;
  }
}

const NO_ENTRY = (): MemoEntry | undefined => undefined;

/**
 * A flat copy of `text` that does not keep the string it was sliced from alive: a memo key must not
 * hold a whole old body in memory for the sake of one item (V8 slices share their parent), and a flat
 * key compares with a slice of the next body as one memory compare. JSON round-trips every string
 * exactly (lone surrogates included).
 */
function detached(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/**
 * `normalizeItems` over a scanned feed, where an item the memo knew (`hits[i]`, then `items[i]` is null)
 * is replayed instead of normalized: the same offers, rejects (with this feed's positions), warnings,
 * duplicates and cap as `normalizeItems` gives for the same items. The memo's entries become this poll's
 * items (new ones added, ones no longer in the feed dropped); `commit` it with the returned bytes.
 */
export function normalizeWithMemo(
  items: readonly (RawFeedItem | null)[],
  raws: readonly string[],
  marks: readonly boolean[],
  hits: readonly (MemoEntry | undefined)[],
  context: NormalizationContext,
  memo: FeedMemo,
  maxOffers = Number.POSITIVE_INFINITY,
): NormalizationResult & { bytes: number } {
  const codes = new CodeResolver(context);
  const offers: NormalizedOffer[] = [];
  const rejected: RejectedItem[] = [];
  const warnings: string[] = [];
  const seen = new SeenOffers();
  const entries = memo.entries;
  const generation = ++memo.generation;
  const order: MemoEntry[] = [];
  let bytes = memo.bytes;
  let kept = 0;
  let rejectedCount = 0;
  let duplicates = 0;
  let warningCount = 0;

  for (let index = 0; index < items.length; index++) {
    let entry = hits[index];
    if (entry === undefined) {
      const raw = raws[index]!;
      entry = entries.get(raw);
      if (entry === undefined) {
        const outcome = itemOutcome(items[index]!, codes, context.cities);
        const key = detached(raw);
        // One literal, one object shape for every entry: the replay loop reads them monomorphically.
        entry = {
          offers: outcome.offers,
          warnings: outcome.warnings,
          reject: outcome.reject,
          eref11: marks[index]!,
          bytes: entryBytes(raw, outcome),
          key,
          seen: generation,
          at: 0,
        };
        entries.set(key, entry);
        bytes += entry.bytes;
        kept++;
      }
    }
    if (entry.seen !== generation) {
      entry.seen = generation;
      kept++;
    }
    entry.at = order.length;
    order.push(entry);
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
    for (const offer of entry.offers) {
      if (!seen.add(offer)) {
        duplicates++;
        continue;
      }
      offers.push(offer);
    }
    if (offers.length + duplicates > maxOffers) break;
  }
  // Items the feed no longer has (or that came after the cap) go.
  if (kept !== entries.size) {
    for (const [raw, entry] of entries) {
      if (entry.seen === generation) continue;
      entries.delete(raw);
      bytes -= entry.bytes;
    }
  }
  memo.order = order;
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
