import { Injectable } from '@nestjs/common';
import {
  ClaimRow,
  ClaimsRepository,
  ClicksRepository,
  ExchangerActor,
  ExchangersRepository,
  FeedRunsRepository,
  FeedsRepository,
  PublicReview,
  ReputationRepository,
} from '@app/database';
import { ForbiddenError, InvalidFieldError, NotFoundError } from '@app/domain';
import { timeWindow } from '../common/validation';
import type { CabinetKey } from './exchanger-key.guard';
import type { PageQuery } from '../public/reputation/reputation.dto';
import { publicClaim, publicReview } from '../public/reputation/reputation.service';
import {
  type CabinetClaimDto,
  type CabinetClaimListDto,
  type CabinetClicksDto,
  type CabinetClicksQuery,
  type CabinetDto,
  type CabinetReviewDto,
  type CabinetReviewListDto,
  CLICKS_DEFAULT_DAYS,
  CLICKS_MAX_DAYS,
} from './exchanger.dto';

const DAY_MS = 86_400_000;
const DEFAULT_PAGE = 20;

/**
 * The exchanger's cabinet (DESIGN.md §11): what a key scoped to one exchanger reads and answers. Every
 * read is filtered to the key's exchanger in SQL; every id the caller names (a feed, a review, a claim)
 * is looked up first, and one of another exchanger is refused (403) — the issue asks that a scoped key be
 * told "not yours" rather than "not there"; an id that names nothing is a 404.
 */
@Injectable()
export class ExchangerCabinetService {
  constructor(
    private readonly exchangers: ExchangersRepository,
    private readonly feeds: FeedsRepository,
    private readonly feedRuns: FeedRunsRepository,
    private readonly clicks: ClicksRepository,
    private readonly reviews: ReputationRepository,
    private readonly claims: ClaimsRepository,
  ) {}

  async itself(by: CabinetKey): Promise<CabinetDto> {
    const exchanger = await this.exchangers.find(by.exchangerId);
    // The key is deleted with its exchanger; between the guard and here the exchanger may just have gone.
    if (!exchanger) throw new NotFoundError(`exchanger ${by.exchangerId} was deleted`);
    const standing = (await this.reviews.standing([by.exchangerId])).get(by.exchangerId)!;
    return {
      exchanger: {
        id: exchanger.id,
        slug: exchanger.slug,
        name: exchanger.name,
        siteUrl: exchanger.siteUrl,
        status: exchanger.status,
        listedSince: exchanger.createdAt.toISOString(),
      },
      reviews: standing,
      key: { id: by.keyId, name: by.name },
    };
  }

  feedHealth(by: ExchangerActor): Promise<unknown[]> {
    return this.feeds.health(by.exchangerId);
  }

  async runsOfFeed(by: ExchangerActor, feedId: number, limit: number): Promise<unknown[]> {
    const feed = await this.feeds.find(feedId);
    if (!feed) throw new NotFoundError(`no feed ${feedId}`);
    if (feed.exchangerId !== by.exchangerId) throw notYours('feed', feedId);
    return this.feedRuns.list(feedId, limit);
  }

  async clicksByDay(by: ExchangerActor, query: CabinetClicksQuery): Promise<CabinetClicksDto> {
    const { since, until } = timeWindow(query, CLICKS_DEFAULT_DAYS * DAY_MS);
    if (until.getTime() - since.getTime() > CLICKS_MAX_DAYS * DAY_MS)
      throw new InvalidFieldError(`the window may span at most ${CLICKS_MAX_DAYS} days: narrow since or until`);
    const items = await this.clicks.dailyOfExchanger(by.exchangerId, since, until);
    return { since: since.toISOString(), until: until.toISOString(), items };
  }

  async listReviews(by: ExchangerActor, query: PageQuery): Promise<CabinetReviewListDto> {
    const page = await this.reviews.listPublishedReviews(by.exchangerId, pageOf(query));
    return { items: page.items.map(cabinetReview), nextCursor: page.next };
  }

  /** A reply to one of its published reviews (a new reply replaces the previous one). */
  async reply(by: ExchangerActor, reviewId: string, text: string): Promise<CabinetReviewDto> {
    const review = await this.reviews.findReview(reviewId);
    if (review && review.exchangerId !== by.exchangerId) throw notYours('review', reviewId);
    // A review still pending or rejected is not shown to the exchanger: to it, there is no such review.
    if (!review || review.state !== 'published') throw new NotFoundError(`no published review ${reviewId}`);
    return cabinetReview(await this.reviews.replyToReview(by, reviewId, text));
  }

  async listClaims(by: ExchangerActor, query: PageQuery): Promise<CabinetClaimListDto> {
    const page = await this.claims.listClaims(by.exchangerId, pageOf(query));
    return { items: page.items.map(cabinetClaim), nextCursor: page.next };
  }

  /** An answer to one of its claims (open or answered; every answer is kept as a step). */
  async answer(by: ExchangerActor, claimId: string, text: string): Promise<CabinetClaimDto> {
    const claim = await this.claims.findClaim(claimId);
    if (claim && claim.exchangerId !== by.exchangerId) throw notYours('claim', claimId);
    // A claim no moderator accepted is not shown to the exchanger (answerClaim says "not found" too).
    if (!claim || claim.openedAt === null) throw new NotFoundError(`no claim ${claimId}`);
    return cabinetClaim(await this.claims.answerClaim(by, claimId, text));
  }
}

function notYours(what: 'feed' | 'review' | 'claim', id: number | string): ForbiddenError {
  return new ForbiddenError(`${what} ${id} belongs to another exchanger: this key sees its own exchanger only`);
}

const pageOf = (query: PageQuery) => ({ limit: query.limit ?? DEFAULT_PAGE, cursor: query.cursor ?? null });

/** A review as its exchanger reads it: what anyone may read (the same shape as the public list). */
const cabinetReview = (review: PublicReview): CabinetReviewDto => publicReview(review);

/** A claim as its exchanger reads it: the public steps (never a key id nor a visitor's hash), and when it opened and closed. */
function cabinetClaim(claim: ClaimRow): CabinetClaimDto {
  return {
    ...publicClaim(claim),
    visited: claim.visited,
    openedAt: claim.openedAt!.toISOString(),
    closedAt: claim.closedAt?.toISOString() ?? null,
  };
}
