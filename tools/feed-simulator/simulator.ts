import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { CatalogCurrency, readBundledCatalog } from '@app/database';
import { Dec, toPlain } from '@app/domain';
import { FeedLine, feedParts, renderFeed } from './dialects';
import { between, clampSpread, Market, SimDialect, SimTerms } from './market';

export const FAULTS = ['none', 'slow', 'http500', 'html', 'truncated', 'maintenance', 'unknown-codes'] as const;
export type FeedFault = (typeof FAULTS)[number];
export type SimFormat = 'xml' | 'json' | 'txt';

/** One exchanger publishes a typo now and then: one item's `out` times `factor`, for a while. */
export interface TypoOptions {
  /** The exchanger's index (in the random catalog its slug is `sim-<index + 1>`). */
  exchanger: number;
  /** A typo starts this often (the first one this long after `start`). */
  everySeconds?: number;
  /** And is corrected this long after it started. */
  forSeconds?: number;
  factor?: number;
}

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
  typo?: TypoOptions;
  /**
   * The demo's market model instead of the random catalog: named exchangers (market.ts EXCHANGER_NAMES)
   * quoting the popular currencies around one reference table, with limits, fees, flags, cash cities and
   * every feed dialect. `minItems`/`maxItems` do not apply (an exchanger quotes what it trades).
   */
  market?: boolean;
}

export interface SimItem {
  from: string;
  to: string;
  city: string | null;
  /**
   * The rate as clean decimal text (what the feed says, unless a typo is on): `out` for 1 `in`, or with
   * `inverse` the `in` given for 1 `out` (how exchangers write SBERRUB → BTC).
   */
  rate: string;
  inverse?: boolean;
  /** Reserve, in the `to` currency. */
  reserve: string;
  changedAt: number;
  /** The market model's: the item's margin (basis points) and its limits, fees and flags. */
  spreadBp?: number;
  terms?: SimTerms;
}

/** What a visitor gets for 1 `from` by this item: its rate, or 1 / rate when inverse. */
export function visitorRate(item: Pick<SimItem, 'rate' | 'inverse'>, rate = item.rate): Dec {
  return item.inverse ? new Dec(1).div(rate) : new Dec(rate);
}

export interface SimExchanger {
  index: number;
  slug: string;
  name: string;
  format: SimFormat;
  dialect: SimDialect;
  /** Its margin under the market's mid rate (0.005–0.03; the market model's in basis points / 10 000). */
  spread: number;
  items: SimItem[];
  byDirection: Map<string, SimItem>;
  version: number;
  modifiedAt: number;
  fault: FeedFault;
  cache: RenderedFeed | null;
  /** Items whose line changed since the body in `cache` was rendered (the others' bytes are copied from it). */
  dirty: Set<SimItem>;
}

/** An exchanger's body as last served, with where each item's bytes sit in it (for the next body). */
export interface RenderedFeed {
  version: number;
  fault: FeedFault;
  body: Buffer;
  /** gzip of `body`, made on the first request that accepts gzip. */
  gzipped: Buffer | null;
  /** Start and end of item i's bytes at [2i] and [2i + 1]; null when the dialect is not a plain list. */
  offsets: Int32Array | null;
}

/** An exchanger with `byDirection` built on first use (two million map entries at 1,000 × 2,000 otherwise). */
function exchangerOf(fields: Omit<SimExchanger, 'byDirection' | 'cache' | 'dirty'>): SimExchanger {
  let byDirection: Map<string, SimItem> | null = null;
  const exchanger = { ...fields, cache: null, dirty: new Set<SimItem>() } as Omit<SimExchanger, 'byDirection'>;
  return Object.defineProperty(exchanger, 'byDirection', {
    get: () => (byDirection ??= new Map(exchanger.items.map((i) => [keyOf(i), i]))),
    enumerable: false,
  }) as SimExchanger;
}

/** A typo on the air: which item, and the wrong rate the feed shows for it. */
export interface LiveTypo {
  exchanger: SimExchanger;
  item: SimItem;
  rate: string;
  since: number;
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

/** Cities of cash directions, the big ones more often. */
const CITIES = ['MSK', 'MSK', 'MSK', 'SPB', 'SPB', 'EKB', 'KZN', 'NSK'];

/**
 * USD per unit of a few ISO units; the others get a deterministic price from the seed (fiat 0.0001–1.5,
 * crypto 0.001–300). Plausible, not quotes.
 */
const KNOWN_PRICES: Readonly<Record<string, number>> = {
  USD: 1,
  EUR: 1.08,
  GBP: 1.27,
  CHF: 1.12,
  RUB: 0.011,
  UAH: 0.024,
  KZT: 0.0021,
  BYN: 0.31,
  CNY: 0.14,
  TRY: 0.031,
  PLN: 0.25,
  INR: 0.012,
  CAD: 0.73,
  AUD: 0.66,
  JPY: 0.0067,
  AED: 0.27,
  BTC: 68_000,
  ETH: 3_500,
  BNB: 580,
  SOL: 150,
  LTC: 80,
  XMR: 160,
  BCH: 450,
  TRX: 0.12,
  TON: 6.5,
  DOGE: 0.15,
  XRP: 0.52,
  ADA: 0.45,
  DOT: 6.8,
  SHIB: 0.000024,
  XAU: 2_300,
};

/** Currencies the market trades most, most traded first; the rest of the catalog follows in a seeded order. */
const POPULAR = [
  'BTC',
  'USDTTRC20',
  'SBERRUB',
  'ETH',
  'TCSBRUB',
  'USDTERC20',
  'LTC',
  'SBPRUB',
  'XMR',
  'TRX',
  'TON',
  'CARDRUB',
  'USDTBEP20',
  'PMUSD',
  'ADVCUSD',
  'QWRUB',
  'YAMRUB',
  'DOGE',
  'SOL',
  'MONOBUAH',
  'CARDUAH',
  'KSPBKZT',
];
const POPULAR_CASH = ['CASHRUB', 'CASHUSD', 'CASHEUR', 'CASHUAH', 'CASHKZT'];

/** Per tick, a volatile (crypto) unit's price moves by up to ±0.5 %, a fiat one by ±0.1 %; USD stays 1. */
const STEP = { crypto: 0.005, fiat: 0.001 } as const;
/**
 * How far a price may wander from its start (both ways), so an item an exchanger has not repriced for a
 * long while still sits near the market — as real exchangers' bots keep it there.
 */
const WANDER = { crypto: 0.01, fiat: 0.003 } as const;
/** An exchanger's noise around its own spread at each repricing. */
const NOISE = 0.001;
const SIGNIFICANT_DIGITS = 6;

interface Price {
  base: number;
  /** Offset from `base`, within ±WANDER. */
  offset: number;
  volatility: keyof typeof STEP | 'pegged';
}

/** A number as the clean decimal text a feed shows: six significant digits, no exponent, no float noise. */
export function decimalText(value: number): string {
  const text = value.toPrecision(SIGNIFICANT_DIGITS);
  if (text.includes('e')) return toPlain(new Dec(text));
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** Picks an index with probability ∝ 1/(rank + 1): a few popular entries, a long tail. */
function zipf(count: number): (random: number) => number {
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 0; rank < count; rank++) cumulative.push((total += 1 / (rank + 1)));
  return (random) => {
    const target = random * total;
    let [lo, hi] = [0, count - 1];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/**
 * A market of simulated exchangers on loopback for demos, tests and benchmarks: each has its own feed
 * (mostly XML, some JSON and TXT) with catalog codes, 200–6,000 items (skewed like the real market),
 * ETag / Last-Modified / 304, gzip, and switchable faults. Rates are coherent like a market's: every ISO
 * unit has a USD price that drifts at every tick (all exchangers together), an exchanger's rate is
 * price(from) / price(to) less its own spread (0.5–3 %) and a little noise, and directions are drawn
 * from popular currencies first, so a popular direction has several exchangers close to each other.
 * With `typo`, one exchanger now and then publishes one item's rate times 1000 (what the rate guard catches).
 * `GET /truth/<slug>?from&to[&city]` tells the rate the feed shows now and when it last changed;
 * `POST /control/<slug>?fault=…` switches an exchanger's fault.
 * `POST /resize?exchangers=N` grows or shrinks the random catalog (bench:scale's search) and answers the new list.
 */
export class FeedSimulator {
  readonly exchangers: SimExchanger[] = [];
  private readonly bySlug = new Map<string, SimExchanger>();
  /** The random catalog's draw (not with `market`): what `resize` adds exchangers from. */
  private catalogDraw: {
    catalog: string[];
    cash: string[];
    pick: (random: number) => number;
    pickCash: (random: number) => number;
  } | null = null;
  /** The typo the feed of `options.typo.exchanger` shows now, if any. */
  typo: LiveTypo | null = null;
  private server: Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private typoTimers: NodeJS.Timeout[] = [];
  private readonly random: () => number;
  /** The typo's own stream: the market is the same with the typo on or off. */
  private readonly typoRandom: () => number;
  private readonly prices = new Map<string, Price>();
  private readonly isoOf = new Map<string, string>();
  /** The market model's reference table (with `market`). */
  readonly market: Market | null = null;
  base = '';
  private readonly bootId = Date.now().toString(36);

  constructor(private readonly options: SimulatorOptions) {
    const seed = options.seed ?? 42;
    this.random = prng(seed);
    this.typoRandom = prng(seed ^ 0x7e9d);
    if (options.market) {
      this.market = new Market();
      this.buildMarket(this.market);
      return;
    }
    const all = readBundledCatalog();
    this.pricesFor(all);
    const catalog = this.byPopularity(
      all.filter((c) => c.kind !== 'cash').map((c) => c.code),
      POPULAR,
    );
    const cash = this.byPopularity(
      all.filter((c) => c.kind === 'cash').map((c) => c.code),
      POPULAR_CASH,
    );
    this.catalogDraw = { catalog, cash, pick: zipf(catalog.length), pickCash: zipf(cash.length) };
    this.resize(options.exchangers);
  }

  /**
   * Grows the random catalog to `count` exchangers (new ones drawn like the first, continuing the seeded
   * stream) or shrinks it (the last ones go; their feeds answer 404). For `bench:scale`'s search, which
   * probes several fleet sizes on one running fleet. Not with `market`.
   */
  resize(count: number, now = Date.now()): void {
    const draw = this.catalogDraw;
    if (!draw) throw new Error('the market model has a fixed cast: resize works on the random catalog only');
    for (const gone of this.exchangers.splice(count)) {
      this.bySlug.delete(gone.slug);
      if (this.typo?.exchanger === gone) this.typo = null;
    }
    const min = this.options.minItems ?? 200;
    const max = this.options.maxItems ?? 6000;
    for (let index = this.exchangers.length; index < count; index++) {
      const size = Math.round(min + (max - min) * this.random() ** 3);
      const format: SimFormat = index % 10 === 8 ? 'json' : index % 10 === 9 ? 'txt' : 'xml';
      // Most exchangers keep 0.5–1.5 %, a few greedy ones up to 3 %.
      const spread = 0.005 + 0.025 * this.random() ** 2;
      const items: SimItem[] = [];
      const keys = new Set<string>();
      for (let tries = 0; items.length < size && tries < size * 20; tries++) {
        const from = draw.catalog[draw.pick(this.random())]!;
        const toCash = format !== 'txt' && this.random() < 0.1;
        const to = toCash ? draw.cash[draw.pickCash(this.random())]! : draw.catalog[draw.pick(this.random())]!;
        const city = toCash ? CITIES[Math.floor(this.random() * CITIES.length)]! : null;
        const key = `${from}|${to}|${city ?? ''}`;
        if (from === to || keys.has(key)) continue;
        keys.add(key);
        items.push({
          from,
          to,
          city,
          rate: this.marketRate(from, to, spread),
          reserve: String(Math.round(1000 + this.random() * 1_000_000)),
          changedAt: now,
        });
      }
      this.add(
        exchangerOf({
          index,
          slug: `sim-${index + 1}`,
          name: `Simulated ${index + 1}`,
          format,
          dialect: format,
          spread,
          items,
          version: 1,
          modifiedAt: now,
          fault: this.options.faults?.[index] ?? 'none',
        }),
      );
    }
  }

  private add(exchanger: SimExchanger): void {
    this.exchangers.push(exchanger);
    this.bySlug.set(exchanger.slug, exchanger);
  }

  /** The slug of the exchanger that publishes typos, if one does. */
  get typoExchanger(): string | null {
    return this.options.typo ? (this.exchangers[this.options.typo.exchanger]?.slug ?? null) : null;
  }

  /** The market's mid rate of a direction now: USD per unit given over USD per unit got. */
  midRate(from: string, to: string): number {
    if (this.market) return this.market.mid(from, to).toNumber();
    return this.price(from) / this.price(to);
  }

  /** Listens on `port` (0: any); rejects when the port is taken (EADDRINUSE), so a caller can pick another. */
  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    const server = createServer((req, res) => this.answer(req, res));
    // Node closes an idle kept-alive socket after 5 s; a client that reuses it just then (a test that kept
    // the event loop busy for seconds, a loaded machine) gets ECONNRESET. Exchangers' servers keep longer.
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.base = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    this.timer = setInterval(() => this.tick(), this.options.tickSeconds * 1000);
    const typo = this.options.typo;
    if (typo) {
      const every = (typo.everySeconds ?? 30) * 1000;
      const lasts = Math.min((typo.forSeconds ?? 15) * 1000, every - 1);
      const timer = setInterval(() => {
        this.startTypo();
        const end = setTimeout(() => {
          this.typoTimers = this.typoTimers.filter((t) => t !== end);
          this.endTypo();
        }, lasts);
        this.typoTimers.push(end);
      }, every);
      this.typoTimers.push(timer);
    }
    return this;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const timer of this.typoTimers) clearTimeout(timer);
    this.typoTimers = [];
    this.server?.closeAllConnections();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }

  feedUrl(exchanger: SimExchanger): string {
    return `${this.base}/feeds/${exchanger.slug}.${exchanger.format}`;
  }

  setFault(slug: string, fault: FeedFault): void {
    const exchanger = this.bySlug.get(slug);
    if (exchanger) exchanger.fault = fault;
  }

  /**
   * One step of the market: every price drifts (all exchangers see the same move), then `changeShare` of
   * every exchanger's items are repriced to the market less its spread, with a little noise of its own.
   */
  tick(now = Date.now()): void {
    this.market?.walk(this.random);
    for (const price of this.prices.values()) {
      if (price.volatility === 'pegged') continue;
      const step = STEP[price.volatility];
      const wander = WANDER[price.volatility];
      price.offset = Math.max(-wander, Math.min(wander, price.offset + (this.random() * 2 - 1) * step));
    }
    for (const exchanger of this.exchangers) {
      const changes = Math.round(exchanger.items.length * this.options.changeShare);
      for (let i = 0; i < changes; i++) {
        const item = exchanger.items[Math.floor(this.random() * exchanger.items.length)]!;
        this.reprice(exchanger, item);
        item.changedAt = now;
        exchanger.dirty.add(item);
      }
      if (changes > 0) this.touch(exchanger, now);
    }
    if (this.typo) {
      this.typo.rate = this.typoRate(this.typo.item);
      this.typo.exchanger.dirty.add(this.typo.item);
    }
  }

  /**
   * The typo exchanger's feed shows one item's rate times `factor` (an item of a direction that several
   * healthy exchangers offer, so the market has a reference for it), until `endTypo`. Deterministic with
   * the seed. Returns the typo, or null without a typo exchanger.
   */
  startTypo(now = Date.now()): LiveTypo | null {
    const index = this.options.typo?.exchanger;
    const exchanger = index === undefined ? undefined : this.exchangers[index];
    if (!exchanger || exchanger.items.length === 0) return null;
    if (this.typo) this.endTypo(now);
    const offeredBy = (item: SimItem) =>
      this.exchangers.filter((e) => e !== exchanger && e.fault === 'none' && e.byDirection.has(keyOf(item))).length;
    const items = exchanger.items.filter((i) => i.city === null);
    const candidates = [3, 2, 0].map((n) => items.filter((i) => offeredBy(i) >= n)).find((c) => c.length > 0) ?? [
      ...exchanger.items,
    ];
    const item = candidates[Math.floor(this.typoRandom() * candidates.length)]!;
    this.typo = { exchanger, item, rate: this.typoRate(item), since: now };
    item.changedAt = now;
    exchanger.dirty.add(item);
    this.touch(exchanger, now);
    return this.typo;
  }

  /** The typo is corrected: the feed shows the item's rate again. */
  endTypo(now = Date.now()): void {
    if (!this.typo) return;
    const { exchanger, item } = this.typo;
    this.typo = null;
    item.changedAt = now;
    exchanger.dirty.add(item);
    this.touch(exchanger, now);
  }

  /** The rate a feed shows for an item now: its rate, or the typo. */
  shownRate(exchanger: SimExchanger, item: SimItem): string {
    return this.typo?.exchanger === exchanger && this.typo.item === item ? this.typo.rate : item.rate;
  }

  /** The item's rate with the visitor getting `factor` times more (an inverse item's `in` divided by it). */
  private typoRate(item: SimItem): string {
    const factor = this.options.typo?.factor ?? 1000;
    const rate = new Dec(item.rate);
    return toPlain(item.inverse ? rate.div(factor) : rate.times(factor));
  }

  /** A new quote for an item: the market's mid less the exchanger's spread and a little noise. */
  private reprice(exchanger: SimExchanger, item: SimItem): void {
    if (this.market && item.spreadBp !== undefined) {
      const quote = this.market.quote(item.from, item.to, clampSpread(item.spreadBp + between(this.random, -5, 5)));
      item.rate = quote.rate;
      item.inverse = quote.inverse;
    } else item.rate = this.marketRate(item.from, item.to, exchanger.spread);
  }

  /** The demo's cast (market.ts): named exchangers with their dialects, quoted around the reference table. */
  private buildMarket(market: Market): void {
    const now = Date.now();
    for (const [index, plan] of market.plan(this.options.exchangers, this.random).entries()) {
      const items: SimItem[] = plan.directions.map((d) => ({
        from: d.from,
        to: d.to,
        city: d.city,
        rate: '',
        // Reserves of $20k–$2M worth, fewer for a cash office.
        reserve: market.amountOf(d.to, (d.city ? 20_000 : 100_000) * 2 ** between(this.random, 0, 4), 3),
        changedAt: now,
        spreadBp: d.spreadBp,
        terms: d.terms,
      }));
      const exchanger = exchangerOf({
        index,
        slug: plan.slug,
        name: plan.name,
        format:
          plan.dialect === 'xml-eref-1.1'
            ? 'xml'
            : plan.dialect === 'json-1.3'
              ? 'json'
              : plan.dialect === 'txt-cities'
                ? 'txt'
                : plan.dialect,
        dialect: plan.dialect,
        spread: plan.spreadBp / 10_000,
        items,
        version: 1,
        modifiedAt: now,
        fault: this.options.faults?.[index] ?? 'none',
      });
      for (const item of items) this.reprice(exchanger, item);
      this.add(exchanger);
    }
  }

  private touch(exchanger: SimExchanger, now: number): void {
    exchanger.version++;
    exchanger.modifiedAt = now;
  }

  private marketRate(from: string, to: string, spread: number): string {
    return decimalText(this.midRate(from, to) * (1 - spread) * (1 + (this.random() * 2 - 1) * NOISE));
  }

  private price(code: string): number {
    const price = this.prices.get(this.isoOf.get(code) ?? code);
    return price ? price.base * (1 + price.offset) : 1;
  }

  /** A price per ISO unit of the catalog, in sorted order (deterministic with the seed). */
  private pricesFor(catalog: CatalogCurrency[]): void {
    const fiat = new Set(catalog.filter((c) => c.kind !== 'crypto').map((c) => c.iso));
    for (const c of catalog) this.isoOf.set(c.code, c.iso);
    for (const iso of [...new Set(catalog.map((c) => c.iso))].sort()) {
      const known = KNOWN_PRICES[iso];
      const [low, high] = fiat.has(iso) ? [0.0001, 1.5] : [0.001, 300];
      const base = known ?? Number((low * (high / low) ** this.random()).toPrecision(4));
      this.prices.set(iso, {
        base,
        offset: 0,
        volatility: iso === 'USD' ? 'pegged' : fiat.has(iso) ? 'fiat' : 'crypto',
      });
    }
  }

  /** The popular codes first (those the catalog has), then the others in a seeded order. */
  private byPopularity(codes: string[], popular: readonly string[]): string[] {
    const head = popular.filter((c) => codes.includes(c));
    const tail = codes.filter((c) => !popular.includes(c));
    for (let i = tail.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [tail[i], tail[j]] = [tail[j]!, tail[i]!];
    }
    return [...head, ...tail];
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const feed = /^\/feeds\/([a-z0-9-]+)\.(xml|json|txt)$/.exec(url.pathname);
    const truth = /^\/truth\/([a-z0-9-]+)$/.exec(url.pathname);
    if (feed) return this.serveFeed(req, res, feed[1]!);
    if (truth) return this.serveTruth(res, truth[1]!, url.searchParams);
    if (url.pathname === '/resize' && req.method === 'POST') {
      const count = Number(url.searchParams.get('exchangers'));
      if (!Number.isInteger(count) || count < 1 || !this.catalogDraw)
        return void res.writeHead(400).end('POST /resize?exchangers=<n ≥ 1> (the random catalog only)');
      this.resize(count);
      return this.list(res);
    }
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
    if (url.pathname === '/') return this.list(res);
    res.writeHead(404).end('not found');
  }

  private list(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify(
        this.exchangers.map((e) => ({
          slug: e.slug,
          name: e.name,
          format: e.format,
          dialect: e.dialect,
          items: e.items.length,
          fault: e.fault,
          url: this.feedUrl(e),
        })),
      ),
    );
  }

  private serveTruth(res: ServerResponse, slug: string, query: URLSearchParams): void {
    const exchanger = this.bySlug.get(slug);
    const item = exchanger?.byDirection.get(`${query.get('from')}|${query.get('to')}|${query.get('city') ?? ''}`);
    if (!exchanger || !item)
      return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such direction"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        from: item.from,
        to: item.to,
        city: item.city,
        rate: this.shownRate(exchanger, item),
        ...quoteOf(item, this.shownRate(exchanger, item)),
        changedAt: new Date(item.changedAt).toISOString(),
        typo: this.typo?.item === item,
      }),
    );
  }

  private serveFeed(req: IncomingMessage, res: ServerResponse, slug: string): void {
    const exchanger = this.bySlug.get(slug);
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
          .writeHead(200, { 'content-type': contentType(exchanger.format) })
          .end(MAINTENANCE[exchanger.format]);
      case 'none':
      case 'slow':
      case 'truncated':
      case 'unknown-codes':
        break;
    }
    // The boot id keeps a restarted simulator's v5 from matching the ETag a client kept of an earlier run's v5.
    const etag = `"${exchanger.slug}-${this.bootId}-v${exchanger.version}-${exchanger.fault}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    const rendered = this.body(exchanger);
    const { body } = rendered;
    const headers: Record<string, string> = {
      etag,
      'last-modified': new Date(exchanger.modifiedAt).toUTCString(),
      'content-type': contentType(exchanger.format),
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
    if (gzip) rendered.gzipped ??= gzipSync(body, { level: 1 });
    res
      .writeHead(200, gzip ? { ...headers, 'content-encoding': 'gzip' } : headers)
      .end(gzip ? rendered.gzipped! : body);
  }

  /**
   * The exchanger's body now, rendered once per version: only the items that changed since the last body
   * are rendered again, the others' bytes are copied from it (a tick reprices ~10 % of the items).
   */
  body(exchanger: SimExchanger): RenderedFeed {
    const cache = exchanger.cache;
    if (cache?.version === exchanger.version && cache.fault === exchanger.fault) return cache;
    const lineOf = (i: SimItem): FeedLine => ({
      from: i.from,
      to: i.to,
      city: i.city,
      ...quoteOf(i, this.shownRate(exchanger, i)),
      reserve: i.reserve,
      terms: i.terms,
    });
    const unit = (code: string) => this.market?.ticker(code) ?? code;
    const parts = exchanger.fault === 'unknown-codes' ? null : feedParts(exchanger.dialect, unit);
    const { items, dirty } = exchanger;
    let body: Buffer;
    let offsets: Int32Array | null = null;
    const previous = parts && cache?.offsets?.length === 2 * items.length ? cache : null;
    if (parts && previous) {
      // Copy the unchanged runs of the last body, write the moved items' new lines between them.
      const before = previous.offsets!;
      const changed: Array<{ index: number; text: string; bytes: number }> = [];
      let size = previous.body.length;
      for (let i = 0; i < items.length; i++) {
        if (!dirty.has(items[i]!)) continue;
        const text = parts.item(lineOf(items[i]!));
        const bytes = Buffer.byteLength(text);
        changed.push({ index: i, text, bytes });
        size += bytes - (before[2 * i + 1]! - before[2 * i]!);
      }
      body = Buffer.allocUnsafe(size);
      offsets = new Int32Array(before.length);
      let read = 0;
      let at = 0;
      let next = 0;
      const shiftTo = (end: number) => {
        const shift = at - read;
        for (; next < end; next++) {
          offsets![2 * next] = before[2 * next]! + shift;
          offsets![2 * next + 1] = before[2 * next + 1]! + shift;
        }
      };
      for (const { index, text, bytes } of changed) {
        at += previous.body.copy(body, at, read, before[2 * index]);
        read = before[2 * index]!;
        shiftTo(index);
        offsets[2 * index] = at;
        at += body.write(text, at);
        offsets[2 * index + 1] = at;
        read = before[2 * index + 1]!;
        next = index + 1;
        if (bytes !== offsets[2 * index + 1]! - offsets[2 * index]!) throw new Error('simulator: a line was cut');
      }
      shiftTo(items.length);
      previous.body.copy(body, at, read);
    } else if (parts) {
      const texts = items.map((i) => parts.item(lineOf(i)));
      const text = parts.head + texts.join(parts.separator) + parts.tail;
      const head = Buffer.byteLength(parts.head);
      const separator = Buffer.byteLength(parts.separator);
      offsets = new Int32Array(2 * items.length);
      let at = head;
      texts.forEach((t, i) => {
        if (i > 0) at += separator;
        offsets![2 * i] = at;
        offsets![2 * i + 1] = at += Buffer.byteLength(t);
      });
      body = Buffer.from(text);
    } else {
      const lines = items.map(lineOf);
      if (exchanger.fault === 'unknown-codes')
        lines.push({ from: 'ZZZCOIN', to: 'BTC', city: null, in: '1', out: '1', reserve: '1' });
      body = Buffer.from(renderFeed(exchanger.dialect, lines, unit));
    }
    dirty.clear();
    exchanger.cache = { version: exchanger.version, fault: exchanger.fault, body, gzipped: null, offsets };
    return exchanger.cache;
  }
}

/** The maintenance answer of the common engine, in the feed's own format. */
const MAINTENANCE: Readonly<Record<SimFormat, string>> = {
  xml: '<?xml version="1.0" encoding="utf-8"?><error>Техническое обслуживание</error>',
  json: '["error","Техническое обслуживание"]',
  txt: 'Техническое обслуживание',
};

function contentType(format: SimFormat): string {
  return format === 'xml'
    ? 'text/xml; charset=utf-8'
    : format === 'json'
      ? 'application/json'
      : 'text/plain; charset=utf-8';
}

/** Both sides of an item's rate as its feed writes them. */
function quoteOf(item: SimItem, rate: string): { in: string; out: string } {
  return item.inverse ? { in: rate, out: '1' } : { in: '1', out: rate };
}

function keyOf(item: SimItem): string {
  return `${item.from}|${item.to}|${item.city ?? ''}`;
}
