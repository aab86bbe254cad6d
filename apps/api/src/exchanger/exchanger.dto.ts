import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { EXCHANGER_STATUSES, REPLY_MAX, REPLY_MIN } from '@app/domain';
import { TimeWindowQuery } from '../common/validation';
import { DATE_TIME, TimeWindowDto } from '../admin/admin-docs';
import { ApiNextCursor } from '../common/paging';
import { PublicClaimDto, PublicReviewDto } from '../public/reputation/reputation.dto';

/** The exchanger's counts next to its rates, as `/v1/rates` shows them. */
export class CabinetStandingDto {
  @ApiProperty({ example: 12, description: 'published positive reviews' }) positive!: number;
  @ApiProperty({ example: 3 }) neutral!: number;
  @ApiProperty({ example: 1 }) negative!: number;
  @ApiProperty({ example: 1, description: 'claims open or answered (not yet resolved or rejected)' })
  claimsOpen!: number;
}

/** The exchanger the key is scoped to. */
export class CabinetExchangerDto {
  @ApiProperty({ example: 3 }) id!: number;
  @ApiProperty({ example: 'aura' }) slug!: string;
  @ApiProperty({ example: 'Aura Exchange' }) name!: string;
  @ApiProperty({ example: 'https://aura.example' }) siteUrl!: string;
  @ApiProperty({ enum: EXCHANGER_STATUSES }) status!: string;
  @ApiProperty({ ...DATE_TIME, description: 'when it was listed here' }) listedSince!: string;
}

export class CabinetKeyDto {
  @ApiProperty({ example: 12 }) id!: number;
  @ApiProperty({ example: 'aura support desk' }) name!: string;
}

/** `GET /v1/exchanger`: the exchanger, its standing, and the key that asked. */
export class CabinetDto {
  @ApiProperty({ type: CabinetExchangerDto }) exchanger!: CabinetExchangerDto;
  @ApiProperty({ type: CabinetStandingDto }) reviews!: CabinetStandingDto;
  @ApiProperty({ type: CabinetKeyDto }) key!: CabinetKeyDto;
}

/** The clicks report's window: the last CLICKS_DEFAULT_DAYS unless asked, never more than CLICKS_MAX_DAYS. */
export const CLICKS_DEFAULT_DAYS = 30;
export const CLICKS_MAX_DAYS = 366;
export const CLICKS_WINDOW =
  `Over [since, until): until defaults to now, since to ${CLICKS_DEFAULT_DAYS} days before until; ` +
  `the window may span at most ${CLICKS_MAX_DAYS} days. Days are UTC.`;

/** `?since&until` of the clicks report. */
export class CabinetClicksQuery extends TimeWindowQuery {}

/** Clicks of one UTC day and direction. */
export class DailyClicksDto {
  @ApiProperty({ example: '2026-12-02', description: 'the UTC day' }) day!: string;
  @ApiProperty({ example: 'BTC' }) from!: string;
  @ApiProperty({ example: 'SBERRUB' }) to!: string;
  @ApiProperty({ example: 44 }) clicks!: number;
  @ApiProperty({ example: 38, description: "a visitor's first click of the day on the direction" })
  uniqueClicks!: number;
  @ApiProperty({ example: 1, description: 'clicks of known bots (counted, never unique)' }) bots!: number;
}

export class CabinetClicksDto extends TimeWindowDto {
  @ApiProperty({ type: [DailyClicksDto], description: 'oldest day first; within a day, most clicked first' })
  items!: DailyClicksDto[];
}

/** A reply to a review, or an answer to a claim. */
export class CabinetReplyBodyDto {
  @ApiProperty({
    minLength: REPLY_MIN,
    maxLength: REPLY_MAX,
    example: 'We are sorry: the payment was delayed by the bank, it is sent now.',
    description: `plain text, ${REPLY_MIN}-${REPLY_MAX} characters; shown as text (markup stays text)`,
  })
  @IsString({ message: `text must be a string of ${REPLY_MIN}-${REPLY_MAX} characters` })
  text!: string;
}

/** A published review of the exchanger, with its reply: the shape of the public list. */
export class CabinetReviewDto extends PublicReviewDto {}

export class CabinetReviewListDto {
  @ApiProperty({ type: [CabinetReviewDto], description: 'published reviews, newest first' })
  items!: CabinetReviewDto[];
  @ApiNextCursor()
  nextCursor!: string | null;
}

/** A claim against the exchanger (accepted by a moderator), with its steps: the public shape and a little more. */
export class CabinetClaimDto extends PublicClaimDto {
  @ApiProperty({ description: 'its author clicked through /go to this exchanger within 30 days before' })
  visited!: boolean;
  @ApiProperty({ ...DATE_TIME, description: 'when a moderator accepted it' }) openedAt!: string;
  @ApiProperty({ ...DATE_TIME, nullable: true, description: 'when it was resolved or rejected' })
  closedAt!: string | null;
}

export class CabinetClaimListDto {
  @ApiProperty({ type: [CabinetClaimDto], description: 'claims a moderator accepted, newest first' })
  items!: CabinetClaimDto[];
  @ApiNextCursor()
  nextCursor!: string | null;
}
