import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUrl, Length, Matches, Max, Min, ValidateIf } from 'class-validator';
import { CURRENCY_KINDS, EXCHANGER_STATUSES, FEED_FORMAT_SETTINGS } from '@app/domain';
import { CurrencyCodeField, QueryLimit, SlugField, toUpperCase } from '../common/validation';

const HTTP_URL = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

export class CreateExchangerDto {
  @SlugField('slug')
  slug!: string;

  @ApiProperty({ example: 'Aura' })
  @IsString({ message: 'name must be text' })
  @Length(1, 200, { message: 'name must be 1-200 characters' })
  name!: string;

  @ApiProperty({ example: 'https://aura.example' })
  @IsUrl(HTTP_URL, { message: 'siteUrl must be an http(s) URL' })
  siteUrl!: string;

  @ApiProperty({ example: 'https://aura.example/?rid=42' })
  @IsUrl(HTTP_URL, { message: 'referralUrl must be an http(s) URL' })
  referralUrl!: string;

  @ApiPropertyOptional({ enum: EXCHANGER_STATUSES, default: 'active' })
  @IsOptional()
  @IsIn(EXCHANGER_STATUSES, { message: `status must be one of ${EXCHANGER_STATUSES.join(', ')}` })
  status?: (typeof EXCHANGER_STATUSES)[number];
}

export class UpdateExchangerDto extends PartialType(CreateExchangerDto) {}

export class CreateFeedDto {
  @ApiProperty({ example: 'https://aura.example/request-exportxml.xml' })
  @IsUrl(HTTP_URL, { message: 'url must be an http(s) URL' })
  url!: string;

  @ApiPropertyOptional({ enum: FEED_FORMAT_SETTINGS, default: 'auto' })
  @IsOptional()
  @IsIn(FEED_FORMAT_SETTINGS, { message: `format must be one of ${FEED_FORMAT_SETTINGS.join(', ')}` })
  format?: (typeof FEED_FORMAT_SETTINGS)[number];

  @ApiPropertyOptional({ default: 30, minimum: 5, maximum: 86400 })
  @IsOptional()
  @IsInt({ message: 'intervalSeconds must be a whole number' })
  @Min(5, { message: 'intervalSeconds must be at least 5' })
  @Max(86400, { message: 'intervalSeconds must be at most 86400 (24 h)' })
  intervalSeconds?: number;

  @ApiPropertyOptional({ default: 10000, minimum: 100, maximum: 120000 })
  @IsOptional()
  @IsInt({ message: 'timeoutMs must be a whole number' })
  @Min(100, { message: 'timeoutMs must be at least 100' })
  @Max(120000, { message: 'timeoutMs must be at most 120000' })
  timeoutMs?: number;

  @ApiPropertyOptional({ default: 300, minimum: 10 })
  @IsOptional()
  @IsInt({ message: 'staleAfterSeconds must be a whole number' })
  @Min(10, { message: 'staleAfterSeconds must be at least 10' })
  @Max(604800, { message: 'staleAfterSeconds must be at most 604800 (7 days)' })
  staleAfterSeconds?: number;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;
}

export class UpdateFeedDto extends PartialType(CreateFeedDto) {}

export class CreateCurrencyDto {
  @CurrencyCodeField('code', { example: 'USDTTON' })
  code!: string;

  @ApiProperty({ example: 'Tether TON (USDT)' })
  @IsString()
  @Length(1, 200, { message: 'name must be 1-200 characters' })
  name!: string;

  @ApiProperty({ example: 'USDT' })
  @Transform(toUpperCase)
  @Matches(/^[A-Z0-9]{1,16}$/, { message: 'ticker must be 1-16 letters and digits' })
  ticker!: string;

  @ApiProperty({ example: 'USD' })
  @Transform(toUpperCase)
  @Matches(/^[A-Z0-9]{1,16}$/, { message: 'iso must be 1-16 letters and digits' })
  iso!: string;

  @ApiProperty({ enum: CURRENCY_KINDS })
  @IsIn(CURRENCY_KINDS, { message: `kind must be one of ${CURRENCY_KINDS.join(', ')}` })
  kind!: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;
}

export class UpdateCurrencyDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200, { message: 'name must be 1-200 characters' }) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean({ message: 'enabled must be true or false' }) enabled?: boolean;
  @ApiPropertyOptional() @IsOptional() @Transform(toUpperCase) @Matches(/^[A-Z0-9]{1,16}$/, { message: 'ticker must be 1-16 letters and digits' }) ticker?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(toUpperCase) @Matches(/^[A-Z0-9]{1,16}$/, { message: 'iso must be 1-16 letters and digits' }) iso?: string;
}

export class CreateAliasDto {
  @ApiProperty({ example: 'USDT_TRON' })
  @Transform(toUpperCase)
  @Matches(/^[A-Z0-9_().\-/ ]{1,64}$/, { message: 'alias must be 1-64 characters of letters, digits, spaces and _().-/' })
  alias!: string;

  @CurrencyCodeField('code', { example: 'USDTTRC20' })
  code!: string;

  @ApiPropertyOptional({ nullable: true, type: Number, description: 'null = global' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt({ message: 'exchangerId must be an exchanger id or null' })
  exchangerId?: number | null;
}

export class RunsQuery {
  @QueryLimit(50, 500)
  limit?: number;
}

export class RefreshQuery {
  @ApiPropertyOptional({ description: 'true: answer with the finished run' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'wait must be true or false' })
  wait?: 'true' | 'false';
}

export class ClicksQuery {
  @ApiPropertyOptional({ description: 'ISO time; default 24 h ago' }) @IsOptional() @IsISO8601({}, { message: 'since must be an ISO-8601 time' }) since?: string;
  @ApiPropertyOptional({ description: 'ISO time; default now' }) @IsOptional() @IsISO8601({}, { message: 'until must be an ISO-8601 time' }) until?: string;
  @SlugField('exchanger', { optional: true }) exchanger?: string;
  @CurrencyCodeField('from', { optional: true }) from?: string;
  @CurrencyCodeField('to', { optional: true }) to?: string;
}

export class FeedCheckQuery {
  @ApiPropertyOptional({ enum: ['auto', 'xml', 'json', 'txt'] })
  @IsOptional()
  @IsIn(['auto', 'xml', 'json', 'txt'], { message: 'format must be one of auto, xml, json, txt' })
  format?: 'auto' | 'xml' | 'json' | 'txt';
}
