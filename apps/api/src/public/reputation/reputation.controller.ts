import { Body, Controller, Get, Headers, Ip, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ApiErrors } from '../../common/api-errors.decorator';
import { PublicApi } from '../public-docs';
import {
  ClaimSubmittedDto,
  PageQuery,
  PostClaimDto,
  PostReviewDto,
  PublicClaimListDto,
  PublicReviewListDto,
  ReviewSubmittedDto,
} from './reputation.dto';
import { PublicReputationService } from './reputation.service';
import { PUBLIC_MAX_BODY_BYTES, SmallBodyGuard } from './small-body.guard';

const SLUG = ApiParam({ name: 'slug', example: 'aurora', description: 'the slug of an active exchanger' });

/** What a visitor's post can be refused for, beyond the per-address limit every public route has. */
const POST_ERRORS = ApiErrors({
  400: 'invalid input (malformed JSON, an unknown field, a bad tone, text not 20-2000 characters…): the message says what to fix',
  404: 'no active exchanger of this slug',
  409: 'the same text, or nearly, was posted about this exchanger in the last 90 days',
  413: `the body is larger than ${PUBLIC_MAX_BODY_BYTES} bytes`,
  415: undefined,
  429: 'past the per-address rate limit, or a daily limit of posts (one per exchanger, a few a day per visitor and per address): Retry-After says when it frees up',
});

/**
 * Visitors' reviews and claims of an exchanger (DESIGN.md §11). Posts are held for moderators; lists
 * show what they let through. Not cached: a moderator's act shows at once.
 */
@PublicApi('reputation')
@UseGuards(ThrottlerGuard)
@Controller('v1/exchangers/:slug')
export class ReputationController {
  constructor(private readonly reputation: PublicReputationService) {}

  @Post('reviews')
  @UseGuards(SmallBodyGuard)
  @SLUG
  @ApiOperation({
    summary: 'Review an exchanger',
    description:
      'Held as pending until a moderator publishes it. Marked visited when you clicked through /go to this ' +
      'exchanger in the last 30 days. One review of an exchanger a day; a few a day in all.',
  })
  @ApiCreatedResponse({ type: ReviewSubmittedDto, description: 'stored, waiting for a moderator' })
  @POST_ERRORS
  postReview(
    @Param('slug') slug: string,
    @Body() dto: PostReviewDto,
    @Ip() ip: string,
    @Headers('user-agent') userAgent: string | undefined,
  ): Promise<ReviewSubmittedDto> {
    return this.reputation.postReview(slug, dto, { ip, userAgent });
  }

  @Get('reviews')
  @SLUG
  @ApiOperation({ summary: "An exchanger's reviews", description: 'Published reviews, newest first, paged.' })
  @ApiOkResponse({ type: PublicReviewListDto, description: 'a page of published reviews' })
  @ApiErrors({ 400: 'a bad limit or cursor', 404: 'no active exchanger of this slug' })
  listReviews(@Param('slug') slug: string, @Query() query: PageQuery): Promise<PublicReviewListDto> {
    return this.reputation.listReviews(slug, query);
  }

  @Post('claims')
  @UseGuards(SmallBodyGuard)
  @SLUG
  @ApiOperation({
    summary: 'File a claim against an exchanger',
    description:
      'A dispute about an order. Held as pending until a moderator accepts it; then it is shown and counted ' +
      'as open until the operator resolves or rejects it. One claim of an exchanger a day; a few a day in all.',
  })
  @ApiCreatedResponse({ type: ClaimSubmittedDto, description: 'stored, waiting for a moderator' })
  @POST_ERRORS
  postClaim(
    @Param('slug') slug: string,
    @Body() dto: PostClaimDto,
    @Ip() ip: string,
    @Headers('user-agent') userAgent: string | undefined,
  ): Promise<ClaimSubmittedDto> {
    return this.reputation.postClaim(slug, dto, { ip, userAgent });
  }

  @Get('claims')
  @SLUG
  @ApiOperation({
    summary: "An exchanger's claims",
    description:
      'Claims a moderator accepted (open, answered, resolved, rejected later), newest first, with every step.',
  })
  @ApiOkResponse({ type: PublicClaimListDto, description: 'a page of accepted claims' })
  @ApiErrors({ 400: 'a bad limit or cursor', 404: 'no active exchanger of this slug' })
  listClaims(@Param('slug') slug: string, @Query() query: PageQuery): Promise<PublicClaimListDto> {
    return this.reputation.listClaims(slug, query);
  }
}
