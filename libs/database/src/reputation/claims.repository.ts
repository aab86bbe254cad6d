import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import {
  CLAIM_LIMITS,
  CLAIM_STATES,
  ClaimAction,
  ClaimActor,
  ClaimState,
  cleanClaimAmount,
  cleanOrderRef,
  cleanReason,
  cleanReplyText,
  cleanReviewText,
  InvalidFieldError,
  NotFoundError,
  nextClaimState,
  openClaimDelta,
  textFingerprint,
  VisitorIdentity,
} from '@app/domain';
import { Actor } from '../repositories/audit.repository';
import { auditModeration, bumpStanding, cursorId, Page, PageRequest, toPage } from './reputation-sql';
import { ExchangerActor, isRowId } from './reputation.repository';
import { admitSubmission, checkLimits, insertSubmission } from './submission-guard';

export interface ClaimSubmission {
  exchangerId: number;
  /** The order the claim is about, as the exchanger's site names it (required). */
  orderRef: string;
  /** What went wrong, as typed (20–2,000 characters once cleaned). */
  text: string;
  /** The disputed amount, a decimal string, with its currency code; or neither. */
  amount?: string | null;
  currency?: string | null;
  visitor: VisitorIdentity;
}

/** One step of a claim's life, timed. `keyId` is the exchanger's or admin's key (null: the visitor, the CLI). */
export interface ClaimEvent {
  id: string;
  at: Date;
  action: ClaimAction;
  actor: ClaimActor;
  keyId: number | null;
  fromState: ClaimState | null;
  toState: ClaimState;
  text: string | null;
}

/** A claim with its timeline (never the visitor's hashes: see ModerationClaim). */
export interface ClaimRow {
  id: string;
  exchangerId: number;
  orderRef: string;
  text: string;
  amount: string | null;
  currency: string | null;
  state: ClaimState;
  visited: boolean;
  createdAt: Date;
  openedAt: Date | null;
  updatedAt: Date;
  closedAt: Date | null;
  events: ClaimEvent[];
}

export interface ModerationClaim extends ClaimRow {
  exchanger: string;
  visitorHash: string;
  ipHash: string;
}

export interface ClaimQueueFilter {
  state?: ClaimState | null;
  exchangerId?: number | null;
}

/** The moderator's acts on a claim (answering is the exchanger's: answerClaim). */
export type ClaimModeration = 'accept' | 'resolve' | 'reject';

// Amounts leave as the text Postgres keeps (`numeric`), never as a float.
const CLAIM = `c.id::text AS id, c.exchanger_id AS "exchangerId", c.order_ref AS "orderRef", c.text, c.amount::text AS amount,
  c.currency, c.state, c.visited, c.created_at AS "createdAt", c.opened_at AS "openedAt", c.updated_at AS "updatedAt",
  c.closed_at AS "closedAt",
  COALESCE((SELECT json_agg(json_build_object('id', ev.id::text, 'at', ev.at, 'action', ev.action, 'actor', ev.actor,
                   'keyId', ev.key_id, 'fromState', ev.from_state, 'toState', ev.to_state, 'text', ev.text) ORDER BY ev.id)
            FROM claim_events ev WHERE ev.claim_id = c.id), '[]') AS events`;

/** Events come through json_agg: their times as ISO strings, made Dates again here. */
function withDates<T extends ClaimRow>(row: T): T {
  return { ...row, events: row.events.map((event) => ({ ...event, at: new Date(event.at) })) };
}

/**
 * Claims (DESIGN.md §11): a visitor's dispute about an order, filed under the abuse limits, accepted by a
 * moderator, answered by the exchanger, resolved or rejected by the operator. Every step is a timed
 * `claim_events` row; every moderator's act is also in `moderation_audit`; the exchanger's `claimsOpen`
 * moves in the same transaction.
 */
@Injectable()
export class ClaimsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores a visitor's claim as `pending` (see ReputationRepository.submitReview for what it refuses). */
  async fileClaim(submission: ClaimSubmission): Promise<ClaimRow> {
    const text = cleanReviewText(submission.text);
    const orderRef = cleanOrderRef(submission.orderRef);
    if (orderRef === null) throw new InvalidFieldError('orderRef is required: the order the claim is about');
    const { amount, currency } = cleanClaimAmount(submission.amount, submission.currency);
    const fingerprint = textFingerprint(text);
    const { exchangerId, visitor } = submission;
    await checkLimits(this.dataSource.manager, 'claims', CLAIM_LIMITS, exchangerId, visitor);
    return this.dataSource.transaction(async (tx) => {
      const { visited } = await admitSubmission(tx, 'claims', CLAIM_LIMITS, exchangerId, visitor, fingerprint);
      const [{ id }] = await insertSubmission(
        tx.query<[{ id: string }]>(
          `INSERT INTO claims (exchanger_id, order_ref, text, amount, currency, visitor_hash, ip_hash, day, visited, text_fingerprint)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id::text AS id`,
          [
            exchangerId,
            orderRef,
            text,
            amount,
            currency,
            visitor.hash,
            visitor.ipHash,
            visitor.day,
            visited,
            fingerprint,
          ],
        ),
        'claims',
        CLAIM_LIMITS,
        exchangerId,
      );
      await this.recordEvent(tx, id, {
        action: 'file',
        actor: 'visitor',
        keyId: null,
        from: null,
        to: 'pending',
        text: null,
      });
      return this.readClaim(tx, id);
    });
  }

  /**
   * A moderator accepts (pending → open: public and counted), resolves (→ resolved, with an optional note)
   * or rejects (→ rejected, the reason required) a claim. Audited; a move the claim's life does not allow
   * is a TransitionError (409).
   */
  async moderateClaim(actor: Actor, id: string, action: ClaimModeration, text?: string | null): Promise<ClaimRow> {
    const note =
      action === 'reject' ? cleanReason(text ?? '') : text === undefined || text === null ? null : cleanReason(text);
    return this.dataSource.transaction(async (tx) => {
      const current = await this.lockClaim(tx, id, null);
      const to = await this.move(tx, id, current, { action, actor: 'admin', keyId: actor.keyId, text: note });
      await auditModeration(tx, actor, { entity: 'claim', id, action, from: current.state, to, reason: note });
      return this.readClaim(tx, id);
    });
  }

  /**
   * The exchanger answers one of its claims (open or answered → answered; each answer kept). Another
   * exchanger's claim, or one not yet accepted, is "not found" to it.
   */
  async answerClaim(by: ExchangerActor, id: string, text: string): Promise<ClaimRow> {
    const answer = cleanReplyText(text);
    return this.dataSource.transaction(async (tx) => {
      const current = await this.lockClaim(tx, id, by.exchangerId);
      await this.move(tx, id, current, { action: 'answer', actor: 'exchanger', keyId: by.keyId, text: answer });
      return this.readClaim(tx, id);
    });
  }

  async findClaim(id: string): Promise<ClaimRow | null> {
    if (!isRowId(id)) return null;
    const [row] = await this.dataSource.query<ClaimRow[]>(`SELECT ${CLAIM} FROM claims c WHERE c.id = $1`, [id]);
    return row ? withDates(row) : null;
  }

  /**
   * An exchanger's claims since a moderator accepted them, newest first, with their timelines: the public
   * list and the exchanger's cabinet (claims still pending or rejected unseen are the moderators' only).
   */
  async listClaims(exchangerId: number, page: PageRequest): Promise<Page<ClaimRow>> {
    const rows = await this.dataSource.query<ClaimRow[]>(
      `SELECT ${CLAIM} FROM claims c
       WHERE c.exchanger_id = $1 AND c.opened_at IS NOT NULL AND ($2::bigint IS NULL OR c.id < $2)
       ORDER BY c.id DESC LIMIT $3`,
      [exchangerId, cursorId(page), page.limit + 1],
    );
    return toPage(rows.map(withDates), page.limit);
  }

  /** The moderators' queue, oldest first: by state (pending by default) and exchanger. */
  async claimQueue(filter: ClaimQueueFilter, page: PageRequest): Promise<Page<ModerationClaim>> {
    const state = filter.state === undefined ? 'pending' : filter.state;
    if (state !== null && !CLAIM_STATES.includes(state))
      throw new InvalidFieldError(`state must be one of ${CLAIM_STATES.join(', ')}`);
    const rows = await this.dataSource.query<ModerationClaim[]>(
      `SELECT ${CLAIM}, e.slug AS exchanger, c.visitor_hash AS "visitorHash", c.ip_hash AS "ipHash"
       FROM claims c JOIN exchangers e ON e.id = c.exchanger_id
       WHERE ($1::text IS NULL OR c.state = $1) AND ($2::int IS NULL OR c.exchanger_id = $2) AND ($3::bigint IS NULL OR c.id > $3)
       ORDER BY c.id LIMIT $4`,
      [state, filter.exchangerId ?? null, cursorId(page), page.limit + 1],
    );
    return toPage(rows.map(withDates), page.limit);
  }

  /** Locks the claim; scoped to `exchangerId` (an exchanger's key), claims it has not been shown are not found. */
  private async lockClaim(
    tx: EntityManager,
    id: string,
    exchangerId: number | null,
  ): Promise<{ exchangerId: number; state: ClaimState }> {
    const [row] = isRowId(id)
      ? await tx.query<Array<{ exchangerId: number; state: ClaimState }>>(
          `SELECT exchanger_id AS "exchangerId", state FROM claims
           WHERE id = $1 AND ($2::int IS NULL OR (exchanger_id = $2 AND opened_at IS NOT NULL)) FOR UPDATE`,
          [id, exchangerId],
        )
      : [];
    if (!row) throw new NotFoundError(`claim ${id} does not exist`);
    return row;
  }

  /** One step: the new state (with its times), the exchanger's open count, and the event. */
  private async move(
    tx: EntityManager,
    id: string,
    current: { exchangerId: number; state: ClaimState },
    step: { action: Exclude<ClaimAction, 'file'>; actor: ClaimActor; keyId: number | null; text: string | null },
  ): Promise<ClaimState> {
    const to = nextClaimState(current.state, step.action);
    await tx.query(
      `UPDATE claims SET state = $2::text, updated_at = now(),
         opened_at = CASE WHEN $2::text = 'open' THEN now() ELSE opened_at END,
         closed_at = CASE WHEN $2::text IN ('resolved', 'rejected') THEN now() ELSE NULL END
       WHERE id = $1`,
      [id, to],
    );
    await bumpStanding(tx, current.exchangerId, 'claims_open', openClaimDelta(current.state, to));
    await this.recordEvent(tx, id, { ...step, from: current.state, to });
    return to;
  }

  private async recordEvent(
    tx: EntityManager,
    id: string,
    event: {
      action: ClaimAction;
      actor: ClaimActor;
      keyId: number | null;
      from: ClaimState | null;
      to: ClaimState;
      text: string | null;
    },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO claim_events (claim_id, action, actor, key_id, from_state, to_state, text) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [id, event.action, event.actor, event.keyId, event.from, event.to, event.text],
    );
  }

  private async readClaim(tx: EntityManager, id: string): Promise<ClaimRow> {
    const [row] = await tx.query<ClaimRow[]>(`SELECT ${CLAIM} FROM claims c WHERE c.id = $1`, [id]);
    return withDates(row!);
  }
}
