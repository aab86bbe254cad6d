import { createHash } from 'node:crypto';
import { HttpException, Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { APP_CONFIG, AppConfig } from '@app/config';
import { SnapshotChangeEvent, SnapshotChanges } from '@app/messaging';
import { METRICS_REGISTRY } from '@app/observability';
import { RequestError } from '@app/domain';

/**
 * A public answer as it is kept and sent: the JSON's UTF-8 bytes (encoded once, not on every send) and its
 * strong ETag. One object is shared by the entry and its raw-URL aliases.
 */
export class CachedAnswer {
  constructor(
    readonly bytes: Buffer,
    readonly etag: string,
  ) {}

  /** The answer made from a value: its JSON and an ETag of it. */
  static of(value: unknown): CachedAnswer {
    const bytes = Buffer.from(JSON.stringify(value));
    return new CachedAnswer(bytes, `"${createHash('sha1').update(bytes).digest('base64url')}"`);
  }

  /** The JSON text (decoded on demand: the bytes are what is kept and sent). */
  get body(): string {
    return this.bytes.toString('utf8');
  }
}

interface Entry {
  readonly answer: CachedAnswer;
  readonly expires: number;
  /** How the answer was made: run again to refresh it ahead of its expiry. */
  readonly compute: () => Promise<unknown>;
  /** How long making it took, ms (a refresh starts at least twice that before the expiry). */
  readonly tookMs: number;
}

/** A computation under way, and whether a change of its group announced meanwhile makes its answer possibly old. */
interface Flight {
  readonly group: string;
  readonly answer: Promise<CachedAnswer>;
  overtaken: boolean;
}

/** A group's answers by key, and the raw URLs that name one of them. */
interface Group {
  readonly entries: Map<string, Entry>;
  readonly aliases: Set<string>;
}

const MAX_ENTRIES = 20_000;
/** Body bytes kept at most (an alias costs none): visitors choosing random amounts cannot grow the cache past it. */
export const MAX_CACHED_CHARS = 64 * 1024 * 1024;
/** How long past its expiry an answer may still be served when making a new one fails (the database is down). */
export const STALE_IF_ERROR_MS = 60_000;
/**
 * A hit in the last quarter of its entry's life makes the answer anew in the background while the current
 * one is served: a hot answer is replaced before it expires, instead of every reader waiting on the
 * database at its expiry (a stall of all connections every PUBLIC_CACHE_SECONDS, the read bench's p99).
 */
export const REFRESH_AHEAD_SHARE = 0.25;
/**
 * A refresh starts at least this many times its entry's last computation time before the expiry, so a slow
 * one (a busy database, a loop full of requests) still lands in time — but never before this share of the
 * entry's life has passed (a very slow computation is not started again the moment it is stored).
 */
export const REFRESH_LEAD_FACTOR = 2;
export const REFRESH_EARLIEST_SHARE = 0.5;
/**
 * Public answers, cached per direction in memory for PUBLIC_CACHE_SECONDS and dropped as soon as a
 * snapshot touching the direction changes (in fleet mode the workers announce it through Redis).
 * Keys outside any direction (directions list, exchangers) use the `*` group, dropped on any change.
 * An answer is never served older than PUBLIC_CACHE_SECONDS: a hot one is made anew shortly before (see
 * REFRESH_AHEAD_SHARE). When a new answer cannot be made (PostgreSQL restarting), the expired one is
 * served for up to STALE_IF_ERROR_MS more: visitors keep a table a minute old rather than an error page.
 */
@Injectable()
export class PublicCache implements OnApplicationShutdown {
  private readonly groups = new Map<string, Group>();
  /** Raw URL → the group and key of the answer it names (the fast path's index). */
  private readonly rawUrls = new Map<string, { readonly group: string; readonly key: string }>();
  /** Entries and aliases. */
  private size = 0;
  private chars = 0;
  private readonly inFlight = new Map<string, Flight>();
  /** Hits of the fast path, counted as a plain number there and added to the counter when it is read. */
  private fastHits = 0;
  private readonly unsubscribe: () => void;
  private readonly lookups: Counter<'result'>;
  private readonly computeSeconds: Histogram<'kind'>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    changes: SnapshotChanges,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    const takeFastHits = () => this.takeFastHits();
    this.lookups = new Counter({
      name: 'ratewatch_public_cache_lookups_total',
      help:
        'Public answers served from the cache (hit), made anew (miss), made anew ahead of expiry while the cached one ' +
        'is served (refresh), or expired but served while the database failed (stale)',
      labelNames: ['result'],
      registers: [registry],
      collect() {
        const hits = takeFastHits();
        if (hits > 0) this.inc({ result: 'hit' }, hits);
      },
    });
    this.computeSeconds = new Histogram({
      name: 'ratewatch_public_cache_compute_seconds',
      help:
        'Time to make a public answer anew, for a reader who waited (miss) or ahead of expiry (refresh): a refresh ' +
        'slower than its lead makes the readers of a hot answer wait for the next one',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    const stats = () => this.stats();
    new Gauge({
      name: 'ratewatch_public_cache',
      help: 'The public answer cache: entries, raw-URL aliases and cached body bytes (chars)',
      labelNames: ['measure'],
      registers: [registry],
      collect() {
        const { entries, rawUrls, chars } = stats();
        this.set({ measure: 'entries' }, entries);
        this.set({ measure: 'raw_urls' }, rawUrls);
        this.set({ measure: 'chars' }, chars);
      },
    });
    this.unsubscribe = changes.subscribe((event) => {
      this.drop('*');
      if ('all' in event) this.clear();
      else for (const [from, to] of event.directions) this.drop(`${from}|${to}`);
      this.overtake(event);
    });
  }

  onApplicationShutdown(): void {
    this.unsubscribe();
  }

  /** The cached answer, or the one `compute` makes (then cached, and named by `alias` — the raw URL). */
  async get(group: string, key: string, compute: () => Promise<unknown>, alias?: string): Promise<CachedAnswer> {
    const hit = this.groups.get(group)?.entries.get(key);
    const now = Date.now();
    if (hit && hit.expires > now) {
      if (alias) this.alias(group, key, alias);
      this.lookups.inc({ result: 'hit' });
      this.refreshIfDue(group, key, hit, now);
      return hit.answer;
    }
    this.lookups.inc({ result: 'miss' });
    let answer: CachedAnswer;
    try {
      answer = await this.make(group, key, compute, 'miss');
    } catch (error) {
      // An HttpException or a domain RequestError is the request's own answer (404, 400); anything else is ours to cover for.
      if (
        error instanceof HttpException ||
        error instanceof RequestError ||
        !hit ||
        Date.now() - hit.expires > STALE_IF_ERROR_MS
      )
        throw error;
      this.lookups.inc({ result: 'stale' });
      return hit.answer;
    }
    if (alias && this.groups.get(group)?.entries.has(key)) this.alias(group, key, alias);
    return answer;
  }

  /**
   * The fast path: the live answer this raw URL named when it was last answered, looked up before Nest's
   * pipeline runs (no validation, guards or pipes for a hit — the URL was validated when the answer was made).
   */
  peekRaw(url: string): CachedAnswer | null {
    const target = this.rawUrls.get(url);
    if (target === undefined) return null;
    const entry = this.groups.get(target.group)?.entries.get(target.key);
    const now = Date.now();
    if (entry === undefined || entry.expires <= now) return null;
    this.refreshIfDue(target.group, target.key, entry, now);
    this.fastHits++;
    return entry.answer;
  }

  /** Entries and raw-URL aliases (together bounded by MAX_ENTRIES), and cached body bytes (for tests and metrics). */
  stats(): { entries: number; rawUrls: number; chars: number } {
    return { entries: this.size, rawUrls: this.rawUrls.size, chars: this.chars };
  }

  /** Single flight: concurrent misses (and a refresh) of one key share one computation (no stampede on expiry). */
  private make(
    group: string,
    key: string,
    compute: () => Promise<unknown>,
    kind: 'miss' | 'refresh',
  ): Promise<CachedAnswer> {
    const flightKey = `${group}\u0000${key}`;
    const running = this.inFlight.get(flightKey);
    if (running) return running.answer;
    const started = performance.now();
    const answer = compute()
      .then((value) => {
        const made = CachedAnswer.of(value);
        const tookMs = performance.now() - started;
        this.computeSeconds.observe({ kind }, tookMs / 1000);
        // A change of this group announced while computing makes the answer possibly old: hand it out, don't
        // keep it. A change of another direction does not: at a busy market's pace (many polls a second) a
        // refresh of a hot table would hardly ever be kept, and its readers would wait at every expiry.
        if (!flight.overtaken) this.store(group, key, made, compute, tookMs);
        return made;
      })
      .finally(() => this.inFlight.delete(flightKey));
    const flight: Flight = { group, answer, overtaken: false };
    this.inFlight.set(flightKey, flight);
    return answer;
  }

  /** Marks the computations under way that `event` makes possibly old (see make). */
  private overtake(event: SnapshotChangeEvent): void {
    if (this.inFlight.size === 0) return;
    const touched = 'all' in event ? null : new Set(event.directions.map(([from, to]) => `${from}|${to}`));
    for (const flight of this.inFlight.values())
      if (touched === null || flight.group === '*' || touched.has(flight.group)) flight.overtaken = true;
  }

  private refreshIfDue(group: string, key: string, entry: Entry, now: number): void {
    const ttl = this.ttlMs();
    const lead = Math.min(
      ttl * REFRESH_EARLIEST_SHARE,
      Math.max(ttl * REFRESH_AHEAD_SHARE, REFRESH_LEAD_FACTOR * entry.tookMs),
    );
    if (entry.expires - now > lead || this.inFlight.has(`${group}\u0000${key}`)) return;
    this.lookups.inc({ result: 'refresh' });
    // A failed refresh changes nothing: the entry expires as usual and the next reader's miss tries again.
    this.make(group, key, entry.compute, 'refresh').catch(() => undefined);
  }

  private ttlMs(): number {
    return this.config.public.cacheSeconds * 1000;
  }

  private takeFastHits(): number {
    const hits = this.fastHits;
    this.fastHits = 0;
    return hits;
  }

  private groupOf(group: string): Group {
    let found = this.groups.get(group);
    if (!found) this.groups.set(group, (found = { entries: new Map(), aliases: new Set() }));
    return found;
  }

  private store(
    group: string,
    key: string,
    answer: CachedAnswer,
    compute: () => Promise<unknown>,
    tookMs: number,
  ): void {
    const ttl = this.ttlMs();
    if (ttl <= 0) return;
    if (this.size >= MAX_ENTRIES || this.chars + answer.bytes.length > MAX_CACHED_CHARS) this.clear();
    const { entries } = this.groupOf(group);
    const previous = entries.get(key);
    if (previous) this.chars -= previous.answer.bytes.length;
    else this.size++;
    this.chars += answer.bytes.length;
    entries.set(key, { answer, expires: Date.now() + ttl, compute, tookMs });
  }

  /** Makes the raw URL name the entry `key` of `group` (which the caller just found or stored). */
  private alias(group: string, key: string, url: string): void {
    const named = this.rawUrls.get(url);
    if (named?.group === group && named.key === key) return;
    if (named) {
      // Named another entry before (not expected: a URL's query decides its key): it names this one now.
      this.groups.get(named.group)?.aliases.delete(url);
      this.size--;
    }
    // Full: this URL goes the normal way until the next answer stored makes room.
    if (this.size >= MAX_ENTRIES) return void this.rawUrls.delete(url);
    this.groupOf(group).aliases.add(url);
    this.size++;
    this.rawUrls.set(url, { group, key });
  }

  private drop(group: string): void {
    const found = this.groups.get(group);
    if (!found) return;
    this.size -= found.entries.size + found.aliases.size;
    for (const entry of found.entries.values()) this.chars -= entry.answer.bytes.length;
    // Raw-URL aliases go with their group: otherwise every distinct query string seen would stay here forever.
    for (const url of found.aliases) this.rawUrls.delete(url);
    this.groups.delete(group);
  }

  private clear(): void {
    this.groups.clear();
    this.rawUrls.clear();
    this.size = 0;
    this.chars = 0;
  }
}
