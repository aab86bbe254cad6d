import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { CityField, CurrencyCodeField, DiffersFromField } from '../../common/validation';

/** An operator's exception: an exchanger's direction (and city) shown whatever the rate guard says, for a time. */
export class AcceptQuarantineDto {
  @ApiProperty({ example: 3 })
  @IsInt({ message: 'exchangerId must be a whole number' })
  @Min(1, { message: 'exchangerId must be a whole number' })
  exchangerId!: number;

  @CurrencyCodeField('from')
  from!: string;

  @CurrencyCodeField('to', { example: 'SBERRUB' })
  @DiffersFromField('from', 'from and to must differ')
  to!: string;

  @CityField('city', { optional: true })
  city?: string;

  @ApiProperty({ minimum: 1, maximum: 720, example: 24, description: 'how long the exception lasts' })
  @IsInt({ message: 'hours must be a whole number' })
  @Min(1, { message: 'hours must be between 1 and 720 (30 days)' })
  @Max(720, { message: 'hours must be between 1 and 720 (30 days)' })
  hours!: number;

  @ApiPropertyOptional({ example: 'a promotion, confirmed with the exchanger by phone' })
  @IsOptional()
  @IsString({ message: 'reason must be text' })
  @Length(3, 500, { message: 'reason must be 3-500 characters' })
  reason?: string;
}
