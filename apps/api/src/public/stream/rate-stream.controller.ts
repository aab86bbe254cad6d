import { Controller, Get, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiHeader, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors } from '../../common/api-errors.decorator';
import { PublicApi } from '../public-docs';
import { RatesQuery } from '../rates/rates.dto';
import { MAX_CHANNELS_PER_DIRECTION, RateStreams } from './rate-streams.service';

const EXAMPLE =
  'retry: 3000\n: open\n\nid: 2jmj7l5rSw0yVb_vlWAYkK_YBwk\nevent: table\ndata: {"from":"BTC","to":"SBERRUB","city":null,' +
  '"amount":null,"side":"give","generatedAt":"2026-12-03T07:00:00.000Z","items":[…]}\n\n: hb\n\n';

@PublicApi('rates')
@UseGuards(ThrottlerGuard)
@Controller('v1/rates/stream')
export class RateStreamController {
  constructor(private readonly streams: RateStreams) {}

  /** The best-rate table of a direction, live: Server-Sent Events, a new table each time it changes. */
  @Get()
  @ApiOperation({
    summary: 'The best-rate table of a direction, live (Server-Sent Events)',
    description:
      'The query of GET /v1/rates, answered as a stream of Server-Sent Events: on connect a `table` event whose ' +
      'data is exactly the body GET /v1/rates answers, then one more each time the table changes (changes within ' +
      'about 250 ms make one event; a table equal to the last one sent is not sent again). Every event has an ' +
      '`id`, the version of its table: a client reconnecting with `Last-Event-ID` gets nothing until the next ' +
      'change when it already holds the current table, the current table at once otherwise (EventSource does ' +
      'this by itself). A `: hb` comment line comes every STREAM_HEARTBEAT_SECONDS; `retry:` asks for a ' +
      'reconnect after 3 s. An address holds at most STREAM_MAX_PER_IP streams and a process ' +
      'STREAM_MAX_CONNECTIONS: past either, 429 with Retry-After (poll GET /v1/rates with If-None-Match instead). ' +
      `A process streams at most ${MAX_CHANNELS_PER_DIRECTION} distinct tables of one direction (spellings ` +
      'of one query, such as amount=1 and amount=1.0, are one table): past them, a query that would make ' +
      'another is 429 too (the table without amount, exclude, side and limit never is; or poll). ' +
      'Unknown currency → 404; from equal to to, an unknown flag or a city that is not a catalog code → 400.',
  })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'the id of the last event received (EventSource sends it when it reconnects)',
  })
  @ApiOkResponse({
    description:
      'an event stream (text/event-stream, Cache-Control: no-cache, X-Accel-Buffering: no): `table` events ' +
      'whose data is the RatesTable of GET /v1/rates, `: hb` heartbeats, a `retry:` hint',
    content: {
      'text/event-stream': {
        schema: { type: 'string', description: 'Server-Sent Events', example: EXAMPLE },
      },
    },
  })
  @ApiErrors({
    400: 'a malformed query, from equal to to, an unknown exclude flag, or a city that is not a code of /v1/cities',
    404: 'an unknown currency code',
    429:
      'past the per-address rate limit, or the address holds STREAM_MAX_PER_IP streams, or the server ' +
      'STREAM_MAX_CONNECTIONS, or the direction already has ' +
      `${MAX_CHANNELS_PER_DIRECTION} distinct streamed tables and this query would make another ` +
      '(Retry-After says when to come back; poll GET /v1/rates meanwhile)',
  })
  async stream(@Query() query: RatesQuery, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.streams.open(query, request, reply);
  }
}
