import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { CurrencyUnit, Dec, OfferTerms, rankrateOf, referenceAmount, TimeSlicer, toPlain } from '@app/domain';
import { CatalogSnapshots } from '@app/ingestion';
import { MarketValues } from './market-values.service';

/** A currency's value in US dollars as the open data shows it. */
export interface UsdValueView {
  code: string;
  /** US dollars per 1 unit (a decimal string). */
  usd: string;
  /** `unit` (ISO unit USD: 1), `direct` (its USD-unit directions), `hop` (through `through`). */
  via: 'unit' | 'direct' | 'hop';
  through: string | null;
  /** Exchangers behind the estimate (0 for a USD unit). */
  exchangers: number;
}

/**
 * rankrate (DESIGN.md §13): the rate a visitor gets at the reference amount — `openData.rankrateReferenceUsd`
 * US dollars' worth of the currency given (RANKRATE_REFERENCE_USD, default 300) — after fees, limits and
 * rounding, through the `/v1/rates` calculator; and each currency's value in US dollars it rests on
 * (`MarketValues`: medians of the shown market, refreshed as snapshots change).
 *
 * The API, for the open-data endpoints and `sort=rankrate`:
 * - `usdValue(code)` → USD per 1 unit as a decimal string, or null when the market does not value it;
 * - `usdValues()` → every valued currency (`UsdValueView`), by code;
 * - `referenceAmount(code)` → the amount of `code` worth the reference, or null;
 * - `rankrates(from, to, offers)` → each offer's rankrate (get per 1 give, a decimal string like `rate`)
 *   in the order given, null where it has none (its from currency has no USD value, no amount its limits
 *   and reserve admit, fees that eat the amount; see `rankrateOf` for the nearest-admissible-amount rule).
 *   Unknown or disabled codes → NotFoundError (404). Offers are any `OfferTerms` (DirectionBooks' rows
 *   included); results are kept per offer object until the USD value or the reference moves.
 */
@Injectable()
export class RankRates {
  private readonly reference: Dec;
  private readonly memo = new WeakMap<object, { amount: string; rankrate: string | null }>();

  constructor(
    private readonly market: MarketValues,
    private readonly catalogs: CatalogSnapshots,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.reference = new Dec(config.openData.rankrateReferenceUsd);
  }

  /** The reference amount in US dollars (RANKRATE_REFERENCE_USD), as a decimal string. */
  referenceUsd(): string {
    return toPlain(this.reference);
  }

  /** US dollars per 1 unit of `code`, or null when the market does not value it (unknown codes too). */
  async usdValue(code: string): Promise<string | null> {
    const value = (await this.market.valuation()).get(code.toUpperCase());
    return value ? toPlain(value.value) : null;
  }

  /** Bumped whenever the USD values may have changed (what is made of them is made again when it moves). */
  valuesVersion(): number {
    return this.market.version;
  }

  /** Every currency the market values, by code. */
  async usdValues(): Promise<Map<string, UsdValueView>> {
    const views = new Map<string, UsdValueView>();
    for (const [code, v] of (await this.market.valuation()).all())
      views.set(code, { code, usd: toPlain(v.value), via: v.via, through: v.through, exchangers: v.exchangers });
    return views;
  }

  /** The amount of `code` worth the reference (to its decimals), or null without a USD value. */
  async referenceAmount(code: string): Promise<string | null> {
    const unit = (await this.catalogs.current()).require(code);
    const amount = await this.amountOf(unit);
    return amount === null ? null : toPlain(amount);
  }

  /** Each offer's rankrate on from → to, in the order given (see the class comment). */
  async rankrates(from: string, to: string, offers: readonly OfferTerms[]): Promise<Array<string | null>> {
    const catalog = await this.catalogs.current();
    const [fromUnit, toUnit] = [catalog.require(from), catalog.require(to)];
    const amount = await this.amountOf(fromUnit);
    if (amount === null) return offers.map(() => null);
    const key = `${toPlain(amount)}|${fromUnit.code}|${fromUnit.kind}|${toUnit.code}|${toUnit.kind}`;
    const slicer = new TimeSlicer();
    const rankrates: Array<string | null> = [];
    for (const offer of offers) {
      const known = this.memo.get(offer);
      if (known?.amount === key) rankrates.push(known.rankrate);
      else {
        const rankrate = safeRankrate(offer, amount, fromUnit, toUnit);
        this.memo.set(offer, { amount: key, rankrate });
        rankrates.push(rankrate);
      }
      if (slicer.due()) await slicer.pause();
    }
    return rankrates;
  }

  private async amountOf(unit: CurrencyUnit): Promise<Dec | null> {
    const value = (await this.market.valuation()).get(unit.code);
    return value ? referenceAmount(this.reference, value.value, unit) : null;
  }
}

/** rankrate as a string; an offer whose terms cannot be read (a malformed stored fee) has none. */
function safeRankrate(offer: OfferTerms, amount: Dec, from: CurrencyUnit, to: CurrencyUnit): string | null {
  try {
    const result = rankrateOf(offer, amount, from, to);
    return result === null ? null : toPlain(result.rate);
  } catch {
    return null;
  }
}
