import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import {
  CLAIM_ACTION_ACTOR,
  CLAIM_ACTORS,
  CLAIM_STATES,
  REASON_MAX,
  REASON_MIN,
  REVIEW_STATES,
  REVIEW_TONES,
} from '@app/domain';
import { QueryLimit, SlugField } from '../../common/validation';
import { CURSOR_PATTERN } from '../../public/reputation/reputation.dto';
import { ApiNextCursor } from '../../common/paging';
import { DATE_TIME, NULLABLE_DATE_TIME } from '../admin-docs';

const ID = { type: String, example: '42', description: 'a decimal string (ids are 64-bit)' } as const;
const NULLABLE_TEXT = { type: String, nullable: true } as const;
const HASH = {
  example: '3f9a0c21b7de',
  description: 'the first 12 hex digits of a hash: equal ones are the same visitor (a day) or address',
} as const;

const REVIEW_FILTER = [...REVIEW_STATES, 'all'] as const;
const CLAIM_FILTER = [...CLAIM_STATES, 'all'] as const;
export type ReviewStateFilter = (typeof REVIEW_FILTER)[number];
export type ClaimStateFilter = (typeof CLAIM_FILTER)[number];

/** `?limit&cursor&exchanger` of a moderation queue (oldest first). */
class QueueQuery {
  @QueryLimit(50, 500)
  limit?: number;

  @ApiPropertyOptional({ example: '42', description: 'the nextCursor of the previous page' })
  @IsOptional()
  @Matches(CURSOR_PATTERN, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;

  @SlugField('exchanger', { optional: true, description: "only this exchanger's" })
  exchanger?: string;
}

export class ReviewQueueQuery extends QueueQuery {
  @ApiPropertyOptional({ enum: REVIEW_FILTER, default: 'pending' })
  @IsOptional()
  @IsIn(REVIEW_FILTER, { message: `state must be one of ${REVIEW_FILTER.join(', ')}` })
  state?: ReviewStateFilter;

  @ApiPropertyOptional({ type: Boolean, description: 'true: only reviews of a burst; false: only the others' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'burst must be true or false' })
  burst?: boolean;
}

export class ClaimQueueQuery extends QueueQuery {
  @ApiPropertyOptional({ enum: CLAIM_FILTER, default: 'pending' })
  @IsOptional()
  @IsIn(CLAIM_FILTER, { message: `state must be one of ${CLAIM_FILTER.join(', ')}` })
  state?: ClaimStateFilter;
}

export class AuditQuery {
  @ApiPropertyOptional({ enum: ['review', 'claim'] })
  @IsOptional()
  @IsIn(['review', 'claim'], { message: 'entity must be review or claim' })
  entity?: 'review' | 'claim';

  @ApiPropertyOptional({ example: '42', description: 'the id of one review or claim (with entity)' })
  @IsOptional()
  @Matches(CURSOR_PATTERN, { message: 'id must be the id of a review or claim (a whole number)' })
  id?: string;

  @QueryLimit(50, 500)
  limit?: number;
}

export class RejectDto {
  @ApiProperty({ minLength: REASON_MIN, maxLength: REASON_MAX, example: 'bought: posted for a bonus' })
  @IsString({ message: `reason must be a string of ${REASON_MIN}-${REASON_MAX} characters` })
  reason!: string;
}

export class ResolveDto {
  @ApiPropertyOptional({ minLength: REASON_MIN, maxLength: REASON_MAX, example: 'refunded on 2026-12-03' })
  @IsOptional()
  @IsString({ message: `text must be a string of ${REASON_MIN}-${REASON_MAX} characters` })
  text?: string;
}

/** A review as moderators see it. */
export class ModeratedReviewDto {
  @ApiProperty(ID) id!: string;
  @ApiProperty({ example: 3 }) exchangerId!: number;
  @ApiProperty({ enum: REVIEW_TONES }) tone!: string;
  @ApiProperty({ description: 'plain text as typed' }) text!: string;
  @ApiProperty(NULLABLE_TEXT) orderRef!: string | null;
  @ApiProperty({ enum: REVIEW_STATES }) state!: string;
  @ApiProperty({ ...NULLABLE_TEXT, description: 'why it was rejected' }) rejectReason!: string | null;
  @ApiProperty({ description: 'its author clicked through /go to the exchanger within 30 days before' })
  visited!: boolean;
  @ApiProperty({ description: 'posted in a burst of reviews of the exchanger: look at them together' })
  burst!: boolean;
  @ApiProperty(DATE_TIME) createdAt!: string;
  @ApiProperty(NULLABLE_DATE_TIME) moderatedAt!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'the admin key that moderated it (null: not by a key)' })
  moderatedBy!: number | null;
  @ApiProperty({ ...NULLABLE_TEXT, description: "the exchanger's reply" }) reply!: string | null;
  @ApiProperty(NULLABLE_DATE_TIME) repliedAt!: string | null;
}

export class QueuedReviewDto extends ModeratedReviewDto {
  @ApiProperty({ example: 'aurora' }) exchanger!: string;
  @ApiProperty(HASH) visitor!: string;
  @ApiProperty(HASH) ip!: string;
}

export class BurstDto {
  @ApiProperty({ example: 'aurora' }) exchanger!: string;
  @ApiProperty({ example: 7, description: 'pending reviews of the burst' }) pending!: number;
  @ApiProperty(DATE_TIME) firstAt!: string;
  @ApiProperty(DATE_TIME) lastAt!: string;
}

export class ReviewQueueDto {
  @ApiProperty({ type: [QueuedReviewDto], description: 'oldest first' }) items!: QueuedReviewDto[];
  @ApiNextCursor()
  nextCursor!: string | null;
  @ApiProperty({ type: [BurstDto], description: 'exchangers with pending reviews of a burst, largest first' })
  bursts!: BurstDto[];
}

export class ClaimEventDto {
  @ApiProperty(ID) id!: string;
  @ApiProperty(DATE_TIME) at!: string;
  @ApiProperty({ enum: Object.keys(CLAIM_ACTION_ACTOR) }) action!: string;
  @ApiProperty({ enum: CLAIM_ACTORS }) actor!: string;
  @ApiProperty({ type: Number, nullable: true, description: "the exchanger's or admin's key (null: visitor, CLI)" })
  keyId!: number | null;
  @ApiProperty({ enum: CLAIM_STATES, nullable: true }) fromState!: string | null;
  @ApiProperty({ enum: CLAIM_STATES }) toState!: string;
  @ApiProperty(NULLABLE_TEXT) text!: string | null;
}

/** A claim as moderators see it, with every step. */
export class ModeratedClaimDto {
  @ApiProperty(ID) id!: string;
  @ApiProperty({ example: 3 }) exchangerId!: number;
  @ApiProperty({ example: 'A-10293' }) orderRef!: string;
  @ApiProperty({ description: 'plain text as typed' }) text!: string;
  @ApiProperty({ ...NULLABLE_TEXT, example: '150.5', description: 'a decimal string' }) amount!: string | null;
  @ApiProperty({ ...NULLABLE_TEXT, example: 'USDTTRC20' }) currency!: string | null;
  @ApiProperty({ enum: CLAIM_STATES }) state!: string;
  @ApiProperty({ description: 'its author clicked through /go to the exchanger within 30 days before' })
  visited!: boolean;
  @ApiProperty(DATE_TIME) createdAt!: string;
  @ApiProperty({ ...NULLABLE_DATE_TIME, description: 'when a moderator accepted it' }) openedAt!: string | null;
  @ApiProperty(DATE_TIME) updatedAt!: string;
  @ApiProperty({ ...NULLABLE_DATE_TIME, description: 'when it was resolved or rejected' }) closedAt!: string | null;
  @ApiProperty({ type: [ClaimEventDto], description: 'every step, oldest first' }) events!: ClaimEventDto[];
}

export class QueuedClaimDto extends ModeratedClaimDto {
  @ApiProperty({ example: 'aurora' }) exchanger!: string;
  @ApiProperty(HASH) visitor!: string;
  @ApiProperty(HASH) ip!: string;
}

export class ClaimQueueDto {
  @ApiProperty({ type: [QueuedClaimDto], description: 'oldest first' }) items!: QueuedClaimDto[];
  @ApiNextCursor()
  nextCursor!: string | null;
}

export class ModerationActDto {
  @ApiProperty(ID) id!: string;
  @ApiProperty(DATE_TIME) at!: string;
  @ApiProperty({ type: Number, nullable: true, description: 'the admin key that acted (null: not by a key)' })
  keyId!: number | null;
  @ApiProperty({ enum: ['review', 'claim'] }) entity!: string;
  @ApiProperty(ID) entityId!: string;
  @ApiProperty({ example: 'publish' }) action!: string;
  @ApiProperty({ example: 'pending' }) fromState!: string;
  @ApiProperty({ example: 'published' }) toState!: string;
  @ApiProperty(NULLABLE_TEXT) reason!: string | null;
}

export class ModerationAuditDto {
  @ApiProperty({ type: [ModerationActDto], description: 'newest first' }) items!: ModerationActDto[];
}
