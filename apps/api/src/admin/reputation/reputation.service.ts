import { Injectable } from '@nestjs/common';
import {
  Actor,
  ClaimModeration,
  ClaimsRepository,
  ExchangersRepository,
  ModerationClaim,
  ModerationReview,
  ReputationRepository,
} from '@app/database';
import { NotFoundError, ReviewAction } from '@app/domain';
import { SnapshotChanges } from '@app/messaging';
import type { AuditQuery, ClaimQueueQuery, ReviewQueueQuery } from './reputation.dto';

/** Moderators see which posts come from one visitor (a day) or one address, never the whole hash. */
const SHOWN_HASH_DIGITS = 12;

/** A queued review or claim: the hashes shortened, under names that say what they tie together. */
function shortened<T extends ModerationReview | ModerationClaim>({ visitorHash, ipHash, ...row }: T) {
  return { ...row, visitor: visitorHash.slice(0, SHOWN_HASH_DIGITS), ip: ipHash.slice(0, SHOWN_HASH_DIGITS) };
}

/** `state=all` lifts the filter; absent, the repositories default to the pending ones. */
const stateFilter = <S extends string>(state: S | 'all' | undefined): S | null | undefined =>
  state === 'all' ? null : state;

/**
 * Moderation of visitors' reviews and claims (DESIGN.md §11). Every act is audited by the repositories in
 * the transaction that makes it; each may move an exchanger's counts, so cached public answers are dropped.
 */
@Injectable()
export class ModerationService {
  constructor(
    private readonly reviews: ReputationRepository,
    private readonly claims: ClaimsRepository,
    private readonly exchangers: ExchangersRepository,
    private readonly changes: SnapshotChanges,
  ) {}

  async reviewQueue(query: ReviewQueueQuery) {
    const [page, bursts] = await Promise.all([
      this.reviews.reviewQueue(
        {
          state: stateFilter(query.state),
          exchangerId: await this.exchangerId(query.exchanger),
          burst: query.burst ?? null,
        },
        { limit: query.limit ?? 50, cursor: query.cursor ?? null },
      ),
      this.reviews.burstExchangers(),
    ]);
    return {
      items: page.items.map(shortened),
      nextCursor: page.next,
      bursts: bursts.map(({ exchanger, pending, firstAt, lastAt }) => ({ exchanger, pending, firstAt, lastAt })),
    };
  }

  async moderateReview(actor: Actor, id: string, action: ReviewAction, reason?: string) {
    const review = await this.reviews.moderateReview(actor, id, action, reason);
    this.changes.publish({ all: true });
    return review;
  }

  async claimQueue(query: ClaimQueueQuery) {
    const page = await this.claims.claimQueue(
      { state: stateFilter(query.state), exchangerId: await this.exchangerId(query.exchanger) },
      { limit: query.limit ?? 50, cursor: query.cursor ?? null },
    );
    return { items: page.items.map(shortened), nextCursor: page.next };
  }

  async moderateClaim(actor: Actor, id: string, action: ClaimModeration, text?: string) {
    const claim = await this.claims.moderateClaim(actor, id, action, text);
    this.changes.publish({ all: true });
    return claim;
  }

  async audit(query: AuditQuery) {
    return {
      items: await this.reviews.moderationAudit({ entity: query.entity, entityId: query.id }, query.limit ?? 50),
    };
  }

  /** The id of the exchanger a filter names (any status: moderators also see disabled ones'). */
  private async exchangerId(slug: string | undefined): Promise<number | null> {
    if (slug === undefined) return null;
    const exchanger = (await this.exchangers.list()).find((e) => e.slug === slug);
    if (!exchanger) throw new NotFoundError(`no exchanger ${slug}`);
    return exchanger.id;
  }
}
