import { Module } from '@nestjs/common';

/**
 * Open data (DESIGN.md §13): the BestChange-compatible export (`/v1/export/info.zip`) and the keyed JSON API
 * under `/v1/open/…` with its partner keys (admin) and their quotas.
 */
@Module({})
export class OpenDataModule {}
