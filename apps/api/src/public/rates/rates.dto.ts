import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min, ValidateBy } from 'class-validator';
import { canonicalDecimal } from '@app/domain';
import { KNOWN_FLAGS } from '@app/feeds';
import { CityField, CurrencyCodeField, DiffersFromField, QueryLimit, TimeWindowQuery } from '../../common/validation';
import { LISTED_SINCE, PublicReviewCountsDto } from '../exchangers/exchangers.dto';

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
    enum: ['rate', 'rankrate'],
    default: 'rate',
    description:
      'rate: best first at the amount asked (or by rate); rankrate: best first at RANKRATE_REFERENCE_USD (300) ' +
      "dollars' worth of from, fees and limits included — each item then carries its rankrate",
  })
  @IsOptional()
  @IsIn(['rate', 'rankrate'], { message: 'sort must be rate or rankrate' })
  sort?: 'rate' | 'rankrate';

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

/** A fee of an offer (named apart from the admin side's FeeDto: OpenAPI schema names are global). */
export class RateFeeDto {
  @ApiProperty({ enum: ['fixed', 'percent'], example: 'percent', description: 'an amount, or a percent of the amount' })
  kind!: 'fixed' | 'percent';
  @ApiProperty({ type: String, example: '0.5', description: 'a decimal string' }) value!: string;
  @ApiPropertyOptional({
    type: String,
    example: 'USD',
    description: 'the unit of a fixed fee, when the feed names one',
  })
  unit?: string;
}

export class RateFloatingTermsDto {
  @ApiProperty({ nullable: true, type: String, example: '1', description: 'how far the rate may move, in percent' })
  percent!: string | null;
  @ApiProperty({ nullable: true, type: Number, example: 30, description: 'within how many minutes' })
  minutes!: number | null;
}

export class RateExchangerDto {
  @ApiProperty({ example: 'aura' }) slug!: string;
  @ApiProperty({ example: 'Aura' }) name!: string;
  @ApiProperty({ enum: ['active'], example: 'active', description: 'always active: others are not shown' })
  status!: string;
  @ApiProperty(LISTED_SINCE) listedSince!: string;
  @ApiProperty({
    type: PublicReviewCountsDto,
    description: 'its published reviews by tone and its open claims, as of this table',
  })
  reviews!: PublicReviewCountsDto;
}

/** A decimal amount or rate, as the API writes them: a string, never a float. */
const DECIMAL = { type: String, example: '6850000.5' } as const;
const NULLABLE_DECIMAL = { type: String, nullable: true, example: '0.01' } as const;
const DATE_TIME = { type: String, format: 'date-time', example: '2026-12-02T12:00:00.000Z' } as const;

export class RateItemDto {
  @ApiProperty({ type: RateExchangerDto }) exchanger!: RateExchangerDto;
  @ApiProperty({ ...DECIMAL, example: '1', description: 'the rate as the feed gives it: in of from …' }) in!: string;
  @ApiProperty({ ...DECIMAL, description: '… for out of to' }) out!: string;
  @ApiProperty({ ...DECIMAL, description: 'out / in: how much of to for 1 from' }) rate!: string;
  @ApiProperty({ ...NULLABLE_DECIMAL, example: '150000000', description: 'how much of to the exchanger holds' })
  reserve!: string | null;
  @ApiProperty({ ...NULLABLE_DECIMAL, description: 'the least you can give' }) fromMin!: string | null;
  @ApiProperty({ ...NULLABLE_DECIMAL, description: 'the most you can give' }) fromMax!: string | null;
  @ApiProperty({ ...NULLABLE_DECIMAL, description: 'the least you can get' }) toMin!: string | null;
  @ApiProperty({ ...NULLABLE_DECIMAL, description: 'the most you can get' }) toMax!: string | null;
  @ApiProperty({ type: [RateFeeDto], description: 'fees on what you give' }) fromFee!: RateFeeDto[];
  @ApiProperty({ type: [RateFeeDto], description: 'fees on what you get' }) toFee!: RateFeeDto[];
  @ApiProperty({ type: [RateFeeDto], description: 'the least fee charged' }) minFee!: RateFeeDto[];
  @ApiProperty({ type: [String], example: ['manual'], description: "the offer's flags (manual, verifying, …)" })
  flags!: string[];
  @ApiProperty({
    nullable: true,
    type: RateFloatingTermsDto,
    description: 'present when the rate floats: by up to percent within minutes (either may be null)',
  })
  floating!: RateFloatingTermsDto | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    example: 30,
    description: 'minutes the exchange may take, when the exchanger says',
  })
  delayMinutes!: number | null;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'the city code of a cash offer' })
  city!: string | null;
  @ApiProperty({ ...NULLABLE_DECIMAL, example: '0.5', description: 'with an amount: what you give' })
  give!: string | null;
  @ApiProperty({ ...NULLABLE_DECIMAL, example: '3425000.25', description: 'with an amount: what you get' })
  get!: string | null;
  @ApiProperty({ ...DATE_TIME, description: 'when the exchanger last confirmed this offer' }) updatedAt!: string;
  @ApiProperty({ example: '/go/aura?from=BTC&to=SBERRUB', description: 'the click-through link (GET /go/{slug})' })
  goUrl!: string;
  @ApiPropertyOptional({
    ...NULLABLE_DECIMAL,
    description:
      'with sort=rankrate only: how much of to for 1 from at RANKRATE_REFERENCE_USD dollars of from, fees and ' +
      'limits included (at the nearest amount the offer admits); null when it admits none or the market gives from no value',
  })
  rankrate?: string | null;
}

export class RatesTableDto {
  @ApiProperty({ example: 'BTC' }) from!: string;
  @ApiProperty({ example: 'SBERRUB' }) to!: string;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'the city asked for, as its code' })
  city!: string | null;
  @ApiProperty({ ...NULLABLE_DECIMAL, example: '0.5', description: 'the amount asked for' }) amount!: string | null;
  @ApiProperty({ enum: ['give', 'get'], example: 'give' }) side!: 'give' | 'get';
  @ApiProperty({ ...DATE_TIME, description: 'when this table was made (it may be served from cache)' })
  generatedAt!: string;
  @ApiProperty({ type: [RateItemDto], description: 'ranked, best first' })
  items!: RateItemDto[];
}

/** The resolutions of GET /v1/rates/history and how far back each looks by default. */
export const HISTORY_RESOLUTIONS = ['minute', 'hour', 'day'] as const;
export const HISTORY_DEFAULT_MS: Readonly<Record<(typeof HISTORY_RESOLUTIONS)[number], number>> = {
  minute: 6 * 3_600_000,
  hour: 7 * 86_400_000,
  day: 365 * 86_400_000,
};

export class RateHistoryQuery extends IntersectionType(DirectionQuery, TimeWindowQuery) {
  @ApiPropertyOptional({
    enum: HISTORY_RESOLUTIONS,
    default: 'minute',
    description: 'bucket size; since defaults to 6 hours (minute), 7 days (hour) or 365 days (day) before until',
  })
  @IsOptional()
  @IsIn(HISTORY_RESOLUTIONS, { message: 'resolution must be minute, hour or day' })
  resolution?: (typeof HISTORY_RESOLUTIONS)[number];

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 48,
    description: 'shorthand kept for older clients: resolution=minute&since=now − hours (not with since or resolution)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'hours must be a whole number' })
  @Min(1, { message: 'hours must be at least 1' })
  @Max(48, { message: 'hours must be at most 48' })
  hours?: number;
}

export class RateHistoryPointDto {
  @ApiProperty({ ...DATE_TIME, example: '2026-11-25T18:00:00.000Z', description: 'the start of the bucket' })
  at!: string;
  @ApiProperty({
    ...NULLABLE_DECIMAL,
    example: '6890000',
    description: 'the best rate as the bucket began (null: nothing was shown, or unknown before it)',
  })
  open!: string | null;
  @ApiProperty({ ...DECIMAL, example: '6910000', description: 'the highest best rate in the bucket' }) high!: string;
  @ApiProperty({ ...DECIMAL, example: '6880000', description: 'the lowest best rate in the bucket' }) low!: string;
  @ApiProperty({
    ...NULLABLE_DECIMAL,
    example: '6900000',
    description: 'the best rate as the bucket ended (null: nothing shown); it holds until the next point',
  })
  close!: string | null;
  @ApiProperty({ example: 12, description: 'offers shown at the close' }) offers!: number;
}

export class RateHistoryDto {
  @ApiProperty({ example: 'BTC' }) from!: string;
  @ApiProperty({ example: 'SBERRUB' }) to!: string;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'the city asked for, as its code' })
  city!: string | null;
  @ApiProperty({ enum: HISTORY_RESOLUTIONS, example: 'minute' }) resolution!: (typeof HISTORY_RESOLUTIONS)[number];
  @ApiProperty({ ...DATE_TIME, description: 'the start of the range' }) since!: string;
  @ApiProperty({ ...DATE_TIME, description: 'the end of the range' }) until!: string;
  @ApiProperty({
    type: [RateHistoryPointDto],
    description:
      'oldest first; only buckets in which the best changed (between two points the rate stayed at the close ' +
      'of the first), led by the bucket of since with the rate at that time when it changed before',
  })
  points!: RateHistoryPointDto[];
}

/**
 * `query` in one spelling per table, so that spellings of one table share a channel (and a cache entry):
 * `amount` as a canonical decimal (`01`, `1.0` → `1`), `exclude` lower-cased, de-duplicated and sorted
 * (`MANUAL,manual` → `manual`; empty → absent).
 */
export function canonicalQuery(query: RatesQuery): RatesQuery {
  const amount = query.amount === undefined ? undefined : (canonicalDecimal(query.amount) ?? query.amount);
  const flags = [
    ...new Set(
      (query.exclude ?? '')
        .split(',')
        .map((f) => f.trim().toLowerCase())
        .filter(Boolean),
    ),
  ].sort();
  return { ...query, amount, exclude: flags.length === 0 ? undefined : flags.join(',') };
}
