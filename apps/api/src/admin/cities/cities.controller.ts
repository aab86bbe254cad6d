import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { AdminApi, AdminErrors } from '../admin-docs';
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

@AdminApi('admin: cities')
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
  @AdminErrors([400, 409], { 409: 'a city with this code exists, or the code is spelled like an alias' })
  create(@Req() request: AdminRequest, @Body() dto: CreateCityDto): Promise<AdminCityDto> {
    return this.cities.createCity(actorOf(request), dto);
  }

  @Patch('cities/:code')
  @ApiOperation({ summary: 'Rename a city or change its country' })
  @ApiOkResponse({ type: AdminCityDto })
  @AdminErrors([400, 404], { 404: 'no city with this code' })
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
  @AdminErrors([400, 409], {
    400: 'invalid input, or a code that is not a city of the catalog',
    409: 'spelled like a city code or another alias',
  })
  createAlias(@Req() request: AdminRequest, @Body() dto: CreateCityAliasDto): Promise<CityAliasDto> {
    return this.cities.createAlias(actorOf(request), dto);
  }

  @Delete('city-aliases/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a city alias' })
  @ApiNoContentResponse({ description: 'deleted' })
  @AdminErrors([400, 404], { 400: 'the id is not a whole number', 404: 'no city alias with this id' })
  async deleteAlias(@Req() request: AdminRequest, @Param('id', ID) id: number): Promise<void> {
    await this.cities.deleteAlias(actorOf(request), id);
  }
}
