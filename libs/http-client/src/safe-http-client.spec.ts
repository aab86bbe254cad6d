import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isForbiddenAddress } from './address-policy';
import {
  decompressBody,
  decompressChunkSize,
  SafeHttpClient,
  FetchError,
  FetchRequest,
  USER_AGENT,
} from './safe-http-client';

const FEED = '<?xml version="1.0"?><rates><item><from>BTC</from><to>ETH</to><in>1</in><out>20</out></item></rates>';
const ETAG = '"v1"';
const LAST_MODIFIED = 'Wed, 25 Nov 2026 10:00:00 GMT';
/** The test server lives on 127.0.0.3; the policy allows only that address, so the guard is real. */
const HOST = '127.0.0.3';

type Handler = (req: IncomingMessage, res: ServerResponse, base: string) => void;
const routes: Record<string, Handler> = {
  '/etag': (req, res) => {
    if (req.headers['if-none-match'] === ETAG) return void res.writeHead(304).end();
    res.writeHead(200, { etag: ETAG, 'content-type': 'text/xml' }).end(FEED);
  },
  '/last-modified': (req, res) => {
    if (req.headers['if-modified-since'] === LAST_MODIFIED) return void res.writeHead(304).end();
    res.writeHead(200, { 'last-modified': LAST_MODIFIED }).end(FEED);
  },
  '/gzip-encoded': (_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(FEED)),
  '/gzip-file': (_req, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(gzipSync(FEED)),
  '/gzip-bomb': (_req, res) =>
    res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(10 * 1024 * 1024))),
  '/big': (_req, res) => res.writeHead(200).end(Buffer.alloc(5000, 'a')),
  '/html': (_req, res) =>
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!DOCTYPE html><html><title>Just a moment...</title></html>'),
  '/error': (_req, res) => res.writeHead(503).end('down'),
  '/always-304': (_req, res) => void res.writeHead(304).end(),
  '/maintenance-gz': (_req, res) =>
    res
      .writeHead(503, { 'content-encoding': 'gzip', 'content-type': 'text/html' })
      .end(gzipSync('<html><title>Maintenance</title></html>')),
  '/maintenance-big-gz': (_req, res) =>
    res
      .writeHead(503, { 'content-encoding': 'gzip' })
      .end(gzipSync(`<html><title>Maintenance</title><body>${'x'.repeat(300_000)}</body></html>`)),
  '/huge-error': (_req, res) => res.writeHead(502).end(Buffer.alloc(1024 * 1024, 'x')),
  '/partial': (_req, res) => res.writeHead(206, { 'content-range': 'bytes 0-99/5000' }).end(FEED.slice(0, 100)),
  '/forbidden': (_req, res) => res.writeHead(403).end('maintenance'),
  '/agent': (req, res) => res.writeHead(200).end(String(req.headers['user-agent'])),
  '/slow': (_req, res) => {
    res.writeHead(200);
    const timer = setInterval(() => res.write('<'), 100);
    res.on('close', () => clearInterval(timer));
  },
  '/form': (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.writeHead(200).end(`${req.method} ${req.headers['content-type']} ${body}`));
  },
  '/to-private': (_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:9/' }).end(),
  '/to-localhost': (_req, res, base) =>
    res.writeHead(302, { location: base.replace(HOST, 'localhost') + '/etag' }).end(),
  '/to-ftp': (_req, res) => res.writeHead(301, { location: 'ftp://example.com/rates.xml' }).end(),
  '/no-location': (_req, res) => res.writeHead(302).end(),
  // An endless chain of 7 KB Locations that carry a session token.
  '/long-token-redirect': (_req, res) =>
    res.writeHead(302, { location: `/long-token-redirect?token=S3CR3T-${'x'.repeat(7000)}&page=2` }).end(),
};

describe('SafeHttpClient against a local HTTP server', () => {
  let server: Server;
  let base: string;
  const fetcher = new SafeHttpClient({
    allowPrivate: false,
    isForbidden: (address) => address !== HOST && isForbiddenAddress(address),
  });
  const get = (path: string, extra: Partial<FetchRequest> = {}) =>
    fetcher.fetch({ url: base + path, timeoutMs: 2000, ...extra });
  const failure = async (promise: Promise<unknown>): Promise<FetchError> => {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FetchError);
    return error as FetchError;
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const hops = /^\/redirect\/(\d+)$/.exec(url.pathname);
      if (hops) {
        const left = Number(hops[1]);
        return void res.writeHead(302, { location: left > 1 ? `/redirect/${left - 1}` : '/etag' }).end();
      }
      const handler = routes[url.pathname];
      if (!handler) return void res.writeHead(404).end();
      handler(req, res, base);
    });
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    base = `http://${HOST}:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await fetcher.close();
  });

  it('answers 304 to a conditional GET with the stored ETag', async () => {
    const first = await get('/etag');
    expect(first).toMatchObject({ kind: 'body', status: 200, etag: ETAG });
    expect(await get('/etag', { etag: ETAG })).toMatchObject({ kind: 'not_modified', status: 304 });
  });

  it('answers 304 to a conditional GET with the stored Last-Modified', async () => {
    expect(await get('/last-modified')).toMatchObject({ kind: 'body', lastModified: LAST_MODIFIED });
    expect(await get('/last-modified', { lastModified: LAST_MODIFIED })).toMatchObject({ kind: 'not_modified' });
  });

  it('decompresses gzip with Content-Encoding', async () => {
    const result = await get('/gzip-encoded');
    expect(result.kind === 'body' && result.body.toString()).toBe(FEED);
  });

  it('decompresses a gzip file served without Content-Encoding', async () => {
    const result = await get('/gzip-file');
    expect(result.kind === 'body' && result.body.toString()).toBe(FEED);
  });

  it('caps the decompressed size (gzip bomb)', async () => {
    const error = await failure(get('/gzip-bomb', { maxBytes: 1024 * 1024 }));
    expect(error.code).toBe('too_large');
    expect(error.message).toMatch(/decompressed body is larger than 1048576 bytes/);
  });

  it('caps the body size on the wire', async () => {
    expect((await failure(get('/big', { maxBytes: 1000 }))).code).toBe('too_large');
  });

  it('follows up to 3 redirects and refuses a 4th', async () => {
    expect(await get('/redirect/3')).toMatchObject({ kind: 'body', status: 200 });
    const error = await failure(get('/redirect/4'));
    expect(error.code).toBe('too_many_redirects');
  });

  it('stores neither the token nor 7 KB of a Location in the error it reports', async () => {
    const error = await failure(get('/long-token-redirect'));
    expect(error.code).toBe('too_many_redirects');
    expect(error.message).not.toContain('S3CR3T');
    expect(error.message).toContain('token=***');
    expect(error.message.length).toBeLessThan(300);
  });

  it('refuses a redirect into the private range', async () => {
    const error = await failure(get('/to-private'));
    expect(error.code).toBe('forbidden_address');
    expect(error.message).toMatch(/127\.0\.0\.1 is a private, loopback or reserved address/);
  });

  it('refuses a redirect to a name that resolves to loopback (checked at connect time)', async () => {
    const error = await failure(get('/to-localhost'));
    expect(error.code).toBe('forbidden_address');
    expect(error.message).toMatch(/localhost resolves to/);
  });

  it('refuses a redirect to a non-http scheme and one without Location', async () => {
    expect((await failure(get('/to-ftp'))).code).toBe('invalid_url');
    expect((await failure(get('/no-location'))).code).toBe('http_error');
  });

  it('refuses non-http URLs and loopback literals up front', async () => {
    for (const url of ['file:///etc/passwd', 'gopher://x', 'javascript:alert(1)', 'not a url']) {
      expect((await failure(fetcher.fetch({ url, timeoutMs: 1000 }))).code).toBe('invalid_url');
    }
    for (const url of [
      'http://127.0.0.1/',
      'http://[::1]/',
      'http://169.254.169.254/latest/meta-data',
      'http://0x7f000001/',
      'http://2130706433/',
    ]) {
      expect((await failure(fetcher.fetch({ url, timeoutMs: 1000 }))).code).toBe('forbidden_address');
    }
  });

  it('stops a body that trickles in at the total timeout', async () => {
    const started = Date.now();
    const error = await failure(get('/slow', { timeoutMs: 500 }));
    expect(error.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('returns an HTML page with status 200 as a body (the reader classifies it)', async () => {
    expect(await get('/html')).toMatchObject({ kind: 'body', status: 200, contentType: 'text/html' });
  });

  it('turns a 5xx into http_error with the status', async () => {
    const error = await failure(get('/error'));
    expect(error).toMatchObject({ code: 'http_error', httpStatus: 503 });
  });

  it('names ratewatch in the User-Agent', async () => {
    const result = await get('/agent');
    expect(result.kind === 'body' && result.body.toString()).toBe(USER_AGENT);
  });

  it('sends a form body with POST', async () => {
    const result = await get('/form', { method: 'POST', form: { start_time: '1', end_time: '2' } });
    expect(result.kind === 'body' && result.body.toString()).toBe(
      'POST application/x-www-form-urlencoded start_time=1&end_time=2',
    );
  });

  it('reports a host that does not resolve', async () => {
    const open = new SafeHttpClient({ allowPrivate: true });
    try {
      const error = await failure(open.fetch({ url: 'http://no-such-host.invalid/rates.xml', timeoutMs: 3000 }));
      expect(['dns_failed', 'timeout']).toContain(error.code);
    } finally {
      await open.close();
    }
  });

  it('refuses 206 Partial Content: a part of a feed is not the feed', async () => {
    const error = await failure(get('/partial'));
    expect(error).toMatchObject({ code: 'http_error', httpStatus: 206 });
    expect(error.message).toMatch(/only part of the feed/);
  });

  it('keeps the start of a 5xx body (decompressed) so a maintenance page can be told apart', async () => {
    const error = await failure(get('/maintenance-gz'));
    expect(error).toMatchObject({ code: 'http_error', httpStatus: 503 });
    expect(error.errorBody?.body.toString()).toBe('<html><title>Maintenance</title></html>');
    expect(error.errorBody?.contentType).toBe('text/html');
  });

  it('keeps the first 64 KB of a compressed error page that is larger once decompressed', async () => {
    const body = (await failure(get('/maintenance-big-gz'))).errorBody?.body;
    expect(body?.length).toBe(64 * 1024);
    expect(body?.toString().startsWith('<html><title>Maintenance</title>')).toBe(true);
  });

  it('keeps at most 64 KB of an error body, and none of a 4xx', async () => {
    expect((await failure(get('/huge-error'))).errorBody?.body.length).toBe(64 * 1024);
    expect((await failure(get('/forbidden'))).errorBody).toBeNull();
  });

  it('refuses a 304 to a request that carried no validator (it would keep an offline feed fresh for ever)', async () => {
    const error = await failure(get('/always-304'));
    expect(error).toMatchObject({ code: 'http_error', httpStatus: 304 });
    expect(error.message).toMatch(/without If-None-Match or If-Modified-Since/);
    expect(await get('/always-304', { etag: '"v1"' })).toMatchObject({ kind: 'not_modified' });
  });
});

describe('decompressBody', () => {
  // Several MiB of feed-like text: more than one output chunk, whatever the chunk size.
  const big = Buffer.from(
    Array.from(
      { length: 40_000 },
      (_, i) => `<item><from>C${i % 97}</from><out>${(i * 7919) % 100_003}.${i}</out></item>`,
    ).join(''),
  );

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('gives back every byte of a %s body larger than its chunks', async (encoding, compress) => {
    const compressed = compress(big);
    expect(big.length).toBeGreaterThan(decompressChunkSize(compressed.length));
    expect((await decompressBody(compressed, encoding, big.length)).equals(big)).toBe(true);
  });

  it('refuses a body one byte over the cap, even when the cap is smaller than one chunk', async () => {
    const zeros = gzipSync(Buffer.alloc(50_001));
    expect(decompressChunkSize(zeros.length)).toBeGreaterThan(50_000);
    expect((await decompressBody(zeros, 'gzip', 50_001)).length).toBe(50_001);
    await expect(decompressBody(zeros, 'gzip', 50_000)).rejects.toMatchObject({ code: 'too_large' });
    await expect(decompressBody(zeros, 'gzip', 1_000)).rejects.toMatchObject({ code: 'too_large' });
  });

  it('chooses chunks between 64 KiB and 1 MiB, eight times the compressed size between', () => {
    expect(decompressChunkSize(100)).toBe(64 * 1024);
    expect(decompressChunkSize(42_000)).toBe(336_000);
    expect(decompressChunkSize(10 * 1024 * 1024)).toBe(1024 * 1024);
  });
});
