import { Controller, Get, Headers, Query, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { AcceptsLanguage, languageOf, LanguageQuery } from '../language';
import { PublicApi } from '../public-docs';
import { CityListDto } from './cities.dto';
import { CitiesService } from './cities.service';

@PublicApi('cities')
@UseGuards(ThrottlerGuard)
@Controller('v1/cities')
export class CitiesController {
  constructor(private readonly cities: CitiesService) {}

  @Get()
  @AcceptsLanguage()
  @ApiOperation({
    summary: 'The city catalog',
    description:
      'Every cash city by code (the value `city` takes in /v1/rates and /go), with its names and its count of ' +
      'shown offers. Other spellings (Moscow, ST.PETERSBURG, Санкт-Петербург) are answered with a 400 naming the code.',
  })
  @ApiOkResponse({ type: CityListDto, description: 'every city of the catalog' })
  @ApiErrors({ 400: 'lang other than en or ru, or an unknown query parameter' })
  list(@Query() query: LanguageQuery, @Headers('accept-language') accept?: string): Promise<CityListDto> {
    return this.cities.list(languageOf(query.lang, accept));
  }
}
