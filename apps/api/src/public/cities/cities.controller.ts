import { Controller, Get, Header, Headers, Query, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { languageOf, LanguageQuery } from '../language';
import { CityListDto } from './cities.dto';
import { CitiesService } from './cities.service';

@ApiTags('public')
@UseGuards(ThrottlerGuard)
@Controller('v1/cities')
export class CitiesController {
  constructor(private readonly cities: CitiesService) {}

  @Get()
  @Header('vary', 'Accept-Language')
  @ApiOperation({
    summary: 'The city catalog',
    description:
      'Every cash city by code (the value `city` takes in /v1/rates and /go), with its names and its count of ' +
      'shown offers. Other spellings (Moscow, ST.PETERSBURG, Санкт-Петербург) are answered with a 400 naming the code.',
  })
  @ApiOkResponse({ type: CityListDto })
  list(@Query() query: LanguageQuery, @Headers('accept-language') accept?: string): Promise<CityListDto> {
    return this.cities.list(languageOf(query.lang, accept));
  }
}
