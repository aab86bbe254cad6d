import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Ip,
  Param,
  Post,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator';
import { PublicApi } from '../public/public-docs';
import { AlertDto, CreateAlertDto, CreatedAlertDto } from './alerts.dto';
import { AlertsService } from './alerts.service';
import { ALERT_MAX_BODY_BYTES, SmallAlertBodyGuard } from './small-alert-body.guard';

const ID = ApiParam({ name: 'id', format: 'uuid', description: 'the id answered at creation' });
const TOKEN = ApiHeader({
  name: 'X-Alert-Token',
  required: false,
  description: 'the alert’s token (or send it as `Authorization: Bearer <token>`)',
});
const TOKEN_ERRORS = ApiErrors({
  401: 'no token: send Authorization: Bearer <token> or X-Alert-Token',
  404: 'no alert of this id and token',
});

/** An alert's token from `Authorization: Bearer` or `X-Alert-Token`; 401 without one. */
function tokenOf(authorization: string | undefined, header: string | undefined): string {
  const bearer = /^Bearer\s+(\S{1,200})$/i.exec(authorization?.trim() ?? '')?.[1];
  const token = bearer ?? header?.trim();
  if (!token) throw new UnauthorizedException('this alert’s token is required: Authorization: Bearer <token>');
  return token;
}

/**
 * Visitors' alerts (DESIGN.md §12): tell a webhook when a direction's best rate crosses a value, moves by a
 * percentage, or a reserve appears. Each crossing is told once, signed (X-Ratewatch-Signature).
 */
@PublicApi('alerts')
@UseGuards(ThrottlerGuard)
@Controller('v1/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Post()
  @UseGuards(SmallAlertBodyGuard)
  @ApiOperation({
    summary: 'Create an alert',
    description:
      'Evaluated whenever the direction’s offers change; fires once per crossing (an `above` alert fires when ' +
      'the best goes from under the value to the value or more, and again only after it went back under). ' +
      'Notices are POSTed as JSON to webhookUrl with `X-Ratewatch-Signature: sha256=<hex HMAC-SHA256 of ' +
      '"<t>.<body>" keyed with secret>` and `X-Ratewatch-Timestamp: <t>` (unix seconds), `X-Ratewatch-Event` ' +
      'and `X-Ratewatch-Delivery`; a 2xx answer ' +
      'delivers, anything else is retried with back-off; after several undelivered notices in a row the alert ' +
      'is disabled. The token and secret are shown only in this answer.',
  })
  @ApiCreatedResponse({ type: CreatedAlertDto, description: 'created, with its token and signing secret' })
  @ApiErrors({
    400: 'invalid input (an unknown field, a bad condition or value, a webhook URL whose host is or resolves to a private or internal address, or does not resolve, an expiry in the past or over a year away…): the message says what to fix',
    404: 'a currency code not in the catalog',
    413: `the body is larger than ${ALERT_MAX_BODY_BYTES} bytes`,
    415: undefined,
    429: 'past the per-address rate limit, this address already holds ALERTS_MAX_PER_CREATOR active alerts, or too many webhook hosts are being checked at once (Retry-After)',
    503: 'the webhook’s host could not be resolved in time: try again in a moment',
  })
  create(@Body() dto: CreateAlertDto, @Ip() ip: string): Promise<CreatedAlertDto> {
    return this.alerts.create(dto, ip);
  }

  @Get(':id')
  @ID
  @TOKEN
  @ApiOperation({ summary: 'An alert', description: 'Its condition, status (active, disabled, expired) and notices.' })
  @ApiOkResponse({ type: AlertDto, description: 'the alert (never its token or secret)' })
  @TOKEN_ERRORS
  get(
    @Param('id') id: string,
    @Headers('authorization') authorization: string | undefined,
    @Headers('x-alert-token') header: string | undefined,
  ): Promise<AlertDto> {
    return this.alerts.get(id, tokenOf(authorization, header));
  }

  @Delete(':id')
  @HttpCode(204)
  @ID
  @TOKEN
  @ApiOperation({
    summary: 'Delete an alert',
    description: 'No notice is sent for it any more, pending ones included.',
  })
  @ApiNoContentResponse({ description: 'deleted' })
  @TOKEN_ERRORS
  async delete(
    @Param('id') id: string,
    @Headers('authorization') authorization: string | undefined,
    @Headers('x-alert-token') header: string | undefined,
  ): Promise<void> {
    await this.alerts.delete(id, tokenOf(authorization, header));
  }
}
