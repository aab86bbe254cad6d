import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import {
  BURST,
  cleanOrderRef,
  cleanReason,
  cleanReplyText,
  cleanReviewText,
  InvalidFieldError,
  isBurst,
  NotFoundError,
  nextReviewState,
  publishedDelta,
  REVIEW_LIMITS,
  REVIEW_STATES,
  REVIEW_TONES,
  ReviewAction,
  ReviewState,
  ReviewTone,
  textFingerprint,
  VisitorIdentity,
} from '@app/domain';
import { Actor } from '../repositories/audit.repository';
import { rowsOf } from '../repositories/sql';
import { admitSubmission, checkLimits, insertSubmission } from './submission-guard';
import {
  auditModeration,
  bumpStanding,
  cursorId,
  NO_STANDING,
  Page,
  PageRequest,
  Standing,
  toPage,
} from './reputation-sql';

/** An exchanger acting through a key scoped to it: it may touch only its own reviews and claims. */
export interface ExchangerActor {
  keyId: number;
  exchangerId: number;
}

export interface ReviewSubmission {
  exchangerId: number;
  tone: ReviewTone;
  /** As typed; cleaned and bounded here (`cleanReviewText`). */
  text: string;
  orderRef?: string | null;
  visitor: VisitorIdentity;
}

/** A review as moderators and the repository see it (never the visitor's hashes: see ModerationReview). */
export interface ReviewRow {
  id: string;
  exchangerId: number;
  tone: ReviewTone;
  text: string;
  orderRef: string | null;
  state: ReviewState;
  rejectReason: string | null;
  visited: boolean;
  burst: boolean;
  createdAt: Date;
  moderatedAt: Date | null;
  moderatedBy: number | null;
  reply: string | null;
  repliedAt: Date | null;
}

/** A published review as the public (and the exchanger's cabinet) reads it. */
export type PublicReview = Pick<
  ReviewRow,
  'id' | 'tone' | 'text' | 'orderRef' | 'visited' | 'createdAt' | 'reply' | 'repliedAt'
>;

/** A review in the moderation queue: with its exchanger's slug and the hashes that tie submissions together. */
export interface ModerationReview extends ReviewRow {
  exchanger: string;
  visitorHash: string;
  ipHash: string;
}

export interface ReviewQueueFilter {
  state?: ReviewState | null;
  exchangerId?: number | null;
  /** Only the reviews of a burst (true) or only the others (false). */
  burst?: boolean | null;
}

/** An exchanger with reviews of a burst waiting for a moderator. */
export interface BurstExchanger {
  exchangerId: number;
  exchanger: string;
  pending: number;
  firstAt: Date;
  lastAt: Date;
}

export interface ModerationAct {
  id: string;
  at: Date;
  keyId: number | null;
  entity: 'review' | 'claim';
  entityId: string;
  action: string;
  fromState: string;
  toState: string;
  reason: string | null;
}

const REVIEW = `r.id::text AS id, r.exchanger_id AS "exchangerId", r.tone, r.text, r.order_ref AS "orderRef", r.state,
  r.reject_reason AS "rejectReason", r.visited, r.burst, r.created_at AS "createdAt", r.moderated_at AS "moderatedAt",
  r.moderated_by AS "moderatedBy", r.reply, r.replied_at AS "repliedAt"`;
const PUBLIC_REVIEW = `r.id::text AS id, r.tone, r.text, r.order_ref AS "orderRef", r.visited, r.created_at AS "createdAt", r.reply, r.replied_at AS "repliedAt"`;

/** Ids are bigserials; anything else names no review or claim (answered as not found, not as a 500). */
export const isRowId = (id: string): boolean => /^[1-9]\d{0,17}$/.test(id);

/**
 * Reviews (DESIGN.md §11): submission under the abuse limits, moderation (audited), exchangers' replies,
 * the public list, and each exchanger's standing — maintained in the transaction of every change that
 * moves a count, so `/v1/rates` reads it by primary key and never counts.
 */
@Injectable()
export class ReputationRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Stores a visitor's review as `pending`, or throws: InvalidFieldError (text, tone, order reference),
   * SubmissionLimitError (429), DuplicateTextError (409), NotFoundError (no such exchanger). Marks it
   * `visited` when the visitor clicked through to the exchanger in the visit window, and `burst` (with
   * the other reviews of the hour) when it makes a burst.
   */
  async submitReview(submission: ReviewSubmission): Promise<ReviewRow> {
    if (!REVIEW_TONES.includes(submission.tone))
      throw new InvalidFieldError(`tone must be one of ${REVIEW_TONES.join(', ')}`);
    const text = cleanReviewText(submission.text);
    const orderRef = cleanOrderRef(submission.orderRef);
    const fingerprint = textFingerprint(text);
    const { exchangerId, visitor } = submission;
    await checkLimits(this.dataSource.manager, 'reviews', REVIEW_LIMITS, exchangerId, visitor);
    return this.dataSource.transaction(async (tx) => {
      const { visited } = await admitSubmission(tx, 'reviews', REVIEW_LIMITS, exchangerId, visitor, fingerprint);
      const burst = await this.burstWith(tx, exchangerId);
      const [row] = await insertSubmission(
        tx.query<ReviewRow[]>(
          `INSERT INTO reviews AS r (exchanger_id, tone, text, order_ref, visitor_hash, ip_hash, day, visited, text_fingerprint, burst)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${REVIEW}`,
          [
            exchangerId,
            submission.tone,
            text,
            orderRef,
            visitor.hash,
            visitor.ipHash,
            visitor.day,
            visited,
            fingerprint,
            burst,
          ],
        ),
        'reviews',
        REVIEW_LIMITS,
        exchangerId,
      );
      return row!;
    });
  }

  /** Published reviews of an exchanger, newest first (the public list and the exchanger's cabinet). */
  async listPublishedReviews(exchangerId: number, page: PageRequest): Promise<Page<PublicReview>> {
    const rows = await this.dataSource.query<PublicReview[]>(
      `SELECT ${PUBLIC_REVIEW} FROM reviews r
       WHERE r.exchanger_id = $1 AND r.state = 'published' AND ($2::bigint IS NULL OR r.id < $2)
       ORDER BY r.id DESC LIMIT $3`,
      [exchangerId, cursorId(page), page.limit + 1],
    );
    return toPage(rows, page.limit);
  }

  async findReview(id: string): Promise<ReviewRow | null> {
    if (!isRowId(id)) return null;
    const [row] = await this.dataSource.query<ReviewRow[]>(`SELECT ${REVIEW} FROM reviews r WHERE r.id = $1`, [id]);
    return row ?? null;
  }

  /**
   * A moderator publishes or rejects a review (a reason is required to reject, and kept). The state move,
   * the exchanger's counts and the audit row commit together; a move the review's life does not allow is
   * a TransitionError (409).
   */
  async moderateReview(actor: Actor, id: string, action: ReviewAction, reason?: string | null): Promise<ReviewRow> {
    const why = action === 'reject' ? cleanReason(reason ?? '') : null;
    return this.dataSource.transaction(async (tx) => {
      const current = await this.lockReview(tx, id);
      const next = nextReviewState(current.state, action);
      const [row] = rowsOf<ReviewRow>(
        await tx.query(
          `UPDATE reviews r SET state = $2, reject_reason = $3, moderated_at = now(), moderated_by = $4 WHERE r.id = $1 RETURNING ${REVIEW}`,
          [id, next, why, actor.keyId],
        ),
      );
      await bumpStanding(tx, current.exchangerId, current.tone, publishedDelta(current.state, next));
      await auditModeration(tx, actor, { entity: 'review', id, action, from: current.state, to: next, reason: why });
      return row!;
    });
  }

  /**
   * The exchanger's reply to one of its published reviews (a new reply replaces the previous one). Another
   * exchanger's review, an unpublished one and a missing one are all "not found": a scoped key learns
   * nothing about reviews it may not answer.
   */
  async replyToReview(by: ExchangerActor, id: string, text: string): Promise<ReviewRow> {
    const reply = cleanReplyText(text);
    if (!isRowId(id)) throw new NotFoundError(`review ${id} does not exist`);
    const [row] = rowsOf<ReviewRow>(
      await this.dataSource.query(
        `UPDATE reviews r SET reply = $3, replied_at = now(), replied_by = $4
         WHERE r.id = $1 AND r.exchanger_id = $2 AND r.state = 'published' RETURNING ${REVIEW}`,
        [id, by.exchangerId, reply, by.keyId],
      ),
    );
    if (!row) throw new NotFoundError(`review ${id} does not exist`);
    return row;
  }

  /** The moderation queue, oldest first: by state (pending by default), exchanger, burst. */
  async reviewQueue(filter: ReviewQueueFilter, page: PageRequest): Promise<Page<ModerationReview>> {
    const state = filter.state === undefined ? 'pending' : filter.state;
    if (state !== null && !REVIEW_STATES.includes(state))
      throw new InvalidFieldError(`state must be one of ${REVIEW_STATES.join(', ')}`);
    const rows = await this.dataSource.query<ModerationReview[]>(
      `SELECT ${REVIEW}, e.slug AS exchanger, r.visitor_hash AS "visitorHash", r.ip_hash AS "ipHash"
       FROM reviews r JOIN exchangers e ON e.id = r.exchanger_id
       WHERE ($1::text IS NULL OR r.state = $1) AND ($2::int IS NULL OR r.exchanger_id = $2)
         AND ($3::boolean IS NULL OR r.burst = $3) AND ($4::bigint IS NULL OR r.id > $4)
       ORDER BY r.id LIMIT $5`,
      [state, filter.exchangerId ?? null, filter.burst ?? null, cursorId(page), page.limit + 1],
    );
    return toPage(rows, page.limit);
  }

  /** Exchangers with pending reviews of a burst: the first thing a moderator should look at. */
  burstExchangers(): Promise<BurstExchanger[]> {
    return this.dataSource.query(
      `SELECT r.exchanger_id AS "exchangerId", e.slug AS exchanger, count(*)::int AS pending,
              min(r.created_at) AS "firstAt", max(r.created_at) AS "lastAt"
       FROM reviews r JOIN exchangers e ON e.id = r.exchanger_id
       WHERE r.burst AND r.state = 'pending'
       GROUP BY r.exchanger_id, e.slug ORDER BY pending DESC, r.exchanger_id`,
    );
  }

  /** The standing of each exchanger asked for, in one query (zeros for one with nothing yet). */
  async standing(exchangerIds: readonly number[]): Promise<Map<number, Standing>> {
    const result = new Map<number, Standing>(exchangerIds.map((id) => [id, { ...NO_STANDING }]));
    if (exchangerIds.length === 0) return result;
    const rows = await this.dataSource.query<Array<Standing & { exchangerId: number }>>(
      `SELECT exchanger_id AS "exchangerId", positive, neutral, negative, claims_open AS "claimsOpen"
       FROM exchanger_standing WHERE exchanger_id = ANY($1::int[])`,
      [exchangerIds],
    );
    for (const { exchangerId, ...standing } of rows) result.set(exchangerId, standing);
    return result;
  }

  /** Moderation acts, newest first; of one review or claim when `entity` and `entityId` are given. */
  async moderationAudit(
    filter: { entity?: 'review' | 'claim'; entityId?: string },
    limit: number,
  ): Promise<ModerationAct[]> {
    if (filter.entityId !== undefined && !isRowId(filter.entityId)) return [];
    return this.dataSource.query<ModerationAct[]>(
      `SELECT id::text AS id, at, key_id AS "keyId", entity, entity_id::text AS "entityId", action,
              from_state AS "fromState", to_state AS "toState", reason
       FROM moderation_audit
       WHERE ($1::text IS NULL OR entity = $1) AND ($2::bigint IS NULL OR entity_id = $2)
       ORDER BY id DESC LIMIT $3`,
      [filter.entity ?? null, filter.entityId ?? null, limit],
    );
  }

  private async lockReview(
    tx: EntityManager,
    id: string,
  ): Promise<{ exchangerId: number; state: ReviewState; tone: ReviewTone }> {
    const [row] = isRowId(id)
      ? await tx.query<Array<{ exchangerId: number; state: ReviewState; tone: ReviewTone }>>(
          `SELECT exchanger_id AS "exchangerId", state, tone FROM reviews WHERE id = $1 FOR UPDATE`,
          [id],
        )
      : [];
    if (!row) throw new NotFoundError(`review ${id} does not exist`);
    return row;
  }

  /**
   * Whether a new review of the exchanger makes a burst (more than BURST.reviews within BURST.minutes,
   * itself included); if so, the other reviews of the window are flagged too, so moderators see them all.
   * Exact: the submission holds the exchanger's advisory lock.
   */
  private async burstWith(tx: EntityManager, exchangerId: number): Promise<boolean> {
    const [{ recent }] = (await tx.query<[{ recent: number }]>(
      `SELECT count(*)::int AS recent FROM reviews WHERE exchanger_id = $1 AND created_at > now() - make_interval(mins => $2)`,
      [exchangerId, BURST.minutes],
    )) as [{ recent: number }];
    if (!isBurst(recent + 1)) return false;
    await tx.query(
      `UPDATE reviews SET burst = true WHERE exchanger_id = $1 AND created_at > now() - make_interval(mins => $2) AND NOT burst`,
      [exchangerId, BURST.minutes],
    );
    return true;
  }
}
