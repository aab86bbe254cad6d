import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { actorOf, ID } from '../admin-params';
import {
  AdminCityDto,
  AdminCityListDto,
  CityAliasDto,
  CreateCityAliasDto,
  CreateCityDto,
  UpdateCityDto,
} from './cities.dto';
import { CityAdminService } from './cities.service';

@ApiTags('admin')
@ApiBearerAuth('admin')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin')
export class AdminCitiesController {
  constructor(private readonly cities: CityAdminService) {}

  @Get('cities')
  @ApiOperation({ summary: 'Cities with their aliases' })
  @ApiOkResponse({ type: AdminCityListDto })
  async list(): Promise<AdminCityListDto> {
    return { items: await this.cities.cities() };
  }

  @Post('cities')
  @ApiOperation({ summary: 'Add a city', description: 'Its code may not be spelled like an existing alias (409).' })
  @ApiCreatedResponse({ type: AdminCityDto })
  create(@Req() request: AdminRequest, @Body() dto: CreateCityDto): Promise<AdminCityDto> {
    return this.cities.createCity(actorOf(request), dto);
  }

  @Patch('cities/:code')
  @ApiOperation({ summary: 'Rename a city or change its country' })
  @ApiOkResponse({ type: AdminCityDto })
  update(@Req() request: AdminRequest, @Param('code') code: string, @Body() dto: UpdateCityDto): Promise<AdminCityDto> {
    return this.cities.updateCity(actorOf(request), code, dto);
  }

  @Post('city-aliases')
  @ApiOperation({
    summary: 'Add another spelling of a city',
    description:
      'Compared in any case, ignoring spaces and punctuation; refused (409) when spelled like a city code or another ' +
      'alias. `city=` parameters with it answer 400 naming the code; feeds writing it are stored under the code from ' +
      'their next poll.',
  })
  @ApiCreatedResponse({ type: CityAliasDto })
  createAlias(@Req() request: AdminRequest, @Body() dto: CreateCityAliasDto): Promise<CityAliasDto> {
    return this.cities.createAlias(actorOf(request), dto);
  }

  @Delete('city-aliases/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a city alias' })
  @ApiNoContentResponse()
  async deleteAlias(@Req() request: AdminRequest, @Param('id', ID) id: number): Promise<void> {
    await this.cities.deleteAlias(actorOf(request), id);
  }
}
