import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { APP_CONFIG, AppConfig } from '@app/config';
import { OpenKeyInfo, OpenKeysRepository, OpenKeyWithUsage } from '@app/database';
import { AdminAuthGuard, AdminRequest } from '../../admin/admin-auth.guard';
import { AdminApi, AdminErrors } from '../../admin/admin-docs';
import { actorOf, ID } from '../../admin/admin-params';
import { CreatedOpenKeyDto, CreateOpenKeyDto, OpenKeyDto, OpenKeyListDto } from './admin-open-keys.dto';
import { OpenKeyAccess } from './open-key-access.service';

function keyDto(info: OpenKeyInfo, usage: OpenKeyWithUsage['usage'] = []): OpenKeyDto {
  return {
    id: info.id,
    name: info.name,
    prefix: info.prefix,
    perMinute: info.perMinute,
    perDay: info.perDay,
    createdAt: new Date(info.createdAt).toISOString(),
    lastUsedAt: info.lastUsedAt ? new Date(info.lastUsedAt).toISOString() : null,
    revokedAt: info.revokedAt ? new Date(info.revokedAt).toISOString() : null,
    usage,
  };
}

@AdminApi('admin: open-data keys')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin/open-keys')
export class AdminOpenKeysController {
  constructor(
    private readonly keys: OpenKeysRepository,
    private readonly access: OpenKeyAccess,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Make a partner key of the keyed JSON API (/v1/open/…)',
    description:
      'With its own quotas per minute and per UTC day (defaults OPEN_API_PER_MINUTE, OPEN_API_PER_DAY). The key ' +
      'is in this answer only: it is stored as a SHA-256 hash. Audited.',
  })
  @ApiCreatedResponse({ type: CreatedOpenKeyDto, description: 'the key, shown this once, and its info' })
  @AdminErrors([400], { 400: 'name missing or longer than 100 characters, or a quota out of range' })
  async create(@Req() request: AdminRequest, @Body() dto: CreateOpenKeyDto): Promise<CreatedOpenKeyDto> {
    const { key, info } = await this.keys.create(
      {
        name: dto.name.trim(),
        perMinute: dto.perMinute ?? this.config.openData.perMinute,
        perDay: dto.perDay ?? this.config.openData.perDay,
      },
      actorOf(request),
    );
    return { key, ...keyDto(info) };
  }

  @Get()
  @ApiOperation({
    summary: 'Partner keys with their quotas and usage per day (revoked ones included, never their text)',
  })
  @ApiOkResponse({ type: OpenKeyListDto, description: 'the keys, by id' })
  async list(): Promise<OpenKeyListDto> {
    await this.access.flush();
    return { items: (await this.keys.list()).map((k) => keyDto(k, k.usage)) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke a partner key',
    description:
      'Refused (403) from now on by this replica, and by every other within 2 seconds. The key and its usage ' +
      'stay listed. Revoking it again changes nothing. Audited.',
  })
  @ApiNoContentResponse({ description: 'revoked (GET lists it with its revokedAt)' })
  @AdminErrors([400, 404], { 400: 'the id is not a whole number', 404: 'no open-data key with this id' })
  async revoke(@Req() request: AdminRequest, @Param('id', ID) id: number): Promise<void> {
    await this.keys.revoke(id, actorOf(request));
    this.access.forget();
  }
}
