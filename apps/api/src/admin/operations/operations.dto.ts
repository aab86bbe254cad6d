import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional } from 'class-validator';
import { FEED_FORMAT_SETTINGS, FeedFormatSetting } from '@app/domain';
import { CurrencyCodeField, SlugField } from '../../common/validation';

export class ClicksQuery {
  @ApiPropertyOptional({ description: 'ISO time; default 24 h ago' })
  @IsOptional()
  @IsISO8601({}, { message: 'since must be an ISO-8601 time' })
  since?: string;
  @ApiPropertyOptional({ description: 'ISO time; default now' })
  @IsOptional()
  @IsISO8601({}, { message: 'until must be an ISO-8601 time' })
  until?: string;
  @SlugField('exchanger', { optional: true }) exchanger?: string;
  @CurrencyCodeField('from', { optional: true }) from?: string;
  @CurrencyCodeField('to', { optional: true }) to?: string;
}

export class FeedCheckQuery {
  @ApiPropertyOptional({ enum: FEED_FORMAT_SETTINGS })
  @IsOptional()
  @IsIn(FEED_FORMAT_SETTINGS, { message: `format must be one of ${FEED_FORMAT_SETTINGS.join(', ')}` })
  format?: FeedFormatSetting;
}
