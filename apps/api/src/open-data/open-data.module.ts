import { Module } from '@nestjs/common';
import { OpenDataRepository, OpenKeysRepository } from '@app/database';
import { AdminAuthGuard } from '../admin/admin-auth.guard';
import { PublicModule } from '../public/public.module';
import { RankRates } from '../public/rankrate/rank-rates.service';
import { ExportController } from './export/export.controller';
import { OpenKeyRedaction } from './keyed/key-redaction';
import { OpenApiController, OpenKeyGuard } from './keyed/open-api.controller';
import { OpenApiService, RANKRATE_SOURCE } from './keyed/open-api.service';
import { AdminOpenKeysController } from './keys/admin-open-keys.controller';
import { OpenKeyAccess } from './keys/open-key-access.service';
import { OpenDataSnapshots, USD_VALUER } from './open-data-snapshots.service';

/**
 * Open data (DESIGN.md §13): the BestChange-compatible export (`/v1/export/info.zip`) and the keyed JSON API
 * under `/v1/open/…` with its partner keys (admin) and their quotas.
 */
@Module({
  // rankrate and the market's USD values (RankRates): the keyed API's rankrate, bm_exch's and bm_brates' dollars.
  imports: [PublicModule],
  controllers: [ExportController, OpenApiController, AdminOpenKeysController],
  providers: [
    OpenDataRepository,
    OpenKeysRepository,
    OpenDataSnapshots,
    OpenApiService,
    OpenKeyAccess,
    OpenKeyGuard,
    OpenKeyRedaction,
    AdminAuthGuard,
    { provide: USD_VALUER, useExisting: RankRates },
    { provide: RANKRATE_SOURCE, useExisting: RankRates },
  ],
})
export class OpenDataModule {}
