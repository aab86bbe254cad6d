import { Injectable } from '@nestjs/common';
import { OffersRepository } from '@app/database';
import { CatalogSnapshots } from '@app/ingestion';
import { CachedAnswer, PublicCache } from '../public-cache.service';

/** The directions with fresh offers, cached like every public answer. */
@Injectable()
export class DirectionsService {
  constructor(
    private readonly offers: OffersRepository,
    private readonly catalogs: CatalogSnapshots,
    private readonly cache: PublicCache,
  ) {}

  /** `{ items: [{ from, to, offers, bestRate }] }`, all directions or those from one currency. */
  async list(from: string | undefined): Promise<CachedAnswer> {
    if (from) (await this.catalogs.current()).require(from);
    return this.cache.get('*', `directions:${from ?? ''}`, async () => ({
      items: await this.offers.listDirections(from ?? null),
    }));
  }
}
