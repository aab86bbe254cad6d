import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';

export class ListCurrenciesQuery {
  @ApiPropertyOptional({ description: 'only currencies with at least one fresh offer' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'withOffers must be true or false' })
  withOffers?: boolean;
}

export class CurrencyDto {
  @ApiProperty({ example: 'BTC' }) code!: string;
  @ApiProperty({ example: 'Bitcoin (BTC)' }) name!: string;
  @ApiProperty({ example: 'BTC' }) ticker!: string;
  @ApiProperty({ example: 'BTC', description: 'ISO unit the currency is counted in' }) iso!: string;
  @ApiProperty({ example: 'crypto', enum: ['crypto', 'emoney', 'bank', 'online_banking', 'cash', 'transfer'] })
  kind!: string;
  @ApiProperty({ example: 812, description: 'fresh offers that give or take it' }) offers!: number;
}

export class CurrencyListDto {
  @ApiProperty({ type: [CurrencyDto] }) items!: CurrencyDto[];
}
