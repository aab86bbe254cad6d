import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { lookup as dnsLookupAsync } from 'node:dns/promises';
import { isIP, LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { isForbiddenAddress, USER_AGENT } from '@app/http-client';
import { ALERT_DELIVERY_TIMEOUT_MS } from '@app/domain';

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

const FORBIDDEN_CODE = 'ERR_RATEWATCH_FORBIDDEN_ADDRESS';
const forbiddenMessage = (host: string, address: string) =>
  `${host} resolves to ${address}, a private, loopback or reserved address: webhooks must reach the public internet`;

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

  constructor(private readonly allowPrivate: boolean) {
    this.agent = new Agent({
      connect: { timeout: ALERT_DELIVERY_TIMEOUT_MS, ...(allowPrivate ? {} : { lookup: guardedLookup }) },
      keepAliveTimeout: 10_000,
      connections: 64,
    });
  }

  /**
   * Why `raw` cannot be a webhook URL, or null: not http(s), credentials, an IP literal or a host name that
   * resolves to a forbidden address (unless private addresses are allowed), or a name that does not resolve.
   */
  async problemWith(raw: string): Promise<string | null> {
    const literal = this.literalProblem(raw);
    if (literal || this.allowPrivate) return literal;
    const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) return null;
    let addresses: LookupAddress[];
    try {
      addresses = await dnsLookupAsync(host, { all: true });
    } catch {
      return `names a host that does not resolve (${host})`;
    }
    const forbidden = addresses.find((a) => isForbiddenAddress(a.address));
    if (forbidden) return forbiddenMessage(host, forbidden.address);
    return addresses.length === 0 ? `names a host that does not resolve (${host})` : null;
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
      throw new WebhookPostError(`HTTP ${status}${redirect}`, status, true);
    } catch (error) {
      if (error instanceof WebhookPostError) throw error;
      const code = (error as { code?: string }).code ?? '';
      if (code === FORBIDDEN_CODE) throw new WebhookPostError((error as Error).message, null, true);
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
    if (!this.allowPrivate && isIP(host) && isForbiddenAddress(host))
      return `points to ${host}, a private, loopback or reserved address: webhooks must reach the public internet`;
    return null;
  }
}

/** DNS lookup that refuses hosts resolving to a forbidden address (checked at connect time). */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const forbidden = addresses.find((a) => isForbiddenAddress(a.address));
    if (forbidden || addresses.length === 0) {
      const refusal = Object.assign(new Error(forbiddenMessage(hostname, forbidden?.address ?? 'nothing')), {
        code: FORBIDDEN_CODE,
      });
      return callback(refusal, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    return callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};
