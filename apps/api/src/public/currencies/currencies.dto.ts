import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import { LanguageQuery } from '../language';

export class ListCurrenciesQuery extends LanguageQuery {
  @ApiPropertyOptional({ description: 'only currencies with at least one fresh offer' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'withOffers must be true or false' })
  withOffers?: boolean;
}

export class NamesDto {
  @ApiProperty({ example: 'Sberbank RUB' }) en!: string;
  @ApiProperty({ example: 'Сбербанк RUB' }) ru!: string;
}

/** What a currency is called and shown in: enough for a select box, a table cell or a page. */
export class CurrencySummaryDto {
  @ApiProperty({ example: 'SBERRUB' }) code!: string;
  @ApiProperty({ type: NamesDto, description: 'the name in English and in Russian' }) name!: NamesDto;
  @ApiProperty({ example: 'Sberbank RUB', description: 'the name in the language asked for (lang or Accept-Language)' })
  displayName!: string;
  @ApiProperty({
    example: 'sberbank-rub',
    description: 'a stable slug for pages about the currency: lower-case letters, digits and dashes, unique',
  })
  urlName!: string;
  @ApiProperty({
    example: 'RUB',
    description: 'what amounts are shown in: the ISO unit for fiat kinds, the ticker for crypto (USDT for USDTTRC20)',
  })
  unit!: string;
  @ApiProperty({
    example: 2,
    description:
      'decimal places to show: ISO 4217 minor units for fiat (2; 0 for JPY), 6 for stablecoins, 8 for other coins',
  })
  precision!: number;
  @ApiProperty({ example: 'online_banking', enum: ['crypto', 'emoney', 'bank', 'online_banking', 'cash', 'transfer'] })
  kind!: string;
}

export class CurrencyDto extends CurrencySummaryDto {
  @ApiProperty({ example: 'RUB' }) ticker!: string;
  @ApiProperty({ example: 'RUB', description: 'ISO unit the currency is counted in' }) iso!: string;
  @ApiProperty({ example: 812, description: 'fresh offers that give or take it' }) offers!: number;
}

export class CurrencyListDto {
  @ApiProperty({ type: [CurrencyDto] }) items!: CurrencyDto[];
}

/** A currency across a direction from or to the one asked about, with that direction's shown offers. */
export class CounterpartDto extends CurrencySummaryDto {
  @ApiProperty({ example: 12, description: 'shown offers of this direction' }) offers!: number;
}

export class CurrencyDetailDto extends CurrencyDto {
  @ApiProperty({
    type: [CounterpartDto],
    description: 'currencies you can receive for this one (directions from it with shown offers), by code',
  })
  directionsFrom!: CounterpartDto[];
  @ApiProperty({
    type: [CounterpartDto],
    description: 'currencies you can give to receive this one (directions to it with shown offers), by code',
  })
  directionsTo!: CounterpartDto[];
}
