import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { FEED_FORMAT_SETTINGS, FeedFormatSetting } from '@app/domain';
import { CurrencyCodeField, SlugField, TimeWindowQuery } from '../../common/validation';

/** Clicks of a window (default: the last 24 hours), optionally of one exchanger and direction. */
export class ClicksQuery extends TimeWindowQuery {
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
