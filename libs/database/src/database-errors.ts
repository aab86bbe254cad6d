/**
 * Error codes that mean "the database cannot be reached right now" rather than "this query is wrong":
 * the socket's (node) and PostgreSQL's connection-exception (08…) and operator-intervention (57P0…)
 * classes, which a restart or failover produces.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
// "timeout exceeded when trying to connect": every connection of the pool stayed busy past its wait.
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection timeout|terminating connection|the database system is (starting up|shutting down)|Client has encountered a connection error|timeout exceeded when trying to connect/i;

/** True when `error` (from pg or TypeORM, possibly wrapped) says the database is unreachable for now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && typeof current === 'object' && depth < 4; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    const next = current as { driverError?: unknown; cause?: unknown; errors?: unknown[] };
    current = next.driverError ?? next.cause ?? next.errors?.[0];
  }
  return false;
}
