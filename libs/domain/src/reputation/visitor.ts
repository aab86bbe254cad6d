import { createHash, createHmac } from 'node:crypto';
import { VISIT_WINDOW_DAYS } from './limits';

/**
 * Who a visitor is, without keeping who they are. A visitor is a hash of IP and user agent with a salt
 * that changes every UTC day (the salt derives from the `visitor_salt` secret and the day): the same
 * visitor has one hash a day, and no hash can be tied to another day's. Clicks (`/go`) store it; reviews
 * and claims store it too, so a review can be matched with the visitor's clicks day by day.
 */
export function dailyVisitorHash(secret: string, day: string, ip: string, userAgent: string): string {
  const daySalt = createHash('sha256').update(`${secret}|${day}`).digest('hex');
  return createHash('sha256').update(`${daySalt}|${ip}|${userAgent}`).digest('hex');
}

/** The UTC day of an instant, `YYYY-MM-DD`, as the salts and the `day` columns use it. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/** A visitor's hash under one day's salt. */
export interface DayHash {
  day: string;
  hash: string;
}

/**
 * Everything a submission needs to know of its visitor: today's hash, a keyed hash of the IP (never the
 * IP), and the visitor's hash under each salt of the visit window — the days from `VISIT_WINDOW_DAYS`
 * ago to today — to find their clicks.
 */
export interface VisitorIdentity {
  /** Today (UTC), the day `hash` is salted for and the day the limits count. */
  day: string;
  hash: string;
  ipHash: string;
  window: DayHash[];
}

/** The identity of the visitor with this IP and user agent at `now` (the api computes it per request). */
export function visitorIdentity(secret: string, ip: string, userAgent: string, now: Date): VisitorIdentity {
  const window: DayHash[] = [];
  for (let back = VISIT_WINDOW_DAYS; back >= 0; back--) {
    const day = utcDay(new Date(now.getTime() - back * 86_400_000));
    window.push({ day, hash: dailyVisitorHash(secret, day, ip, userAgent) });
  }
  const today = window[window.length - 1]!;
  return { day: today.day, hash: today.hash, ipHash: ipHash(secret, ip), window };
}

/**
 * A keyed hash of an IP address: stable across days (so moderators see one address posting for weeks)
 * yet useless without the secret (a dictionary of the 2³² IPv4 addresses cannot reverse it). An IPv6
 * address counts by its /64 — what one subscriber gets, and can rotate through at will — and an
 * IPv4-mapped one as its IPv4 address.
 */
export function ipHash(secret: string, ip: string): string {
  return createHmac('sha256', secret)
    .update(`ip|${addressKey(ip)}`)
    .digest('hex');
}

/** The part of an address the per-IP limit counts: an IPv4 address, or the /64 network of an IPv6 one. */
export function addressKey(ip: string): string {
  const address = ip.trim().toLowerCase().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.split('::', 2);
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
