import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { EXCHANGER_STATUSES } from '@app/domain';
import { HttpUrlField, SlugField } from '../../common/validation';
import { DATE_TIME } from '../admin-docs';

export class CreateExchangerDto {
  @SlugField('slug')
  slug!: string;

  @ApiProperty({ example: 'Aura' })
  @IsString({ message: 'name must be text' })
  @Length(1, 200, { message: 'name must be 1-200 characters' })
  name!: string;

  @HttpUrlField('siteUrl', { example: 'https://aura.example' })
  siteUrl!: string;

  @HttpUrlField('referralUrl', { example: 'https://aura.example/?rid=42' })
  referralUrl!: string;

  @ApiPropertyOptional({ enum: EXCHANGER_STATUSES, default: 'active' })
  @IsOptional()
  @IsIn(EXCHANGER_STATUSES, { message: `status must be one of ${EXCHANGER_STATUSES.join(', ')}` })
  status?: (typeof EXCHANGER_STATUSES)[number];
}

export class UpdateExchangerDto extends PartialType(CreateExchangerDto) {}

/** An exchanger as the admin sees it. */
export class ExchangerDto {
  @ApiProperty({ example: 3 }) id!: number;
  @ApiProperty({ example: 'aura' }) slug!: string;
  @ApiProperty({ example: 'Aura' }) name!: string;
  @ApiProperty({ example: 'https://aura.example' }) siteUrl!: string;
  @ApiProperty({ example: 'https://aura.example/?rid=42' }) referralUrl!: string;
  @ApiProperty({ enum: EXCHANGER_STATUSES }) status!: string;
  @ApiProperty(DATE_TIME) createdAt!: string;
  @ApiProperty(DATE_TIME) updatedAt!: string;
}

export class ExchangerListDto {
  @ApiProperty({ type: [ExchangerDto] }) items!: ExchangerDto[];
}
