import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { canonicalDecimal } from '@app/domain';
import { QueryLimit } from '../../common/validation';
import { DirectionQuery, RateExchangerDto, RateFeeDto } from '../rates/rates.dto';

/** Routes (and direct offers) answered at most per request, and by default. */
export const MAX_ROUTES = 20;
export const DEFAULT_ROUTES = 5;

export class RoutesQuery extends DirectionQuery {
  @ApiProperty({
    example: '100000',
    description: 'what you give (side=give) or want to get (side=get), in from or to respectively',
  })
  @Matches(/^(?=.*[1-9])\d{1,20}(\.\d{1,18})?$/, {
    message: 'amount is required: a positive decimal like 0.5 (digits and one dot)',
  })
  amount!: string;

  @ApiPropertyOptional({ enum: ['give', 'get'], default: 'give' })
  @IsOptional()
  @IsIn(['give', 'get'], { message: 'side must be give or get' })
  side?: 'give' | 'get';

  @QueryLimit(DEFAULT_ROUTES, MAX_ROUTES)
  limit?: number;
}

/** `query` in one spelling per answer (amount as a canonical decimal): spellings of one query share a cache entry. */
export function canonicalRoutesQuery(query: RoutesQuery): string {
  return JSON.stringify([
    query.from,
    query.to,
    query.city ?? null,
    canonicalDecimal(query.amount) ?? query.amount,
    query.side ?? 'give',
    query.limit ?? DEFAULT_ROUTES,
  ]);
}

const DECIMAL = { type: String, example: '0.01957115' } as const;
const NULLABLE_DECIMAL = { type: String, nullable: true, example: '0.01' } as const;

/** One exchange of a route: an offer at an exchanger, at the amount the route passes it. */
export class RouteLegDto {
  @ApiProperty({ example: 'SBERRUB' }) from!: string;
  @ApiProperty({ example: 'USDTTRC20' }) to!: string;
  @ApiProperty({ type: RateExchangerDto }) exchanger!: RateExchangerDto;
  @ApiProperty({ ...DECIMAL, example: '0.0102', description: "the offer's rate: how much of to for 1 from" })
  rate!: string;
  @ApiProperty({ ...DECIMAL, example: '100000', description: 'what you give this exchanger (in from)' }) give!: string;
  @ApiProperty({ ...DECIMAL, example: '1008.89', description: 'what it pays you (in to), fees and rounding included' })
  get!: string;
  @ApiProperty({ ...NULLABLE_DECIMAL, example: '150000', description: 'how much of to the exchanger holds' })
  reserve!: string | null;
  @ApiProperty({ ...NULLABLE_DECIMAL, description: 'the least you can give' }) fromMin!: string | null;
  @ApiProperty({ ...NULLABLE_DECIMAL, description: 'the most you can give' }) fromMax!: string | null;
  @ApiProperty({ ...NULLABLE_DECIMAL, description: 'the least you can get' }) toMin!: string | null;
  @ApiProperty({ ...NULLABLE_DECIMAL, description: 'the most you can get' }) toMax!: string | null;
  @ApiProperty({ type: [RateFeeDto], description: 'fees on what you give' }) fromFee!: RateFeeDto[];
  @ApiProperty({ type: [RateFeeDto], description: 'fees on what you get' }) toFee!: RateFeeDto[];
  @ApiProperty({ type: [RateFeeDto], description: 'the least fee charged' }) minFee!: RateFeeDto[];
  @ApiProperty({ type: [String], example: [], description: "the offer's flags (manual, verifying, …)" })
  flags!: string[];
  @ApiProperty({ nullable: true, type: String, example: null, description: 'the city code of a cash offer' })
  city!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-12-02T12:00:00.000Z',
    description: 'when the exchanger last confirmed this offer',
  })
  updatedAt!: string;
  @ApiProperty({
    example: '/go/aura?from=SBERRUB&to=USDTTRC20',
    description: "this leg's click-through link (GET /go/{slug})",
  })
  goUrl!: string;
}

/** A way from `from` to `to`: one offer (direct) or two through an intermediate currency. */
export class RouteDto {
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'USDTTRC20',
    description: 'the intermediate currency (null: a direct offer)',
  })
  via!: string | null;
  @ApiProperty({ ...DECIMAL, example: '100000', description: 'what you give, in from' }) give!: string;
  @ApiProperty({ ...DECIMAL, description: 'what you get at the end, in to' }) get!: string;
  @ApiProperty({
    ...DECIMAL,
    example: '0.0000001957115',
    description: 'get ÷ give: the rate of the whole way, fees of every leg included',
  })
  rate!: string;
  @ApiProperty({
    type: [RouteLegDto],
    description:
      "the exchanges in order: one for a direct offer, two for a route (the second receives exactly the first's get)",
  })
  legs!: RouteLegDto[];
}

export class RoutesDto {
  @ApiProperty({ example: 'SBERRUB' }) from!: string;
  @ApiProperty({ example: 'BTC' }) to!: string;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'the city asked for, as its code' })
  city!: string | null;
  @ApiProperty({ ...DECIMAL, example: '100000', description: 'the amount asked for' }) amount!: string;
  @ApiProperty({ enum: ['give', 'get'], example: 'give' }) side!: 'give' | 'get';
  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-12-02T12:00:00.000Z',
    description: 'when this answer was made (it may be served from cache)',
  })
  generatedAt!: string;
  @ApiProperty({
    type: [RouteDto],
    description: 'the best single offers at the amount, best first (the /v1/rates calculator)',
  })
  direct!: RouteDto[];
  @ApiProperty({
    type: [RouteDto],
    description: 'the best routes through one intermediate currency, best first',
  })
  routes!: RouteDto[];
  @ApiProperty({
    type: [String],
    example: ['USDTTRC20', 'BTC'],
    description: 'the intermediate currencies tried (those with offers on both legs, most promising first, capped)',
  })
  intermediates!: string[];
}
