import { Module } from '@nestjs/common';
import { ExchangerKeyGuard } from './exchanger-key.guard';
import { ExchangerCabinetController } from './exchanger.controller';
import { ExchangerCabinetService } from './exchanger.service';

/** The exchanger's cabinet (`/v1/exchanger/…`): keys scoped to one exchanger only. */
@Module({
  controllers: [ExchangerCabinetController],
  providers: [ExchangerKeyGuard, ExchangerCabinetService],
})
export class ExchangerCabinetModule {}
