import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrenciesRepository } from '@app/database';
import { CurrencyListDto, ListCurrenciesQuery } from './currencies.dto';

@ApiTags('public')
@UseGuards(ThrottlerGuard)
@Controller('v1/currencies')
export class CurrenciesController {
  constructor(private readonly currencies: CurrenciesRepository) {}

  /** The currency catalog, each with its count of fresh offers. */
  @Get()
  @ApiOkResponse({ type: CurrencyListDto })
  async list(@Query() query: ListCurrenciesQuery): Promise<CurrencyListDto> {
    const rows = await this.currencies.listWithOfferCounts({ withOffersOnly: query.withOffers === true });
    return { items: rows.map(({ code, name, ticker, iso, kind, offers }) => ({ code, name, ticker, iso, kind, offers })) };
  }
}
