import { LookupAddress, promises as dns } from 'node:dns';
import type { Resolver } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { isForbiddenAddress } from './address-policy';

/** The error code of a connection refused by the address policy (the host resolves to a forbidden address). */
export const FORBIDDEN_ADDRESS_CODE = 'ERR_RATEWATCH_FORBIDDEN_ADDRESS';

/** Every address a host name resolves to; none when it does not resolve. */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

/** The system's resolver (getaddrinfo: /etc/hosts, nsswitch), as Node's own connections use it. */
export const systemResolveAll: ResolveAll = (hostname) => dns.lookup(hostname, { all: true });

/** Answers that say the name has no such address (anything else: the resolver could not tell). */
const NO_SUCH_NAME = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME']);

/**
 * A resolver's answers (A and AAAA, asked at once, with its timeout: never Node's 4-thread pool, which one slow
 * resolver would hold for every connection). Rejects when it did not answer (the check cannot be complete).
 * `localhost` and its subdomains are loopback whatever a resolver says (RFC 6761).
 */
export function resolverResolveAll(resolver: Resolver): ResolveAll {
  return async (host) => {
    const name = host.toLowerCase().replace(/\.$/, '');
    if (name === 'localhost' || name.endsWith('.localhost')) return [{ address: '127.0.0.1', family: 4 }];
    const answers = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
    const addresses: LookupAddress[] = [];
    for (const [i, answer] of answers.entries()) {
      if (answer.status === 'fulfilled')
        addresses.push(...answer.value.map((address) => ({ address, family: i ? 6 : 4 })));
      else if (!NO_SUCH_NAME.has((answer.reason as { code?: string }).code ?? '')) throw answer.reason;
    }
    return addresses;
  };
}

export interface GuardedLookupOptions {
  /** The address policy (default `isForbiddenAddress`). */
  isForbidden?: (address: string) => boolean;
  /** The refusal's message: `forbidden` is the first forbidden address, null when the name resolved to nothing. */
  refusal: (hostname: string, forbidden: string | null) => string;
}

/**
 * A connect-time lookup (undici's and net's `lookup`) that refuses a host when any address it resolves to is
 * forbidden, or when it resolves to nothing — checked where the connection is made, so DNS rebinding after a
 * check cannot reach an internal address. The refusal carries FORBIDDEN_ADDRESS_CODE.
 */
export function guardedLookup(resolve: ResolveAll, options: GuardedLookupOptions): LookupFunction {
  const isForbidden = options.isForbidden ?? isForbiddenAddress;
  return (hostname, lookupOptions, callback) => {
    resolve(hostname).then(
      (found) => {
        const forbidden = found.find((a) => isForbidden(a.address));
        const addresses = lookupOptions.family ? found.filter((a) => a.family === lookupOptions.family) : found;
        if (forbidden || addresses.length === 0) {
          const refusal = Object.assign(new Error(options.refusal(hostname, forbidden?.address ?? null)), {
            code: FORBIDDEN_ADDRESS_CODE,
          });
          return callback(refusal, '', 0);
        }
        if (lookupOptions.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        return callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}
