import { BadRequestException, Body, Controller, Delete, HttpCode, Inject, NotFoundException, Param, ParseIntPipe, Post, Put, Query, Get, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUrl, Length, Max, Min } from 'class-validator';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AdminRepository, PartnersRepository } from '@app/database';
import { PartnerScheduler, PartnerSyncRequester, sealSecret } from '@app/partners';
import { AdminAuthGuard, AdminRequest } from './admin-auth.guard';
import { followSchedule } from './follow-schedule';

export class PartnerAccountDto {
  @ApiProperty({ example: 'https://aura.example/service/partner/api.php' })
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'apiUrl must be an http(s) URL' })
  apiUrl!: string;

  @ApiProperty({ description: 'write-only: stored encrypted, never returned' })
  @IsString({ message: 'apiKey must be text' })
  @Length(4, 512, { message: 'apiKey must be 4-512 characters' })
  apiKey!: string;

  @ApiPropertyOptional({ enum: ['get', 'post', 'both'], default: 'both', description: 'where the start_time/end_time filters go' })
  @IsOptional()
  @IsIn(['get', 'post', 'both'], { message: 'requestStyle must be get, post or both' })
  requestStyle?: 'get' | 'post' | 'both';

  @ApiPropertyOptional({ default: 900, minimum: 60, maximum: 86400 })
  @IsOptional()
  @IsInt({ message: 'syncIntervalSeconds must be a whole number' })
  @Min(60, { message: 'syncIntervalSeconds must be at least 60' })
  @Max(86400, { message: 'syncIntervalSeconds must be at most 86400' })
  syncIntervalSeconds?: number;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;
}

export class ReportQuery {
  @ApiPropertyOptional({ description: 'ISO time; default 30 days ago' }) @IsOptional() @IsISO8601({}, { message: 'since must be an ISO-8601 time' }) since?: string;
  @ApiPropertyOptional({ description: 'ISO time; default now' }) @IsOptional() @IsISO8601({}, { message: 'until must be an ISO-8601 time' }) until?: string;
}

const id = new ParseIntPipe({ exceptionFactory: () => new BadRequestException('the id must be a whole number') });

/** Partner accounts of exchangers and the referral-earnings report. */
@ApiTags('admin')
@ApiBearerAuth('admin')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin')
export class AdminPartnersController {
  constructor(
    private readonly admin: AdminRepository,
    private readonly partners: PartnersRepository,
    private readonly scheduler: PartnerScheduler,
    private readonly syncer: PartnerSyncRequester,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Connects (or changes) an exchanger's partner account; the key is encrypted under SECRET_KEY. */
  @Put('exchangers/:id/partner')
  async put(@Req() request: AdminRequest, @Param('id', id) exchangerId: number, @Body() dto: PartnerAccountDto) {
    if (!(await this.admin.findExchanger(exchangerId))) throw new NotFoundException(`no exchanger ${exchangerId}`);
    if (!this.config.secretKey) throw new BadRequestException(['SECRET_KEY must be set on the api before a partner API key can be stored']);
    if (/[?&]api_key=/i.test(dto.apiUrl)) throw new BadRequestException(['apiUrl must not carry the key: send it as apiKey']);
    const account = await this.admin.upsertPartnerAccount({ keyId: request.adminKey?.id ?? null }, exchangerId, {
      apiUrl: dto.apiUrl,
      apiKeyEncrypted: sealSecret(dto.apiKey, this.config.secretKey),
      requestStyle: dto.requestStyle ?? 'both',
      syncIntervalSeconds: dto.syncIntervalSeconds ?? 900,
      enabled: dto.enabled ?? true,
    });
    await followSchedule(`partner account of exchanger ${exchangerId}`, () => this.scheduler.sync(exchangerId));
    return account;
  }

  @Delete('exchangers/:id/partner')
  @HttpCode(204)
  async remove(@Req() request: AdminRequest, @Param('id', id) exchangerId: number): Promise<void> {
    if (!(await this.admin.deletePartnerAccount({ keyId: request.adminKey?.id ?? null }, exchangerId))) throw new NotFoundException(`exchanger ${exchangerId} has no partner account`);
    await followSchedule(`partner account of exchanger ${exchangerId} removed`, () => this.scheduler.sync(exchangerId));
  }

  /** Syncs now and answers with the outcome. */
  @Post('exchangers/:id/partner/sync')
  @HttpCode(200)
  async syncNow(@Param('id', id) exchangerId: number) {
    const outcome = await this.syncer.syncNow(exchangerId);
    if (outcome.status === 'skipped') throw new NotFoundException(outcome.reason);
    return outcome;
  }

  /** Per exchanger: balance, referred and successful exchanges, reward, partner visits vs our clicks. */
  @Get('partner/report')
  async report(@Query() query: ReportQuery) {
    const until = query.until ? new Date(query.until) : new Date();
    const since = query.since ? new Date(query.since) : new Date(until.getTime() - 30 * 86_400_000);
    if (since >= until) throw new BadRequestException(['since must be before until']);
    return { since: since.toISOString(), until: until.toISOString(), items: await this.partners.report(since, until) };
  }
}
