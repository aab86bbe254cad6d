import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { DATE_TIME, NULLABLE_DATE_TIME } from '../../admin/admin-docs';

/** `{name, perMinute?, perDay?}` of a new partner key. */
export class CreateOpenKeyDto {
  @ApiProperty({
    example: 'rates bot of example.org',
    maxLength: 100,
    description: 'who the key is for: 1-100 characters',
  })
  @IsString({ message: 'name must be 1-100 characters' })
  @MaxLength(100, { message: 'name must be 1-100 characters' })
  @Matches(/\S/, { message: 'name must be 1-100 characters' })
  name!: string;

  @ApiPropertyOptional({
    example: 60,
    minimum: 1,
    maximum: 1_000_000,
    description: 'requests a minute (default OPEN_API_PER_MINUTE)',
  })
  @IsOptional()
  @IsInt({ message: 'perMinute must be a whole number from 1 to 1000000' })
  @Min(1, { message: 'perMinute must be a whole number from 1 to 1000000' })
  @Max(1_000_000, { message: 'perMinute must be a whole number from 1 to 1000000' })
  perMinute?: number;

  @ApiPropertyOptional({
    example: 50_000,
    minimum: 1,
    maximum: 1_000_000_000,
    description: 'requests a UTC day (default OPEN_API_PER_DAY)',
  })
  @IsOptional()
  @IsInt({ message: 'perDay must be a whole number from 1 to 1000000000' })
  @Min(1, { message: 'perDay must be a whole number from 1 to 1000000000' })
  @Max(1_000_000_000, { message: 'perDay must be a whole number from 1 to 1000000000' })
  perDay?: number;
}

export class OpenKeyUsageDto {
  @ApiProperty({ example: '2026-12-03', description: 'a UTC day' }) day!: string;
  @ApiProperty({ example: 1520, description: 'requests answered' }) served!: number;
  @ApiProperty({ example: 4, description: 'requests refused past a quota (429)' }) refused!: number;
}

/** A partner key as listed (never its text nor its hash). */
export class OpenKeyDto {
  @ApiProperty({ example: 3 }) id!: number;
  @ApiProperty({ example: 'rates bot of example.org' }) name!: string;
  @ApiProperty({ example: 'rwo_3f9a0c', description: 'the first 10 characters of the key, to recognise it' })
  prefix!: string;
  @ApiProperty({ example: 60 }) perMinute!: number;
  @ApiProperty({ example: 50000 }) perDay!: number;
  @ApiProperty(DATE_TIME) createdAt!: string;
  @ApiProperty({ ...NULLABLE_DATE_TIME, description: 'last served request (as of the last usage flush, every 5 s)' })
  lastUsedAt!: string | null;
  @ApiProperty(NULLABLE_DATE_TIME) revokedAt!: string | null;
  @ApiProperty({
    type: [OpenKeyUsageDto],
    description: 'requests per UTC day over the last 31 days that had any, newest first (written every 5 s)',
  })
  usage!: OpenKeyUsageDto[];
}

export class OpenKeyListDto {
  @ApiProperty({ type: [OpenKeyDto] }) items!: OpenKeyDto[];
}

/** A new key: its text is in this answer only (stored as a hash), so keep it now. */
export class CreatedOpenKeyDto extends OpenKeyDto {
  @ApiProperty({
    example: 'rwo_3f9a0c…',
    description: 'the key itself, shown this once: use it as /v1/open/{key}/… or send it as X-Api-Key',
  })
  key!: string;
}
