import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { AdminApi, AdminErrors } from '../admin-docs';
import { actorOf, ID } from '../admin-params';
import {
  AdminCurrencyDto,
  AdminCurrencyListDto,
  CreateAliasDto,
  CreateCurrencyDto,
  CurrencyAliasDto,
  CurrencyAliasListDto,
  UpdateCurrencyDto,
} from './catalog.dto';
import { CatalogAdminService } from './catalog.service';

@AdminApi('admin: catalog')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin')
export class AdminCatalogController {
  constructor(private readonly catalog: CatalogAdminService) {}

  @Get('currencies')
  @ApiOperation({ summary: 'Every currency of the catalog, enabled or not' })
  @ApiOkResponse({ type: AdminCurrencyListDto })
  async currencies() {
    return { items: await this.catalog.currencies() };
  }

  @Post('currencies')
  @ApiOperation({ summary: 'Add a currency to the catalog' })
  @ApiCreatedResponse({ type: AdminCurrencyDto })
  @AdminErrors([400, 409], { 409: 'a currency with this code exists' })
  createCurrency(@Req() request: AdminRequest, @Body() dto: CreateCurrencyDto) {
    return this.catalog.createCurrency(actorOf(request), dto);
  }

  @Patch('currencies/:code')
  @ApiOperation({ summary: 'Rename, enable or disable a currency, or change its units' })
  @ApiOkResponse({ type: AdminCurrencyDto })
  @AdminErrors([400, 404], { 404: 'no currency with this code' })
  updateCurrency(@Req() request: AdminRequest, @Param('code') code: string, @Body() dto: UpdateCurrencyDto) {
    return this.catalog.updateCurrency(actorOf(request), code, dto);
  }

  @Get('currency-aliases')
  @ApiOperation({ summary: 'Every currency alias, global ones first' })
  @ApiOkResponse({ type: CurrencyAliasListDto })
  async aliases() {
    return { items: await this.catalog.aliases() };
  }

  /** An alias applies from the next poll (the catalog version changes with it). */
  @Post('currency-aliases')
  @ApiOperation({
    summary: 'Add a currency alias',
    description: 'Applies from the next poll (the catalog version changes with it).',
  })
  @ApiCreatedResponse({ type: CurrencyAliasDto })
  @AdminErrors([400, 409], {
    400: 'invalid input, a code not in the catalog, an unknown exchanger, or a global alias that is itself a code',
    409: 'this alias exists in this scope',
  })
  createAlias(@Req() request: AdminRequest, @Body() dto: CreateAliasDto) {
    return this.catalog.createAlias(actorOf(request), dto);
  }

  @Delete('currency-aliases/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a currency alias' })
  @ApiNoContentResponse({ description: 'deleted' })
  @AdminErrors([400, 404], { 400: 'the id is not a whole number', 404: 'no alias with this id' })
  async deleteAlias(@Req() request: AdminRequest, @Param('id', ID) aliasId: number): Promise<void> {
    await this.catalog.deleteAlias(actorOf(request), aliasId);
  }
}
