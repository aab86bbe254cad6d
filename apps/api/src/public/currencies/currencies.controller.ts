import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrencyListDto, ListCurrenciesQuery } from './currencies.dto';
import { CurrenciesService } from './currencies.service';

@ApiTags('public')
@UseGuards(ThrottlerGuard)
@Controller('v1/currencies')
export class CurrenciesController {
  constructor(private readonly currencies: CurrenciesService) {}

  /** The currency catalog, each with its count of fresh offers. */
  @Get()
  @ApiOkResponse({ type: CurrencyListDto })
  list(@Query() query: ListCurrenciesQuery): Promise<CurrencyListDto> {
    return this.currencies.list(query.withOffers === true);
  }
}
