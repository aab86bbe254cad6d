import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { READS_JUDGED } from '@app/database';
import { EXCHANGER_STATUSES, FEED_DEFAULTS, FEED_FORMAT_SETTINGS, FEED_FORMATS } from '@app/domain';
import { HttpUrlField } from '../../common/validation';
import { DATE_TIME, NULLABLE_DATE_TIME, StoredErrorDto } from '../admin-docs';

export class CreateFeedDto {
  @HttpUrlField('url', { example: 'https://aura.example/request-exportxml.xml' })
  url!: string;

  @ApiPropertyOptional({ enum: FEED_FORMAT_SETTINGS, default: 'auto' })
  @IsOptional()
  @IsIn(FEED_FORMAT_SETTINGS, { message: `format must be one of ${FEED_FORMAT_SETTINGS.join(', ')}` })
  format?: (typeof FEED_FORMAT_SETTINGS)[number];

  @ApiPropertyOptional({ default: FEED_DEFAULTS.intervalSeconds, minimum: 5, maximum: 86400 })
  @IsOptional()
  @IsInt({ message: 'intervalSeconds must be a whole number' })
  @Min(5, { message: 'intervalSeconds must be at least 5' })
  @Max(86400, { message: 'intervalSeconds must be at most 86400 (24 h)' })
  intervalSeconds?: number;

  @ApiPropertyOptional({ default: FEED_DEFAULTS.timeoutMs, minimum: 100, maximum: 120000 })
  @IsOptional()
  @IsInt({ message: 'timeoutMs must be a whole number' })
  @Min(100, { message: 'timeoutMs must be at least 100' })
  @Max(120000, { message: 'timeoutMs must be at most 120000' })
  timeoutMs?: number;

  @ApiPropertyOptional({ default: FEED_DEFAULTS.staleAfterSeconds, minimum: 10 })
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

export class RefreshQuery {
  @ApiPropertyOptional({ description: 'true: answer with the finished run' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'wait must be true or false' })
  wait?: 'true' | 'false';
}

/** A feed's settings. */
export class FeedDto {
  @ApiProperty({ example: 5 }) id!: number;
  @ApiProperty({ example: 3 }) exchangerId!: number;
  @ApiProperty({ example: 'https://aura.example/request-exportxml.xml' }) url!: string;
  @ApiProperty({ enum: FEED_FORMAT_SETTINGS }) format!: string;
  @ApiProperty({ example: 30 }) intervalSeconds!: number;
  @ApiProperty({ example: 10000 }) timeoutMs!: number;
  @ApiProperty({ example: 300 }) staleAfterSeconds!: number;
  @ApiProperty() enabled!: boolean;
  @ApiProperty(DATE_TIME) createdAt!: string;
  @ApiProperty(DATE_TIME) updatedAt!: string;
}

export class FeedListDto {
  @ApiProperty({ type: [FeedDto] }) items!: FeedDto[];
}

/** One rejected item of a feed: its 0-based position and why. */
export class RejectedItemDto {
  @ApiProperty({ example: 4 }) index!: number;
  @ApiProperty({ example: 'unknown currency XYZ' }) reason!: string;
}

/** A feed's state: its last poll, its failures and whether its offers are fresh. */
export class FeedHealthDto {
  @ApiProperty({ example: 5 }) id!: number;
  @ApiProperty({ example: 3 }) exchangerId!: number;
  @ApiProperty({ example: 'aura' }) exchangerSlug!: string;
  @ApiProperty({ example: 'Aura Exchange' }) exchangerName!: string;
  @ApiProperty({ example: 'https://aura.example/request-exportxml.xml' }) url!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ enum: EXCHANGER_STATUSES }) exchangerStatus!: string;
  @ApiProperty(NULLABLE_DATE_TIME) lastAttemptAt!: string | null;
  @ApiProperty(NULLABLE_DATE_TIME) lastSuccessAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'ok', description: "the last run's status" })
  lastStatus!: string | null;
  @ApiProperty({ type: StoredErrorDto, nullable: true }) lastError!: StoredErrorDto | null;
  @ApiProperty({ example: 0 }) consecutiveFailures!: number;
  @ApiProperty({ description: 'the feed said it is in maintenance' }) inMaintenance!: boolean;
  @ApiProperty({ description: 'a successful poll within staleAfterSeconds' }) fresh!: boolean;
  @ApiProperty({ example: 120, description: 'offers stored from it' }) offers!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 2,
    description:
      'items the latest run that read items rejected (unknown codes, invalid items); null before any such run. ' +
      'Runs that read nothing (not modified, unchanged, maintenance, a failed fetch) are skipped',
  })
  lastRejected!: number | null;
  @ApiProperty({
    type: [RejectedItemDto],
    description: "the first reasons of that run's rejected items (all of them are in the feed's runs)",
  })
  lastRejects!: RejectedItemDto[];
  @ApiProperty({
    description:
      `each of the feed's last ${READS_JUDGED} runs that read items (fewer if it has fewer) rejected some: ` +
      'offers are lost on every poll, a problem although the feed is fresh and not failing',
  })
  rejecting!: boolean;
}

export class FeedHealthListDto {
  @ApiProperty({ type: [FeedHealthDto] }) items!: FeedHealthDto[];
}

/** One poll of a feed. */
export class FeedRunDto {
  @ApiProperty({ example: '1024', description: 'a bigint, as a string' }) id!: string;
  @ApiProperty({ enum: ['schedule', 'manual'], example: 'schedule' }) trigger!: string;
  @ApiProperty(DATE_TIME) startedAt!: string;
  @ApiProperty({ example: 84 }) durationMs!: number;
  @ApiProperty({ enum: ['ok', 'empty', 'maintenance', 'not_modified', 'unchanged', 'error'] }) status!: string;
  @ApiProperty({ enum: FEED_FORMATS, nullable: true, type: String }) format!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'xml', description: 'the dialect the reader recognised' })
  dialect!: string | null;
  @ApiProperty({ type: Number, nullable: true, example: 200 }) httpStatus!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: 48213 }) bytes!: number | null;
  @ApiProperty({ example: 120 }) items!: number;
  @ApiProperty({ example: 118 }) accepted!: number;
  @ApiProperty({ example: 2 }) rejected!: number;
  @ApiProperty({ example: 0 }) duplicates!: number;
  @ApiProperty({ example: 1 }) inserted!: number;
  @ApiProperty({ example: 5 }) updated!: number;
  @ApiProperty({ example: 0 }) deleted!: number;
  @ApiProperty({ example: 0, description: 'offers the rate guard held back' }) quarantined!: number;
  @ApiProperty({ example: 0, description: 'held offers shown again' }) released!: number;
  @ApiProperty({ type: StoredErrorDto, nullable: true }) error!: StoredErrorDto | null;
  @ApiProperty({ type: [RejectedItemDto] }) rejects!: RejectedItemDto[];
  @ApiProperty({ type: [String] }) warnings!: string[];
}

export class FeedRunListDto {
  @ApiProperty({ type: [FeedRunDto] }) items!: FeedRunDto[];
}

/** A poll queued (fleet mode: a job any worker takes) or started in process (standalone). */
export class FeedRefreshAcceptedDto {
  @ApiProperty({ example: '17', description: 'the BullMQ job id, or `local-N` in standalone mode' }) jobId!: string;
  @ApiProperty({ example: 5 }) feedId!: number;
}

/** A poll that has finished (`?wait=true`). */
export class FeedRefreshFinishedDto {
  @ApiProperty({ example: '17', description: 'the BullMQ job id, or `local-N` in standalone mode' }) jobId!: string;
  @ApiProperty({ type: FeedRunDto, nullable: true, description: "the feed's latest run: the one just made" })
  run!: FeedRunDto | null;
}
