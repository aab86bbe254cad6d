import { Body, Controller, Get, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { ApiKeyInfo } from '@app/database';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { AdminApi, AdminErrors } from '../admin-docs';
import { actorOf, ID } from '../admin-params';
import {
  CreatedExchangerKeyDto,
  CreateExchangerKeyDto,
  ExchangerKeyDto,
  ExchangerKeyListDto,
} from './exchanger-keys.dto';
import { ExchangerKeysService } from './exchanger-keys.service';

/** A scoped key as the admin API shows it: its info, never its text (that is in the creation's answer only). */
function keyDto(info: ApiKeyInfo): ExchangerKeyDto {
  return {
    id: info.id,
    name: info.name,
    prefix: info.prefix,
    exchanger: info.exchanger!,
    exchangerId: info.exchangerId!,
    createdAt: info.createdAt.toISOString(),
    lastUsedAt: info.lastUsedAt?.toISOString() ?? null,
    revokedAt: info.revokedAt?.toISOString() ?? null,
  };
}

@AdminApi('admin: exchanger keys')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin/exchangers/:id/keys')
export class AdminExchangerKeysController {
  constructor(private readonly keys: ExchangerKeysService) {}

  @Post()
  @ApiOperation({
    summary: "Make a key scoped to the exchanger: its cabinet's key",
    description:
      'The key opens `/v1/exchanger/…` for this exchanger only (never the admin API). Its text is in this ' +
      'answer only: it is stored as a hash. Audited; revoke it with `admin:key revoke ID`. Deleting the ' +
      'exchanger deletes its keys.',
  })
  @ApiCreatedResponse({ type: CreatedExchangerKeyDto, description: 'the key, shown this once, and its info' })
  @AdminErrors([400, 404], {
    400: 'the id is not a whole number, or name is missing',
    404: 'no exchanger with this id',
  })
  async create(
    @Req() request: AdminRequest,
    @Param('id', ID) exchangerId: number,
    @Body() dto: CreateExchangerKeyDto,
  ): Promise<CreatedExchangerKeyDto> {
    const { key, info } = await this.keys.create(actorOf(request), exchangerId, dto.name);
    return { key, ...keyDto(info) };
  }

  @Get()
  @ApiOperation({ summary: "The exchanger's keys, revoked ones included (never their text)" })
  @ApiOkResponse({ type: ExchangerKeyListDto, description: 'its keys, by id' })
  @AdminErrors([400, 404], { 400: 'the id is not a whole number', 404: 'no exchanger with this id' })
  async list(@Param('id', ID) exchangerId: number): Promise<ExchangerKeyListDto> {
    return { items: (await this.keys.list(exchangerId)).map(keyDto) };
  }
}
