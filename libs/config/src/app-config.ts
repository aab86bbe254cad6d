import type { HistoryRetention } from './env.schema';

/** The validated, typed configuration of every ratewatch process. Built once by `loadConfig`. */
export interface AppConfig {
  /** `fleet` when REDIS_URL is set (BullMQ workers), `standalone` otherwise (in-process scheduling). */
  readonly mode: 'standalone' | 'fleet';
  /**
   * `trustProxy`: which `X-Forwarded-For` hops name the client (false: the socket's address; a hop
   * count; or the proxies' addresses/CIDRs). The rate limiter and the visitor hash of clicks use it.
   */
  readonly api: { readonly host: string; readonly port: number; readonly trustProxy: false | number | string[] };
  /** On SIGTERM the api reports not ready and keeps serving this long before it closes its listener. */
  readonly shutdownDrainSeconds: number;
  /**
   * `concurrency`: polls one process has in hand (mostly waiting on the network);
   * `processingConcurrency`: how many of them read and normalize at once (CPU on one event loop; writes, which
   * mostly wait on PostgreSQL, have `database.poolSize − 2` slots of their own);
   * `lockSeconds`: how long a job stays locked to a worker that stopped renewing it (then another takes it);
   * `memoMaxBytes`: what the per-feed memo of last polls' items may hold in all (0 = no memo: every item of
   * every poll is read and normalized again);
   * `feedPollShards`: queues the feeds' polls are spread over, each taken by one live worker at a time, so a
   * feed's polls keep landing on the worker that holds its last poll (1: one queue, any worker takes any poll).
   */
  readonly worker: {
    readonly port: number;
    readonly concurrency: number;
    readonly processingConcurrency: number;
    readonly lockSeconds: number;
    readonly memoMaxBytes: number;
    readonly feedPollShards: number;
  };
  readonly database: {
    /** Null until standalone mode has started its embedded PostgreSQL. */
    readonly url: string | null;
    /** True when ratewatch runs its own PostgreSQL in `dataDir`. */
    readonly embedded: boolean;
    readonly dataDir: string;
    /** Run as root, where the embedded cluster goes when the `postgres` user cannot reach `dataDir`. */
    readonly fallbackDir: string;
    /** PostgreSQL settings over the embedded server's tuned ones (EMBEDDED_POSTGRES_SETTINGS). */
    readonly embeddedSettings: Readonly<Record<string, string>>;
    readonly poolSize: number;
  };
  /** `prefix` namespaces BullMQ keys, so several installations (or test runs) can share one Redis. */
  readonly redis: { readonly url: string | null; readonly prefix: string };
  readonly admin: { readonly bootstrapKey: string | null };
  readonly fetch: { readonly allowPrivate: boolean };
  /**
   * Rate integrity (DESIGN.md §10): whether the guard judges offers, and the bands (percent better than
   * the reference before an offer is held back) per currency kind, `default` for a kind without one.
   */
  readonly rateGuard: { readonly enabled: boolean; readonly bands: Readonly<Record<string, string>> };
  /**
   * Rate history (DESIGN.md §12): whether polls record change points (HISTORY_RECORDING, on by default), how
   * long each resolution is kept, in seconds (0 = for ever), and the least time between two drains a polling
   * process starts after its writes (HISTORY_DRAIN_GAP_MS).
   */
  readonly history: { readonly recording: boolean; readonly retention: HistoryRetention; readonly drainGapMs: number };
  /**
   * Live stream (GET /v1/rates/stream): connections one address may hold (`maxPerIp`), connections one api
   * process holds in all (`maxConnections`), and the heartbeat that keeps idle connections open through proxies.
   */
  readonly stream: { readonly maxPerIp: number; readonly maxConnections: number; readonly heartbeatSeconds: number };
  /**
   * Alerts (DESIGN.md §12): active alerts one creator may hold (0 = alerts off), delivery attempts per
   * notice (with back-off), consecutive failed notices before an alert is disabled; operators' alerts go to
   * `operatorUrl` (none = off), signed with `operatorSecret`, a feed counting as failing after `feedFailingMinutes`.
   */
  readonly alerts: {
    readonly maxPerCreator: number;
    readonly deliveryAttempts: number;
    readonly disableAfterFailures: number;
    readonly operatorUrl: string | null;
    readonly operatorSecret: string | null;
    readonly feedFailingMinutes: number;
  };
  /**
   * Open data (DESIGN.md §13): the BestChange-compatible export is rebuilt at most every `refreshSeconds`;
   * rankrate is the rate at `rankrateReferenceUsd` US dollars' worth of the currency given (a decimal string);
   * a new partner key of the keyed API gets `perMinute` and `perDay` requests unless the admin sets its own.
   */
  readonly openData: {
    readonly refreshSeconds: number;
    readonly rankrateReferenceUsd: string;
    readonly perMinute: number;
    readonly perDay: number;
  };
  readonly secretKey: string | null;
  /** Public API: answers cached (and `max-age`) for `cacheSeconds`; `rateLimit` requests a minute per IP (0 = off). */
  readonly public: { readonly cacheSeconds: number; readonly rateLimit: number };
  readonly log: {
    readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
    readonly pretty: boolean;
  };
}

/** Injection token for the AppConfig object. */
export const APP_CONFIG = Symbol('APP_CONFIG');
