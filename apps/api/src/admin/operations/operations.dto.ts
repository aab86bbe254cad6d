import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { FEED_ERROR_CODES, FEED_FORMAT_SETTINGS, FEED_FORMATS, FeedFormatSetting } from '@app/domain';
import { FEED_DIALECTS } from '@app/feeds';
import { CurrencyCodeField, SlugField, TimeWindowQuery } from '../../common/validation';
import { DATE_TIME, TimeWindowDto } from '../admin-docs';
import { RejectedItemDto } from '../feeds/feeds.dto';

/** Clicks of a window (default: the last 24 hours), optionally of one exchanger and direction. */
export class ClicksQuery extends TimeWindowQuery {
  @SlugField('exchanger', { optional: true }) exchanger?: string;
  @CurrencyCodeField('from', { optional: true }) from?: string;
  @CurrencyCodeField('to', { optional: true }) to?: string;
}

export class FeedCheckQuery {
  @ApiPropertyOptional({ enum: FEED_FORMAT_SETTINGS })
  @IsOptional()
  @IsIn(FEED_FORMAT_SETTINGS, { message: `format must be one of ${FEED_FORMAT_SETTINGS.join(', ')}` })
  format?: FeedFormatSetting;
}

/** One admin change: which key, what, when, and the row before and after. */
export class AuditEntryDto {
  @ApiProperty({ example: '311', description: 'a bigint, as a string' }) id!: string;
  @ApiProperty(DATE_TIME) at!: string;
  @ApiProperty({ type: Number, nullable: true, example: 2, description: 'null: the bootstrap key or the CLI' })
  keyId!: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'ops laptop' }) keyName!: string | null;
  @ApiProperty({ enum: ['create', 'update', 'delete'] }) action!: string;
  @ApiProperty({ example: 'feed' }) entity!: string;
  @ApiProperty({ type: String, nullable: true, example: '5' }) entityId!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'null for a creation' })
  before!: Record<string, unknown> | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'null for a deletion' })
  after!: Record<string, unknown> | null;
}

export class AuditListDto {
  @ApiProperty({ type: [AuditEntryDto] }) items!: AuditEntryDto[];
}

/** Clicks of one exchanger and direction in the window. */
export class ClickCountDto {
  @ApiProperty({ example: 'aura' }) exchanger!: string;
  @ApiProperty({ example: 'BTC' }) from!: string;
  @ApiProperty({ example: 'SBERRUB' }) to!: string;
  @ApiProperty({ example: 44 }) clicks!: number;
  @ApiProperty({ example: 38 }) uniqueClicks!: number;
  @ApiProperty({ example: 1 }) bots!: number;
}

export class ClickCountsDto extends TimeWindowDto {
  @ApiProperty({ type: [ClickCountDto], description: 'most clicked first' }) items!: ClickCountDto[];
}

/** One queue's jobs by state (fleet mode), or the in-process scheduler (standalone: schedulers only). */
export class QueueCountsDto {
  @ApiProperty({ example: 'feed-poll' }) name!: string;
  @ApiPropertyOptional({ example: 0 }) waiting?: number;
  @ApiPropertyOptional({ example: 1 }) active?: number;
  @ApiPropertyOptional({ example: 12 }) delayed?: number;
  @ApiPropertyOptional({ example: 0 }) failed?: number;
  @ApiPropertyOptional({ example: 40 }) completed?: number;
  @ApiPropertyOptional({ example: 0 }) prioritized?: number;
  @ApiProperty({ example: 12, description: 'scheduled feeds' }) schedulers!: number;
}

export class QueuesDto {
  @ApiProperty({ enum: ['standalone', 'fleet'] }) mode!: string;
  @ApiProperty({ type: [QueueCountsDto] }) items!: QueueCountsDto[];
}

/** `{"url": "…"}`: the feed is fetched through the same fetcher and SSRF guard as a poll. */
export class FeedCheckUrlDto {
  @ApiProperty({ example: 'https://aura.example/request-exportxml.xml' }) url!: string;
}

/** A fee as the feed wrote it; the value is a decimal string. */
export class FeeDto {
  @ApiProperty({ enum: ['fixed', 'percent'] }) kind!: string;
  @ApiProperty({ example: '0.5' }) value!: string;
  @ApiPropertyOptional({ example: 'USD' }) unit?: string;
}

/** Floating-rate terms: the rate may move by up to `percent` within `minutes`. */
export class FloatingTermsDto {
  @ApiProperty({ type: String, nullable: true, example: '1.5', description: 'a decimal' }) percent!: string | null;
  @ApiProperty({ type: Number, nullable: true, example: 30 }) minutes!: number | null;
}

/** One offer after normalization. Decimals are strings. */
export class NormalizedOfferDto {
  @ApiProperty({ example: 'BTC' }) from!: string;
  @ApiProperty({ example: 'SBERRUB' }) to!: string;
  @ApiProperty({ type: String, nullable: true, example: null }) city!: string | null;
  @ApiProperty({ example: '1' }) in!: string;
  @ApiProperty({ example: '6900000' }) out!: string;
  @ApiProperty({ example: '6900000', description: 'units of `to` per unit of `from`' }) rate!: string;
  @ApiProperty({ type: String, nullable: true, example: '125000000' }) reserve!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '0.001' }) fromMin!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2' }) fromMax!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) toMin!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) toMax!: string | null;
  @ApiProperty({ type: [FeeDto] }) fromFee!: FeeDto[];
  @ApiProperty({ type: [FeeDto] }) toFee!: FeeDto[];
  @ApiProperty({ type: [FeeDto] }) minFee!: FeeDto[];
  @ApiProperty({ type: [String], example: ['manual'] }) flags!: string[];
  @ApiProperty({ type: FloatingTermsDto, nullable: true }) floating!: FloatingTermsDto | null;
  @ApiProperty({ type: Number, nullable: true, example: 15 }) delayMinutes!: number | null;
}

export class FeedCheckErrorDto {
  @ApiProperty({ enum: FEED_ERROR_CODES }) code!: string;
  @ApiProperty({ example: 'the body is not well-formed XML' }) message!: string;
}

export class FeedCheckStatsDto {
  @ApiProperty({ example: 120 }) items!: number;
  @ApiProperty({ example: 118 }) offers!: number;
  @ApiProperty({ example: 2 }) rejected!: number;
  @ApiProperty({ example: 0 }) duplicates!: number;
}

/** What the validator made of a feed; nothing is stored. */
export class FeedReportDto {
  @ApiProperty({ enum: ['ok', 'empty', 'maintenance', 'error'] }) status!: string;
  @ApiProperty({ enum: FEED_FORMATS, nullable: true, type: String }) format!: string | null;
  @ApiProperty({ enum: Object.keys(FEED_DIALECTS), nullable: true, type: String }) dialect!: string | null;
  @ApiProperty({ type: FeedCheckErrorDto, nullable: true }) error!: FeedCheckErrorDto | null;
  @ApiProperty({ type: [NormalizedOfferDto] }) offers!: NormalizedOfferDto[];
  @ApiProperty({ type: [RejectedItemDto] }) rejected!: RejectedItemDto[];
  @ApiProperty({ type: [String] }) warnings!: string[];
  @ApiProperty({ type: FeedCheckStatsDto }) stats!: FeedCheckStatsDto;
}
