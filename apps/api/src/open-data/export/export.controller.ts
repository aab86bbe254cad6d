import { Controller, Get, Inject, Req, Res, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiNotModifiedResponse, ApiOkResponse, ApiOperation, ApiProduces } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { noneMatchHits } from '../../public/cacheable-reply';
import { PublicApi } from '../../public/public-docs';
import { OpenDataSnapshots } from '../open-data-snapshots.service';

/** True when If-Modified-Since (ignored beside If-None-Match, RFC 9110 §13.1.3) is at or after `lastModified`. */
function notModifiedSince(header: string | undefined, lastModified: Date): boolean {
  if (!header) return false;
  const since = Date.parse(header);
  return Number.isFinite(since) && lastModified.getTime() <= since;
}

@PublicApi('open data')
@UseGuards(ThrottlerGuard)
@Controller('v1/export')
export class ExportController {
  constructor(
    private readonly snapshots: OpenDataSnapshots,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('info.zip')
  @ApiOperation({
    summary: "Every shown rate as BestChange's info.zip",
    description:
      "The BestChange-compatible export (its 2.03 format, readable by BestChange's public client libraries): " +
      'bm_rates.dat (give id; get id; exchanger id; give; get; reserve; claims.positive; 1; min; max; city id), ' +
      'bm_cy.dat, bm_cycodes.dat, bm_exch.dat, bm_cities.dat, bm_bcodes.dat, bm_brates.dat, bm_top.dat, bm_news.dat ' +
      'and bm_info.dat; `;`-separated CP1251 text, LF line ends. Only the offers /v1/rates shows (fresh feeds, ' +
      'active exchangers, nothing held back by the rate guard). Currency ids are the catalog’s bestchange_id ' +
      '(ours from 1000000 for a currency without one); city ids are BestChange’s for Moscow 1, Saint Petersburg 2, ' +
      'Kyiv 3 and Minsk 4, ours from 10000 for the others. Rebuilt at most every OPEN_DATA_REFRESH_SECONDS and only ' +
      'when the data changed: poll with If-None-Match or If-Modified-Since for a 304.',
  })
  @ApiProduces('application/zip')
  @ApiHeader({
    name: 'If-None-Match',
    required: false,
    description: 'the ETag of an archive you hold: 304 while it is current',
  })
  @ApiHeader({
    name: 'If-Modified-Since',
    required: false,
    description:
      'the Last-Modified of an archive you hold: 304 while nothing changed since (ignored beside If-None-Match)',
  })
  @ApiOkResponse({
    description: 'the archive',
    content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } },
    headers: {
      ETag: {
        description:
          'weak validator of the content (W/"…"): every replica answers the same one for the same data, the ' +
          'archives differing only in the time bm_info.dat and bm_news.dat are stamped with',
        schema: { type: 'string' },
      },
      'Last-Modified': {
        description: 'when this content was first read (the database clock)',
        schema: { type: 'string' },
      },
      'Cache-Control': { description: '`public, max-age=OPEN_DATA_REFRESH_SECONDS`', schema: { type: 'string' } },
    },
  })
  @ApiNotModifiedResponse({
    description: 'the archive named by If-None-Match or If-Modified-Since is still current (no body)',
  })
  async infoZip(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    const snapshot = await this.snapshots.snapshot();
    reply.header('cache-control', `public, max-age=${this.config.openData.refreshSeconds}`);
    reply.header('etag', snapshot.etag);
    reply.header('last-modified', snapshot.lastModified.toUTCString());
    const inm = request.headers['if-none-match'];
    if (
      inm !== undefined
        ? noneMatchHits(inm, snapshot.etag)
        : notModifiedSince(request.headers['if-modified-since'], snapshot.lastModified)
    )
      return reply.code(304).send();
    return reply
      .code(200)
      .header('content-type', 'application/zip')
      .header('content-disposition', 'attachment; filename="info.zip"')
      .send(snapshot.zip);
  }
}
