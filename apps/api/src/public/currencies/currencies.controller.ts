import { Controller, Get, Headers, Param, Query, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { AcceptsLanguage, languageOf, LanguageQuery } from '../language';
import { PublicApi } from '../public-docs';
import { CurrencyDetailDto, CurrencyListDto, ListCurrenciesQuery } from './currencies.dto';
import { CurrenciesService } from './currencies.service';

@PublicApi('currencies')
@UseGuards(ThrottlerGuard)
@Controller('v1/currencies')
export class CurrenciesController {
  constructor(private readonly currencies: CurrenciesService) {}

  /** The currency catalog, each with its count of fresh offers. */
  @Get()
  @AcceptsLanguage()
  @ApiOperation({
    summary: 'The currency catalog',
    description:
      'Every enabled currency with its names (`name.en`, `name.ru`, and `displayName` in the language of `lang` ' +
      'or Accept-Language), url name, display unit and precision, and its count of fresh offers.',
  })
  @ApiOkResponse({ type: CurrencyListDto, description: 'the enabled currencies' })
  @ApiErrors({ 400: 'lang other than en or ru, withOffers other than true or false, or an unknown query parameter' })
  list(@Query() query: ListCurrenciesQuery, @Headers('accept-language') accept?: string): Promise<CurrencyListDto> {
    return this.currencies.list(query.withOffers === true, languageOf(query.lang, accept));
  }

  /** One currency and the currencies it is exchanged to and from. */
  @Get(':code')
  @AcceptsLanguage()
  @ApiOperation({
    summary: 'One currency, with its directions',
    description:
      'The currency by code (any case) or url name, with `directionsFrom` (what you can receive for it) and ' +
      '`directionsTo` (what you can give for it) among the offers shown now. Unknown → 404.',
  })
  @ApiParam({ name: 'code', example: 'sberbank-rub', description: 'a currency code or url name' })
  @ApiOkResponse({ type: CurrencyDetailDto, description: 'the currency and its directions' })
  @ApiErrors({
    400: 'lang other than en or ru, or an unknown query parameter',
    404: 'no enabled currency of this code or url name',
  })
  one(
    @Param('code') code: string,
    @Query() query: LanguageQuery,
    @Headers('accept-language') accept?: string,
  ): Promise<CurrencyDetailDto> {
    return this.currencies.one(code, languageOf(query.lang, accept));
  }
}
