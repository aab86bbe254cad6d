import { Module } from '@nestjs/common';
import { MarketValuesRepository } from '@app/database';
import { CitiesController } from './cities/cities.controller';
import { CitiesService } from './cities/cities.service';
import { CurrenciesController } from './currencies/currencies.controller';
import { CurrenciesService } from './currencies/currencies.service';
import { DirectionsController } from './directions/directions.controller';
import { DirectionsService } from './directions/directions.service';
import { ExchangersController } from './exchangers/exchangers.controller';
import { ExchangerProfilesService } from './exchangers/exchangers.service';
import { ClickRecorder } from './go/click-recorder.service';
import { GoController } from './go/go.controller';
import { RedirectService } from './go/redirect.service';
import { PublicCache } from './public-cache.service';
import { MarketValues } from './rankrate/market-values.service';
import { RankRates } from './rankrate/rank-rates.service';
import { RoutesController } from './routes/routes.controller';
import { RoutesService } from './routes/routes.service';
import { DirectionBooks } from './rates/direction-books.service';
import { RatesController } from './rates/rates.controller';
import { RatesService } from './rates/rates.service';
import { RateStreamController } from './stream/rate-stream.controller';
import { RateStreamMetrics } from './stream/rate-stream.metrics';
import { RateStreams } from './stream/rate-streams.service';
import { ReputationController } from './reputation/reputation.controller';
import { PublicReputationService } from './reputation/reputation.service';
import { VisitorIdentities } from './reputation/visitor-identities.service';

/**
 * The public API for the monitoring frontend and the click-through (no auth; cached; rate-limited), and
 * what the open data builds on: rankrate with the market's USD values, and the direction tables.
 */
@Module({
  controllers: [
    CurrenciesController,
    CitiesController,
    RatesController,
    RoutesController,
    RateStreamController,
    DirectionsController,
    ExchangersController,
    GoController,
    ReputationController,
  ],
  providers: [
    PublicCache,
    RatesService,
    RateStreams,
    RateStreamMetrics,
    DirectionBooks,
    CurrenciesService,
    CitiesService,
    DirectionsService,
    ExchangerProfilesService,
    RedirectService,
    ClickRecorder,
    PublicReputationService,
    VisitorIdentities,
    MarketValuesRepository,
    MarketValues,
    RankRates,
    RoutesService,
  ],
  // For the open-data endpoints (OpenDataModule): rankrate and USD values, and the cached direction tables.
  exports: [RankRates, DirectionBooks],
})
export class PublicModule {}
