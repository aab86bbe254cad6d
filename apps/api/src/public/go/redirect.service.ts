import { Injectable } from '@nestjs/common';
import { ExchangersRepository } from '@app/database';
import {
  buildReferralUrl,
  CITY_PATTERN,
  CURRENCY_CODE_PATTERN,
  InvalidRequestError,
  NotFoundError,
  SLUG_PATTERN,
} from '@app/domain';
import { CatalogSnapshot, CatalogSnapshots } from '@app/ingestion';
import { ClickRecorder } from './click-recorder.service';

/** What a click tells of the visitor (the IP is hashed by the recorder, never stored). */
export interface Visitor {
  ip: string;
  userAgent: string;
  referrer: string | null;
}

/** The query's value upper-cased when it is one string matching `pattern` (codes and cities are case-insensitive), else null. */
function upperMatching(value: unknown, pattern: RegExp): string | null {
  return typeof value === 'string' && pattern.test(value.toUpperCase()) ? value.toUpperCase() : null;
}

/**
 * The city a click goes to: a catalog code, or a code the catalog does not list yet (an offer's goUrl
 * carries its feed's city, and a click must not be lost for it). Another name of a catalog city
 * (`Moscow`) is a 400 naming the code; anything not shaped like a code is a 400.
 */
function cityOf(catalog: CatalogSnapshot, city: string): string {
  if (catalog.cities.resolve(city).kind !== 'unknown') return catalog.requireCity(city);
  const code = upperMatching(city, CITY_PATTERN);
  if (code === null) throw new InvalidRequestError('city must be a city code like MSK: GET /v1/cities lists them');
  return code;
}

/**
 * The click-through (DESIGN.md §8): the target is built only from the registered exchanger's referral
 * URL and catalog codes — never an open redirect — and each click is recorded without delaying it.
 */
@Injectable()
export class RedirectService {
  constructor(
    private readonly exchangers: ExchangersRepository,
    private readonly catalogs: CatalogSnapshots,
    private readonly clicks: ClickRecorder,
  ) {}

  /** Where `/go/:slug` sends the visitor: the referral URL with `cur_from`/`cur_to` (and `city`). */
  async target(slug: string, query: { from: unknown; to: unknown; city: unknown }, visitor: Visitor): Promise<string> {
    const fromCode = upperMatching(query.from, CURRENCY_CODE_PATTERN);
    const toCode = upperMatching(query.to, CURRENCY_CODE_PATTERN);
    if (fromCode === null) throw new InvalidRequestError('from must be a currency code from the catalog');
    if (toCode === null) throw new InvalidRequestError('to must be a currency code from the catalog');
    if (fromCode === toCode) throw new InvalidRequestError('from and to must differ');
    if (query.city !== undefined && (typeof query.city !== 'string' || query.city.length > 64))
      throw new InvalidRequestError('city must be a city code like MSK');
    const catalog = await this.catalogs.current();
    const cityCode = query.city === undefined ? null : cityOf(catalog, query.city);
    const target = SLUG_PATTERN.test(slug) ? await this.exchangers.findRedirectTarget(slug) : null;
    if (!target) throw new NotFoundError(`no active exchanger ${slug.slice(0, 64)}`);
    // The same 404 as every other endpoint's unknown code (CatalogSnapshot.require).
    catalog.require(fromCode);
    catalog.require(toCode);

    void this.clicks
      .record({
        exchangerId: target.id,
        from: fromCode,
        to: toCode,
        city: cityCode,
        at: new Date(),
        referrer: visitor.referrer,
        ip: visitor.ip,
        userAgent: visitor.userAgent,
      })
      .catch(() => undefined);
    return buildReferralUrl(target.referralUrl, fromCode, toCode, cityCode);
  }
}
