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

/** `postgres://user:secret@host/db?api_key=abc` → `postgres://user:***@host/db?api_key=***`. */
export function maskSecretsInUrl(raw: string): string {
  if (!URL.canParse(raw)) return raw.replace(/(api_?key|key|token|secret|password)=([^&\s]+)/gi, '$1=***');
  const url = new URL(raw);
  if (url.password) url.password = '***';
  for (const key of [...url.searchParams.keys()]) {
    if (/api_?key|token|secret|password|^key$/i.test(key)) url.searchParams.set(key, '***');
  }
  return url
    .toString()
    .replace(/=\*\*\*/g, '=***')
    .replace(/%2A%2A%2A/g, '***');
}
