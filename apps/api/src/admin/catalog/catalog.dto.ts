import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, ValidateIf } from 'class-validator';
import { CURRENCY_KINDS } from '@app/domain';
import { CurrencyCodeField, CurrencyUnitField, toUpperCase } from '../../common/validation';
import { DATE_TIME } from '../admin-docs';

export class CreateCurrencyDto {
  @CurrencyCodeField('code', { example: 'USDTTON' })
  code!: string;

  @ApiProperty({ example: 'Tether TON (USDT)' })
  @IsString()
  @Length(1, 200, { message: 'name must be 1-200 characters' })
  name!: string;

  @CurrencyUnitField('ticker', { example: 'USDT' })
  ticker!: string;

  @CurrencyUnitField('iso', { example: 'USD' })
  iso!: string;

  @ApiProperty({ enum: CURRENCY_KINDS })
  @IsIn(CURRENCY_KINDS, { message: `kind must be one of ${CURRENCY_KINDS.join(', ')}` })
  kind!: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;
}

export class UpdateCurrencyDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200, { message: 'name must be 1-200 characters' })
  name?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean({ message: 'enabled must be true or false' }) enabled?: boolean;
  @CurrencyUnitField('ticker', { optional: true })
  ticker?: string;
  @CurrencyUnitField('iso', { optional: true })
  iso?: string;
}

export class CreateAliasDto {
  @ApiProperty({ example: 'USDT_TRON' })
  @Transform(toUpperCase)
  @Matches(/^[A-Z0-9_().\-/ ]{1,64}$/, {
    message: 'alias must be 1-64 characters of letters, digits, spaces and _().-/',
  })
  alias!: string;

  @CurrencyCodeField('code', { example: 'USDTTRC20' })
  code!: string;

  @ApiPropertyOptional({ nullable: true, type: Number, description: 'null = global' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt({ message: 'exchangerId must be an exchanger id or null' })
  exchangerId?: number | null;
}

/** A catalog currency as the admin manages it. */
export class AdminCurrencyDto {
  @ApiProperty({ example: 'USDTTON' }) code!: string;
  @ApiProperty({ example: 'Tether TON (USDT)' }) name!: string;
  @ApiProperty({ example: 'USDT' }) ticker!: string;
  @ApiProperty({ example: 'USD' }) iso!: string;
  @ApiProperty({ enum: CURRENCY_KINDS }) kind!: string;
  @ApiProperty() enabled!: boolean;
}

export class AdminCurrencyListDto {
  @ApiProperty({ type: [AdminCurrencyDto] }) items!: AdminCurrencyDto[];
}

/** Another name a feed writes for a catalog code: global, or one exchanger's own. */
export class CurrencyAliasDto {
  @ApiProperty({ example: 12 }) id!: number;
  @ApiProperty({ example: 'USDT_TRON' }) alias!: string;
  @ApiProperty({ example: 'USDTTRC20' }) code!: string;
  @ApiProperty({ type: Number, nullable: true, example: null, description: 'null = global' })
  exchangerId!: number | null;
}

export class CurrencyAliasListItemDto extends CurrencyAliasDto {
  @ApiProperty(DATE_TIME) createdAt!: string;
}

export class CurrencyAliasListDto {
  @ApiProperty({ type: [CurrencyAliasListItemDto] }) items!: CurrencyAliasListItemDto[];
}
