import { readBundledCatalog } from '@app/database';
import { Dec, toPlain } from '@app/domain';

/**
 * The demo's market: a reference price table of the currencies people actually trade on a monitoring
 * site, and a fixed cast of exchangers quoting around it (spreads, limits, fees, flags, cash cities, the
 * feed dialect each one publishes). Everything is decimal; the PRNG only picks (basis points, members of
 * lists), so the same seed gives the same market to the digit.
 */

/** The feed dialects ratewatch reads (libs/feeds FEED_DIALECTS), as the simulator writes them. */
export const SIM_DIALECTS = ['xml', 'xml-eref-1.1', 'json', 'json-1.3', 'txt', 'txt-cities'] as const;
export type SimDialect = (typeof SIM_DIALECTS)[number];

/** A fee component: a fixed amount in that side's currency, or a percent of the amount. */
export interface SimFee {
  kind: 'fixed' | 'percent';
  value: string;
}

/** What an offer says besides its rate and reserve (the market model's items have it; the random catalog's do not). */
export interface SimTerms {
  /** Limits of what is given, in the `from` currency. */
  min: string;
  max: string;
  fromFee: SimFee[];
  toFee: SimFee[];
  /** `manual`, `verifying`, `cardverify`, `floating`. */
  flags: string[];
  /** Floating-rate terms, with the `floating` flag. */
  floating: { percent: string; minutes: number } | null;
}

/** An exchanger of the demo's cast, before its rates are quoted. */
export interface MarketExchangerPlan {
  slug: string;
  name: string;
  dialect: SimDialect;
  /** Its usual margin under the reference, in basis points (20–300). */
  spreadBp: number;
  /** Its cash offices' cities (empty: no cash). */
  cities: string[];
  directions: Array<{ from: string; to: string; city: string | null; spreadBp: number; terms: SimTerms }>;
}

type Group = 'crypto' | 'stable' | 'bank' | 'cash';

interface Listed {
  code: string;
  group: Group;
  /** USD per unit at the start (a plausible level, not a quote). */
  usd: string;
  /** Share of exchangers that trade it (1: all). */
  coverage: number;
  /** A network fee some exchangers charge for sending it, in its own unit. */
  networkFee?: string;
}

/** USD per unit, by ISO unit: what every code of that unit is priced from. */
const REFERENCE_USD: Readonly<Record<string, string>> = {
  BTC: '67000',
  ETH: '3400',
  LTC: '82',
  XMR: '165',
  TRX: '0.16',
  TON: '5.4',
  USD: '1',
  EUR: '1.08',
  RUB: '0.0109',
  UAH: '0.0241',
  KZT: '0.00196',
};

/** The traded currencies, most traded first (codes of the bundled catalog; ALFRUB there is ACRUB). */
const LISTED: readonly Listed[] = [
  { code: 'BTC', group: 'crypto', usd: 'BTC', coverage: 1, networkFee: '0.0002' },
  { code: 'USDTTRC20', group: 'stable', usd: 'USD', coverage: 1, networkFee: '1' },
  { code: 'SBERRUB', group: 'bank', usd: 'RUB', coverage: 1 },
  { code: 'ETH', group: 'crypto', usd: 'ETH', coverage: 0.95, networkFee: '0.002' },
  { code: 'TCSBRUB', group: 'bank', usd: 'RUB', coverage: 0.8 },
  { code: 'USDTERC20', group: 'stable', usd: 'USD', coverage: 0.6, networkFee: '3' },
  { code: 'LTC', group: 'crypto', usd: 'LTC', coverage: 0.6, networkFee: '0.001' },
  { code: 'SBPRUB', group: 'bank', usd: 'RUB', coverage: 0.6 },
  { code: 'TRX', group: 'crypto', usd: 'TRX', coverage: 0.5, networkFee: '1' },
  { code: 'TON', group: 'crypto', usd: 'TON', coverage: 0.5, networkFee: '0.05' },
  { code: 'USDTBEP20', group: 'stable', usd: 'USD', coverage: 0.5, networkFee: '0.3' },
  { code: 'CARDRUB', group: 'bank', usd: 'RUB', coverage: 0.5 },
  { code: 'XMR', group: 'crypto', usd: 'XMR', coverage: 0.4, networkFee: '0.001' },
  { code: 'ACRUB', group: 'bank', usd: 'RUB', coverage: 0.4 },
  { code: 'MONOBUAH', group: 'bank', usd: 'UAH', coverage: 0.25 },
  { code: 'P24UAH', group: 'bank', usd: 'UAH', coverage: 0.25 },
  { code: 'KSPBKZT', group: 'bank', usd: 'KZT', coverage: 0.2 },
];

/** Cash: what a cash office pays out or takes in, in its cities, against these currencies. */
const CASH: ReadonlyArray<{ code: string; usd: string; against: readonly string[] }> = [
  { code: 'CASHUSD', usd: 'USD', against: ['USDTTRC20', 'BTC'] },
  { code: 'CASHRUB', usd: 'RUB', against: ['USDTTRC20', 'BTC'] },
  { code: 'CASHEUR', usd: 'EUR', against: ['USDTTRC20'] },
];

/** Cities of cash offices and how often an office is there. */
const CASH_CITIES: ReadonlyArray<[string, number]> = [
  ['MSK', 0.8],
  ['SPB', 0.6],
  ['EKB', 0.3],
  ['KZN', 0.25],
  ['NSK', 0.25],
  ['NN', 0.15],
  ['ROSTOV', 0.15],
  ['KRASNODAR', 0.15],
];

/** Directions every exchanger trading both sides offers (the busiest of the market). */
const BUSY = new Set(['BTC|SBERRUB', 'USDTTRC20|SBERRUB', 'SBERRUB|BTC', 'SBERRUB|USDTTRC20', 'ETH|USDTTRC20']);

/**
 * The cast, in order (slug, name). Stable across runs and seeds: README examples name them. The demo
 * makes a few of them misbehave by index (tools/demo/demo.ts DEMO_FAULTS).
 */
export const EXCHANGER_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['aurora', 'Aurora Exchange'],
  ['baikal', 'Baikal Change'],
  ['cobalt', 'Cobalt Swap'],
  ['delta', 'Delta Obmen'],
  ['ember', 'Ember Exchange'],
  ['fathom', 'Fathom Change'],
  ['granite', 'Granite Pay'],
  ['harbor', 'Harbor Coin'],
  ['iris', 'Iris Exchange'],
  ['juniper', 'Juniper Swap'],
  ['krona', 'Krona Change'],
  ['lumen', 'Lumen Obmen'],
  ['meridian', 'Meridian Exchange'],
  ['nordic', 'Nordic Coin'],
  ['onyx', 'Onyx Change'],
  ['polar', 'Polar Swap'],
  ['quartz', 'Quartz Exchange'],
  ['rubin', 'Rubin Obmen'],
  ['sable', 'Sable Change'],
  ['tundra', 'Tundra Exchange'],
  ['ural', 'Ural Coin'],
  ['volga', 'Volga Swap'],
  ['willow', 'Willow Exchange'],
  ['zenith', 'Zenith Change'],
  ['amber', 'Amber Obmen'],
  ['borealis', 'Borealis Pay'],
  ['crest', 'Crest Exchange'],
  ['dune', 'Dune Swap'],
  ['everest', 'Everest Change'],
  ['falcon', 'Falcon Coin'],
  ['glacier', 'Glacier Exchange'],
  ['helix', 'Helix Obmen'],
  ['ivory', 'Ivory Swap'],
  ['jade', 'Jade Change'],
  ['kestrel', 'Kestrel Exchange'],
  ['lynx', 'Lynx Coin'],
  ['magnolia', 'Magnolia Swap'],
  ['nimbus', 'Nimbus Exchange'],
  ['orbit', 'Orbit Change'],
  ['pine', 'Pine Obmen'],
];

/** The dialect of the exchanger at an index: mostly XML (both kinds), then JSON (both kinds) and TXT (both kinds). */
const DIALECT_CYCLE: readonly SimDialect[] = [
  'xml-eref-1.1',
  'xml',
  'xml-eref-1.1',
  'xml',
  'json',
  'xml',
  'xml-eref-1.1',
  'json-1.3',
  'txt-cities',
  'txt',
];

/** Per tick the reference of a volatile unit moves by up to ±10 bp (0.1 %), a fiat one by ±2 bp; USD stays. */
const STEP_BP = { crypto: 10, fiat: 2 } as const;
/** And never wanders further than this from its start, so a long demo stays a believable market. */
const WANDER_BP = { crypto: 200, fiat: 50 } as const;
/** Spreads stay within 0.2–3 %. */
export const SPREAD_BP = { min: 20, max: 300 } as const;
const BP = new Dec(10_000);
const SIGNIFICANT = 6;

interface Reference {
  base: Dec;
  offsetBp: number;
  volatility: keyof typeof STEP_BP | 'pegged';
}

/** A spread in basis points held within SPREAD_BP. */
export function clampSpread(bp: number): number {
  return Math.max(SPREAD_BP.min, Math.min(SPREAD_BP.max, bp));
}

/** An integer in [low, high] from the PRNG. */
export function between(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

function chance(random: () => number, p: number): boolean {
  return random() < p;
}

/** The reference prices and how an exchanger quotes against them. */
export class Market {
  private readonly references = new Map<string, Reference>();
  private readonly unitOf = new Map<string, string>();
  private readonly tickerOf = new Map<string, string>();

  constructor() {
    const catalog = new Map(readBundledCatalog().map((c) => [c.code, c]));
    for (const { code, usd } of [...LISTED, ...CASH]) {
      const listed = catalog.get(code);
      if (!listed) throw new Error(`the demo market trades ${code}, which the bundled catalog lacks`);
      this.unitOf.set(code, usd);
      this.tickerOf.set(code, listed.ticker);
    }
    for (const [unit, usd] of Object.entries(REFERENCE_USD))
      this.references.set(unit, {
        base: new Dec(usd),
        offsetBp: 0,
        volatility: unit === 'USD' ? 'pegged' : unit in { RUB: 1, UAH: 1, KZT: 1, EUR: 1 } ? 'fiat' : 'crypto',
      });
  }

  /** True for a code of the market (the demo's cast quotes only these). */
  trades(code: string): boolean {
    return this.unitOf.has(code);
  }

  /** The unit a feed names a limit or fee of this code in (`USDT`, `RUB`, `BTC`). */
  ticker(code: string): string {
    return this.tickerOf.get(code) ?? code;
  }

  /** USD per unit of a code now. */
  usd(code: string): Dec {
    const reference = this.references.get(this.unitOf.get(code) ?? '');
    if (!reference) throw new Error(`the demo market does not trade ${code}`);
    return reference.base.times(BP.plus(reference.offsetBp)).div(BP);
  }

  /** The reference rate of a direction: how much `to` 1 `from` is worth. */
  mid(from: string, to: string): Dec {
    return this.usd(from).div(this.usd(to));
  }

  /** One step of the random walk, every unit at once (so all exchangers see the same move). */
  walk(random: () => number): void {
    for (const reference of this.references.values()) {
      if (reference.volatility === 'pegged') continue;
      const step = STEP_BP[reference.volatility];
      const wander = WANDER_BP[reference.volatility];
      reference.offsetBp = Math.max(-wander, Math.min(wander, reference.offsetBp + between(random, -step, step)));
    }
  }

  /**
   * An exchanger's quote: the reference less `spreadBp`, six significant digits. Below 1 it is written
   * the way exchangers write it, `in` of `from` for 1 `to` (`inverse`), so SBERRUB → BTC reads 6 700 000 : 1.
   */
  quote(from: string, to: string, spreadBp: number): { rate: string; inverse: boolean } {
    const rate = this.mid(from, to).times(BP.minus(spreadBp)).div(BP);
    return rate.gte(1)
      ? { rate: toPlain(rate.toSignificantDigits(SIGNIFICANT)), inverse: false }
      : { rate: toPlain(new Dec(1).div(rate).toSignificantDigits(SIGNIFICANT)), inverse: true };
  }

  /** USD worth as an amount of a code, two significant digits (limits and reserves read like people set them). */
  amountOf(code: string, usd: number, digits = 2): string {
    return toPlain(new Dec(usd).div(this.usd(code)).toSignificantDigits(digits));
  }

  /**
   * The cast: `count` exchangers (names from EXCHANGER_NAMES), what each trades and on which terms.
   * The first, Aurora, trades every listed currency and has cash offices in MSK and SPB, so README
   * examples can rely on it.
   */
  plan(count: number, random: () => number): MarketExchangerPlan[] {
    const plans: MarketExchangerPlan[] = [];
    for (let index = 0; index < count; index++) {
      const [slug, name] = EXCHANGER_NAMES[index % EXCHANGER_NAMES.length]!;
      const round = Math.floor(index / EXCHANGER_NAMES.length);
      const dialect = DIALECT_CYCLE[index % DIALECT_CYCLE.length]!;
      const flagship = index === 0;
      // Most keep 0.5–1.5 %, a few sharp ones 0.2–0.5 %, a few greedy ones up to 2.5 % (items add their own).
      const spreadBp = flagship ? 60 : between(random, 0, 9) < 2 ? between(random, 25, 50) : between(random, 50, 150);
      const currencies = LISTED.filter((c) => flagship || chance(random, c.coverage)).map((c) => c.code);
      // One item per direction and city needs a dialect that carries a city per item.
      const cashCapable = dialect !== 'txt' && dialect !== 'json-1.3';
      const cities = flagship
        ? ['MSK', 'SPB']
        : cashCapable && (dialect === 'txt-cities' || chance(random, 0.55))
          ? this.citiesFor(random)
          : [];
      const policy = {
        manual: !flagship && chance(random, 0.2),
        verifying: chance(random, 0.25),
        // Premium Exchanger's RU users verify cards as a rule (and its EREF 1.1 writes it as a flag element).
        cardverify: dialect === 'xml-eref-1.1' || chance(random, 0.35),
        floating: chance(random, 0.25),
        networkFee: flagship || chance(random, 0.35),
        bankFeePercent: chance(random, 0.2) ? (chance(random, 0.5) ? '0.5' : '1') : null,
        minUsd: [20, 30, 50, 100][between(random, 0, 3)]!,
        maxUsd: [5_000, 10_000, 25_000, 50_000][between(random, 0, 3)]!,
      };
      const directions: MarketExchangerPlan['directions'] = [];
      const add = (from: string, to: string, city: string | null) =>
        directions.push({
          from,
          to,
          city,
          spreadBp: this.spreadOf(spreadBp, from, to, city, random),
          terms: this.terms(from, to, city, policy, random),
        });
      for (const from of currencies)
        for (const to of currencies) {
          if (from === to || !this.pairs(from, to)) continue;
          if (!BUSY.has(`${from}|${to}`) && !flagship && !chance(random, 0.85)) continue;
          add(from, to, null);
        }
      for (const city of cities)
        for (const cash of CASH)
          for (const other of cash.against) {
            if (!currencies.includes(other)) continue;
            const payout = other === 'USDTTRC20' && cash.code === 'CASHUSD';
            if (flagship || payout || chance(random, 0.7)) add(other, cash.code, city);
            if (flagship || chance(random, 0.5)) add(cash.code, other, city);
          }
      plans.push({
        slug: round === 0 ? slug : `${slug}-${round + 1}`,
        name: round === 0 ? name : `${name} ${round + 1}`,
        dialect,
        spreadBp,
        cities,
        directions,
      });
    }
    return plans;
  }

  /** Whether an exchanger quotes from → to: anything against crypto and stablecoins, no bank-to-bank transfers. */
  private pairs(from: string, to: string): boolean {
    const group = (code: string) => LISTED.find((c) => c.code === code)!.group;
    return group(from) !== 'bank' || group(to) !== 'bank';
  }

  /**
   * An item's own margin: the exchanger's, tighter between stablecoins, wider for cash (the courier, the
   * office), a little of its own; always within SPREAD_BP.
   */
  private spreadOf(base: number, from: string, to: string, city: string | null, random: () => number): number {
    const stable = (code: string) => LISTED.find((c) => c.code === code)?.group === 'stable';
    const bp = stable(from) && stable(to) ? base / 3 : city === null ? base : base + 50;
    return clampSpread(Math.round(bp) + between(random, -10, 10));
  }

  private citiesFor(random: () => number): string[] {
    const cities = CASH_CITIES.filter(([, p]) => chance(random, p)).map(([city]) => city);
    return cities.length > 0 ? cities : ['MSK'];
  }

  private terms(
    from: string,
    to: string,
    city: string | null,
    policy: {
      manual: boolean;
      verifying: boolean;
      cardverify: boolean;
      floating: boolean;
      networkFee: boolean;
      bankFeePercent: string | null;
      minUsd: number;
      maxUsd: number;
    },
    random: () => number,
  ): SimTerms {
    const listed = (code: string) => LISTED.find((c) => c.code === code);
    const fromBank = listed(from)?.group === 'bank';
    const toCrypto = listed(to)?.networkFee;
    const flags: string[] = [];
    if (policy.manual || city !== null) flags.push('manual');
    if (policy.verifying && fromBank) flags.push('verifying');
    if (policy.cardverify && fromBank && chance(random, 0.7)) flags.push('cardverify');
    const floats = policy.floating && listed(from)?.group === 'crypto' && !fromBank;
    if (floats) flags.push('floating');
    return {
      min: this.amountOf(from, city === null ? policy.minUsd : 500),
      max: this.amountOf(from, city === null ? policy.maxUsd : 100_000),
      fromFee: fromBank && policy.bankFeePercent ? [{ kind: 'percent', value: policy.bankFeePercent }] : [],
      toFee: toCrypto && policy.networkFee ? [{ kind: 'fixed', value: toCrypto }] : [],
      flags,
      floating: floats ? { percent: '1', minutes: 30 } : null,
    };
  }
}
