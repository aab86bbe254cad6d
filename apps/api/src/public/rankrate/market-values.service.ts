import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { MarketDirectionRow, MarketValuesRepository } from '@app/database';
import { Dec, DirectionStat, pacedStart, TimeSlicer, UsdValuation } from '@app/domain';
import { SnapshotChanges } from '@app/messaging';

/** Changes are applied at most this often: a burst of polls costs one read, not one per poll. */
export const MARKET_REFRESH_MS = 3000;
/**
 * After a read of the market the next waits at least this many times as long as it took: the read is
 * background work on the database every poll also needs, and at BestChange's scale a whole-market read
 * takes seconds (2,000,000 offers: ≈ 13 s) — read back to back it held a PostgreSQL core for itself.
 * So the values follow the market within about ten reads' time, and the database gives them at most a
 * tenth of one connection's time.
 */
export const MARKET_REFRESH_PACE = 10;
/**
 * The whole market is read again this often: a feed going stale or an exchanger paused hides offers
 * without a snapshot change, and a catalog change (a new USD-unit currency) is picked up here.
 */
export const MARKET_FULL_READ_MS = 5 * 60_000;
/** More changed directions than this at once are read as the whole market (one scan beats a huge IN list). */
export const MAX_INCREMENTAL_DIRECTIONS = 5000;

/**
 * The aggregated market in memory: every direction's median, best rate and exchangers (shown offers,
 * quarantine excluded), and every currency's value in US dollars made of them (`UsdValuation`).
 *
 * Read whole as the api starts, in the background (at 1,000,000 offers the read takes seconds: the
 * first visitor of /v1/routes or rankrate should not wait for it; one who comes earlier does), then kept
 * current from the snapshot-change events: the changed directions are read again — through the
 * direction index, only them — at most every MARKET_REFRESH_MS (or MARKET_REFRESH_PACE times the last
 * read's duration, when reads are slow), and only the currencies they touch are valued again. The whole market is read again every MARKET_FULL_READ_MS and after an `all` event.
 * Long steps pause every few milliseconds (TimeSlicer), so a refresh never holds the event loop.
 */
@Injectable()
export class MarketValues implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MarketValues.name);
  private loaded: Promise<UsdValuation> | null = null;
  private current: UsdValuation | null = null;
  private readAt = 0;
  private readonly pending = new Map<string, [string, string]>();
  private pendingAll = false;
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  /** When the next refresh may start (MARKET_REFRESH_MS and MARKET_REFRESH_PACE after the last read). */
  private nextRefreshAt = 0;
  private closed = false;
  private readonly unsubscribe: () => void;
  /** Bumped whenever the values may have changed (answers derived from them compare it). */
  version = 0;

  constructor(
    private readonly repository: MarketValuesRepository,
    changes: SnapshotChanges,
  ) {
    this.unsubscribe = changes.subscribe((event) => {
      // Nothing held yet: the first read will see the change.
      if (this.loaded === null) return;
      if ('all' in event) this.pendingAll = true;
      else for (const [from, to] of event.directions) this.pending.set(`${from}|${to}`, [from, to]);
      this.schedule();
    });
  }

  onApplicationBootstrap(): void {
    this.valuation().catch((error: unknown) =>
      this.logger.warn(`market values not read at start (read on first use instead): ${String(error)}`),
    );
  }

  onApplicationShutdown(): void {
    this.closed = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
  }

  /** The market's valuation (read on first use; a failed first read is tried again by the next caller). */
  async valuation(): Promise<UsdValuation> {
    if (this.loaded === null) {
      const loading = this.readWhole();
      this.loaded = loading;
      loading.then(
        (valuation) => (this.current = valuation),
        () => {
          if (this.loaded === loading) this.loaded = null;
        },
      );
    } else if (this.current !== null && Date.now() - this.readAt >= MARKET_FULL_READ_MS) {
      this.pendingAll = true;
      this.schedule();
    }
    return this.current ?? this.loaded;
  }

  /** Applies the changes heard so far now (for tests: no waiting for the timer). */
  async refreshNow(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.refreshing;
    await this.refresh();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    const wait = Math.max(0, this.nextRefreshAt - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.refresh();
    }, wait);
    this.timer.unref();
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) {
      // One refresh at a time; what arrives meanwhile waits for the next.
      this.schedule();
      return;
    }
    const started = Date.now();
    const run = this.apply().catch((error: unknown) => {
      this.logger.warn(`market values not refreshed (kept as they were): ${String(error)}`);
    });
    this.refreshing = run;
    try {
      await run;
    } finally {
      this.refreshing = null;
      this.paceAfter(started, MARKET_REFRESH_MS);
    }
  }

  /**
   * The next refresh waits `least` ms, or MARKET_REFRESH_PACE times as long as a read begun at `started`
   * took. The first read (at start) sets no least wait: the first changes are applied at once.
   */
  private paceAfter(started: number, least = 0): void {
    const now = Date.now();
    this.nextRefreshAt = pacedStart(started, now, MARKET_REFRESH_PACE, Math.max(this.nextRefreshAt, now + least));
  }

  private async apply(): Promise<void> {
    const valuation = this.current ?? (this.loaded ? await this.loaded : null);
    if (valuation === null) return;
    if (this.pendingAll || this.pending.size > MAX_INCREMENTAL_DIRECTIONS) {
      this.pendingAll = false;
      this.pending.clear();
      // A failed read (the database restarting) forgets no change: the whole market is read again next time.
      const whole = await this.readWhole().catch((error: unknown) => {
        this.pendingAll = true;
        throw error;
      });
      this.current = whole;
      this.loaded = Promise.resolve(whole);
      return;
    }
    if (this.pending.size === 0) return;
    const directions = [...this.pending.values()];
    this.pending.clear();
    try {
      const rows = await this.repository.directionStats(directions);
      const byKey = new Map(rows.map((row) => [`${row.from}|${row.to}`, row]));
      const slicer = new TimeSlicer();
      for (const [from, to] of directions) {
        const row = byKey.get(`${from}|${to}`);
        valuation.set(from, to, row ? statOf(row) : null);
        if (slicer.due()) await slicer.pause();
      }
      await revalue(valuation);
      this.version++;
    } catch (error) {
      // Read again with the next refresh.
      for (const d of directions) this.pending.set(`${d[0]}|${d[1]}`, d);
      throw error;
    }
  }

  private async readWhole(): Promise<UsdValuation> {
    const started = Date.now();
    const [units, rows] = await Promise.all([this.repository.currencyUnits(), this.repository.directionStats()]);
    const valuation = new UsdValuation(units);
    const slicer = new TimeSlicer();
    for (const row of rows) {
      valuation.set(row.from, row.to, statOf(row));
      if (slicer.due()) await slicer.pause();
    }
    await revalue(valuation);
    this.readAt = Date.now();
    this.paceAfter(started);
    this.version++;
    return valuation;
  }
}

function statOf(row: MarketDirectionRow): DirectionStat {
  return {
    from: row.from,
    to: row.to,
    median: new Dec(row.median),
    best: new Dec(row.best),
    exchangers: row.exchangers,
    exchangerIds: row.exchangerIds,
  };
}

async function revalue(valuation: UsdValuation): Promise<void> {
  // A currency's revaluation is some hundred decimal operations: the clock is read every few of them.
  const slicer = new TimeSlicer(5, 4);
  for (const code of valuation.takeTouched()) {
    valuation.revalue(code);
    if (slicer.due()) await slicer.pause();
  }
  valuation.revalueHops();
}
