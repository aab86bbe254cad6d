import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { actorOf, ID } from '../admin-params';
import { CreateAliasDto, CreateCurrencyDto, UpdateCurrencyDto } from './catalog.dto';
import { CatalogAdminService } from './catalog.service';

@ApiTags('admin')
@ApiBearerAuth('admin')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin')
export class AdminCatalogController {
  constructor(private readonly catalog: CatalogAdminService) {}

  @Get('currencies') async currencies() {
    return { items: await this.catalog.currencies() };
  }

  @Post('currencies') createCurrency(@Req() request: AdminRequest, @Body() dto: CreateCurrencyDto) {
    return this.catalog.createCurrency(actorOf(request), dto);
  }

  @Patch('currencies/:code') updateCurrency(
    @Req() request: AdminRequest,
    @Param('code') code: string,
    @Body() dto: UpdateCurrencyDto,
  ) {
    return this.catalog.updateCurrency(actorOf(request), code, dto);
  }

  @Get('currency-aliases') async aliases() {
    return { items: await this.catalog.aliases() };
  }

  /** An alias applies from the next poll (the catalog version changes with it). */
  @Post('currency-aliases') createAlias(@Req() request: AdminRequest, @Body() dto: CreateAliasDto) {
    return this.catalog.createAlias(actorOf(request), dto);
  }

  @Delete('currency-aliases/:id') @HttpCode(204) async deleteAlias(
    @Req() request: AdminRequest,
    @Param('id', ID) aliasId: number,
  ): Promise<void> {
    await this.catalog.deleteAlias(actorOf(request), aliasId);
  }
}
