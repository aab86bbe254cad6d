import { ApiProperty } from '@nestjs/swagger';

/**
 * An exchanger's counts beside its rates (named apart from any admin or cabinet schema): kept by
 * moderation as reviews and claims change, never counted per request.
 */
export class PublicReviewCountsDto {
  @ApiProperty({ example: 120, description: 'published positive reviews' }) positive!: number;
  @ApiProperty({ example: 4, description: 'published neutral reviews' }) neutral!: number;
  @ApiProperty({ example: 2, description: 'published negative reviews' }) negative!: number;
  @ApiProperty({ example: 1, description: 'claims accepted and not yet resolved or rejected (open or answered)' })
  claimsOpen!: number;
}

/** When an exchanger was listed: the same in /v1/rates and /v1/exchangers. */
export const LISTED_SINCE = {
  type: String,
  format: 'date-time',
  example: '2025-03-14T09:00:00.000Z',
  description: 'when the exchanger was listed here',
} as const;

/** An active exchanger as visitors see it (named apart from the admin side's ExchangerDto: one schema name each). */
export class PublicExchangerDto {
  @ApiProperty({ example: 'aura', description: 'the exchanger in /v1/exchangers/{slug} and /go/{slug}' })
  slug!: string;
  @ApiProperty({ example: 'Aura' }) name!: string;
  @ApiProperty({ example: 'https://aura.example' }) siteUrl!: string;
  @ApiProperty({ enum: ['active'], example: 'active', description: 'always active: others are not shown' })
  status!: string;
  @ApiProperty({ example: 37, description: 'shown offers (one per direction and city)' }) offers!: number;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-12-02T12:00:00.000Z',
    description: 'the last successful poll of its feeds; null when none has succeeded',
  })
  updatedAt!: string | null;
  @ApiProperty({ example: true, description: 'a feed of it succeeded recently enough for its offers to be shown' })
  fresh!: boolean;
  @ApiProperty(LISTED_SINCE) listedSince!: string;
  @ApiProperty({ type: PublicReviewCountsDto, description: 'its published reviews by tone and its open claims' })
  reviews!: PublicReviewCountsDto;
}

export class PublicExchangerListDto {
  @ApiProperty({ type: [PublicExchangerDto], description: 'by name' }) items!: PublicExchangerDto[];
}

/** A direction an exchanger shows, with its rate. */
export class ExchangerDirectionDto {
  @ApiProperty({ example: 'BTC' }) from!: string;
  @ApiProperty({ example: 'SBERRUB' }) to!: string;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'the city code of a cash offer' })
  city!: string | null;
  @ApiProperty({ type: String, example: '6850000.5', description: 'how much of to for 1 from (a decimal string)' })
  rate!: string;
}

export class ExchangerProfileDto extends PublicExchangerDto {
  @ApiProperty({ type: [ExchangerDirectionDto], description: 'its shown offers, by from, to and city' })
  directions!: ExchangerDirectionDto[];
}
