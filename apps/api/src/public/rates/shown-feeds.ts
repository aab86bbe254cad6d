import { feedShownAt, FeedState, OffersRepository, ShownFeed } from '@app/database';
import { SnapshotChangeEvent } from '@app/messaging';

/**
 * A change announced for some directions asks for the feeds again, in the background, at most this often:
 * such a change (a poll that wrote offers) may bring a feed back from stale or from maintenance, and moves
 * its last success on; at BestChange scale polls announce tens of changes a second.
 */
export const SOFT_REFRESH_MS = 250;

/** Every feed as read at one moment. */
interface Loaded {
  /** The read's number: reads are numbered as they start. */
  seq: number;
  startedAt: number;
  byId: Map<number, FeedState>;
  /** Feed ids asked for and absent from a read started after they were asked (deleted): not asked again. */
  absent: Set<number>;
}

/**
 * Which feeds' offers may be shown now, from every feed's row kept in memory and weighed against the clock
 * at each question (`feedShownAt`, FRESH_FEED_SQL's twin) — a feed going stale is hidden at the first
 * table after its limit, with no query. The rows (enabled, maintenance, last success, stale limit,
 * exchanger status and standing: `findFeedStates`, one query for all feeds) are read again:
 *  - before the next answer when a change of any direction is announced (`{ all: true }`: maintenance,
 *    an exchanger paused, a feed disabled or changed, moderation) — such a change hides offers at once;
 *  - in the background after a change of some directions is announced (a poll wrote offers: a feed may be
 *    back), at most every SOFT_REFRESH_MS, and when half of `ttlMs` has passed since the last read;
 *  - before the answer once `ttlMs` (PUBLIC_CACHE_SECONDS) has passed, so a change made with no
 *    announcement (by SQL; a poll that confirms an unchanged snapshot) shows at most that late — the
 *    window the answer cache has anyway;
 *  - before the answer when a feed asked for is not among them (a new feed), once.
 * Questions meanwhile share a read. A read that fails fails the questions waiting for it; the rows read
 * before stay until `ttlMs` (then the next question reads, and fails while PostgreSQL is away).
 *
 * Freshness is weighed by this process's clock where SQL used PostgreSQL's; a feed polling on time is
 * confirmed at least a minute within its limit (STALE_AFTER_SQL), far more than `ttlMs` of lag.
 */
export class ShownFeeds {
  private loaded: Loaded | null = null;
  private loading: { seq: number; promise: Promise<Loaded> } | null = null;
  private seq = 0;
  /** The first read that may answer: one started after the last `{ all: true }`. */
  private required = 0;
  /** A change of some directions was announced since the last read started. */
  private dirty = false;

  constructor(
    private readonly offers: OffersRepository,
    private readonly ttlMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Hears a snapshot change (DirectionBooks passes each on). */
  changed(event: SnapshotChangeEvent): void {
    if ('all' in event) this.required = this.seq + 1;
    else this.dirty = true;
  }

  /**
   * Of `feedIds`, those whose offers may be shown now, in that order; the same object for a feed until
   * its row is read changed (so a caller may key on it).
   */
  async shown(feedIds: readonly number[]): Promise<ShownFeed[]> {
    let loaded = await this.current();
    const unknown = feedIds.filter((id) => !loaded.byId.has(id) && !loaded.absent.has(id));
    if (unknown.length > 0) {
      // A feed newer than the read: a read started from now on knows it, or it is gone.
      const asked = this.seq + 1;
      loaded = await this.atLeast(asked);
      for (const id of unknown) if (!loaded.byId.has(id) && loaded.seq >= asked) loaded.absent.add(id);
    }
    const now = this.now();
    const shown: ShownFeed[] = [];
    for (const id of feedIds) {
      const state = loaded.byId.get(id);
      if (state && feedShownAt(state, now)) shown.push(state.shown);
    }
    return shown;
  }

  /** The rows to answer from now: kept, or read first when they may not be used any more. */
  private async current(): Promise<Loaded> {
    const loaded = this.loaded;
    const age = loaded ? this.now() - loaded.startedAt : Infinity;
    if (!loaded || loaded.seq < this.required || age >= this.ttlMs) {
      // Any read under way started after what it must reflect (`required`), or recently enough.
      return this.atLeast(Math.max(this.required, this.loading ? this.loading.seq : this.seq + 1));
    }
    if (!this.loading && ((this.dirty && age >= SOFT_REFRESH_MS) || age >= this.ttlMs / 2)) {
      // Read again meanwhile; this answer uses what is kept.
      this.atLeast(this.seq + 1).catch(() => undefined);
    }
    return loaded;
  }

  /** A read numbered `seq` or later: the kept one, the one under way, or a new one. */
  private atLeast(seq: number): Promise<Loaded> {
    if (this.loaded && this.loaded.seq >= seq) return Promise.resolve(this.loaded);
    if (this.loading && this.loading.seq >= seq) return this.loading.promise;
    const reading = { seq: ++this.seq, promise: null as unknown as Promise<Loaded> };
    const startedAt = this.now();
    this.dirty = false;
    reading.promise = this.offers.findFeedStates().then(
      (states) => {
        const read: Loaded = {
          seq: reading.seq,
          startedAt,
          byId: new Map(states.map((s) => [s.shown.id, s])),
          absent: new Set(),
        };
        // A later read may have landed first: the newest stays.
        if (!this.loaded || this.loaded.seq < read.seq) this.loaded = keepUnchanged(this.loaded, read);
        if (this.loading === reading) this.loading = null;
        return read;
      },
      (error: unknown) => {
        if (this.loading === reading) this.loading = null;
        throw error;
      },
    );
    this.loading = reading;
    return reading.promise;
  }
}

/** `read`, with the ShownFeed objects of `before` kept where nothing of them changed (books key on them). */
function keepUnchanged(before: Loaded | null, read: Loaded): Loaded {
  if (!before) return read;
  for (const [id, state] of read.byId) {
    const old = before.byId.get(id);
    if (old && sameShown(old.shown, state.shown)) state.shown = old.shown;
  }
  return read;
}

function sameShown(a: ShownFeed, b: ShownFeed): boolean {
  const [x, y] = [a.exchanger, b.exchanger];
  return (
    a.slug === b.slug &&
    a.name === b.name &&
    a.updatedAt.getTime() === b.updatedAt.getTime() &&
    x.status === y.status &&
    x.listedSince.getTime() === y.listedSince.getTime() &&
    x.reviews.positive === y.reviews.positive &&
    x.reviews.neutral === y.reviews.neutral &&
    x.reviews.negative === y.reviews.negative &&
    x.reviews.claimsOpen === y.reviews.claimsOpen
  );
}
