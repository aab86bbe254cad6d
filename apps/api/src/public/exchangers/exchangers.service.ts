import { Injectable } from '@nestjs/common';
import { ExchangersRepository, ExchangerSummary } from '@app/database';
import { NotFoundError, SLUG_PATTERN } from '@app/domain';
import { CachedAnswer, PublicCache } from '../public-cache.service';

function publicFields(e: ExchangerSummary) {
  return {
    slug: e.slug,
    name: e.name,
    siteUrl: e.siteUrl,
    status: e.status,
    offers: e.offers,
    updatedAt: e.updatedAt ? new Date(e.updatedAt).toISOString() : null,
    fresh: e.fresh,
    listedSince: new Date(e.listedSince).toISOString(),
    reviews: e.reviews,
  };
}

/** Active exchangers as visitors see them, cached like every public answer. */
@Injectable()
export class ExchangerProfilesService {
  constructor(
    private readonly exchangers: ExchangersRepository,
    private readonly cache: PublicCache,
  ) {}

  /** Active exchangers with their shown offers and freshness. */
  list(): Promise<CachedAnswer> {
    return this.cache.get('*', 'exchangers', async () => ({
      items: (await this.exchangers.listPublic()).map(publicFields),
    }));
  }

  /** One active exchanger, with the directions it shows. */
  async profile(slug: string): Promise<CachedAnswer> {
    if (!SLUG_PATTERN.test(slug)) throw new NotFoundError(`no exchanger ${slug.slice(0, 64)}`);
    return this.cache.get('*', `exchanger:${slug}`, async () => {
      const [exchanger] = await this.exchangers.listPublic(slug);
      if (!exchanger) throw new NotFoundError(`no exchanger ${slug}`);
      return { ...publicFields(exchanger), directions: await this.exchangers.shownDirections(exchanger.id) };
    });
  }
}
