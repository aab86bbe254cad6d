import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import {
  CLAIM_ACTION_ACTOR,
  CLAIM_ACTORS,
  CLAIM_STATES,
  ORDER_REF_MAX,
  REVIEW_TONES,
  ReviewTone,
  TEXT_MAX,
  TEXT_MIN,
} from '@app/domain';
import { ApiNextCursor } from '../../common/paging';
import { CurrencyCodeField, QueryLimit } from '../../common/validation';

/** An id as the API writes it: a decimal string (ids are 64-bit). */
const ID = { type: String, example: '42', description: 'a decimal string (ids are 64-bit)' } as const;
const DATE_TIME = { type: String, format: 'date-time', example: '2026-12-02T12:00:00.000Z' } as const;
const TEXT = {
  minLength: TEXT_MIN,
  maxLength: TEXT_MAX,
  example: 'Fast exchange, the rate was the one shown, support answered in minutes.',
  description: `plain text, ${TEXT_MIN}-${TEXT_MAX} characters; kept as typed (no HTML: markup stays text)`,
} as const;
const ORDER_REF = { maxLength: ORDER_REF_MAX, example: 'A-10293', description: 'the order, as the site names it' };

/** A cursor is the `nextCursor` of a previous page: an id. */
export const CURSOR_PATTERN = /^[1-9]\d{0,17}$/;

/** `?limit&cursor` of a newest-first list. */
export class PageQuery {
  @QueryLimit(20, 100)
  limit?: number;

  @ApiPropertyOptional({ example: '42', description: 'the nextCursor of the previous page' })
  @IsOptional()
  @Matches(CURSOR_PATTERN, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;
}

export class PostReviewDto {
  @ApiProperty({ enum: REVIEW_TONES, example: 'positive' })
  @IsIn(REVIEW_TONES, { message: `tone must be one of ${REVIEW_TONES.join(', ')}` })
  tone!: ReviewTone;

  @ApiProperty(TEXT)
  @IsString({ message: `text must be a string of ${TEXT_MIN}-${TEXT_MAX} characters` })
  text!: string;

  @ApiPropertyOptional(ORDER_REF)
  @IsOptional()
  @IsString({ message: `orderRef must be a string of at most ${ORDER_REF_MAX} characters` })
  orderRef?: string;
}

export class PostClaimDto {
  @ApiProperty(ORDER_REF)
  @IsString({ message: `orderRef must be a string of at most ${ORDER_REF_MAX} characters` })
  orderRef!: string;

  @ApiProperty({ ...TEXT, example: 'Sent 0.01 BTC on Monday, nothing received, support does not answer.' })
  @IsString({ message: `text must be a string of ${TEXT_MIN}-${TEXT_MAX} characters` })
  text!: string;

  @ApiPropertyOptional({
    example: '150.5',
    description: 'the disputed amount, a positive decimal string (with currency)',
  })
  @IsOptional()
  @Matches(/^\d{1,20}(\.\d{1,18})?$/, { message: 'amount must be a positive decimal string such as 150.5' })
  amount?: string;

  @CurrencyCodeField('currency', { optional: true, example: 'USDTTRC20', description: 'a catalog code (with amount)' })
  currency?: string;
}

export class ReviewSubmittedDto {
  @ApiProperty(ID) id!: string;
  @ApiProperty({ enum: ['pending'], description: 'shown once a moderator publishes it' }) state!: 'pending';
  @ApiProperty({ description: 'you clicked through /go to this exchanger in the last 30 days' }) visited!: boolean;
}

export class ClaimSubmittedDto {
  @ApiProperty(ID) id!: string;
  @ApiProperty({ enum: ['pending'], description: 'shown (open) once a moderator accepts it' }) state!: 'pending';
}

export class ReviewReplyDto {
  @ApiProperty({ example: 'Thank you!' }) text!: string;
  @ApiProperty(DATE_TIME) at!: string;
}

export class PublicReviewDto {
  @ApiProperty(ID) id!: string;
  @ApiProperty({ enum: REVIEW_TONES }) tone!: string;
  @ApiProperty({ example: TEXT.example, description: 'plain text as typed: render it as text' }) text!: string;
  @ApiProperty({ type: String, nullable: true, example: 'A-10293' }) orderRef!: string | null;
  @ApiProperty({ description: 'its author clicked through /go to this exchanger within 30 days before' })
  visited!: boolean;
  @ApiProperty(DATE_TIME) createdAt!: string;
  @ApiProperty({ type: ReviewReplyDto, nullable: true, description: "the exchanger's reply, if any" })
  reply!: ReviewReplyDto | null;
}

export class PublicReviewListDto {
  @ApiProperty({ type: [PublicReviewDto], description: 'published reviews, newest first' })
  items!: PublicReviewDto[];
  @ApiNextCursor()
  nextCursor!: string | null;
}

export class PublicClaimEventDto {
  @ApiProperty(DATE_TIME) at!: string;
  @ApiProperty({ enum: Object.keys(CLAIM_ACTION_ACTOR) }) action!: string;
  @ApiProperty({ enum: CLAIM_ACTORS }) actor!: string;
  @ApiProperty({ enum: CLAIM_STATES, description: 'the state this step led to' }) toState!: string;
  @ApiProperty({ type: String, nullable: true, description: "the exchanger's answer or the operator's note" })
  text!: string | null;
}

export class PublicClaimDto {
  @ApiProperty(ID) id!: string;
  @ApiProperty({ example: 'A-10293' }) orderRef!: string;
  @ApiProperty({ example: 'Sent 0.01 BTC on Monday, nothing received.', description: 'plain text as typed' })
  text!: string;
  @ApiProperty({ type: String, nullable: true, example: '150.5', description: 'a decimal string' })
  amount!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'USDTTRC20' }) currency!: string | null;
  @ApiProperty({ enum: CLAIM_STATES.filter((s) => s !== 'pending') }) state!: string;
  @ApiProperty(DATE_TIME) createdAt!: string;
  @ApiProperty({ type: [PublicClaimEventDto], description: 'every step, oldest first' })
  events!: PublicClaimEventDto[];
}

export class PublicClaimListDto {
  @ApiProperty({ type: [PublicClaimDto], description: 'claims a moderator accepted, newest first' })
  items!: PublicClaimDto[];
  @ApiNextCursor()
  nextCursor!: string | null;
}
