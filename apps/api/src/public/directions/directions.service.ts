import { Injectable } from '@nestjs/common';
import { OffersRepository } from '@app/database';
import { CatalogCache } from '../catalog-cache.service';
import { CachedAnswer, PublicCache } from '../public-cache.service';

/** The directions with fresh offers, cached like every public answer. */
@Injectable()
export class DirectionsService {
  constructor(
    private readonly offers: OffersRepository,
    private readonly catalog: CatalogCache,
    private readonly cache: PublicCache,
  ) {}

  /** `{ items: [{ from, to, offers, bestRate }] }`, all directions or those from one currency. */
  async list(from: string | undefined): Promise<CachedAnswer> {
    if (from) await this.catalog.require(from);
    return this.cache.get('*', `directions:${from ?? ''}`, async () => ({
      items: await this.offers.listDirections(from ?? null),
    }));
  }
}
