import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min, ValidateBy } from 'class-validator';
import { KNOWN_FLAGS } from '@app/feeds';
import { CityField, CurrencyCodeField, DiffersFromField, QueryLimit } from '../../common/validation';

/** The flags `exclude` can name: those the feed formats define, and `floating` (a rate that may change). */
export const EXCLUDABLE_FLAGS: readonly string[] = [...KNOWN_FLAGS, 'floating'];

/** The tokens of an `exclude` list that are not EXCLUDABLE_FLAGS (any case, blanks ignored). */
export function unknownFlags(exclude: string): string[] {
  return exclude
    .split(',')
    .map((f) => f.trim().toLowerCase())
    .filter((f) => f !== '' && !EXCLUDABLE_FLAGS.includes(f));
}

/** A direction: from, to and, for cash, a city. */
export class DirectionQuery {
  @CurrencyCodeField('from', { example: 'BTC' })
  from!: string;

  @CurrencyCodeField('to', { example: 'SBERRUB', description: 'a currency code other than from' })
  @DiffersFromField('from', 'from and to must differ')
  to!: string;

  @CityField('city', { optional: true, description: 'city code, for cash directions' })
  city?: string;
}

export class RatesQuery extends DirectionQuery {
  @ApiPropertyOptional({
    example: '0.5',
    description: 'the calculator: what you give (side=give) or want to get (side=get)',
  })
  @IsOptional()
  @Matches(/^(?=.*[1-9])\d{1,20}(\.\d{1,18})?$/, {
    message: 'amount must be a positive decimal like 0.5 (digits and one dot)',
  })
  amount?: string;

  @ApiPropertyOptional({ enum: ['give', 'get'], default: 'give' })
  @IsOptional()
  @IsIn(['give', 'get'], { message: 'side must be give or get' })
  side?: 'give' | 'get';

  @ApiPropertyOptional({
    example: 'manual,verifying',
    description: `comma list of flags to hide: ${EXCLUDABLE_FLAGS.join(', ')}`,
  })
  @IsOptional()
  @Matches(/^[a-z0-9_ -]{1,64}(,[a-z0-9_ -]{1,64}){0,19}$/i, {
    message: 'exclude must be a comma list of flags like manual,verifying',
  })
  @ValidateBy({
    name: 'knownFlags',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || unknownFlags(value).length === 0,
      defaultMessage: (args) =>
        `exclude names unknown flags (${unknownFlags(String(args?.value))
          .slice(0, 5)
          .map((f) => f.slice(0, 64))
          .join(', ')}); known flags: ${EXCLUDABLE_FLAGS.join(', ')}`,
    },
  })
  exclude?: string;

  @QueryLimit(100, 500)
  limit?: number;
}

export class FeeDto {
  @ApiProperty({ enum: ['fixed', 'percent'] }) kind!: string;
  @ApiProperty({ example: '0.5' }) value!: string;
  @ApiPropertyOptional({ example: 'USD' }) unit?: string;
}

export class FloatingTermsDto {
  @ApiProperty({ nullable: true, type: String, example: '1' }) percent!: string | null;
  @ApiProperty({ nullable: true, type: Number, example: 30 }) minutes!: number | null;
}

export class RateItemDto {
  @ApiProperty({ example: { slug: 'aura', name: 'Aura' } }) exchanger!: { slug: string; name: string };
  @ApiProperty({ example: '1' }) in!: string;
  @ApiProperty({ example: '6850000.5' }) out!: string;
  @ApiProperty({ example: '6850000.5' }) rate!: string;
  @ApiProperty({ nullable: true, type: String }) reserve!: string | null;
  @ApiProperty({ nullable: true, type: String }) fromMin!: string | null;
  @ApiProperty({ nullable: true, type: String }) fromMax!: string | null;
  @ApiProperty({ nullable: true, type: String }) toMin!: string | null;
  @ApiProperty({ nullable: true, type: String }) toMax!: string | null;
  @ApiProperty({ type: [FeeDto] }) fromFee!: FeeDto[];
  @ApiProperty({ type: [FeeDto] }) toFee!: FeeDto[];
  @ApiProperty({ type: [FeeDto] }) minFee!: FeeDto[];
  @ApiProperty({ example: ['manual'] }) flags!: string[];
  @ApiProperty({
    nullable: true,
    type: FloatingTermsDto,
    description: 'present when the rate floats: by up to percent within minutes (either may be null)',
  })
  floating!: FloatingTermsDto | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    example: 30,
    description: 'minutes the exchange may take, when the exchanger says',
  })
  delayMinutes!: number | null;
  @ApiProperty({ nullable: true, type: String }) city!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'with an amount: what you give' }) give!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'with an amount: what you get' }) get!: string | null;
  @ApiProperty() updatedAt!: string;
  @ApiProperty({ example: '/go/aura?from=BTC&to=SBERRUB' }) goUrl!: string;
}

export class RatesTableDto {
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ nullable: true, type: String }) city!: string | null;
  @ApiProperty({ nullable: true, type: String }) amount!: string | null;
  @ApiProperty({ enum: ['give', 'get'] }) side!: string;
  @ApiProperty() generatedAt!: string;
  @ApiProperty({ type: [RateItemDto] }) items!: RateItemDto[];
}

export class RateHistoryQuery extends DirectionQuery {
  @ApiPropertyOptional({ default: 6, minimum: 1, maximum: 48, description: 'how many hours back' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'hours must be a whole number' })
  @Min(1, { message: 'hours must be at least 1' })
  @Max(48, { message: 'hours must be at most 48' })
  hours?: number;
}

export class RatePointDto {
  @ApiProperty({ example: '2026-11-25T18:04:00.000Z', description: 'the minute' }) at!: string;
  @ApiProperty({ example: '6900000', description: 'the best rate in that minute' }) rate!: string;
}

export class RateHistoryDto {
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ nullable: true, type: String }) city!: string | null;
  @ApiProperty() hours!: number;
  @ApiProperty({
    type: [RatePointDto],
    description: 'oldest first; only minutes in which someone looked at the direction',
  })
  points!: RatePointDto[];
}
