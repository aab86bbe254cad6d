import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DirectionOffer, DirectionOfferRow, joinShownOffers, OffersRepository, ShownFeed } from '@app/database';
import { BookQuery, BusyError, CurrencyUnit, RankedOffer, RateBook, TimeSlicer } from '@app/domain';
import { SnapshotChanges } from '@app/messaging';
import { ShownFeeds } from './shown-feeds';

/** Offer rows kept for all directions together; beyond it the least recently used directions are dropped. */
export const MAX_KEPT_ROWS = 1_000_000;
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

/** A kept direction read again before its rows expire (`readAhead`). */
interface Renewal {
  key: string;
  kept: KeptDirection;
  from: CurrencyUnit;
  to: CurrencyUnit;
}

/** The book of a direction without offers. */
const NO_OFFERS: DirectionBook = { rank: () => Promise.resolve([]) };

/** A direction's offer rows, and the book made of them for one set of shown feeds. */
interface KeptDirection {
  rows: Promise<{ rows: DirectionOfferRow[]; feedIds: number[] }>;
  /** Set once loaded: until when the rows may be used. */
  expires: number;
  size: number;
  /** Being read again ahead of `expires` (`readAhead`). */
  renewing: boolean;
  /** The book of these shown feeds (ShownFeeds hands a new object for a feed only when its row changed). */
  book: { catalogVersion: string; feeds: ShownFeed[]; book: Promise<RateBook<DirectionOffer>> } | null;
}

/**
 * A direction's offer rows, read from PostgreSQL once and shared by every table of that direction —
 * any amount, side, city, exclusions or limit — until PUBLIC_CACHE_SECONDS pass or a snapshot of the
 * direction changes (dropped at once, like the answer cache). Concurrent tables share one read (one
 * query, not one per amount). Which of the direction's feeds are shown is weighed at each table from the
 * feeds kept in memory (ShownFeeds: against the clock, so a feed going stale is hidden at its limit; read
 * again before the next table when maintenance, a pause, a feed's change or moderation is announced, and
 * at least every PUBLIC_CACHE_SECONDS), with no query; the RateBook is made anew only when the shown feeds
 * change. Tables of several directions taken together (`books`: a route search's legs) read the rows of
 * those not kept in one query (`findDirectionsRows`; a big direction by its own cursor), and those past half
 * their time again meanwhile (`readAhead`: a direction asked often is not read while its tables wait). At most
 * RANKING_CONCURRENCY tables of a direction are ranked at once.
 */
@Injectable()
export class DirectionBooks implements OnApplicationShutdown {
  private readonly directions = new Map<string, KeptDirection>();
  private keptRows = 0;
  private readonly turns = new Map<string, Turns>();
  private readonly unsubscribe: () => void;
  private readonly feeds: ShownFeeds;

  constructor(
    private readonly offers: OffersRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    changes: SnapshotChanges,
  ) {
    this.feeds = new ShownFeeds(offers, config.public.cacheSeconds * 1000);
    this.unsubscribe = changes.subscribe((event) => {
      this.feeds.changed(event);
      if ('all' in event) for (const key of [...this.directions.keys()]) this.drop(key);
      else for (const [from, to] of event.directions) this.drop(`${from}|${to}`);
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
   * read or kept as for one table, and their shown feeds weighed once for them all. Each book ranks in
   * memory, in its direction's turns; the same order as `directions`.
   */
  async books(
    directions: ReadonlyArray<readonly [CurrencyUnit, CurrencyUnit]>,
    catalogVersion: string,
  ): Promise<DirectionBook[]> {
    // Directions not kept (or kept too long) are read together: one query for all their rows; those past
    // half their time are read again meanwhile, together, while these tables use what is kept.
    const reading: Reading[] = [];
    const renewing: Renewal[] = [];
    const renewBefore = Date.now() + (this.config.public.cacheSeconds * 1000) / 2;
    const wanted = directions.map(([from, to]) => {
      const key = `${from.code}|${to.code}`;
      let kept = this.kept(key);
      if (!kept) {
        const read = this.reading(key, [from.code, to.code]);
        reading.push(read);
        kept = read.entry;
      } else if (kept.expires !== 0 && kept.expires <= renewBefore && !kept.renewing) {
        kept.renewing = true;
        renewing.push({ key, kept, from, to });
      }
      return { key, from, to, kept };
    });
    if (reading.length > 0) this.read(reading);
    if (renewing.length > 0) this.readAhead(renewing);
    const loaded = await Promise.all(wanted.map(async (w) => ({ ...w, ...(await w.kept.rows) })));
    const feedIds = [...new Set(loaded.flatMap((d) => d.feedIds))];
    const shown = feedIds.length === 0 ? new Map<number, ShownFeed>() : await this.shownById(feedIds);
    return Promise.all(
      loaded.map(async ({ key, from, to, kept, rows, feedIds: ids }): Promise<DirectionBook> => {
        if (ids.length === 0) return NO_OFFERS;
        // The direction's own shown feeds, in the (fixed) order of its rows' feeds.
        const feeds: ShownFeed[] = [];
        for (const id of ids) {
          const feed = shown.get(id);
          if (feed) feeds.push(feed);
        }
        if (!kept.book || !sameBook(kept.book, catalogVersion, feeds)) {
          const book = joinShownOffers(rows, feeds).then((offers) =>
            RateBook.build(offers, from, to, new TimeSlicer()),
          );
          const made = { catalogVersion, feeds, book };
          kept.book = made;
          book.catch(() => {
            if (kept.book === made) kept.book = null;
          });
        }
        const book = await kept.book.book;
        return { rank: (query) => this.turnsOf(key).run(() => book.rank(query, new TimeSlicer())) };
      }),
    );
  }

  /** The shown feeds among `feedIds`, by id. */
  private async shownById(feedIds: number[]): Promise<Map<number, ShownFeed>> {
    const feeds = await this.feeds.shown(feedIds);
    return new Map(feeds.map((f) => [f.id, f]));
  }

  /** Directions kept and the offer rows they hold (for tests). */
  stats(): { directions: number; rows: number } {
    return { directions: this.directions.size, rows: this.keptRows };
  }

  /** The kept direction `key`, most recently used from now on; undefined when not kept or kept too long. */
  private kept(key: string): KeptDirection | undefined {
    const kept = this.directions.get(key);
    if (kept && (kept.expires === 0 || kept.expires > Date.now())) {
      // Most recently used last: the first in the map are the first dropped for room.
      this.directions.delete(key);
      this.directions.set(key, kept);
      return kept;
    }
    if (kept) this.drop(key);
    return undefined;
  }

  /**
   * A direction to be read, kept at once so that tables asking for it meanwhile share its read (`read`
   * settles its rows).
   */
  private reading(key: string, pair: readonly [string, string]): Reading {
    let settle!: (rows: Promise<DirectionOfferRow[]>) => void;
    const entry: KeptDirection = {
      rows: new Promise<DirectionOfferRow[]>((resolve) => (settle = resolve)).then((rows) => ({
        rows,
        feedIds: [...new Set(rows.map((row) => row.feedId))],
      })),
      expires: 0,
      size: 0,
      renewing: false,
      book: null,
    };
    this.directions.set(key, entry);
    entry.rows.then(
      ({ rows }) => {
        // Dropped meanwhile (a change announced while reading): handed to those who asked, not kept.
        if (this.directions.get(key) !== entry) return;
        const ttl = this.config.public.cacheSeconds * 1000;
        if (ttl <= 0) return this.drop(key);
        entry.expires = Date.now() + ttl;
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

  /**
   * Reads kept directions again before they expire, in one query, so that a direction asked often is not
   * read while its tables wait; each new entry replaces the kept one unless a change dropped that meanwhile
   * (the rows read may predate it), with the book of the feeds its last table showed made ahead too. The
   * rows are never kept longer than before: PUBLIC_CACHE_SECONDS from their read.
   */
  private readAhead(renewing: Renewal[]): void {
    this.offers.findDirectionsRows(renewing.map(({ from, to }) => [from.code, to.code] as const)).then(
      (read) => renewing.forEach((renewal, i) => this.renew(renewal, read[i]!)),
      () => {
        // The entries stay until they expire; the next table past half their time tries again.
        for (const { kept } of renewing) kept.renewing = false;
      },
    );
  }

  private renew({ key, kept, from, to }: Renewal, rows: DirectionOfferRow[]): void {
    if (this.directions.get(key) !== kept) return;
    const feedIds = [...new Set(rows.map((row) => row.feedId))];
    const entry: KeptDirection = {
      rows: Promise.resolve({ rows, feedIds }),
      expires: Date.now() + this.config.public.cacheSeconds * 1000,
      size: rows.length,
      renewing: false,
      book: null,
    };
    if (kept.book) {
      // The book the next table most likely wants: the feeds shown last, among the rows' feeds, in their order.
      const shownLast = new Map(kept.book.feeds.map((f) => [f.id, f]));
      const feeds = feedIds.map((id) => shownLast.get(id)).filter((f) => f !== undefined);
      const book = joinShownOffers(rows, feeds).then((offers) => RateBook.build(offers, from, to, new TimeSlicer()));
      const made = { catalogVersion: kept.book.catalogVersion, feeds, book };
      entry.book = made;
      book.catch(() => {
        if (entry.book === made) entry.book = null;
      });
    }
    this.drop(key);
    this.directions.set(key, entry);
    this.keptRows += entry.size;
    this.makeRoom(key);
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

/** Whether a kept book is that of these shown feeds (the same objects, in the same order) at this catalog. */
function sameBook(
  kept: { catalogVersion: string; feeds: ShownFeed[] },
  catalogVersion: string,
  feeds: ShownFeed[],
): boolean {
  if (kept.catalogVersion !== catalogVersion || kept.feeds.length !== feeds.length) return false;
  for (let i = 0; i < feeds.length; i++) if (kept.feeds[i] !== feeds[i]) return false;
  return true;
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
