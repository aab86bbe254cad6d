import { isIP } from 'node:net';
import { z } from 'zod';

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(0, 'must be between 0 and 65535 (0 picks a free port)')
  .max(65535, 'must be between 0 and 65535 (0 picks a free port)');

const postgresUrl = z.string().refine((value) => /^postgres(ql)?:\/\/.+/.test(value) && URL.canParse(value), {
  error: 'must be a postgres:// or postgresql:// URL',
});

const redisUrl = z.string().refine((value) => /^rediss?:\/\/.+/.test(value) && URL.canParse(value), {
  error: 'must be a redis:// or rediss:// URL',
});

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** One proxy address or network: `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`, or loopback|linklocal|uniquelocal. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * Which `X-Forwarded-For` hops to believe: off (the socket's address is the client), a hop count, or the
 * proxies' addresses. `true` (believe anyone) is refused: every client could then pick its own address.
 */
const trustProxy = z.string().transform((value, ctx): false | number | string[] => {
  const text = value.trim().toLowerCase();
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const entries = text.split(',').map((entry) => entry.trim());
  const wrong = entries.filter((entry) => !isProxyAddress(entry));
  if (wrong.length === 0) return entries;
  ctx.addIssue({
    code: 'custom',
    message:
      `must be off, a hop count (1-99) or a comma-separated list of proxy addresses/CIDRs ` +
      `(or loopback, linklocal, uniquelocal); not understood: ${wrong.join(', ')}`,
  });
  return z.NEVER;
});

/**
 * A list of `name=value` pairs separated by commas, each read by `read` (null: not understood, an error naming
 * the entry after `expected`); later pairs win. Answers the pairs over `defaults`.
 */
function pairList<T extends Record<string, unknown>>(
  expected: string,
  defaults: () => T,
  read: (entry: string) => { name: keyof T; value: T[keyof T] } | null,
) {
  return z.string().transform((value, ctx): T => {
    const pairs = defaults();
    for (const entry of value
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      const pair = read(entry);
      if (!pair) {
        ctx.addIssue({ code: 'custom', message: `must be ${expected}; not understood: ${entry}` });
        return z.NEVER;
      }
      pairs[pair.name] = pair.value;
    }
    return pairs;
  });
}

/**
 * The rate guard's bands, in percent per currency kind: `crypto=12,cash=8` (`default=` for a kind
 * without one). Each overrides the built-in band of its kind; the rest keep theirs.
 */
const bandList = pairList<Record<string, string>>(
  'kind=percent pairs like crypto=10,cash=8 (percent above 0)',
  () => ({}),
  (entry) => {
    const match = /^([a-z_]{1,32})=(\d{1,3}(?:\.\d{1,2})?)$/.exec(entry);
    return match && Number(match[2]) > 0 ? { name: match[1]!, value: match[2]! } : null;
  },
);

/** PostgreSQL settings for the embedded server: name=value pairs separated by commas (values without commas). */
const serverSettings = pairList<Record<string, string>>(
  'PostgreSQL name=value settings like shared_buffers=512MB,max_wal_size=4GB',
  () => ({}),
  (entry) => {
    const match = /^([a-z][a-z0-9_.]{0,62})=([A-Za-z0-9_.+-]{1,64})$/.exec(entry);
    return match ? { name: match[1]!, value: match[2]! } : null;
  },
);

/** How long each resolution of the rate history is kept, in seconds (0 = for ever). */
export interface HistoryRetention {
  readonly minute: number;
  readonly hour: number;
  readonly day: number;
}

/**
 * The least time between two drains of the rate history a polling process starts after its own writes
 * (HISTORY_DRAIN_GAP_MS): a change shows in the history within about this plus a drain.
 */
export const DEFAULT_HISTORY_DRAIN_GAP_MS = 100;

/** Queues the feeds' polls may be spread over at most (FEED_POLL_SHARDS). */
export const MAX_FEED_POLL_SHARDS = 64;

export const DEFAULT_HISTORY_RETENTION: HistoryRetention = { minute: 7 * 86_400, hour: 90 * 86_400, day: 0 };

/**
 * The rate history's retention per resolution: `minute=7d,hour=90d,day=0` (days `d` or hours `h`; 0 = for
 * ever). Each overrides its default; at least a day, so the roll-up always finds what it folds.
 */
const historyRetention = pairList<{ -readonly [K in keyof HistoryRetention]: number }>(
  'resolution=age pairs like minute=7d,hour=90d,day=0 (minute, hour or day; an age in d or h of at least a day, or 0 for ever)',
  () => ({ ...DEFAULT_HISTORY_RETENTION }),
  (entry) => {
    const match = /^(minute|hour|day)=(?:(0)|(\d{1,5})(d|h))$/.exec(entry);
    if (!match) return null;
    const seconds = match[2] ? 0 : Number(match[3]) * (match[4] === 'd' ? 86_400 : 3_600);
    return seconds !== 0 && seconds < 86_400 ? null : { name: match[1] as keyof HistoryRetention, value: seconds };
  },
);

/**
 * The environment ratewatch reads, as documented in API.md "Configuration" and the README.
 * Empty strings count as unset, so `FOO=` in a compose file behaves like no FOO at all.
 */
export const envSchema = z
  .object({
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: port.default(3000),
    WORKER_PORT: port.default(3001),
    WORKER_CONCURRENCY: z.coerce
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(1000, 'must be at most 1000')
      .default(64),
    WORKER_LOCK_SECONDS: z.coerce
      .number()
      .int()
      .min(2, 'must be at least 2')
      .max(600, 'must be at most 600')
      .default(30),
    FEED_POLL_SHARDS: z.coerce
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(MAX_FEED_POLL_SHARDS, `must be at most ${MAX_FEED_POLL_SHARDS}`)
      .default(1),
    SHUTDOWN_DRAIN_SECONDS: z.coerce.number().min(0, 'must be 0 or more').max(120, 'must be at most 120').default(3),
    POLL_PROCESSING_CONCURRENCY: z.coerce
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(64, 'must be at most 64')
      .default(4),
    FEED_MEMO_MAX_MB: z.coerce
      .number()
      .int()
      .min(0, 'must be 0 (off) or more')
      .max(65_536, 'must be at most 65536')
      .default(256),
    DATABASE_URL: postgresUrl.optional(),
    DATABASE_POOL_SIZE: z.coerce
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(200, 'must be at most 200')
      .default(10),
    REDIS_URL: redisUrl.optional(),
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or underscores')
      .default('ratewatch'),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_FALLBACK_DIR: z.string().min(1).default('/var/lib/ratewatch'),
    EMBEDDED_POSTGRES_SETTINGS: serverSettings.default({}),
    ADMIN_API_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    FETCH_ALLOW_PRIVATE: booleanString.default(false),
    SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    PUBLIC_CACHE_SECONDS: z.coerce.number().int().min(0, 'must be 0 or more').max(60, 'must be at most 60').default(2),
    TRUST_PROXY: trustProxy.default(false),
    RATE_GUARD: booleanString.default(true),
    RATE_GUARD_BANDS: bandList.default({}),
    HISTORY_RECORDING: booleanString.default(true),
    HISTORY_RETENTION: historyRetention.default(DEFAULT_HISTORY_RETENTION),
    HISTORY_DRAIN_GAP_MS: z.coerce
      .number()
      .int('must be a whole number of milliseconds')
      .min(0, 'must be 0 or more')
      .max(60_000, 'must be at most 60000 (a minute)')
      .default(DEFAULT_HISTORY_DRAIN_GAP_MS),
    STREAM_MAX_PER_IP: z.coerce
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(1000, 'must be at most 1000')
      .default(8),
    STREAM_MAX_CONNECTIONS: z.coerce
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(1_000_000, 'must be at most 1000000')
      .default(20_000),
    STREAM_HEARTBEAT_SECONDS: z.coerce
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(300, 'must be at most 300')
      .default(15),
    ALERTS_MAX_PER_CREATOR: z.coerce
      .number()
      .int()
      .min(0, 'must be 0 (alerts off) or more')
      .max(100_000, 'must be at most 100000')
      .default(20),
    ALERT_DELIVERY_ATTEMPTS: z.coerce
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(20, 'must be at most 20')
      .default(6),
    ALERT_DISABLE_AFTER_FAILURES: z.coerce
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(1000, 'must be at most 1000')
      .default(5),
    OPERATOR_ALERT_URL: z
      .string()
      .refine((value) => /^https?:\/\/.+/.test(value) && URL.canParse(value), {
        error: 'must be an http:// or https:// URL',
      })
      .optional(),
    OPERATOR_ALERT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    OPERATOR_ALERT_FEED_FAILING_MINUTES: z.coerce
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(10_080, 'must be at most 10080 (a week)')
      .default(10),
    OPEN_DATA_REFRESH_SECONDS: z.coerce
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(300, 'must be at most 300')
      .default(5),
    RANKRATE_REFERENCE_USD: z
      .string()
      .regex(/^(?!0+(\.0+)?$)\d{1,9}(\.\d{1,8})?$/, 'must be a positive decimal amount of US dollars, like 300')
      .default('300'),
    OPEN_API_PER_MINUTE: z.coerce
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(1_000_000, 'must be at most 1000000')
      .default(60),
    OPEN_API_PER_DAY: z.coerce
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(1_000_000_000, 'must be at most 1000000000')
      .default(50_000),
    PUBLIC_RATE_LIMIT: z.coerce.number().int().min(0, 'must be 0 (off) or more').default(600),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: booleanString.default(false),
  })
  .superRefine((env, ctx) => {
    if (env.REDIS_URL && !env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'must be set when REDIS_URL is set (fleet mode needs a PostgreSQL every process can reach)',
      });
    }
  });

export type Env = z.infer<typeof envSchema>;
