import { ApiKeyEntity } from './api-key.entity';
import { ClickEntity } from './click.entity';
import { CurrencyAliasEntity } from './currency-alias.entity';
import { CurrencyEntity } from './currency.entity';
import { ExchangerEntity } from './exchanger.entity';
import { FeedRunEntity } from './feed-run.entity';
import { FeedEntity } from './feed.entity';
import { OfferEntity } from './offer.entity';

export * from './api-key.entity';
export * from './click.entity';
export * from './currency-alias.entity';
export * from './currency.entity';
export * from './exchanger.entity';
export * from './feed-run.entity';
export * from './feed.entity';
export * from './offer.entity';

export const ENTITIES = [
  ApiKeyEntity,
  ClickEntity,
  CurrencyAliasEntity,
  CurrencyEntity,
  ExchangerEntity,
  FeedEntity,
  FeedRunEntity,
  OfferEntity,
];
