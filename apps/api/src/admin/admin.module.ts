import { Module } from '@nestjs/common';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminCatalogController } from './catalog/catalog.controller';
import { CatalogAdminService } from './catalog/catalog.service';
import { AdminCitiesController } from './cities/cities.controller';
import { CityAdminService } from './cities/cities.service';
import { AdminExchangersController } from './exchangers/exchangers.controller';
import { ExchangerAdminService } from './exchangers/exchangers.service';
import { FeedRefresher } from './feeds/feed-refresher.service';
import { AdminFeedsController } from './feeds/feeds.controller';
import { FeedAdminService } from './feeds/feeds.service';
import { AdminOperationsController } from './operations/operations.controller';
import { OperationsService } from './operations/operations.service';
import { AdminPartnersController } from './partners/partners.controller';
import { PartnerAdminService } from './partners/partners.service';
import { AdminQuarantineController } from './quarantine/quarantine.controller';
import { QuarantineAdminService } from './quarantine/quarantine.service';
import { AdminModerationController } from './reputation/reputation.controller';
import { ModerationService } from './reputation/reputation.service';

/** The admin API (`/v1/admin/*`, bearer keys): one folder per resource, controller → service → repositories. */
@Module({
  controllers: [
    AdminExchangersController,
    AdminFeedsController,
    AdminCatalogController,
    AdminCitiesController,
    AdminOperationsController,
    AdminPartnersController,
    AdminQuarantineController,
    AdminModerationController,
  ],
  providers: [
    AdminAuthGuard,
    ExchangerAdminService,
    FeedAdminService,
    FeedRefresher,
    CatalogAdminService,
    CityAdminService,
    OperationsService,
    PartnerAdminService,
    QuarantineAdminService,
    ModerationService,
  ],
})
export class AdminModule {}
