import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { CityField, CurrencyCodeField, DiffersFromField } from '../../common/validation';
import { DATE_TIME } from '../admin-docs';

/** An operator's exception: an exchanger's direction (and city) shown whatever the rate guard says, for a time. */
export class AcceptQuarantineDto {
  @ApiProperty({ example: 3 })
  @IsInt({ message: 'exchangerId must be a whole number' })
  @Min(1, { message: 'exchangerId must be a whole number' })
  exchangerId!: number;

  @CurrencyCodeField('from')
  from!: string;

  @CurrencyCodeField('to', { example: 'SBERRUB' })
  @DiffersFromField('from', 'from and to must differ')
  to!: string;

  @CityField('city', { optional: true })
  city?: string;

  @ApiProperty({ minimum: 1, maximum: 720, example: 24, description: 'how long the exception lasts' })
  @IsInt({ message: 'hours must be a whole number' })
  @Min(1, { message: 'hours must be between 1 and 720 (30 days)' })
  @Max(720, { message: 'hours must be between 1 and 720 (30 days)' })
  hours!: number;

  @ApiPropertyOptional({ example: 'a promotion, confirmed with the exchanger by phone' })
  @IsOptional()
  @IsString({ message: 'reason must be text' })
  @Length(3, 500, { message: 'reason must be 3-500 characters' })
  reason?: string;
}

/** An offer the rate guard holds back. Decimals are strings. */
export class QuarantinedOfferDto {
  @ApiProperty({ example: 3 }) exchangerId!: number;
  @ApiProperty({ example: 'aura' }) exchanger!: string;
  @ApiProperty({ example: 5 }) feedId!: number;
  @ApiProperty({ example: 'BTC' }) from!: string;
  @ApiProperty({ example: 'SBERRUB' }) to!: string;
  @ApiProperty({ type: String, nullable: true, example: null }) city!: string | null;
  @ApiProperty({ example: '9400000', description: 'the offer rate, a decimal' }) rate!: string;
  @ApiProperty({ enum: ['too_good', 'inverted'] }) reason!: string;
  @ApiProperty({ example: '6900000', description: 'the reference rate judged against, a decimal' }) reference!: string;
  @ApiProperty({ enum: ['market', 'history', 'pivot'] }) referenceSource!: string;
  @ApiProperty({ example: '36.2', description: 'how far from the reference, in percent, a decimal' })
  deviationPercent!: string;
  @ApiProperty({ ...DATE_TIME, description: 'held back since' }) since!: string;
}

/** An exchanger with a large share of its offers held back. */
export class FlaggedExchangerDto {
  @ApiProperty({ example: 3 }) exchangerId!: number;
  @ApiProperty({ example: 'aura' }) exchanger!: string;
  @ApiProperty({ example: 40, description: 'offers held back' }) quarantined!: number;
  @ApiProperty({ example: 60, description: 'all its offers' }) offers!: number;
}

/** An operator's exception in force. */
export class QuarantineExceptionDto {
  @ApiProperty({ example: 3 }) exchangerId!: number;
  @ApiProperty({ example: 'BTC' }) from!: string;
  @ApiProperty({ example: 'SBERRUB' }) to!: string;
  @ApiProperty({ type: String, nullable: true, example: null }) city!: string | null;
  @ApiProperty(DATE_TIME) until!: string;
  @ApiProperty({ example: 'a promotion, confirmed with the exchanger by phone' }) reason!: string;
}

export class QuarantineListDto {
  @ApiProperty({ type: [QuarantinedOfferDto], description: 'at most 1,000, newest first' })
  items!: QuarantinedOfferDto[];
  @ApiProperty({ type: [FlaggedExchangerDto] }) flagged!: FlaggedExchangerDto[];
  @ApiProperty({ type: [QuarantineExceptionDto] }) exceptions!: QuarantineExceptionDto[];
}

export class QuarantineAcceptedDto {
  @ApiProperty({ ...DATE_TIME, description: 'the exception lasts until then' }) until!: string;
  @ApiProperty({ example: 2, description: 'held offers shown at once' }) released!: number;
}
