import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { readBundledCatalog } from '@app/database';

export const FAULTS = ['none', 'slow', 'http500', 'html', 'truncated', 'maintenance', 'unknown-codes'] as const;
export type FeedFault = (typeof FAULTS)[number];
export type SimFormat = 'xml' | 'json' | 'txt';

export interface SimulatorOptions {
  exchangers: number;
  /** Share of items whose rate changes at every tick (0–1). */
  changeShare: number;
  tickSeconds: number;
  seed?: number;
  /** Faults by exchanger index. */
  faults?: Record<number, FeedFault>;
  minItems?: number;
  maxItems?: number;
}

interface SimItem {
  from: string;
  to: string;
  city: string | null;
  rate: number;
  reserve: number;
  changedAt: number;
}

interface SimExchanger {
  index: number;
  slug: string;
  name: string;
  format: SimFormat;
  items: SimItem[];
  byDirection: Map<string, SimItem>;
  version: number;
  modifiedAt: number;
  fault: FeedFault;
  cache: { version: number; fault: FeedFault; body: Buffer; gzipped: Buffer } | null;
}

/** mulberry32: a small deterministic PRNG, so a seed gives the same market every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CITIES = ['MSK', 'SPB', 'EKB', 'KZN', 'NSK'];

/**
 * A market of simulated exchangers on loopback for demos, tests and benchmarks: each has its own feed
 * (mostly XML, some JSON and TXT) with catalog codes, 200–6,000 items (skewed like the real market),
 * rates that drift at every tick, ETag / Last-Modified / 304, gzip, and switchable faults.
 * `GET /truth/<slug>?from&to[&city]` tells the current true rate and when it last changed;
 * `POST /control/<slug>?fault=…` switches an exchanger's fault.
 */
export class FeedSimulator {
  readonly exchangers: SimExchanger[] = [];
  private server: Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly random: () => number;
  base = '';

  constructor(private readonly options: SimulatorOptions) {
    this.random = prng(options.seed ?? 42);
    const catalog = readBundledCatalog().filter((c) => c.kind !== 'cash');
    const cash = readBundledCatalog().filter((c) => c.kind === 'cash');
    const min = options.minItems ?? 200;
    const max = options.maxItems ?? 6000;
    for (let index = 0; index < options.exchangers; index++) {
      const count = Math.round(min + (max - min) * this.random() ** 3);
      const format: SimFormat = index % 10 === 8 ? 'json' : index % 10 === 9 ? 'txt' : 'xml';
      const items: SimItem[] = [];
      const byDirection = new Map<string, SimItem>();
      for (let tries = 0; items.length < count && tries < count * 5; tries++) {
        const from = catalog[Math.floor(this.random() * catalog.length)]!.code;
        const toCash = format !== 'txt' && this.random() < 0.1;
        const to = toCash
          ? cash[Math.floor(this.random() * cash.length)]!.code
          : catalog[Math.floor(this.random() * catalog.length)]!.code;
        const city = toCash ? CITIES[Math.floor(this.random() * CITIES.length)]! : null;
        const key = `${from}|${to}|${city ?? ''}`;
        if (from === to || byDirection.has(key)) continue;
        const item = {
          from,
          to,
          city,
          rate: Number((0.5 + this.random() * 100).toFixed(6)),
          reserve: Math.round(1000 + this.random() * 1_000_000),
          changedAt: Date.now(),
        };
        items.push(item);
        byDirection.set(key, item);
      }
      this.exchangers.push({
        index,
        slug: `sim-${index + 1}`,
        name: `Simulated ${index + 1}`,
        format,
        items,
        byDirection,
        version: 1,
        modifiedAt: Date.now(),
        fault: options.faults?.[index] ?? 'none',
        cache: null,
      });
    }
  }

  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    this.server = createServer((req, res) => this.answer(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    this.base = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    this.timer = setInterval(() => this.tick(), this.options.tickSeconds * 1000);
    return this;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.server?.closeAllConnections();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }

  feedUrl(exchanger: SimExchanger): string {
    return `${this.base}/feeds/${exchanger.slug}.${exchanger.format}`;
  }

  setFault(slug: string, fault: FeedFault): void {
    const exchanger = this.exchangers.find((e) => e.slug === slug);
    if (exchanger) exchanger.fault = fault;
  }

  /** Moves `changeShare` of every exchanger's rates by up to ±0.5 %. */
  tick(now = Date.now()): void {
    for (const exchanger of this.exchangers) {
      const changes = Math.round(exchanger.items.length * this.options.changeShare);
      for (let i = 0; i < changes; i++) {
        const item = exchanger.items[Math.floor(this.random() * exchanger.items.length)]!;
        item.rate = Number((item.rate * (1 + (this.random() - 0.5) / 100)).toFixed(6));
        item.changedAt = now;
      }
      if (changes > 0) {
        exchanger.version++;
        exchanger.modifiedAt = now;
      }
    }
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const feed = /^\/feeds\/([a-z0-9-]+)\.(xml|json|txt)$/.exec(url.pathname);
    const truth = /^\/truth\/([a-z0-9-]+)$/.exec(url.pathname);
    if (feed) return this.serveFeed(req, res, feed[1]!);
    if (truth) return this.serveTruth(res, truth[1]!, url.searchParams);
    const control = /^\/control\/([a-z0-9-]+)$/.exec(url.pathname);
    if (control && req.method === 'POST') {
      const fault = url.searchParams.get('fault') as FeedFault | null;
      if (!fault || !FAULTS.includes(fault) || !this.exchangers.some((e) => e.slug === control[1]))
        return void res
          .writeHead(400)
          .end('POST /control/<slug>?fault=none|slow|http500|html|truncated|maintenance|unknown-codes');
      this.setFault(control[1]!, fault);
      return void res.writeHead(204).end();
    }
    if (url.pathname === '/')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify(
          this.exchangers.map((e) => ({
            slug: e.slug,
            format: e.format,
            items: e.items.length,
            fault: e.fault,
            url: this.feedUrl(e),
          })),
        ),
      );
    res.writeHead(404).end('not found');
  }

  private serveTruth(res: ServerResponse, slug: string, query: URLSearchParams): void {
    const exchanger = this.exchangers.find((e) => e.slug === slug);
    const item = exchanger?.byDirection.get(`${query.get('from')}|${query.get('to')}|${query.get('city') ?? ''}`);
    if (!item)
      return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such direction"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        from: item.from,
        to: item.to,
        city: item.city,
        rate: String(item.rate),
        changedAt: new Date(item.changedAt).toISOString(),
      }),
    );
  }

  private serveFeed(req: IncomingMessage, res: ServerResponse, slug: string): void {
    const exchanger = this.exchangers.find((e) => e.slug === slug);
    if (!exchanger) return void res.writeHead(404).end('not found');
    switch (exchanger.fault) {
      case 'http500':
        return void res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error');
      case 'html':
        return void res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(
            '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>',
          );
      case 'maintenance':
        return void res
          .writeHead(200, { 'content-type': 'text/xml; charset=utf-8' })
          .end('<?xml version="1.0" encoding="utf-8"?><error>Техническое обслуживание</error>');
      case 'none':
      case 'slow':
      case 'truncated':
      case 'unknown-codes':
        break;
    }
    const etag = `"${exchanger.slug}-v${exchanger.version}-${exchanger.fault}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    const { body, gzipped } = this.body(exchanger);
    const headers: Record<string, string> = {
      etag,
      'last-modified': new Date(exchanger.modifiedAt).toUTCString(),
      'content-type':
        exchanger.format === 'xml'
          ? 'text/xml; charset=utf-8'
          : exchanger.format === 'json'
            ? 'application/json'
            : 'text/plain; charset=utf-8',
    };
    if (exchanger.fault === 'truncated')
      return void res.writeHead(200, headers).end(body.subarray(0, Math.floor(body.length / 2)));
    if (exchanger.fault === 'slow') {
      res.writeHead(200, headers);
      let sent = 0;
      const timer = setInterval(() => {
        if (sent >= body.length) return clearInterval(timer);
        res.write(body.subarray(sent, sent + 1));
        sent++;
      }, 200);
      res.on('close', () => clearInterval(timer));
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    res.writeHead(200, gzip ? { ...headers, 'content-encoding': 'gzip' } : headers).end(gzip ? gzipped : body);
  }

  private body(exchanger: SimExchanger): { body: Buffer; gzipped: Buffer } {
    if (exchanger.cache?.version === exchanger.version && exchanger.cache.fault === exchanger.fault)
      return exchanger.cache;
    const items =
      exchanger.fault === 'unknown-codes'
        ? [...exchanger.items, { from: 'ZZZCOIN', to: 'BTC', city: null, rate: 1, reserve: 1, changedAt: 0 }]
        : exchanger.items;
    let text: string;
    if (exchanger.format === 'xml') {
      text = `<?xml version="1.0" encoding="utf-8"?>\n<rates>\n${items.map((i) => `<item><from>${i.from}</from><to>${i.to}</to><in>1</in><out>${i.rate}</out><amount>${i.reserve}</amount><minamount>10</minamount><maxamount>100000</maxamount>${i.city ? `<city>${i.city}</city>` : ''}</item>`).join('\n')}\n</rates>\n`;
    } else if (exchanger.format === 'json') {
      text = JSON.stringify({
        rates: items.map((i) => ({
          from: i.from,
          to: i.to,
          in: 1,
          out: i.rate,
          amount: i.reserve,
          ...(i.city ? { city: i.city } : {}),
        })),
      });
    } else {
      text = items.map((i) => `${i.from};${i.to};1;${i.rate};${i.reserve};`).join('\r\n');
    }
    const body = Buffer.from(text);
    exchanger.cache = {
      version: exchanger.version,
      fault: exchanger.fault,
      body,
      gzipped: gzipSync(body, { level: 1 }),
    };
    return exchanger.cache;
  }
}
