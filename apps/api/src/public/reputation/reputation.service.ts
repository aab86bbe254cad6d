import { Injectable } from '@nestjs/common';
import { ClaimRow, ClaimsRepository, ExchangersRepository, PublicReview, ReputationRepository } from '@app/database';
import { InvalidFieldError, NotFoundError, SLUG_PATTERN } from '@app/domain';
import { CatalogSnapshots } from '@app/ingestion';
import type {
  ClaimSubmittedDto,
  PageQuery,
  PostClaimDto,
  PostReviewDto,
  PublicClaimDto,
  PublicClaimListDto,
  PublicReviewDto,
  PublicReviewListDto,
  ReviewSubmittedDto,
} from './reputation.dto';
import { VisitorIdentities } from './visitor-identities.service';

/** Who posts: the request's address (TRUST_PROXY honoured) and user agent. */
export interface Poster {
  ip: string;
  userAgent: string | undefined;
}

const DEFAULT_PAGE = 20;

export function publicReview(review: PublicReview): PublicReviewDto {
  return {
    id: review.id,
    tone: review.tone,
    text: review.text,
    orderRef: review.orderRef,
    visited: review.visited,
    createdAt: review.createdAt.toISOString(),
    reply: review.reply === null ? null : { text: review.reply, at: review.repliedAt!.toISOString() },
  };
}

/** A claim as anyone may read it: its steps, but never a key id nor a visitor's hash. */
export function publicClaim(claim: ClaimRow): PublicClaimDto {
  return {
    id: claim.id,
    orderRef: claim.orderRef,
    text: claim.text,
    amount: claim.amount,
    currency: claim.currency,
    state: claim.state,
    createdAt: claim.createdAt.toISOString(),
    events: claim.events.map((event) => ({
      at: event.at.toISOString(),
      action: event.action,
      actor: event.actor,
      toState: event.toState,
      text: event.text,
    })),
  };
}

/**
 * Visitors' reviews and claims of an exchanger (DESIGN.md §11): posted under the abuse limits (the
 * repositories enforce them), read once moderators let them through.
 */
@Injectable()
export class PublicReputationService {
  constructor(
    private readonly exchangers: ExchangersRepository,
    private readonly reviews: ReputationRepository,
    private readonly claims: ClaimsRepository,
    private readonly catalogs: CatalogSnapshots,
    private readonly visitors: VisitorIdentities,
  ) {}

  async postReview(slug: string, dto: PostReviewDto, poster: Poster): Promise<ReviewSubmittedDto> {
    const exchangerId = await this.activeExchanger(slug);
    const review = await this.reviews.submitReview({
      exchangerId,
      tone: dto.tone,
      text: dto.text,
      orderRef: dto.orderRef ?? null,
      visitor: await this.visitors.of(poster.ip, poster.userAgent),
    });
    return { id: review.id, state: 'pending', visited: review.visited };
  }

  async listReviews(slug: string, query: PageQuery): Promise<PublicReviewListDto> {
    const page = await this.reviews.listPublishedReviews(await this.activeExchanger(slug), pageOf(query));
    return { items: page.items.map(publicReview), nextCursor: page.next };
  }

  async postClaim(slug: string, dto: PostClaimDto, poster: Poster): Promise<ClaimSubmittedDto> {
    const exchangerId = await this.activeExchanger(slug);
    if (dto.currency !== undefined && !(await this.catalogs.current()).has(dto.currency))
      throw new InvalidFieldError(`currency ${dto.currency} is not in the catalog: GET /v1/currencies lists the codes`);
    const claim = await this.claims.fileClaim({
      exchangerId,
      orderRef: dto.orderRef,
      text: dto.text,
      amount: dto.amount ?? null,
      currency: dto.currency ?? null,
      visitor: await this.visitors.of(poster.ip, poster.userAgent),
    });
    return { id: claim.id, state: 'pending' };
  }

  async listClaims(slug: string, query: PageQuery): Promise<PublicClaimListDto> {
    const page = await this.claims.listClaims(await this.activeExchanger(slug), pageOf(query));
    return { items: page.items.map(publicClaim), nextCursor: page.next };
  }

  /** The id of the active exchanger of this slug (only those are shown, so only those are reviewed). */
  private async activeExchanger(slug: string): Promise<number> {
    const exchanger = SLUG_PATTERN.test(slug) ? await this.exchangers.findRedirectTarget(slug) : null;
    if (!exchanger) throw new NotFoundError(`no exchanger ${slug.slice(0, 64)}`);
    return exchanger.id;
  }
}

const pageOf = (query: PageQuery) => ({ limit: query.limit ?? DEFAULT_PAGE, cursor: query.cursor ?? null });
