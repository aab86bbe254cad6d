import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Actor, auditedTransaction } from './audit.repository';
import { rowsOf } from './sql';

export interface PartnerAccountRow {
  exchangerId: number;
  apiUrl: string;
  apiKeyEncrypted: string;
  requestStyle: 'get' | 'post' | 'both';
  syncIntervalSeconds: number;
  enabled: boolean;
  exchangesSyncedTo: Date | null;
  visitsSyncedTo: Date | null;
}

export interface PartnerExchange {
  remoteId: string;
  at: Date;
  giveCode: string | null;
  getCode: string | null;
  amountGive: string | null;
  amountGet: string | null;
  success: boolean;
  reward: string;
  userHash: string | null;
}

export interface PartnerVisit {
  remoteId: string;
  at: Date;
  referrer: string | null;
  curFrom: string | null;
  curTo: string | null;
  userHash: string | null;
}

/** Partner accounts' state and what their APIs reported. Upserts are keyed by (exchanger, remote id). */
/** The public view of a partner account: the API key is not in it. */
const PARTNER = `exchanger_id AS "exchangerId", api_url AS "apiUrl", request_style AS "requestStyle", sync_interval_s AS "syncIntervalSeconds", enabled,
  last_sync_at AS "lastSyncAt", last_success_at AS "lastSuccessAt", last_error AS "lastError"`;

@Injectable()
export class PartnersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async findAccount(exchangerId: number): Promise<PartnerAccountRow | null> {
    const [row] = await this.dataSource.query<PartnerAccountRow[]>(
      `SELECT p.exchanger_id AS "exchangerId", p.api_url AS "apiUrl", p.api_key_encrypted AS "apiKeyEncrypted", p.request_style AS "requestStyle",
              p.sync_interval_s AS "syncIntervalSeconds", p.enabled AND e.status = 'active' AS enabled,
              p.exchanges_synced_to AS "exchangesSyncedTo", p.visits_synced_to AS "visitsSyncedTo"
       FROM partner_accounts p JOIN exchangers e ON e.id = p.exchanger_id WHERE p.exchanger_id = $1`,
      [exchangerId],
    );
    return row ?? null;
  }

  /** Accounts that should sync on a schedule: enabled, of an active exchanger. */
  listSchedulable(): Promise<Array<{ exchangerId: number; syncIntervalSeconds: number }>> {
    return this.dataSource.query(
      `SELECT p.exchanger_id AS "exchangerId", p.sync_interval_s AS "syncIntervalSeconds"
       FROM partner_accounts p JOIN exchangers e ON e.id = p.exchanger_id WHERE p.enabled AND e.status = 'active' ORDER BY 1`,
    );
  }

  async recordSync(
    exchangerId: number,
    outcome: { error: { code: string; message: string } | null; exchangesTo?: Date; visitsTo?: Date },
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE partner_accounts SET last_sync_at = now(), last_error = $2::jsonb,
              last_success_at = CASE WHEN $2::jsonb IS NULL THEN now() ELSE last_success_at END,
              exchanges_synced_to = COALESCE($3, exchanges_synced_to), visits_synced_to = COALESCE($4, visits_synced_to)
       WHERE exchanger_id = $1`,
      [
        exchangerId,
        outcome.error ? JSON.stringify(outcome.error) : null,
        outcome.exchangesTo ?? null,
        outcome.visitsTo ?? null,
      ],
    );
  }

  /** A balance history row, only when the balance changed since the last one. */
  async addBalanceIfChanged(exchangerId: number, balance: string, minPayout: string | null): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `INSERT INTO partner_balances (exchanger_id, balance, min_payout)
       SELECT $1, $2::numeric, $3::numeric
       WHERE NOT EXISTS (SELECT 1 FROM (SELECT balance FROM partner_balances WHERE exchanger_id = $1 ORDER BY at DESC, id DESC LIMIT 1) last WHERE last.balance = $2::numeric)
       RETURNING id`,
      [exchangerId, balance, minPayout],
    );
    return rows.length > 0;
  }

  async upsertExchanges(exchangerId: number, rows: PartnerExchange[]): Promise<void> {
    if (rows.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO partner_exchanges (exchanger_id, remote_id, at, give_code, get_code, amount_give, amount_get, success, reward, user_hash)
       SELECT $1, * FROM unnest($2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::numeric[], $7::numeric[], $8::boolean[], $9::numeric[], $10::text[])
       ON CONFLICT (exchanger_id, remote_id) DO UPDATE SET at = EXCLUDED.at, give_code = EXCLUDED.give_code, get_code = EXCLUDED.get_code,
         amount_give = EXCLUDED.amount_give, amount_get = EXCLUDED.amount_get, success = EXCLUDED.success, reward = EXCLUDED.reward, user_hash = EXCLUDED.user_hash`,
      [
        exchangerId,
        rows.map((r) => r.remoteId),
        rows.map((r) => r.at.toISOString()),
        rows.map((r) => r.giveCode),
        rows.map((r) => r.getCode),
        rows.map((r) => r.amountGive),
        rows.map((r) => r.amountGet),
        rows.map((r) => r.success),
        rows.map((r) => r.reward),
        rows.map((r) => r.userHash),
      ],
    );
  }

  async upsertVisits(exchangerId: number, rows: PartnerVisit[]): Promise<void> {
    if (rows.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO partner_visits (exchanger_id, remote_id, at, referrer, cur_from, cur_to, user_hash)
       SELECT $1, * FROM unnest($2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[])
       ON CONFLICT (exchanger_id, remote_id) DO UPDATE SET at = EXCLUDED.at, referrer = EXCLUDED.referrer, cur_from = EXCLUDED.cur_from,
         cur_to = EXCLUDED.cur_to, user_hash = EXCLUDED.user_hash`,
      [
        exchangerId,
        rows.map((r) => r.remoteId),
        rows.map((r) => r.at.toISOString()),
        rows.map((r) => r.referrer),
        rows.map((r) => r.curFrom),
        rows.map((r) => r.curTo),
        rows.map((r) => r.userHash),
      ],
    );
  }

  /**
   * Per exchanger with a partner account, in [since, until): the latest balance, referred and
   * successful exchanges, reward, partner-reported visits, our clicks and unique clicks, and the visits
   * per unique click; by direction where the partner reported `cur_from`/`cur_to`.
   */
  async report(since: Date, until: Date): Promise<unknown[]> {
    const rows = await this.dataSource.query<Array<Record<string, unknown>>>(
      `SELECT e.slug AS exchanger, e.name,
              (SELECT balance::text FROM partner_balances b WHERE b.exchanger_id = e.id ORDER BY at DESC, id DESC LIMIT 1) AS balance,
              (SELECT count(*)::int FROM partner_exchanges x WHERE x.exchanger_id = e.id AND x.at >= $1 AND x.at < $2) AS "referredExchanges",
              (SELECT count(*)::int FROM partner_exchanges x WHERE x.exchanger_id = e.id AND x.at >= $1 AND x.at < $2 AND x.success) AS "successfulExchanges",
              (SELECT COALESCE(sum(reward), 0)::text FROM partner_exchanges x WHERE x.exchanger_id = e.id AND x.at >= $1 AND x.at < $2 AND x.success) AS reward,
              (SELECT count(*)::int FROM partner_visits v WHERE v.exchanger_id = e.id AND v.at >= $1 AND v.at < $2) AS "partnerVisits",
              (SELECT count(*)::int FROM clicks c WHERE c.exchanger_id = e.id AND c.at >= $1 AND c.at < $2) AS clicks,
              (SELECT count(*)::int FROM clicks c WHERE c.exchanger_id = e.id AND c.at >= $1 AND c.at < $2 AND c.is_unique) AS "uniqueClicks",
              p.last_sync_at AS "lastSyncAt", p.last_error AS "lastError",
              (SELECT COALESCE(jsonb_agg(d ORDER BY d."partnerVisits" DESC), '[]'::jsonb) FROM (
                 SELECT k.from_code AS "from", k.to_code AS "to",
                        (SELECT count(*)::int FROM partner_visits v WHERE v.exchanger_id = e.id AND v.at >= $1 AND v.at < $2 AND v.cur_from = k.from_code AND v.cur_to = k.to_code) AS "partnerVisits",
                        (SELECT count(*)::int FROM clicks c WHERE c.exchanger_id = e.id AND c.at >= $1 AND c.at < $2 AND c.from_code = k.from_code AND c.to_code = k.to_code AND c.is_unique) AS "uniqueClicks"
                 FROM (SELECT DISTINCT cur_from AS from_code, cur_to AS to_code FROM partner_visits v WHERE v.exchanger_id = e.id AND v.at >= $1 AND v.at < $2 AND cur_from IS NOT NULL AND cur_to IS NOT NULL
                       UNION SELECT DISTINCT from_code, to_code FROM clicks c WHERE c.exchanger_id = e.id AND c.at >= $1 AND c.at < $2) k
               ) d) AS "byDirection"
       FROM partner_accounts p JOIN exchangers e ON e.id = p.exchanger_id
       ORDER BY e.slug`,
      [since, until],
    );
    const ratio = (visits: number, unique: number) => (unique === 0 ? null : (visits / unique).toFixed(3));
    return rows.map((r) => ({
      ...r,
      visitsPerUniqueClick: ratio(r.partnerVisits as number, r.uniqueClicks as number),
      byDirection: (r.byDirection as Array<{ partnerVisits: number; uniqueClicks: number }>).map((d) => ({
        ...d,
        visitsPerUniqueClick: ratio(d.partnerVisits, d.uniqueClicks),
      })),
    }));
  }

  upsertAccount(
    actor: Actor,
    exchangerId: number,
    a: { apiUrl: string; apiKeyEncrypted: string; requestStyle: string; syncIntervalSeconds: number; enabled: boolean },
  ): Promise<unknown> {
    return auditedTransaction(this.dataSource, actor, 'update', 'partner-account', async (tx) => {
      const [before] = await tx.query<unknown[]>(
        `SELECT ${PARTNER} FROM partner_accounts WHERE exchanger_id = $1 FOR UPDATE`,
        [exchangerId],
      );
      const [after] = await tx.query<unknown[]>(
        `INSERT INTO partner_accounts (exchanger_id, api_url, api_key_encrypted, request_style, sync_interval_s, enabled) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (exchanger_id) DO UPDATE SET api_url = EXCLUDED.api_url, api_key_encrypted = EXCLUDED.api_key_encrypted, request_style = EXCLUDED.request_style,
           sync_interval_s = EXCLUDED.sync_interval_s, enabled = EXCLUDED.enabled, last_error = NULL, updated_at = now()
         RETURNING ${PARTNER}`,
        [exchangerId, a.apiUrl, a.apiKeyEncrypted, a.requestStyle, a.syncIntervalSeconds, a.enabled],
      );
      return { before: before ?? null, after, entityId: String(exchangerId) };
    });
  }

  deleteAccount(actor: Actor, exchangerId: number): Promise<boolean> {
    return auditedTransaction(this.dataSource, actor, 'delete', 'partner-account', async (tx) => {
      const [before] = rowsOf<unknown>(
        await tx.query(`DELETE FROM partner_accounts WHERE exchanger_id = $1 RETURNING ${PARTNER}`, [exchangerId]),
      );
      return { before: before ?? null, after: null, result: before !== undefined, entityId: String(exchangerId) };
    });
  }
}
