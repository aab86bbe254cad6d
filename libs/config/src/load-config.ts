import { resolve } from 'node:path';
import { AppConfig } from './app-config';
import { envSchema } from './env.schema';

/** Thrown when the environment does not validate; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment once and returns the typed configuration. Nothing else reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'} ${issue.message}`),
    );
  }
  const e = parsed.data;
  return {
    mode: e.REDIS_URL ? 'fleet' : 'standalone',
    api: { host: e.HOST, port: e.PORT, trustProxy: e.TRUST_PROXY },
    shutdownDrainSeconds: e.SHUTDOWN_DRAIN_SECONDS,
    worker: {
      port: e.WORKER_PORT,
      concurrency: e.WORKER_CONCURRENCY,
      processingConcurrency: e.POLL_PROCESSING_CONCURRENCY,
      lockSeconds: e.WORKER_LOCK_SECONDS,
      memoMaxBytes: e.FEED_MEMO_MAX_MB * 1024 * 1024,
      feedPollShards: e.FEED_POLL_SHARDS,
    },
    database: {
      url: e.DATABASE_URL ?? null,
      embedded: !e.DATABASE_URL,
      dataDir: resolve(e.DATA_DIR),
      fallbackDir: resolve(e.DATABASE_FALLBACK_DIR),
      embeddedSettings: e.EMBEDDED_POSTGRES_SETTINGS,
      poolSize: e.DATABASE_POOL_SIZE,
    },
    redis: { url: e.REDIS_URL ?? null, prefix: e.REDIS_PREFIX },
    admin: { bootstrapKey: e.ADMIN_API_KEY ?? null },
    fetch: { allowPrivate: e.FETCH_ALLOW_PRIVATE },
    rateGuard: { enabled: e.RATE_GUARD, bands: e.RATE_GUARD_BANDS },
    history: { recording: e.HISTORY_RECORDING, retention: e.HISTORY_RETENTION, drainGapMs: e.HISTORY_DRAIN_GAP_MS },
    stream: {
      maxPerIp: e.STREAM_MAX_PER_IP,
      maxConnections: e.STREAM_MAX_CONNECTIONS,
      heartbeatSeconds: e.STREAM_HEARTBEAT_SECONDS,
    },
    alerts: {
      maxPerCreator: e.ALERTS_MAX_PER_CREATOR,
      deliveryAttempts: e.ALERT_DELIVERY_ATTEMPTS,
      disableAfterFailures: e.ALERT_DISABLE_AFTER_FAILURES,
      operatorUrl: e.OPERATOR_ALERT_URL ?? null,
      operatorSecret: e.OPERATOR_ALERT_SECRET ?? null,
      feedFailingMinutes: e.OPERATOR_ALERT_FEED_FAILING_MINUTES,
    },
    openData: {
      refreshSeconds: e.OPEN_DATA_REFRESH_SECONDS,
      rankrateReferenceUsd: e.RANKRATE_REFERENCE_USD,
      perMinute: e.OPEN_API_PER_MINUTE,
      perDay: e.OPEN_API_PER_DAY,
    },
    secretKey: e.SECRET_KEY ?? null,
    public: { cacheSeconds: e.PUBLIC_CACHE_SECONDS, rateLimit: e.PUBLIC_RATE_LIMIT },
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
  };
}
