import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { FRESH_FEED_SQL, shownOffersSql } from '../freshness';
import { Standing, StandingColumns, standingColumnsSql, standingOf } from '../reputation/reputation-sql';
import { Actor, auditedTransaction } from './audit.repository';
import { assignments, rowsOf, unique } from './sql';

export interface ExchangerRow {
  id: number;
  slug: string;
  name: string;
  siteUrl: string;
  referralUrl: string;
  status: string;
  createdAt: Date;
  updatedAt: Date;
}

/** An exchanger as the public sees it: its shown offers, last confirmation, freshness and standing. */
export interface ExchangerSummary {
  id: number;
  slug: string;
  name: string;
  siteUrl: string;
  status: string;
  offers: number;
  updatedAt: Date | null;
  fresh: boolean;
  listedSince: Date;
  /** From `exchanger_standing` (zeros when it has none yet). */
  reviews: Standing;
}

const EXCHANGER = `id, slug, name, site_url AS "siteUrl", referral_url AS "referralUrl", status, created_at AS "createdAt", updated_at AS "updatedAt"`;
const EXCHANGER_COLUMNS: Record<string, string> = {
  slug: 'slug',
  name: 'name',
  siteUrl: 'site_url',
  referralUrl: 'referral_url',
  status: 'status',
};

/** Exchangers: the admin's CRUD (audited), the public listing and the `/go` target. */
@Injectable()
export class ExchangersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  list(): Promise<ExchangerRow[]> {
    return this.dataSource.query(`SELECT ${EXCHANGER} FROM exchangers ORDER BY id`);
  }

  async find(id: number): Promise<ExchangerRow | null> {
    const [row] = await this.dataSource.query<ExchangerRow[]>(`SELECT ${EXCHANGER} FROM exchangers WHERE id = $1`, [
      id,
    ]);
    return row ?? null;
  }

  create(actor: Actor, fields: Omit<ExchangerRow, 'id' | 'createdAt' | 'updatedAt'>): Promise<ExchangerRow> {
    return auditedTransaction(this.dataSource, actor, 'create', 'exchanger', async (tx) => {
      const [row] = await unique(
        tx.query<ExchangerRow[]>(
          `INSERT INTO exchangers (slug, name, site_url, referral_url, status) VALUES ($1, $2, $3, $4, $5) RETURNING ${EXCHANGER}`,
          [fields.slug, fields.name, fields.siteUrl, fields.referralUrl, fields.status],
        ),
        `slug ${fields.slug} is taken`,
      );
      return { before: null, after: row! };
    });
  }

  update(actor: Actor, id: number, fields: Partial<ExchangerRow>): Promise<ExchangerRow | null> {
    return auditedTransaction(this.dataSource, actor, 'update', 'exchanger', async (tx) => {
      const [before] = await tx.query<ExchangerRow[]>(`SELECT ${EXCHANGER} FROM exchangers WHERE id = $1 FOR UPDATE`, [
        id,
      ]);
      if (!before) return { before: null, after: null };
      const { sets, values } = assignments(fields, EXCHANGER_COLUMNS, 2);
      if (sets.length === 0) return { before, after: before };
      const [after] = rowsOf<ExchangerRow>(
        await unique(
          tx.query(
            `UPDATE exchangers SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING ${EXCHANGER}`,
            [id, ...values],
          ),
          `slug ${String(fields.slug)} is taken`,
        ),
      );
      return { before, after: after! };
    });
  }

  /** Deletes an exchanger with its feeds and their offers (cascade). Returns its feed ids, or null. */
  delete(actor: Actor, id: number): Promise<number[] | null> {
    return auditedTransaction(this.dataSource, actor, 'delete', 'exchanger', async (tx) => {
      const [before] = await tx.query<ExchangerRow[]>(`SELECT ${EXCHANGER} FROM exchangers WHERE id = $1 FOR UPDATE`, [
        id,
      ]);
      if (!before) return { before: null, after: null, result: null };
      // Locking the feeds waits for a poll that is writing one of them: its offers are then committed and
      // deleted here, instead of landing after this delete as rows of a feed that no longer exists.
      const feeds = await tx.query<Array<{ id: number }>>(
        `SELECT id FROM feeds WHERE exchanger_id = $1 ORDER BY id FOR UPDATE`,
        [id],
      );
      await tx.query(`DELETE FROM offers WHERE feed_id = ANY($1::int[])`, [feeds.map((f) => f.id)]);
      await tx.query(`DELETE FROM exchangers WHERE id = $1`, [id]);
      return { before, after: null, result: feeds.map((f) => f.id) };
    });
  }

  /** Active exchangers (or one by slug) with their shown offers, last confirmation and freshness. */
  async listPublic(slug: string | null = null): Promise<ExchangerSummary[]> {
    const rows = await this.dataSource.query<
      Array<Omit<ExchangerSummary, 'offers' | 'reviews'> & { offers: string } & StandingColumns>
    >(
      // The outer alias is `x`: the subqueries bring their own `e` and `f` (see shownOffersSql).
      `SELECT x.id, x.slug, x.name, x.site_url AS "siteUrl", x.status, x.created_at AS "listedSince",
              ${standingColumnsSql('s')},
              (SELECT count(*) FROM (${shownOffersSql('o.exchanger_id = x.id')}) s) AS offers,
              (SELECT max(f.last_success_at) FROM feeds f WHERE f.exchanger_id = x.id AND f.enabled) AS "updatedAt",
              EXISTS (SELECT 1 FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id WHERE f.exchanger_id = x.id AND ${FRESH_FEED_SQL}) AS fresh
       FROM exchangers x LEFT JOIN exchanger_standing s ON s.exchanger_id = x.id
       WHERE x.status = 'active' AND ($1::text IS NULL OR x.slug = $1)
       ORDER BY x.name, x.slug`,
      [slug],
    );
    return rows.map(({ reviewsPositive, reviewsNeutral, reviewsNegative, claimsOpen, ...r }) => ({
      ...r,
      offers: Number(r.offers),
      reviews: standingOf({ reviewsPositive, reviewsNeutral, reviewsNegative, claimsOpen }),
    }));
  }

  /** The shown directions of one exchanger (the offers visitors see: `shownOffersSql`). */
  async shownDirections(
    exchangerId: number,
  ): Promise<Array<{ from: string; to: string; city: string | null; rate: string }>> {
    return this.dataSource.query(
      `SELECT s.from_code AS "from", s.to_code AS "to", NULLIF(s.city, '') AS city, s.rate::text AS rate
       FROM (${shownOffersSql('o.exchanger_id = $1')}) s
       ORDER BY s.from_code, s.to_code, s.city`,
      [exchangerId],
    );
  }

  /** What `/go` needs: only an active exchanger can be a target. */
  async findRedirectTarget(slug: string): Promise<{ id: number; referralUrl: string } | null> {
    const [row] = await this.dataSource.query<Array<{ id: number; referralUrl: string }>>(
      `SELECT id, referral_url AS "referralUrl" FROM exchangers WHERE slug = $1 AND status = 'active'`,
      [slug],
    );
    return row ?? null;
  }
}
