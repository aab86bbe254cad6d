import { decodeBody } from '@app/feeds';
import { FetchError, SafeHttpClient } from '@app/http-client';
import { maskSecretsInUrl } from '@app/observability';

export type PartnerMethod = 'get_info' | 'get_exchanges' | 'get_links';
export type PartnerErrorCode = 'auth_failed' | 'api_disabled' | 'not_json' | 'http_error' | 'timeout' | 'partner_error';

export interface PartnerAccountAccess {
  apiUrl: string;
  apiKey: string;
  /** Where the filters go: the query (`get`), a POST form body (`post`), or both (the default). */
  requestStyle: 'get' | 'post' | 'both';
}

export type PartnerAnswer =
  { ok: true; data: Record<string, unknown> } | { ok: false; code: PartnerErrorCode; message: string };

const TIMEOUT_MS = 20_000;
const MAX_BYTES = 10 * 1024 * 1024;

/**
 * Speaks the partner API of the common exchanger engines (`api.php?api_action=pp&api_key=…&method=…`,
 * envelope `{error, error_text, data}`, always HTTP 200) through the hardened feed fetcher. Every
 * failure is an answer with a code, never an exception; the key never appears in a message.
 */
export class PartnerApiClient {
  constructor(private readonly fetcher: SafeHttpClient) {}

  async call(
    account: PartnerAccountAccess,
    method: PartnerMethod,
    filters: Record<string, string> = {},
  ): Promise<PartnerAnswer> {
    let url: URL;
    try {
      url = new URL(account.apiUrl);
    } catch {
      return { ok: false, code: 'http_error', message: 'the partner API URL is not a URL' };
    }
    url.searchParams.set('api_action', 'pp');
    url.searchParams.set('api_key', account.apiKey);
    url.searchParams.set('method', method);
    if (account.requestStyle !== 'post')
      for (const [name, value] of Object.entries(filters)) url.searchParams.set(name, value);
    const post = account.requestStyle !== 'get';
    let body: Buffer;
    try {
      const answer = await this.fetcher.fetch({
        url: url.toString(),
        timeoutMs: TIMEOUT_MS,
        maxBytes: MAX_BYTES,
        method: post ? 'POST' : 'GET',
        form: post ? filters : undefined,
        accept: 'application/json',
      });
      if (answer.kind !== 'body')
        return { ok: false, code: 'http_error', message: 'HTTP 304 to an unconditional request' };
      body = answer.body;
    } catch (error) {
      if (error instanceof FetchError)
        return {
          ok: false,
          code: error.code === 'timeout' ? 'timeout' : 'http_error',
          message: maskSecretsInUrl(error.message),
        };
      throw error;
    }
    return parseEnvelope(decodeBody(body).text);
  }
}

/** Reads the `{error, error_text, data}` envelope; a missing `data` means "nothing matched". */
export function parseEnvelope(text: string): PartnerAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const start = text.trimStart().slice(0, 80).replace(/\s+/g, ' ');
    return {
      ok: false,
      code: 'not_json',
      message: `the partner API did not answer JSON (it starts with ${JSON.stringify(start)}): is the URL right?`,
    };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, code: 'not_json', message: 'the partner API answered JSON that is not an object' };
  const envelope = parsed as { error?: unknown; error_text?: unknown; data?: unknown };
  if (envelope.error !== undefined && envelope.error !== 0 && envelope.error !== '0' && envelope.error !== false) {
    const text = typeof envelope.error_text === 'string' ? envelope.error_text : 'unknown error';
    if (/key/i.test(text))
      return { ok: false, code: 'auth_failed', message: `the partner API refused the key: ${text}` };
    if (/disabled/i.test(text))
      return { ok: false, code: 'api_disabled', message: `the partner API is disabled: ${text}` };
    return { ok: false, code: 'partner_error', message: `the partner API answered an error: ${text}` };
  }
  const data = envelope.data;
  return {
    ok: true,
    data: typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {},
  };
}

/** `items` as partner APIs send it: an object keyed by id (possibly `{}`), rarely an array. */
export function itemsOf(data: Record<string, unknown>): Array<Record<string, unknown>> {
  const items = data.items;
  const list = Array.isArray(items) ? items : typeof items === 'object' && items !== null ? Object.values(items) : [];
  return list.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null);
}
