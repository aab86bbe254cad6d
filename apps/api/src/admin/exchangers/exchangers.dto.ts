import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUrl, Length } from 'class-validator';
import { EXCHANGER_STATUSES } from '@app/domain';
import { HTTP_URL, SlugField } from '../../common/validation';

export class CreateExchangerDto {
  @SlugField('slug')
  slug!: string;

  @ApiProperty({ example: 'Aura' })
  @IsString({ message: 'name must be text' })
  @Length(1, 200, { message: 'name must be 1-200 characters' })
  name!: string;

  @ApiProperty({ example: 'https://aura.example' })
  @IsUrl(HTTP_URL, { message: 'siteUrl must be an http(s) URL' })
  siteUrl!: string;

  @ApiProperty({ example: 'https://aura.example/?rid=42' })
  @IsUrl(HTTP_URL, { message: 'referralUrl must be an http(s) URL' })
  referralUrl!: string;

  @ApiPropertyOptional({ enum: EXCHANGER_STATUSES, default: 'active' })
  @IsOptional()
  @IsIn(EXCHANGER_STATUSES, { message: `status must be one of ${EXCHANGER_STATUSES.join(', ')}` })
  status?: (typeof EXCHANGER_STATUSES)[number];
}

export class UpdateExchangerDto extends PartialType(CreateExchangerDto) {}
