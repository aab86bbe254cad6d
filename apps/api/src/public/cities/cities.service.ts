import { Injectable } from '@nestjs/common';
import { CatalogRepository } from '@app/database';
import type { Language } from '../language';
import type { CityListDto } from './cities.dto';

/** The public city catalog: the codes `city` parameters take, named for people. */
@Injectable()
export class CitiesService {
  constructor(private readonly catalog: CatalogRepository) {}

  async list(language: Language): Promise<CityListDto> {
    const cities = await this.catalog.listCitiesWithOfferCounts();
    return {
      items: cities.map((c) => ({
        code: c.code,
        name: { en: c.nameEn, ru: c.nameRu },
        displayName: language === 'ru' ? c.nameRu : c.nameEn,
        country: c.country,
        offers: c.offers,
      })),
    };
  }
}
