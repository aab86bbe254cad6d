import { Injectable } from '@nestjs/common';
import { CatalogRepository, CurrencyForPeople } from '@app/database';
import { NotFoundError } from '@app/domain';
import type { Language } from '../language';
import type { CurrencyDetailDto, CurrencyDto, CurrencyListDto, CurrencySummaryDto } from './currencies.dto';

/** The public currency catalog, named for people in English and Russian. */
@Injectable()
export class CurrenciesService {
  constructor(private readonly catalog: CatalogRepository) {}

  /** Enabled currencies, each with its count of fresh offers (only those with offers, if asked). */
  async list(withOffersOnly: boolean, language: Language): Promise<CurrencyListDto> {
    const rows = await this.catalog.listWithOfferCounts({ withOffersOnly });
    return { items: rows.map((row) => currencyDto(row, row.offers, language)) };
  }

  /** One enabled currency by code (any case) or url name, with the currencies it is exchanged to and from. */
  async one(codeOrUrlName: string, language: Language): Promise<CurrencyDetailDto> {
    // Codes and url names are letters, digits and dashes: anything else (a NUL, 10 KB of text) is unknown without a query.
    const currency = /^[A-Za-z0-9-]{1,64}$/.test(codeOrUrlName) ? await this.catalog.findCurrency(codeOrUrlName) : null;
    if (!currency)
      throw new NotFoundError(
        `unknown currency ${codeOrUrlName.replace(/[^\p{L}\p{N}._-]/gu, '?').slice(0, 64)}: GET /v1/currencies lists them`,
      );
    const { from, to } = await this.catalog.counterpartsOf(currency.code);
    return {
      ...currencyDto(currency, currency.offers, language),
      directionsFrom: from.map((c) => ({ ...summaryDto(c, language), offers: c.offers })),
      directionsTo: to.map((c) => ({ ...summaryDto(c, language), offers: c.offers })),
    };
  }
}

function summaryDto(c: CurrencyForPeople, language: Language): CurrencySummaryDto {
  return {
    code: c.code,
    name: { en: c.nameEn, ru: c.nameRu },
    displayName: language === 'ru' ? c.nameRu : c.nameEn,
    urlName: c.urlName,
    unit: c.unit,
    precision: c.precision,
    kind: c.kind,
  };
}

function currencyDto(c: CurrencyForPeople, offers: number, language: Language): CurrencyDto {
  return { ...summaryDto(c, language), ticker: c.ticker, iso: c.iso, offers };
}
