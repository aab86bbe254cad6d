import pino, { Logger } from 'pino';
import type { AppConfig } from '@app/config';

/**
 * Paths that must never reach a log line: admin keys, partner API keys, cookies, passwords in URLs.
 * Partner and feed URLs are logged through `maskSecretsInUrl` before they get here.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'databaseUrl',
];

/** The process's one pino logger; Nest and the HTTP layer log through it. */
export function createLogger(config: Pick<AppConfig, 'log'>, name: string): Logger {
  return pino({
    name,
    level: config.log.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(config.log.pretty ? { transport: { target: 'pino-pretty', options: { singleLine: true } } } : {}),
  });
}

/** Query parameters whose value is a credential: api_key, access_token, token, secret, password, key, sig… */
const SECRET_PARAMETER = /api_?key|token|secret|passw|^key$|^sig(nature)?$|^auth/i;

/** True for a query parameter whose value is a credential (`api_key`, `access_token`, `secret`…). */
export function isCredentialParameter(name: string): boolean {
  return SECRET_PARAMETER.test(name);
}
const SECRET_IN_TEXT = /\b([\w-]*(?:api_?key|token|secret|passw(?:or)?d?|key|sig(?:nature)?|auth)[\w-]*)=([^&\s"']+)/gi;

/**
 * A partner key as the first segment of the keyed open-data API's path (`/v1/open/{key}/rates/…`, BestChange
 * v2's layout); the routes that take the key in `X-Api-Key` instead start with a resource name. The open-data
 * module rewrites these URLs before the request logger sees them; this is the second net.
 */
const KEY_IN_OPEN_PATH = /^\/+v1\/+open\/+(?!(?:currencies|changers|presences|rates)(?:[/?#]|$))[^/?#]+/i;

/**
 * `postgres://user:secret@host/db?api_key=abc` → `postgres://user:***@host/db?api_key=***`; a request path
 * (`/v1/admin/feeds?access_token=abc`) is kept as it came except for the masked values; text that is not
 * a URL has its `key=value` pairs masked.
 */
export function maskSecretsInUrl(text: string): string {
  // Repeated slashes route the same (a base URL ending in / plus "/{key}"): the key is masked either way.
  const raw = text.replace(KEY_IN_OPEN_PATH, '/v1/open/***');
  const queryAt = raw.indexOf('?');
  if (raw.startsWith('/') && !raw.startsWith('//')) {
    return queryAt < 0 ? raw : raw.slice(0, queryAt + 1) + maskQuery(raw.slice(queryAt + 1));
  }
  if (!URL.canParse(raw)) return raw.replace(SECRET_IN_TEXT, '$1=***');
  const url = new URL(raw);
  if (url.password) url.password = '***';
  const search = url.search;
  url.search = '';
  const masked = url.toString().replace(/%2A%2A%2A/g, '***');
  if (!search) return masked;
  const hashAt = masked.indexOf('#');
  const [base, hash] = hashAt < 0 ? [masked, ''] : [masked.slice(0, hashAt), masked.slice(hashAt)];
  return `${base}?${maskQuery(search.slice(1))}${hash}`;
}

/** `a=1&api_key=x&b` → `a=1&api_key=***&b`: each parameter whose name says credential loses its value. */
function maskQuery(query: string): string {
  return query
    .split('&')
    .map((part) => {
      const equals = part.indexOf('=');
      if (equals < 0) return part;
      let name = part.slice(0, equals);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // a malformed escape: judge the name as written
      }
      return isCredentialParameter(name) ? `${part.slice(0, equals)}=***` : part;
    })
    .join('&');
}

/**
 * A URL that came from outside (a redirect's Location, a feed's final address) as it may be stored in a
 * run's error or shown to an operator: credentials masked, cut to `max` characters.
 */
export function urlForDisplay(raw: string, max = 200): string {
  const masked = maskSecretsInUrl(raw);
  return masked.length <= max ? masked : `${masked.slice(0, max - 1)}…`;
}
