import { isIP, LookupFunction } from 'node:net';
import { promisify } from 'node:util';
import { brotliDecompress, createBrotliDecompress, createGunzip, createInflate, gunzip, inflate } from 'node:zlib';
import { Agent, request } from 'undici';
import type { FeedErrorCode } from '@app/domain';
import { urlForDisplay } from '@app/observability';
import { isForbiddenAddress } from './address-policy';
import { FORBIDDEN_ADDRESS_CODE, guardedLookup, systemResolveAll } from './guarded-lookup';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const brotliAsync = promisify(brotliDecompress);

export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;
/** How much of an error answer's body is kept (a 503 may say "maintenance"). */
export const ERROR_BODY_BYTES = 64 * 1024;
export const MAX_REDIRECTS = 3;
export const USER_AGENT = 'ratewatch/0.1 (exchange-rate monitoring; +https://github.com/ratewatch/ratewatch)';
const MAX_CONNECT_TIMEOUT_MS = 5000;

export interface FetchRequest {
  url: string;
  /** Total time for the whole exchange (connect, redirects, headers and body). */
  timeoutMs: number;
  etag?: string | null;
  lastModified?: string | null;
  /** Cap on the body, compressed and decompressed alike. */
  maxBytes?: number;
  method?: 'GET' | 'POST';
  /** A form body for POST (`application/x-www-form-urlencoded`). */
  form?: Record<string, string>;
  accept?: string;
}

export type FetchResult =
  | { kind: 'not_modified'; status: 304; url: string; etag: string | null; lastModified: string | null }
  | {
      kind: 'body';
      status: number;
      /** The final URL after redirects. */
      url: string;
      body: Buffer;
      /** Bytes on the wire (before decompression). */
      wireBytes: number;
      contentType: string | null;
      etag: string | null;
      lastModified: string | null;
    };

/** The start of an error answer's body (at most ERROR_BODY_BYTES, decompressed) and its type. */
export interface ErrorBody {
  body: Buffer;
  contentType: string | null;
}

/**
 * A fetch that failed, with the feed error code to store and a message that says what happened. A 5xx
 * answer keeps the start of its body, so a caller can tell an exchanger's maintenance page.
 */
export class FetchError extends Error {
  override name = 'FetchError';

  constructor(
    readonly code: FeedErrorCode,
    message: string,
    readonly httpStatus: number | null = null,
    readonly errorBody: ErrorBody | null = null,
  ) {
    super(message);
  }
}

export interface FetcherOptions {
  /** FETCH_ALLOW_PRIVATE: skip the address checks (tests and the demo fetch from loopback). */
  allowPrivate: boolean;
  /** The address policy; `isForbiddenAddress` unless a test narrows it. */
  isForbidden?: (address: string) => boolean;
}

/**
 * The hardened HTTP client for feeds and partner APIs (undici): conditional GET, gzip/deflate/br with
 * or without Content-Encoding, a connect timeout and a total timeout, a body cap on the compressed and
 * the decompressed size, at most 3 redirects, an honest User-Agent, and the SSRF guard — http(s)
 * only, and every address a host resolves to is checked at connect time (so DNS rebinding gains
 * nothing) and again for every redirect, unless private addresses are allowed.
 */
export class SafeHttpClient {
  private readonly agents = new Map<number, Agent>();

  private readonly isForbidden: (address: string) => boolean;
  private readonly lookup: LookupFunction;

  constructor(private readonly options: FetcherOptions) {
    this.isForbidden = options.isForbidden ?? isForbiddenAddress;
    this.lookup = guardedLookup(systemResolveAll, {
      isForbidden: this.isForbidden,
      refusal: (hostname, forbidden) =>
        `${hostname} resolves to ${forbidden ?? 'nothing'}, a private, loopback or reserved address (set FETCH_ALLOW_PRIVATE=true to allow)`,
    });
  }

  async fetch(req: FetchRequest): Promise<FetchResult> {
    const maxBytes = req.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), req.timeoutMs);
    try {
      let url = this.checkUrl(req.url);
      for (let redirects = 0; ; redirects++) {
        const response = await this.send(url, req, controller.signal);
        const status = response.statusCode;
        if (status >= 300 && status < 400 && status !== 304) {
          await response.body.dump().catch(() => undefined);
          const location = header(response.headers, 'location');
          if (!location) throw new FetchError('http_error', `HTTP ${status} without a Location header`, status);
          if (redirects >= MAX_REDIRECTS)
            throw new FetchError(
              'too_many_redirects',
              `more than ${MAX_REDIRECTS} redirects (last to ${urlForDisplay(location)})`,
              status,
            );
          url = this.checkUrl(new URL(location, url).toString());
          continue;
        }
        const etag = header(response.headers, 'etag');
        const lastModified = header(response.headers, 'last-modified');
        if (status === 304) {
          await response.body.dump().catch(() => undefined);
          // A 304 answers a conditional request only: to one that carried no validator it says nothing of
          // the feed, and taking it as "unchanged" would keep an offline exchanger fresh for ever.
          if (!req.etag && !req.lastModified) {
            throw new FetchError(
              'http_error',
              `HTTP 304 from ${url.host} to a request without If-None-Match or If-Modified-Since`,
              304,
            );
          }
          return { kind: 'not_modified', status: 304, url: url.toString(), etag, lastModified };
        }
        if (status >= 500) {
          const sample = await readErrorBody(response.body, header(response.headers, 'content-encoding'));
          throw new FetchError(
            'http_error',
            `HTTP ${status} from ${url.host}`,
            status,
            sample && { body: sample, contentType: header(response.headers, 'content-type') },
          );
        }
        if (status >= 400 || status < 200) {
          await response.body.dump().catch(() => undefined);
          throw new FetchError('http_error', `HTTP ${status} from ${url.host}`, status);
        }
        if (status === 206) {
          // ratewatch never asks for a range: a part of a feed is not the feed.
          await response.body.dump().catch(() => undefined);
          throw new FetchError(
            'http_error',
            `HTTP 206 Partial Content from ${url.host}: only part of the feed was sent`,
            status,
          );
        }
        const raw = await readCapped(response.body, maxBytes);
        const body = await decompressBody(raw, header(response.headers, 'content-encoding'), maxBytes);
        return {
          kind: 'body',
          status,
          url: url.toString(),
          body,
          wireBytes: raw.length,
          contentType: header(response.headers, 'content-type'),
          etag,
          lastModified,
        };
      }
    } catch (error) {
      throw this.translate(error, controller.signal.aborted, req.timeoutMs);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((agent) => agent.close()));
    this.agents.clear();
  }

  /** Nest calls this when the fetcher is a provider. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  private checkUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new FetchError('invalid_url', `not a URL: ${urlForDisplay(raw)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new FetchError('invalid_url', `only http and https URLs are fetched, not ${url.protocol}`);
    if (url.username || url.password) throw new FetchError('invalid_url', 'URLs with credentials are not fetched');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!this.options.allowPrivate && isIP(host) && this.isForbidden(host)) {
      throw new FetchError(
        'forbidden_address',
        `${host} is a private, loopback or reserved address (set FETCH_ALLOW_PRIVATE=true to allow)`,
      );
    }
    return url;
  }

  private send(url: URL, req: FetchRequest, signal: AbortSignal) {
    const headers: Record<string, string> = {
      'user-agent': USER_AGENT,
      accept: req.accept ?? 'application/xml, text/xml, application/json, text/plain;q=0.9, */*;q=0.5',
      'accept-encoding': 'gzip, deflate, br',
    };
    if (req.etag) headers['if-none-match'] = req.etag;
    if (req.lastModified) headers['if-modified-since'] = req.lastModified;
    let body: string | undefined;
    if (req.method === 'POST' && req.form) {
      body = new URLSearchParams(req.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    return request(url, {
      method: req.method ?? 'GET',
      headers,
      body,
      signal,
      dispatcher: this.agent(Math.min(req.timeoutMs, MAX_CONNECT_TIMEOUT_MS)),
    });
  }

  private agent(connectTimeoutMs: number): Agent {
    let agent = this.agents.get(connectTimeoutMs);
    if (!agent) {
      agent = new Agent({
        connect: { timeout: connectTimeoutMs, lookup: this.options.allowPrivate ? undefined : this.lookup },
        keepAliveTimeout: 10_000,
        connections: 8,
      });
      this.agents.set(connectTimeoutMs, agent);
    }
    return agent;
  }

  private translate(error: unknown, aborted: boolean, timeoutMs: number): FetchError {
    if (error instanceof FetchError) return error;
    const code = (error as { code?: string }).code ?? '';
    const message = error instanceof Error ? error.message : String(error);
    if (code === FORBIDDEN_ADDRESS_CODE) return new FetchError('forbidden_address', message);
    if (aborted) return new FetchError('timeout', `no complete answer within ${timeoutMs} ms`);
    if (code === 'UND_ERR_CONNECT_TIMEOUT')
      return new FetchError('timeout', `could not connect within ${Math.min(timeoutMs, MAX_CONNECT_TIMEOUT_MS)} ms`);
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
      return new FetchError('timeout', message);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return new FetchError('dns_failed', `the host name does not resolve (${code})`);
    if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
      return new FetchError('connect_failed', `could not connect (${code})`);
    return new FetchError('network_error', message || code || 'network error');
  }
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | null {
  const value = headers[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

async function readCapped(body: AsyncIterable<Buffer>, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) throw new FetchError('too_large', `the body is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** The first ERROR_BODY_BYTES of an error answer, decompressed; null when it cannot be read. */
async function readErrorBody(
  body: AsyncIterable<Buffer> & { dump(): Promise<void> },
  encoding: string | null,
): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= ERROR_BODY_BYTES) break;
    }
    return await decompressedPrefix(
      Buffer.concat(chunks, size).subarray(0, ERROR_BODY_BYTES),
      encoding,
      ERROR_BODY_BYTES,
    );
  } catch {
    return null;
  } finally {
    await body.dump().catch(() => undefined);
  }
}

/** How a body is compressed: by Content-Encoding, or gzip by its magic bytes when the header says nothing. */
function compressionOf(raw: Buffer, encoding: string | null): 'gzip' | 'deflate' | 'br' | null {
  const enc = (encoding ?? '').trim().toLowerCase();
  const gzipMagic = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  if (enc === 'gzip' || enc === 'x-gzip' || (gzipMagic && (enc === '' || enc === 'identity'))) return 'gzip';
  if (enc === 'deflate' || enc === 'br') return enc;
  return null;
}

/**
 * The first `limit` bytes of a body once decompressed: a maintenance page may be larger than what is
 * kept of it, and the compressed prefix may end mid-stream. Whatever decompressed before the cut counts.
 */
function decompressedPrefix(raw: Buffer, encoding: string | null, limit: number): Promise<Buffer> {
  const compression = compressionOf(raw, encoding);
  if (compression === null) return Promise.resolve(raw.subarray(0, limit));
  const stream =
    compression === 'gzip' ? createGunzip() : compression === 'deflate' ? createInflate() : createBrotliDecompress();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => resolve(Buffer.concat(chunks, size).subarray(0, limit));
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) {
        stream.destroy();
        done();
      }
    });
    stream.on('end', done);
    stream.on('error', done);
    stream.end(raw);
  });
}

/**
 * The output chunk a body is decompressed in: about the whole body for a feed (eight times the compressed
 * size: XML and JSON feeds compress 6-10×), between 64 KiB and 1 MiB. zlib's default of 16 KiB hands every
 * 16 KiB back to the event loop with a new buffer: a 2,000-offer feed (363 KB, 42 KB gzipped) took 1.3 ms
 * of CPU to gunzip that way, 0.5 ms in 256 KiB chunks (a scratch measurement; `bench:ingest` prints both).
 */
export function decompressChunkSize(compressedBytes: number): number {
  return Math.min(1 << 20, Math.max(64 << 10, compressedBytes * 8));
}

/** Decompresses by Content-Encoding, or by the gzip magic bytes when the header is missing. */
export async function decompressBody(raw: Buffer, encoding: string | null, maxBytes: number): Promise<Buffer> {
  const compression = compressionOf(raw, encoding);
  const options = { maxOutputLength: maxBytes, chunkSize: decompressChunkSize(raw.length) };
  try {
    if (compression === 'gzip') return await gunzipAsync(raw, options);
    if (compression === 'deflate') return await inflateAsync(raw, options);
    if (compression === 'br') return await brotliAsync(raw, options);
    return raw;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new FetchError('too_large', `the decompressed body is larger than ${maxBytes} bytes`);
    }
    throw new FetchError(
      'decompress_failed',
      `the ${compression ?? 'gzip'} body cannot be decompressed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
