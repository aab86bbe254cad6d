import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VISIT_WINDOW_DAYS } from './limits';
import { addressKey, dailyVisitorHash, ipHash, visitorIdentity } from './visitor';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const SECRET = 'f'.repeat(64);

describe('visitor hashes', () => {
  it('are the hash clicks store: sha256(daySalt|ip|userAgent), daySalt = sha256(secret|day)', () => {
    const daySalt = sha256(`${SECRET}|2026-03-01`);
    expect(dailyVisitorHash(SECRET, '2026-03-01', '203.0.113.7', 'Firefox')).toBe(
      sha256(`${daySalt}|203.0.113.7|Firefox`),
    );
  });

  it('give the visitor hash of today and of each day of the visit window', () => {
    const now = new Date('2026-03-01T00:30:00.000Z');
    const identity = visitorIdentity(SECRET, '203.0.113.7', 'Firefox', now);
    expect(identity.day).toBe('2026-03-01');
    expect(identity.hash).toBe(dailyVisitorHash(SECRET, '2026-03-01', '203.0.113.7', 'Firefox'));
    expect(identity.window).toHaveLength(VISIT_WINDOW_DAYS + 1);
    expect(identity.window[0]).toEqual({
      day: '2026-01-30',
      hash: dailyVisitorHash(SECRET, '2026-01-30', '203.0.113.7', 'Firefox'),
    });
    expect(identity.window.at(-1)).toEqual({ day: '2026-03-01', hash: identity.hash });
    expect(new Set(identity.window.map((d) => d.hash)).size).toBe(VISIT_WINDOW_DAYS + 1);
  });

  it('key the IP hash with the secret: stable across days, never the address, unlike another secret', () => {
    const hash = ipHash(SECRET, '203.0.113.7');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toBe(sha256('203.0.113.7'));
    expect(ipHash('0'.repeat(64), '203.0.113.7')).not.toBe(hash);
    const days = ['2026-03-01T10:00:00Z', '2026-03-09T10:00:00Z'].map(
      (at) => visitorIdentity(SECRET, '203.0.113.7', 'Firefox', new Date(at)).ipHash,
    );
    expect(days).toEqual([hash, hash]);
  });

  it('count an IPv6 address by its /64 and an IPv4-mapped one as IPv4', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:0:1:aaaa::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:DB8:0000:0001:ffff:1:2:3')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(ipHash(SECRET, '2001:db8:0:1::5')).toBe(ipHash(SECRET, '2001:db8:0:1:ffff:ffff:ffff:ffff'));
    expect(ipHash(SECRET, '2001:db8:0:2::5')).not.toBe(ipHash(SECRET, '2001:db8:0:1::5'));
  });
});
