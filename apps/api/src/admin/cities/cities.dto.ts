import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length, Matches, ValidateIf } from 'class-validator';
import { CityField, toUpperCase } from '../../common/validation';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

/** Names and aliases are text people read: no control characters (a NUL would not even reach PostgreSQL). */
const PRINTABLE = /^[^\p{C}]*$/u;

export class CreateCityDto {
  @CityField('code', { example: 'MSK' })
  code!: string;

  @ApiProperty({ example: 'Moscow' })
  @Transform(trim)
  @IsString({ message: 'nameEn must be 1-100 characters' })
  @Length(1, 100, { message: 'nameEn must be 1-100 characters' })
  @Matches(PRINTABLE, { message: 'nameEn must not hold control characters' })
  nameEn!: string;

  @ApiProperty({ example: 'Москва' })
  @Transform(trim)
  @IsString({ message: 'nameRu must be 1-100 characters' })
  @Length(1, 100, { message: 'nameRu must be 1-100 characters' })
  @Matches(PRINTABLE, { message: 'nameRu must not hold control characters' })
  nameRu!: string;

  @ApiPropertyOptional({ example: 'RU', nullable: true, type: String, description: 'ISO 3166 country code' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @Transform(toUpperCase)
  @Matches(/^[A-Z]{2}$/, { message: 'country must be a two-letter ISO country code like RU, or null' })
  country?: string | null;
}

export class UpdateCityDto {
  @ApiPropertyOptional({ example: 'Moscow' })
  @IsOptional()
  @Transform(trim)
  @IsString({ message: 'nameEn must be 1-100 characters' })
  @Length(1, 100, { message: 'nameEn must be 1-100 characters' })
  @Matches(PRINTABLE, { message: 'nameEn must not hold control characters' })
  nameEn?: string;

  @ApiPropertyOptional({ example: 'Москва' })
  @IsOptional()
  @Transform(trim)
  @IsString({ message: 'nameRu must be 1-100 characters' })
  @Length(1, 100, { message: 'nameRu must be 1-100 characters' })
  @Matches(PRINTABLE, { message: 'nameRu must not hold control characters' })
  nameRu?: string;

  @ApiPropertyOptional({ example: 'RU', nullable: true, type: String })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @Transform(toUpperCase)
  @Matches(/^[A-Z]{2}$/, { message: 'country must be a two-letter ISO country code like RU, or null' })
  country?: string | null;
}

export class CreateCityAliasDto {
  @ApiProperty({
    example: 'Saint Petersburg',
    description: 'another spelling of the city; compared in any case, ignoring spaces and punctuation',
  })
  @Transform(trim)
  @IsString({ message: 'alias must be 1-64 characters with a letter or digit' })
  @Length(1, 64, { message: 'alias must be 1-64 characters with a letter or digit' })
  @Matches(/[\p{L}\p{N}]/u, { message: 'alias must be 1-64 characters with a letter or digit' })
  @Matches(PRINTABLE, { message: 'alias must not hold control characters' })
  alias!: string;

  @CityField('code', { example: 'SPB' })
  code!: string;
}

export class AdminCityAliasDto {
  @ApiProperty({ example: 7 }) id!: number;
  @ApiProperty({ example: 'Saint Petersburg' }) alias!: string;
}

export class AdminCityDto {
  @ApiProperty({ example: 'SPB' }) code!: string;
  @ApiProperty({ example: 'Saint Petersburg' }) nameEn!: string;
  @ApiProperty({ example: 'Санкт-Петербург' }) nameRu!: string;
  @ApiProperty({ example: 'RU', nullable: true, type: String }) country!: string | null;
  @ApiProperty({ type: [AdminCityAliasDto] }) aliases!: AdminCityAliasDto[];
}

export class AdminCityListDto {
  @ApiProperty({ type: [AdminCityDto] }) items!: AdminCityDto[];
}

export class CityAliasDto extends AdminCityAliasDto {
  @ApiProperty({ example: 'SPB' }) code!: string;
}
