import { Injectable } from '@nestjs/common';
import { CatalogRepository } from '@app/database';
import type { CurrencyListDto } from './currencies.dto';

/** The public currency catalog. */
@Injectable()
export class CurrenciesService {
  constructor(private readonly catalog: CatalogRepository) {}

  /** Enabled currencies, each with its count of fresh offers (only those with offers, if asked). */
  async list(withOffersOnly: boolean): Promise<CurrencyListDto> {
    const rows = await this.catalog.listWithOfferCounts({ withOffersOnly });
    return {
      items: rows.map(({ code, name, ticker, iso, kind, offers }) => ({ code, name, ticker, iso, kind, offers })),
    };
  }
}
