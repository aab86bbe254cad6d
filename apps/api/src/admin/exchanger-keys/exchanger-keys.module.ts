import { Module } from '@nestjs/common';
import { AdminAuthGuard } from '../admin-auth.guard';
import { AdminExchangerKeysController } from './exchanger-keys.controller';
import { ExchangerKeysService } from './exchanger-keys.service';

/** `/v1/admin/exchangers/:id/keys`: an admin makes and lists the keys of an exchanger's cabinet. */
@Module({
  controllers: [AdminExchangerKeysController],
  providers: [AdminAuthGuard, ExchangerKeysService],
})
export class ExchangerKeysModule {}
