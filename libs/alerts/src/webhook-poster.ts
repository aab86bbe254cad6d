import { LookupAddress } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import {
  FORBIDDEN_ADDRESS_CODE,
  guardedLookup,
  isForbiddenAddress,
  ResolveAll,
  resolverResolveAll,
  USER_AGENT,
} from '@app/http-client';
import { ALERT_DELIVERY_TIMEOUT_MS, BusyError, UnavailableError } from '@app/domain';

/** Why a webhook URL is refused (at creation, and again at delivery: DNS may change). */
export class WebhookAddressError extends Error {
  override name = 'WebhookAddressError';
}

/** A POST that did not deliver: `httpStatus` when the receiver answered, `retryable` false when retrying cannot help. */
export class WebhookPostError extends Error {
  override name = 'WebhookPostError';
  constructor(
    message: string,
    readonly httpStatus: number | null,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/**
 * Whether an answer of `status` may deliver if asked again: a timeout (408), "too early" (425), "too many
 * requests" (429) or a server error. Anything else (a redirect, which is never followed, 400, 401, 404, 410 …)
 * will answer the same next time, so the notice fails at once instead of hammering the receiver.
 */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** Never the address itself: a creator must not learn what internal names resolve to. */
const FORBIDDEN = 'a private or internal address: webhooks must reach the public internet';

/** How long one DNS question may take (one try, straight to the resolvers: not Node's 4-thread pool). */
const DNS_TIMEOUT_MS = 2000;

/** Webhook hosts checked at once at creation; past it the request is refused for a moment (429). */
export const MAX_CONCURRENT_WEBHOOK_CHECKS = 16;

export interface WebhookPosterOptions {
  /** DNS servers to ask instead of the system's (tests). */
  dnsServers?: readonly string[];
}

/**
 * The outgoing side of alerts: a signed JSON POST to a webhook, under the safe HTTP client's rules
 * (libs/http-client's address policy): http(s) only, no credentials in the URL, every address the host
 * resolves to checked at connect time (no DNS rebinding) unless FETCH_ALLOW_PRIVATE, a connect and a total
 * timeout, and no redirect followed at all (a 3xx is not a delivery: a webhook that moved must be
 * re-registered, and a redirect can never lead to a private address). The answer's body is not read
 * beyond a few bytes.
 */
export class WebhookPoster {
  private readonly agent: Agent;

  private readonly resolver = new Resolver({ timeout: DNS_TIMEOUT_MS, tries: 1 });
  private readonly resolveAll: ResolveAll = resolverResolveAll(this.resolver);
  /** Creation checks resolving now. */
  private checking = 0;

  constructor(
    private readonly allowPrivate: boolean,
    options: WebhookPosterOptions = {},
  ) {
    if (options.dnsServers) this.resolver.setServers([...options.dnsServers]);
    this.agent = new Agent({
      connect: {
        timeout: ALERT_DELIVERY_TIMEOUT_MS,
        ...(allowPrivate
          ? {}
          : {
              lookup: guardedLookup(this.resolveAll, {
                refusal: (hostname, forbidden) =>
                  `${hostname} ${forbidden ? `resolves to ${FORBIDDEN}` : 'does not resolve'}`,
              }),
            }),
      },
      keepAliveTimeout: 10_000,
      connections: 64,
    });
  }

  /**
   * Why `raw` cannot be a webhook URL, or null: not http(s), credentials, an IP literal or a host name that
   * resolves to a forbidden address (unless private addresses are allowed), or a name that does not resolve.
   * The name is resolved (A and AAAA) with a timeout, at most MAX_CONCURRENT_WEBHOOK_CHECKS at once: past it
   * BusyError (429), a resolver not answering in time UnavailableError (503); neither stalls the api.
   */
  async problemWith(raw: string): Promise<string | null> {
    const literal = this.literalProblem(raw);
    if (literal || this.allowPrivate) return literal;
    const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) return null;
    if (this.checking >= MAX_CONCURRENT_WEBHOOK_CHECKS)
      throw new BusyError('too many webhook addresses are being checked at once: try again in a moment', 1);
    this.checking++;
    let addresses: LookupAddress[];
    try {
      addresses = await this.resolveAll(host);
    } catch {
      throw new UnavailableError(`the webhook's host could not be resolved in time: try again in a moment`);
    } finally {
      this.checking--;
    }
    if (addresses.length === 0) return `names a host that does not resolve (${host})`;
    return addresses.some((a) => isForbiddenAddress(a.address)) ? `names a host that resolves to ${FORBIDDEN}` : null;
  }

  /** POSTs `body` (JSON) with `headers`; resolves with the 2xx status, throws WebhookPostError otherwise. */
  async post(url: string, body: string, headers: Record<string, string>): Promise<number> {
    const problem = this.literalProblem(url);
    if (problem) throw new WebhookPostError(`the webhook URL ${problem}`, null, false);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ALERT_DELIVERY_TIMEOUT_MS);
    try {
      const response = await request(url, {
        method: 'POST',
        body,
        headers: { 'user-agent': USER_AGENT, 'content-type': 'application/json', ...headers },
        signal: controller.signal,
        dispatcher: this.agent,
      });
      await response.body.dump({ limit: 4096 }).catch(() => undefined);
      const status = response.statusCode;
      if (status >= 200 && status < 300) return status;
      const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
      throw new WebhookPostError(`HTTP ${status}${redirect}`, status, retryableStatus(status));
    } catch (error) {
      if (error instanceof WebhookPostError) throw error;
      const code = (error as { code?: string }).code ?? '';
      if (code === FORBIDDEN_ADDRESS_CODE) throw new WebhookPostError((error as Error).message, null, true);
      if (controller.signal.aborted)
        throw new WebhookPostError(`no answer within ${ALERT_DELIVERY_TIMEOUT_MS} ms`, null, true);
      const message = error instanceof Error ? error.message : String(error);
      throw new WebhookPostError(code ? `${code}: ${message}` : message, null, true);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Nest calls this when the poster is a provider. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /** The checks that need no DNS (names are checked at connect time): scheme, credentials, IP literals. */
  private literalProblem(raw: string): string | null {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'is not a URL';
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
    if (url.username || url.password) return 'must not carry a user or password';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!this.allowPrivate && isIP(host) && isForbiddenAddress(host)) return `points to ${FORBIDDEN}`;
    return null;
  }
}
