import type { DataSource } from 'typeorm';
import { visitorIdentity, VisitorIdentity } from '@app/domain';

/** Exchangers to review, `<prefix>-1` … `<prefix>-<count>`; returns their ids in order. */
export async function insertExchangers(dataSource: DataSource, prefix: string, count: number): Promise<number[]> {
  const rows = await dataSource.query<Array<{ id: number }>>(
    `INSERT INTO exchangers (slug, name, site_url, referral_url)
     SELECT $1 || '-' || n, 'Exchanger ' || n, 'https://' || $1 || n || '.example', 'https://' || $1 || n || '.example/?rid=1'
     FROM generate_series(1, $2) AS n ORDER BY n RETURNING id`,
    [prefix, count],
  );
  return rows.map((r) => r.id);
}

let visitors = 0;

/** A new visitor (its own IP and user agent unless given) as the api would identify it at `now`. */
export function newVisitor(
  secret: string,
  options: { ip?: string; userAgent?: string; now?: Date } = {},
): VisitorIdentity & { ip: string; userAgent: string } {
  visitors++;
  const ip = options.ip ?? `198.51.${Math.floor(visitors / 250) % 250}.${visitors % 250}`;
  const userAgent = options.userAgent ?? `Browser/${visitors}`;
  return { ...visitorIdentity(secret, ip, userAgent, options.now ?? new Date()), ip, userAgent };
}

/**
 * A review-like text no other call returns nor comes near (random words from a seeded generator): tests
 * of the limits must not be refused as near-duplicates.
 */
let seed = 20_260_301;
export function uniqueText(words = 14): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const next = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
  return Array.from({ length: words }, () =>
    Array.from({ length: 3 + Math.floor(next() * 6) }, () => letters[Math.floor(next() * 26)]).join(''),
  ).join(' ');
}
