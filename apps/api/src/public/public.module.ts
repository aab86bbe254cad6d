import { Module } from '@nestjs/common';
import { CatalogCache } from './catalog-cache.service';
import { CurrenciesController } from './currencies/currencies.controller';
import { DirectionsController } from './directions/directions.controller';
import { ExchangersController } from './exchangers/exchangers.controller';
import { ClickRecorder } from './go/click-recorder.service';
import { GoController } from './go/go.controller';
import { PublicCache } from './public-cache.service';
import { BestRateRecorder } from './rates/best-rate-recorder.service';
import { RatesController } from './rates/rates.controller';
import { RatesService } from './rates/rates.service';

/** The public API for the monitoring frontend and the click-through (no auth; cached; rate-limited). */
@Module({
  controllers: [CurrenciesController, RatesController, DirectionsController, ExchangersController, GoController],
  providers: [CatalogCache, PublicCache, RatesService, ClickRecorder, BestRateRecorder],
})
export class PublicModule {}
