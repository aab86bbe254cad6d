import { ApiProperty } from '@nestjs/swagger';
import { NamesDto } from '../currencies/currencies.dto';

export class CityDto {
  @ApiProperty({ example: 'MSK', description: 'the code `city` parameters and offers use' }) code!: string;
  @ApiProperty({ type: NamesDto, example: { en: 'Moscow', ru: 'Москва' } }) name!: NamesDto;
  @ApiProperty({ example: 'Moscow', description: 'the name in the language asked for (lang or Accept-Language)' })
  displayName!: string;
  @ApiProperty({ example: 'RU', nullable: true, type: String, description: 'ISO 3166 country code' })
  country!: string | null;
  @ApiProperty({ example: 37, description: 'shown offers in this city' }) offers!: number;
}

export class CityListDto {
  @ApiProperty({ type: [CityDto] }) items!: CityDto[];
}
