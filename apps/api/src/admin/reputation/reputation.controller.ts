import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  PipeTransform,
  Post,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { isRowId } from '@app/database';
import { AdminAuthGuard, AdminRequest } from '../admin-auth.guard';
import { AdminApi, AdminErrors } from '../admin-docs';
import { actorOf } from '../admin-params';
import {
  AuditQuery,
  ClaimQueueDto,
  ClaimQueueQuery,
  ModeratedClaimDto,
  ModeratedReviewDto,
  ModerationAuditDto,
  RejectDto,
  ResolveDto,
  ReviewQueueDto,
  ReviewQueueQuery,
} from './reputation.dto';
import { ModerationService } from './reputation.service';

/** `:id` of a review or claim: a whole number (ids are 64-bit, so kept as text), else a 400 that says so. */
const ROW_ID: PipeTransform<string, string> = {
  transform(id) {
    if (!isRowId(id)) throw new BadRequestException('the id must be a whole number');
    return id;
  },
};

const ID_PARAM = ApiParam({ name: 'id', example: '42', description: 'a whole number' });
const MOVE_ERRORS = (what: string) =>
  AdminErrors([400, 404, 409, 413, 415], {
    400: 'invalid input (a reason of 3-500 characters is needed to reject)',
    404: `no ${what} with this id`,
    409: `its life does not allow this move from its state (e.g. a rejected ${what} is final)`,
  });

/**
 * Moderation (DESIGN.md §11): visitors' reviews and claims wait here until a moderator lets them through.
 * Every act is timed, attributed to the key and audited; one that moves counts drops cached public answers.
 */
@AdminApi('admin: moderation')
@UseGuards(AdminAuthGuard)
@Controller('v1/admin')
export class AdminModerationController {
  constructor(private readonly moderation: ModerationService) {}

  @Get('reviews')
  @ApiOperation({
    summary: 'The review moderation queue',
    description:
      'Reviews by state (pending by default; all), exchanger and burst, oldest first, with the exchangers ' +
      'whose pending reviews make a burst. Hashes are shortened: equal ones are one visitor (a day) or address.',
  })
  @ApiOkResponse({ type: ReviewQueueDto })
  @AdminErrors([400, 404], { 400: 'a bad filter, limit or cursor', 404: 'no exchanger of this slug' })
  reviews(@Query() query: ReviewQueueQuery) {
    return this.moderation.reviewQueue(query);
  }

  @Post('reviews/:id/publish')
  @HttpCode(200)
  @ID_PARAM
  @ApiOperation({ summary: 'Publish a review', description: 'pending → published: shown and counted. Audited.' })
  @ApiOkResponse({ type: ModeratedReviewDto })
  @MOVE_ERRORS('review')
  publishReview(@Req() request: AdminRequest, @Param('id', ROW_ID) id: string) {
    return this.moderation.moderateReview(actorOf(request), id, 'publish');
  }

  @Post('reviews/:id/reject')
  @HttpCode(200)
  @ID_PARAM
  @ApiOperation({
    summary: 'Reject a review',
    description: 'pending or published → rejected, with the reason kept (a published one leaves the counts). Audited.',
  })
  @ApiOkResponse({ type: ModeratedReviewDto })
  @MOVE_ERRORS('review')
  rejectReview(@Req() request: AdminRequest, @Param('id', ROW_ID) id: string, @Body() dto: RejectDto) {
    return this.moderation.moderateReview(actorOf(request), id, 'reject', dto.reason);
  }

  @Get('claims')
  @ApiOperation({
    summary: 'The claim moderation queue',
    description: 'Claims by state (pending by default; all) and exchanger, oldest first, with every step.',
  })
  @ApiOkResponse({ type: ClaimQueueDto })
  @AdminErrors([400, 404], { 400: 'a bad filter, limit or cursor', 404: 'no exchanger of this slug' })
  claims(@Query() query: ClaimQueueQuery) {
    return this.moderation.claimQueue(query);
  }

  @Post('claims/:id/accept')
  @HttpCode(200)
  @ID_PARAM
  @ApiOperation({ summary: 'Accept a claim', description: 'pending → open: shown and counted open. Audited.' })
  @ApiOkResponse({ type: ModeratedClaimDto })
  @MOVE_ERRORS('claim')
  acceptClaim(@Req() request: AdminRequest, @Param('id', ROW_ID) id: string) {
    return this.moderation.moderateClaim(actorOf(request), id, 'accept');
  }

  @Post('claims/:id/resolve')
  @HttpCode(200)
  @ID_PARAM
  @ApiOperation({
    summary: 'Resolve a claim',
    description: 'open or answered → resolved (the exchanger settled it), with an optional note. Audited.',
  })
  @ApiOkResponse({ type: ModeratedClaimDto })
  @MOVE_ERRORS('claim')
  resolveClaim(@Req() request: AdminRequest, @Param('id', ROW_ID) id: string, @Body() dto: ResolveDto) {
    return this.moderation.moderateClaim(actorOf(request), id, 'resolve', dto.text);
  }

  @Post('claims/:id/reject')
  @HttpCode(200)
  @ID_PARAM
  @ApiOperation({
    summary: 'Reject a claim',
    description: 'pending, open or answered → rejected (unfounded or spam), with the reason kept. Audited.',
  })
  @ApiOkResponse({ type: ModeratedClaimDto })
  @MOVE_ERRORS('claim')
  rejectClaim(@Req() request: AdminRequest, @Param('id', ROW_ID) id: string, @Body() dto: RejectDto) {
    return this.moderation.moderateClaim(actorOf(request), id, 'reject', dto.reason);
  }

  @Get('moderation/audit')
  @ApiOperation({
    summary: 'The moderation audit',
    description: 'Every moderation act, newest first: of one review or claim with entity and id.',
  })
  @ApiOkResponse({ type: ModerationAuditDto })
  @AdminErrors([400], { 400: 'a bad entity, id or limit' })
  audit(@Query() query: AuditQuery) {
    return this.moderation.audit(query);
  }
}
