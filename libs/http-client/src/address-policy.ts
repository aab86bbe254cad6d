import { BlockList, isIP } from 'node:net';

/**
 * Addresses a feed or partner URL may never reach unless FETCH_ALLOW_PRIVATE=true: loopback, private,
 * link-local (cloud metadata at 169.254.169.254 included), CGNAT, "this network", benchmarking,
 * multicast and reserved ranges, for IPv4 and IPv6 (IPv4-mapped IPv6 is checked as IPv4; the other IPv6
 * forms that carry an IPv4 address — compatible, translated, NAT64, 6to4, Teredo — are refused).
 */
const FORBIDDEN = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv6');
}

/**
 * IPv6 forms that carry an IPv4 address (possibly a private one) and are refused rather than decoded:
 * IPv4-compatible (deprecated), IPv4-mapped in a spelling `isForbiddenAddress` does not read as IPv4,
 * IPv4-translated, local-use NAT64, 6to4 and Teredo. A list of its own: Node's BlockList matches IPv4
 * addresses against IPv6 rules of the mapped range, so these cannot sit in FORBIDDEN.
 */
const CARRIES_IPV4 = new BlockList();
for (const [network, prefix] of [
  ['::', 96],
  ['::ffff:0:0', 96],
  ['::ffff:0:0:0', 96],
  ['64:ff9b:1::', 48],
  ['2002::', 16],
  ['2001::', 32],
] as const) {
  CARRIES_IPV4.addSubnet(network, prefix, 'ipv6');
}

/** True when `address` (an IP literal) is one ratewatch must not connect to by default. */
export function isForbiddenAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const version = isIP(bare);
  if (version === 4) return FORBIDDEN.check(bare, 'ipv4');
  if (version === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
    if (mapped) return FORBIDDEN.check(mapped[1]!, 'ipv4');
    const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(bare);
    if (hexMapped) {
      const high = parseInt(hexMapped[1]!, 16);
      const low = parseInt(hexMapped[2]!, 16);
      return FORBIDDEN.check(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, 'ipv4');
    }
    return FORBIDDEN.check(bare, 'ipv6') || CARRIES_IPV4.check(bare, 'ipv6');
  }
  return false;
}
