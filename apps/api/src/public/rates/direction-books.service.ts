import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DirectionOffer, DirectionOfferRow, joinShownOffers, OffersRepository, ShownFeed } from '@app/database';
import { BookQuery, BusyError, CurrencyUnit, RankedOffer, RateBook, TimeSlicer } from '@app/domain';
import { SnapshotChanges } from '@app/messaging';

/** Offer rows kept for all directions together; beyond it the least recently used directions are dropped. */
export const MAX_KEPT_ROWS = 1_000_000;
/**
 * How long a direction's offer rows are kept at most when no change of it is announced (and
 * PUBLIC_CACHE_SECONDS is not longer). Every write of offers announces its directions — polls, the rate
 * guard's sweep, admin acts on feeds, exchangers and quarantine — and drops them at once; this only bounds
 * an announcement that never arrived (a replica's Redis subscriber down before it noticed). Which feeds are
 * shown is asked again every PUBLIC_CACHE_SECONDS all the same.
 */
export const KEPT_ROWS_SECONDS = 60;
/**
 * Feeds whose rows of a kept direction are read again in part (their rows only) after their polls changed
 * them; more than this before the next table, and the direction is read whole.
 */
export const MAX_CHANGED_FEEDS = 64;
/** Tables ranked at once per direction; the others wait their turn (each walk pauses every few ms anyway). */
export const RANKING_CONCURRENCY = 2;
/** Requests that may wait for their turn on one direction; more are asked to retry (429). */
export const MAX_WAITING_RANKINGS = 200;

/** A direction's book as of one question of its shown feeds: its tables, ranked in the direction's turns. */
export interface DirectionBook {
  rank(query: BookQuery): Promise<Array<RankedOffer<DirectionOffer>>>;
}

/** A direction being read: its kept entry, whose rows `settle` hands over once read. */
interface Reading {
  entry: KeptDirection;
  pair: readonly [string, string];
  settle: (rows: Promise<DirectionOfferRow[]>) => void;
}

/** The book of a direction without offers. */
const NO_OFFERS: DirectionBook = { rank: () => Promise.resolve([]) };

/** A direction's offer rows, and the book made of them for one set of shown feeds. */
interface KeptDirection {
  pair: readonly [string, string];
  rows: Promise<{ rows: DirectionOfferRow[]; feedIds: number[] }>;
  /**
   * Feeds whose rows of the direction changed (announced by their polls) since `rows` were read, or may have
   * while they were being read: the next table reads those feeds' rows again, and only them.
   */
  changedFeeds: Set<number> | null;
  /** Set once loaded: until when the rows may be used. */
  expires: number;
  size: number;
  /**
   * Which of its feeds are shown: asked, or being asked (concurrent tables share one query), and kept for
   * PUBLIC_CACHE_SECONDS from when it was asked (`feedsExpire`; 0 while being asked).
   */
  feeds: Promise<ShownFeed[]> | null;
  feedsExpire: number;
  /** The book, what it was made of (`signature`), and the answer of shown feeds and catalog it was last checked against. */
  book: {
    signature: string;
    book: Promise<RateBook<DirectionOffer>>;
    feeds: Promise<ShownFeed[]>;
    catalogVersion: string;
  } | null;
}

/**
 * A direction's offer rows, read from PostgreSQL once and shared by every table of that direction —
 * any amount, side, city, exclusions or limit — until a snapshot of the direction changes (dropped at once,
 * like the answer cache) or KEPT_ROWS_SECONDS pass. Concurrent tables share one read (one query, not one
 * per amount). Which of the direction's feeds are shown (one small query, shared by concurrent tables, that
 * also brings each exchanger's standing) is asked again once PUBLIC_CACHE_SECONDS have passed since it was
 * last asked, and at once after any announced change: a feed going stale or paused hides its offers, and
 * review counts follow, as fast as a cached answer of the same table would (a moderation act announces a
 * change of everything). Until then new tables — a new amount each — ask nothing: at BestChange's scale
 * one query per table was half of a table's cost. The RateBook is made anew only when that answer
 * changes. Tables of several directions taken together
 * (`books`: a route search's legs) read the rows of those not kept in one query (`findDirectionsRows`; a
 * big direction by its own cursor) and ask which feeds are shown once for all their feeds. At most
 * RANKING_CONCURRENCY tables of a direction are ranked at once.
 */
@Injectable()
export class DirectionBooks implements OnApplicationShutdown {
  private readonly directions = new Map<string, KeptDirection>();
  private keptRows = 0;
  private readonly turns = new Map<string, Turns>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly offers: OffersRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    changes: SnapshotChanges,
  ) {
    this.unsubscribe = changes.subscribe((event) => {
      if ('all' in event) for (const key of [...this.directions.keys()]) this.drop(key);
      else if (event.feed === undefined) for (const [from, to] of event.directions) this.drop(`${from}|${to}`);
      else for (const [from, to] of event.directions) this.feedChanged(`${from}|${to}`, event.feed);
    });
  }

  onApplicationShutdown(): void {
    this.unsubscribe();
  }

  /** The table of `query` on the direction from → to (catalog entries at `catalogVersion`). */
  async rank(
    from: CurrencyUnit,
    to: CurrencyUnit,
    catalogVersion: string,
    query: BookQuery,
  ): Promise<Array<RankedOffer<DirectionOffer>>> {
    const [book] = await this.books([[from, to]], catalogVersion);
    return book!.rank(query);
  }

  /**
   * The books of several directions as of now, for tables ranked together (a route search's legs): rows
   * read or kept as for one table, and which of their feeds are shown asked in one query for them all
   * (a direction whose question is already under way joins it). Each book ranks in memory, in its
   * direction's turns; the same order as `directions`.
   */
  async books(
    directions: ReadonlyArray<readonly [CurrencyUnit, CurrencyUnit]>,
    catalogVersion: string,
  ): Promise<DirectionBook[]> {
    // Directions not kept (or kept too long) are read together: one query for all their rows.
    const reading: Reading[] = [];
    const wanted = directions.map(([from, to]) => {
      const key = `${from.code}|${to.code}`;
      let kept = this.kept(key);
      if (!kept) {
        const read = this.reading(key, [from.code, to.code]);
        reading.push(read);
        kept = read.entry;
      }
      return { key, from, to, kept };
    });
    if (reading.length > 0) this.read(reading);
    const loaded = await Promise.all(wanted.map(async (w) => ({ ...w, ...(await w.kept.rows) })));
    const now = Date.now();
    const asking = loaded.filter(
      (d) => d.feedIds.length > 0 && !(d.kept.feeds && (d.kept.feedsExpire === 0 || d.kept.feedsExpire > now)),
    );
    if (asking.length > 0) {
      const asked = this.offers.findShownFeeds([...new Set(asking.flatMap((d) => d.feedIds))]);
      const ttl = this.config.public.cacheSeconds * 1000;
      for (const { kept, feedIds } of asking) {
        // Each direction's own feeds of the shared answer, in the answer's order.
        const ids = new Set(feedIds);
        const mine = asking.length === 1 ? asked : asked.then((feeds) => feeds.filter((f) => ids.has(f.id)));
        kept.feeds = mine;
        kept.feedsExpire = 0;
        // Kept from when it was asked (never younger than it is); a failed or unkept one is asked again.
        mine.then(
          () => {
            if (kept.feeds !== mine) return;
            if (ttl > 0) kept.feedsExpire = now + ttl;
            else kept.feeds = null;
          },
          () => {
            if (kept.feeds === mine) kept.feeds = null;
          },
        );
      }
    }
    // Read now, before any await: an answer no longer kept is forgotten (kept.feeds = null) once answered.
    const shown = loaded.map((d) => (d.feedIds.length === 0 ? null : d.kept.feeds));
    return Promise.all(
      loaded.map(async ({ key, from, to, kept, rows }, i): Promise<DirectionBook> => {
        const asked = shown[i];
        if (!asked) return NO_OFFERS;
        const feeds = await asked;
        // The same kept answer as the book was last found right for: nothing to compare (most tables).
        if (kept.book?.feeds !== asked || kept.book.catalogVersion !== catalogVersion) {
          const signature = [catalogVersion, ...feeds.map(feedSignature).sort()].join('\n');
          if (kept.book?.signature === signature) {
            // Same content (in place: a failed build still finds and forgets its own entry).
            kept.book.feeds = asked;
            kept.book.catalogVersion = catalogVersion;
          } else {
            const book = joinShownOffers(rows, feeds).then((offers) =>
              RateBook.build(offers, from, to, new TimeSlicer()),
            );
            const made = { signature, book, feeds: asked, catalogVersion };
            kept.book = made;
            book.catch(() => {
              if (kept.book === made) kept.book = null;
            });
          }
        }
        const book = await kept.book.book;
        return { rank: (query) => this.turnsOf(key).run(() => book.rank(query, new TimeSlicer())) };
      }),
    );
  }

  /** Directions kept and the offer rows they hold (for tests). */
  stats(): { directions: number; rows: number } {
    return { directions: this.directions.size, rows: this.keptRows };
  }

  /**
   * The kept direction `key`, most recently used from now on — read again in part where feeds changed it;
   * undefined when not kept or kept too long.
   */
  private kept(key: string): KeptDirection | undefined {
    const kept = this.directions.get(key);
    if (kept && (kept.expires === 0 || kept.expires > Date.now())) {
      if (kept.changedFeeds !== null) return this.readChangedFeeds(key, kept);
      // Most recently used last: the first in the map are the first dropped for room.
      this.directions.delete(key);
      this.directions.set(key, kept);
      return kept;
    }
    if (kept) this.drop(key);
    return undefined;
  }

  /** A poll of `feed` changed its rows of the direction `key`: noted for the next table (`kept`). */
  private feedChanged(key: string, feed: number): void {
    const kept = this.directions.get(key);
    if (!kept) return;
    kept.changedFeeds ??= new Set();
    kept.changedFeeds.add(feed);
    if (kept.changedFeeds.size > MAX_CHANGED_FEEDS) this.drop(key);
  }

  /**
   * The direction `key` as `stale` holds it (read, or still being read), with the rows of its changed feeds
   * read again: the other feeds' rows are as they were. At BestChange's scale a popular direction (hundreds
   * of exchangers) changes with nearly every poll of the fleet, and reading it whole again for each table
   * after a change was the api's largest read. A change announced meanwhile is noted on the new entry.
   */
  private readChangedFeeds(key: string, stale: KeptDirection): KeptDirection {
    const changed = stale.changedFeeds!;
    const [from, to] = stale.pair;
    this.drop(key);
    const { entry, settle } = this.reading(key, stale.pair);
    settle(
      Promise.all([stale.rows, this.offers.findDirectionFeedsRows(from, to, [...changed])]).then(([{ rows }, fresh]) =>
        replaceFeedRows(rows, changed, fresh),
      ),
    );
    return entry;
  }

  /**
   * A direction to be read, kept at once so that tables asking for it meanwhile share its read (`read`
   * settles its rows).
   */
  private reading(key: string, pair: readonly [string, string]): Reading {
    let settle!: (rows: Promise<DirectionOfferRow[]>) => void;
    const entry: KeptDirection = {
      pair,
      changedFeeds: null,
      rows: new Promise<DirectionOfferRow[]>((resolve) => (settle = resolve)).then((rows) => ({
        rows,
        feedIds: [...new Set(rows.map((row) => row.feedId))],
      })),
      expires: 0,
      size: 0,
      feeds: null,
      feedsExpire: 0,
      book: null,
    };
    this.directions.set(key, entry);
    entry.rows.then(
      ({ rows }) => {
        // Dropped or replaced meanwhile (a change announced while reading): handed to those who asked, not kept.
        if (this.directions.get(key) !== entry) return;
        const cacheSeconds = this.config.public.cacheSeconds;
        if (cacheSeconds <= 0) return this.drop(key);
        entry.expires = Date.now() + Math.max(cacheSeconds, KEPT_ROWS_SECONDS) * 1000;
        entry.size = rows.length;
        this.keptRows += rows.length;
        this.makeRoom(key);
      },
      () => {
        if (this.directions.get(key) === entry) this.drop(key);
      },
    );
    return { entry, pair, settle };
  }

  /** Reads the rows of directions being read, all in one query (a big direction by its own cursor). */
  private read(reading: Reading[]): void {
    const read = this.offers.findDirectionsRows(reading.map((r) => r.pair));
    reading.forEach(({ settle }, i) => settle(read.then((all) => all[i]!)));
  }

  private makeRoom(keep: string): void {
    for (const key of this.directions.keys()) {
      if (this.keptRows <= MAX_KEPT_ROWS) return;
      if (key !== keep) this.drop(key);
    }
  }

  private drop(key: string): void {
    const entry = this.directions.get(key);
    if (!entry) return;
    this.keptRows -= entry.size;
    this.directions.delete(key);
  }

  private turnsOf(key: string): Turns {
    let turns = this.turns.get(key);
    if (!turns)
      this.turns.set(
        key,
        (turns = new Turns(
          RANKING_CONCURRENCY,
          MAX_WAITING_RANKINGS,
          'too many calculations on this direction at once; retry in a second',
          () => this.turns.delete(key),
        )),
      );
    return turns;
  }
}

/**
 * `rows` (by feed, as the direction index gives them) with the rows of the feeds `changed` replaced by `fresh`
 * (by feed too), in feed order: ties in a table keep the order a whole read would give.
 */
export function replaceFeedRows(
  rows: readonly DirectionOfferRow[],
  changed: ReadonlySet<number>,
  fresh: readonly DirectionOfferRow[],
): DirectionOfferRow[] {
  const merged: DirectionOfferRow[] = [];
  let next = 0;
  for (const row of rows) {
    if (changed.has(row.feedId)) continue;
    while (next < fresh.length && fresh[next]!.feedId < row.feedId) merged.push(fresh[next++]!);
    merged.push(row);
  }
  while (next < fresh.length) merged.push(fresh[next++]!);
  return merged;
}

/** What of a shown feed ends up in the book's offers: when any of it changes, the book is made anew. */
function feedSignature(f: ShownFeed): string {
  const { status, reviews } = f.exchanger;
  return `${f.id} ${f.updatedAt.getTime()} ${f.slug} ${f.name} ${status} ${reviews.positive} ${reviews.neutral} ${reviews.negative} ${reviews.claimsOpen}`;
}

/**
 * At most `concurrency` runs at once, first come first served; past `maxWaiting` waiting, a run is refused
 * with BusyError (429, Retry-After) saying `busy`. `idle` is called whenever the last run ends.
 */
export class Turns {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
    private readonly busy: string,
    private readonly idle: () => void = () => undefined,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) throw new BusyError(this.busy);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The turn passes straight to the next in line (running stays the same).
      if (next) next();
      else if (--this.running === 0) this.idle();
    }
  }

  /** Runs running and waiting (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
