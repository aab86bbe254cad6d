import { createHash } from 'node:crypto';
import { HttpException, Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { APP_CONFIG, AppConfig } from '@app/config';
import { SnapshotChanges } from '@app/messaging';
import { METRICS_REGISTRY } from '@app/observability';
import { RequestError } from '@app/domain';

export interface CachedAnswer {
  body: string;
  etag: string;
}

const MAX_ENTRIES = 20_000;
/** Bodies kept at most (UTF-16 length, about bytes for JSON): visitors choosing random amounts cannot grow the cache past it. */
export const MAX_CACHED_CHARS = 64 * 1024 * 1024;
/** How long past its expiry an answer may still be served when making a new one fails (the database is down). */
export const STALE_IF_ERROR_MS = 60_000;

/**
 * Public answers, cached per direction in memory for PUBLIC_CACHE_SECONDS and dropped as soon as a
 * snapshot touching the direction changes (in fleet mode the workers announce it through Redis).
 * Keys outside any direction (directions list, exchangers) use the `*` group, dropped on any change.
 * When a new answer cannot be made (PostgreSQL restarting), the expired one is served for up to
 * STALE_IF_ERROR_MS more: visitors keep a table a minute old rather than an error page.
 */
@Injectable()
export class PublicCache implements OnApplicationShutdown {
  private readonly groups = new Map<string, Map<string, CachedAnswer & { expires: number }>>();
  private size = 0;
  private chars = 0;
  private readonly unsubscribe: () => void;
  private readonly lookups: Counter<'result'>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    changes: SnapshotChanges,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.lookups = new Counter({
      name: 'ratewatch_public_cache_lookups_total',
      help: 'Public answers served from the cache (hit), made anew (miss), or expired but served while the database failed (stale)',
      labelNames: ['result'],
      registers: [registry],
    });
    const stats = () => this.stats();
    new Gauge({
      name: 'ratewatch_public_cache',
      help: 'The public answer cache: entries, raw-URL aliases and cached characters',
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
      this.generation++;
      this.drop('*');
      if ('all' in event) this.clear();
      else for (const [from, to] of event.directions) this.drop(`${from}|${to}`);
    });
  }

  onApplicationShutdown(): void {
    this.unsubscribe();
  }

  /** The cached answer, or the one `compute` makes (then cached, also under `alias` — the raw URL). */
  async get(group: string, key: string, compute: () => Promise<unknown>, alias?: string): Promise<CachedAnswer> {
    const hit = this.groups.get(group)?.get(key);
    if (hit && hit.expires > Date.now()) {
      if (alias) this.store(group, alias, hit);
      this.lookups.inc({ result: 'hit' });
      return hit;
    }
    this.lookups.inc({ result: 'miss' });
    // Single flight: concurrent misses of one key share one computation (no stampede on expiry).
    const flightKey = `${group}\u0000${key}`;
    let flight = this.inFlight.get(flightKey);
    if (!flight) {
      const generation = this.generation;
      flight = compute()
        .then((value) => {
          const body = JSON.stringify(value);
          const answer = { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
          // A change announced while computing makes this answer possibly old: hand it out, don't keep it.
          if (generation === this.generation) this.store(group, key, answer);
          return answer;
        })
        .finally(() => this.inFlight.delete(flightKey));
      this.inFlight.set(flightKey, flight);
    }
    let answer: CachedAnswer;
    try {
      answer = await flight;
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
      return hit;
    }
    if (alias && this.groups.get(group)?.has(key)) this.store(group, alias, answer);
    return answer;
  }

  private readonly inFlight = new Map<string, Promise<CachedAnswer>>();
  private generation = 0;

  /**
   * The fast path: an answer cached under this raw URL, looked up before Nest's pipeline runs (no
   * validation, guards or pipes for a hit — the URL was validated when the answer was made).
   */
  peekRaw(url: string): CachedAnswer | null {
    const group = this.rawGroups.get(url);
    const hit = group === undefined ? undefined : this.groups.get(group)?.get(url);
    if (!hit || hit.expires <= Date.now()) return null;
    this.lookups.inc({ result: 'hit' });
    return hit;
  }

  private readonly rawGroups = new Map<string, string>();

  private store(group: string, key: string, answer: CachedAnswer): void {
    const ttl = this.config.public.cacheSeconds * 1000;
    if (ttl <= 0) return;
    if (this.size >= MAX_ENTRIES || this.chars + answer.body.length > MAX_CACHED_CHARS) this.clear();
    let entries = this.groups.get(group);
    if (!entries) this.groups.set(group, (entries = new Map<string, CachedAnswer & { expires: number }>()));
    const previous = entries.get(key);
    if (previous) this.chars -= previous.body.length;
    else this.size++;
    this.chars += answer.body.length;
    entries.set(key, { body: answer.body, etag: answer.etag, expires: Date.now() + ttl });
    if (key.startsWith('/')) this.rawGroups.set(key, group);
  }

  private drop(group: string): void {
    const entries = this.groups.get(group);
    if (!entries) return;
    this.size -= entries.size;
    for (const [key, entry] of entries) {
      this.chars -= entry.body.length;
      // Raw-URL aliases go with their group: otherwise every distinct query string seen would stay here forever.
      if (key.startsWith('/')) this.rawGroups.delete(key);
    }
    this.groups.delete(group);
  }

  /** Entries, raw-URL aliases and cached characters (for tests and metrics). */
  stats(): { entries: number; rawUrls: number; chars: number } {
    return { entries: this.size, rawUrls: this.rawGroups.size, chars: this.chars };
  }

  private clear(): void {
    this.groups.clear();
    this.rawGroups.clear();
    this.size = 0;
    this.chars = 0;
  }
}
