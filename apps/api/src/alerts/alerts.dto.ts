import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, IsISO8601, IsOptional, Matches, ValidateNested } from 'class-validator';
import { ALERT_DEFAULT_DAYS, ALERT_KINDS, ALERT_MAX_DAYS, AlertKind } from '@app/domain';
import { CityField, CurrencyCodeField, DiffersFromField, HttpUrlField } from '../common/validation';

/** A positive decimal as the API reads them (the calculator's amount): digits and one dot, never a float. */
const POSITIVE_DECIMAL = /^(?=.*[1-9])\d{1,20}(\.\d{1,18})?$/;

export class AlertConditionDto {
  @ApiProperty({
    enum: ALERT_KINDS,
    example: 'above',
    description:
      'above: the best rate reaches value or more; below: value or less; moves: the best moves by value % ' +
      '(either way) from the best at creation or at the last notice; reserve: a shown offer holds a reserve ' +
      'of value or more (of `to`)',
  })
  @IsIn(ALERT_KINDS, { message: `condition.kind must be one of ${ALERT_KINDS.join(', ')}` })
  kind!: AlertKind;

  @ApiProperty({
    type: String,
    example: '7000000',
    description:
      'a positive decimal string: a rate (how much of `to` for 1 `from`), a percent (moves, at most 1000), or a reserve',
  })
  @Matches(POSITIVE_DECIMAL, { message: 'condition.value must be a positive decimal string like 7000000 or 2.5' })
  value!: string;
}

export class CreateAlertDto {
  @CurrencyCodeField('from', { example: 'BTC' })
  from!: string;

  @CurrencyCodeField('to', { example: 'SBERRUB', description: 'a currency code other than from' })
  @DiffersFromField('from', 'from and to must differ')
  to!: string;

  @CityField('city', {
    optional: true,
    description: 'a city code: only this city’s offers (cash); absent: every offer',
  })
  city?: string;

  @ApiProperty({ type: AlertConditionDto })
  @IsDefined({ message: 'condition is required: {"kind": "above", "value": "7000000"}' })
  @ValidateNested()
  @Type(() => AlertConditionDto)
  condition!: AlertConditionDto;

  @HttpUrlField('webhookUrl', {
    example: 'https://bot.example/ratewatch-hook',
    description: 'where notices are POSTed (signed JSON); must reach the public internet',
  })
  webhookUrl!: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2027-01-01T00:00:00Z',
    description: `when the alert ends (default ${ALERT_DEFAULT_DAYS} days from now, at most ${ALERT_MAX_DAYS})`,
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'expiresAt must be an ISO 8601 date-time like 2027-01-01T00:00:00Z' })
  expiresAt?: string;
}

const DATE_TIME = { type: String, format: 'date-time', example: '2026-12-03T12:00:00.000Z' } as const;

export class AlertDto {
  @ApiProperty({ format: 'uuid', example: '8d0c3c1e-6f0e-4c36-9a53-2b1f3f0c7a11' }) id!: string;
  @ApiProperty({ example: 'BTC' }) from!: string;
  @ApiProperty({ example: 'SBERRUB' }) to!: string;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'null: every city' }) city!: string | null;
  @ApiProperty({ type: AlertConditionDto }) condition!: AlertConditionDto;
  @ApiProperty({ example: 'https://bot.example/ratewatch-hook' }) webhookUrl!: string;
  @ApiProperty({
    enum: ['active', 'disabled', 'expired'],
    example: 'active',
    description: 'disabled: too many notices in a row were not delivered (see disabledReason)',
  })
  status!: 'active' | 'disabled' | 'expired';
  @ApiProperty({ type: String, nullable: true, example: null }) disabledReason!: string | null;
  @ApiProperty({ example: 0, description: 'notices sent (fired)' }) notices!: number;
  @ApiProperty({ example: 0, description: 'notices in a row not delivered' }) consecutiveFailures!: number;
  @ApiProperty({ ...DATE_TIME, nullable: true }) lastFiredAt!: string | null;
  @ApiProperty(DATE_TIME) expiresAt!: string;
  @ApiProperty(DATE_TIME) createdAt!: string;
}

export class CreatedAlertDto extends AlertDto {
  @ApiProperty({
    example: 'rwa_3q2…',
    description: 'the token to read or delete this alert (Authorization: Bearer, or X-Alert-Token); shown only now',
  })
  token!: string;

  @ApiProperty({
    example: 'rws_Xk9…',
    description: 'the key of the HMAC-SHA256 in X-Ratewatch-Signature of every notice; shown only now',
  })
  secret!: string;
}
