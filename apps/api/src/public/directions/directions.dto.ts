import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, ValidateBy } from 'class-validator';
import { CURRENCY_CODE_PATTERN } from '@app/domain';
import { CurrencyCodeField, DiffersFromField, QueryLimit } from '../../common/validation';

/** The (from, to) key a page of directions ends with. */
export interface DirectionKey {
  from: string;
  to: string;
}

/** The opaque cursor of the page after `key`: base64url of `["FROM","TO"]`. */
export function encodeDirectionCursor(key: DirectionKey): string {
  return Buffer.from(JSON.stringify([key.from, key.to])).toString('base64url');
}

/** The key a cursor of encodeDirectionCursor holds, or null when it is not one. */
export function decodeDirectionCursor(cursor: string): DirectionKey | null {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(cursor)) return null;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(key) || key.length !== 2) return null;
  const [from, to] = key as unknown[];
  if (typeof from !== 'string' || typeof to !== 'string') return null;
  if (!CURRENCY_CODE_PATTERN.test(from) || !CURRENCY_CODE_PATTERN.test(to)) return null;
  return { from, to };
}

export class DirectionsQuery {
  @CurrencyCodeField('from', { optional: true, description: 'only directions from this currency' })
  from?: string;

  @CurrencyCodeField('to', { optional: true, example: 'SBERRUB', description: 'only directions to this currency' })
  @DiffersFromField('from', 'from and to must differ')
  to?: string;

  @QueryLimit(100, 1000)
  limit?: number;

  @ApiPropertyOptional({
    description: 'where the page starts: the nextCursor of the page before (opaque); absent for the first page',
    example: 'WyJCVEMiLCJTQkVSUlVCIl0',
  })
  @IsOptional()
  @IsString({ message: 'cursor must be the nextCursor of a page of directions' })
  @ValidateBy({
    name: 'directionCursor',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || decodeDirectionCursor(value) !== null,
      defaultMessage: () => 'cursor must be the nextCursor of a page of directions (start again without one)',
    },
  })
  cursor?: string;
}

export class DirectionDto {
  @ApiProperty({ example: 'BTC' }) from!: string;
  @ApiProperty({ example: 'SBERRUB' }) to!: string;
  @ApiProperty({ example: 37, description: 'shown offers of the direction (one per exchanger and city)' })
  offers!: number;
  @ApiProperty({ example: '6851000.1', description: 'the best rate (how much to you get for 1 from)' })
  bestRate!: string;
}

export class DirectionsPageDto {
  @ApiProperty({ type: [DirectionDto], description: 'in (from, to) order' })
  items!: DirectionDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'WyJCVEMiLCJTQkVSUlVCIl0',
    description: 'pass as cursor for the next page; null on the last page',
  })
  nextCursor!: string | null;
}
