import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ConflictError } from '@app/domain';
import { FRESH_FEED_SQL } from '../freshness';

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

export interface FeedRow {
  id: number;
  exchangerId: number;
  url: string;
  format: string;
  intervalSeconds: number;
  timeoutMs: number;
  staleAfterSeconds: number;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface Actor {
  keyId: number | null;
}

const EXCHANGER = `id, slug, name, site_url AS "siteUrl", referral_url AS "referralUrl", status, created_at AS "createdAt", updated_at AS "updatedAt"`;
const FEED = `id, exchanger_id AS "exchangerId", url, format, interval_s AS "intervalSeconds", timeout_ms AS "timeoutMs",
  stale_after_s AS "staleAfterSeconds", enabled, created_at AS "createdAt", updated_at AS "updatedAt"`;
/** The public view of a partner account: the API key is not in it. */
const PARTNER = `exchanger_id AS "exchangerId", api_url AS "apiUrl", request_style AS "requestStyle", sync_interval_s AS "syncIntervalSeconds", enabled,
  last_sync_at AS "lastSyncAt", last_success_at AS "lastSuccessAt", last_error AS "lastError"`;
const EXCHANGER_COLUMNS: Record<string, string> = { slug: 'slug', name: 'name', siteUrl: 'site_url', referralUrl: 'referral_url', status: 'status' };
const FEED_COLUMNS: Record<string, string> = { url: 'url', format: 'format', intervalSeconds: 'interval_s', timeoutMs: 'timeout_ms', staleAfterSeconds: 'stale_after_s', enabled: 'enabled' };

/**
 * Everything the admin API changes, each change in one transaction with its audit row (which key,
 * what, when, before/after), so the audit never misses a committed change.
 */
@Injectable()
export class AdminRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  // --- exchangers ---
  listExchangers(): Promise<ExchangerRow[]> {
    return this.dataSource.query(`SELECT ${EXCHANGER} FROM exchangers ORDER BY id`);
  }

  async findExchanger(id: number): Promise<ExchangerRow | null> {
    const [row] = await this.dataSource.query<ExchangerRow[]>(`SELECT ${EXCHANGER} FROM exchangers WHERE id = $1`, [id]);
    return row ?? null;
  }

  createExchanger(actor: Actor, fields: Omit<ExchangerRow, 'id' | 'createdAt' | 'updatedAt'>): Promise<ExchangerRow> {
    return this.audited(actor, 'create', 'exchanger', async (tx) => {
      const [row] = await unique(
        tx.query<ExchangerRow[]>(`INSERT INTO exchangers (slug, name, site_url, referral_url, status) VALUES ($1, $2, $3, $4, $5) RETURNING ${EXCHANGER}`, [
          fields.slug, fields.name, fields.siteUrl, fields.referralUrl, fields.status,
        ]),
        `slug ${fields.slug} is taken`,
      );
      return { before: null, after: row! };
    });
  }

  updateExchanger(actor: Actor, id: number, fields: Partial<ExchangerRow>): Promise<ExchangerRow | null> {
    return this.audited(actor, 'update', 'exchanger', async (tx) => {
      const [before] = await tx.query<ExchangerRow[]>(`SELECT ${EXCHANGER} FROM exchangers WHERE id = $1 FOR UPDATE`, [id]);
      if (!before) return { before: null, after: null };
      const { sets, values } = assignments(fields, EXCHANGER_COLUMNS, 2);
      if (sets.length === 0) return { before, after: before };
      const [after] = rowsOf<ExchangerRow>(await unique(tx.query(`UPDATE exchangers SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING ${EXCHANGER}`, [id, ...values]), `slug ${String(fields.slug)} is taken`));
      return { before, after: after! };
    });
  }

  /** Deletes an exchanger with its feeds and their offers (cascade). Returns its feed ids, or null. */
  deleteExchanger(actor: Actor, id: number): Promise<number[] | null> {
    return this.audited(actor, 'delete', 'exchanger', async (tx) => {
      const [before] = await tx.query<ExchangerRow[]>(`SELECT ${EXCHANGER} FROM exchangers WHERE id = $1 FOR UPDATE`, [id]);
      if (!before) return { before: null, after: null, result: null };
      const feeds = await tx.query<Array<{ id: number }>>(`SELECT id FROM feeds WHERE exchanger_id = $1`, [id]);
      await tx.query(`DELETE FROM offers WHERE feed_id = ANY($1::int[])`, [feeds.map((f) => f.id)]);
      await tx.query(`DELETE FROM exchangers WHERE id = $1`, [id]);
      return { before, after: null, result: feeds.map((f) => f.id) };
    });
  }

  // --- feeds ---
  listFeeds(exchangerId: number): Promise<FeedRow[]> {
    return this.dataSource.query(`SELECT ${FEED} FROM feeds WHERE exchanger_id = $1 ORDER BY id`, [exchangerId]);
  }

  async findFeed(id: number): Promise<FeedRow | null> {
    const [row] = await this.dataSource.query<FeedRow[]>(`SELECT ${FEED} FROM feeds WHERE id = $1`, [id]);
    return row ?? null;
  }

  createFeed(actor: Actor, exchangerId: number, fields: Omit<FeedRow, 'id' | 'exchangerId' | 'createdAt' | 'updatedAt'>): Promise<FeedRow> {
    return this.audited(actor, 'create', 'feed', async (tx) => {
      const [row] = await tx.query<FeedRow[]>(
        `INSERT INTO feeds (exchanger_id, url, format, interval_s, timeout_ms, stale_after_s, enabled) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${FEED}`,
        [exchangerId, fields.url, fields.format, fields.intervalSeconds, fields.timeoutMs, fields.staleAfterSeconds, fields.enabled],
      );
      return { before: null, after: row! };
    });
  }

  updateFeed(actor: Actor, id: number, fields: Partial<FeedRow>): Promise<FeedRow | null> {
    return this.audited(actor, 'update', 'feed', async (tx) => {
      const [before] = await tx.query<FeedRow[]>(`SELECT ${FEED} FROM feeds WHERE id = $1 FOR UPDATE`, [id]);
      if (!before) return { before: null, after: null };
      const { sets, values } = assignments(fields, FEED_COLUMNS, 2);
      if (sets.length === 0) return { before, after: before };
      const [after] = rowsOf<FeedRow>(await tx.query(`UPDATE feeds SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING ${FEED}`, [id, ...values]));
      return { before, after: after! };
    });
  }

  deleteFeed(actor: Actor, id: number): Promise<boolean> {
    return this.audited(actor, 'delete', 'feed', async (tx) => {
      const [before] = await tx.query<FeedRow[]>(`SELECT ${FEED} FROM feeds WHERE id = $1 FOR UPDATE`, [id]);
      if (!before) return { before: null, after: null, result: false };
      await tx.query(`DELETE FROM offers WHERE feed_id = $1`, [id]);
      await tx.query(`DELETE FROM feeds WHERE id = $1`, [id]);
      return { before, after: null, result: true };
    });
  }

  listRuns(feedId: number, limit: number): Promise<unknown[]> {
    return this.dataSource.query(
      `SELECT id::text AS id, trigger, started_at AS "startedAt", duration_ms AS "durationMs", status, format, dialect, http_status AS "httpStatus", bytes, items,
              accepted, rejected, duplicates, inserted, updated, deleted,
              CASE WHEN error_code IS NULL THEN NULL ELSE jsonb_build_object('code', error_code, 'message', error_message) END AS error,
              rejects, warnings
       FROM feed_runs WHERE feed_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2`,
      [feedId, limit],
    );
  }

  feedHealth(): Promise<unknown[]> {
    return this.dataSource.query(
      `SELECT f.id, f.exchanger_id AS "exchangerId", e.slug AS "exchangerSlug", f.url, f.enabled, e.status AS "exchangerStatus",
              f.last_attempt_at AS "lastAttemptAt", f.last_success_at AS "lastSuccessAt", f.last_status AS "lastStatus", f.last_error AS "lastError",
              f.consecutive_failures AS "consecutiveFailures", f.in_maintenance AS "inMaintenance", (${FRESH_FEED_SQL}) AS fresh,
              (SELECT count(*)::int FROM offers o WHERE o.feed_id = f.id) AS offers
       FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id ORDER BY f.id`,
    );
  }

  // --- currencies and aliases ---
  listCurrencies(): Promise<unknown[]> {
    return this.dataSource.query(`SELECT code, name, ticker, iso, kind, enabled FROM currencies ORDER BY code`);
  }

  createCurrency(actor: Actor, c: { code: string; name: string; ticker: string; iso: string; kind: string; enabled: boolean }): Promise<unknown> {
    return this.audited(actor, 'create', 'currency', async (tx) => {
      const [row] = await unique(
        tx.query<unknown[]>(`INSERT INTO currencies (code, name, ticker, iso, kind, enabled) VALUES ($1, $2, $3, $4, $5, $6) RETURNING code, name, ticker, iso, kind, enabled`, [c.code, c.name, c.ticker, c.iso, c.kind, c.enabled]),
        `currency ${c.code} exists`,
      );
      return { before: null, after: row, entityId: c.code };
    });
  }

  updateCurrency(actor: Actor, code: string, fields: { name?: string; enabled?: boolean; ticker?: string; iso?: string; kind?: string }): Promise<unknown> {
    return this.audited(actor, 'update', 'currency', async (tx) => {
      const [before] = await tx.query<unknown[]>(`SELECT code, name, ticker, iso, kind, enabled FROM currencies WHERE code = $1 FOR UPDATE`, [code]);
      if (!before) return { before: null, after: null, entityId: code };
      const { sets, values } = assignments(fields, { name: 'name', enabled: 'enabled', ticker: 'ticker', iso: 'iso', kind: 'kind' }, 2);
      if (sets.length === 0) return { before, after: before, entityId: code };
      const [after] = rowsOf<unknown>(await tx.query(`UPDATE currencies SET ${sets.join(', ')}, updated_at = now() WHERE code = $1 RETURNING code, name, ticker, iso, kind, enabled`, [code, ...values]));
      return { before, after, entityId: code };
    });
  }

  listAliases(): Promise<unknown[]> {
    return this.dataSource.query(`SELECT id, alias, code, exchanger_id AS "exchangerId", created_at AS "createdAt" FROM currency_aliases ORDER BY exchanger_id NULLS FIRST, alias`);
  }

  createAlias(actor: Actor, a: { alias: string; code: string; exchangerId: number | null }): Promise<unknown> {
    return this.audited(actor, 'create', 'alias', async (tx) => {
      const [row] = await unique(
        tx.query<Array<{ id: number }>>(`INSERT INTO currency_aliases (alias, code, exchanger_id) VALUES ($1, $2, $3) RETURNING id, alias, code, exchanger_id AS "exchangerId"`, [a.alias, a.code, a.exchangerId]),
        `alias ${a.alias} exists ${a.exchangerId === null ? 'globally' : `for exchanger ${a.exchangerId}`}`,
      );
      return { before: null, after: row!, entityId: String(row!.id) };
    });
  }

  deleteAlias(actor: Actor, id: number): Promise<boolean> {
    return this.audited(actor, 'delete', 'alias', async (tx) => {
      const [before] = rowsOf<unknown>(await tx.query(`DELETE FROM currency_aliases WHERE id = $1 RETURNING id, alias, code, exchanger_id AS "exchangerId"`, [id]));
      return { before: before ?? null, after: null, result: before !== undefined, entityId: String(id) };
    });
  }

  // --- partner accounts (the key is written, never read back) ---
  upsertPartnerAccount(actor: Actor, exchangerId: number, a: { apiUrl: string; apiKeyEncrypted: string; requestStyle: string; syncIntervalSeconds: number; enabled: boolean }): Promise<unknown> {
    return this.audited(actor, 'update', 'partner-account', async (tx) => {
      const [before] = await tx.query<unknown[]>(`SELECT ${PARTNER} FROM partner_accounts WHERE exchanger_id = $1 FOR UPDATE`, [exchangerId]);
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

  deletePartnerAccount(actor: Actor, exchangerId: number): Promise<boolean> {
    return this.audited(actor, 'delete', 'partner-account', async (tx) => {
      const [before] = rowsOf<unknown>(await tx.query(`DELETE FROM partner_accounts WHERE exchanger_id = $1 RETURNING ${PARTNER}`, [exchangerId]));
      return { before: before ?? null, after: null, result: before !== undefined, entityId: String(exchangerId) };
    });
  }

  // --- reports ---
  listAudit(limit: number): Promise<unknown[]> {
    return this.dataSource.query(
      `SELECT a.id::text AS id, a.at, a.key_id AS "keyId", k.name AS "keyName", a.action, a.entity, a.entity_id AS "entityId", a.before, a.after
       FROM admin_audit a LEFT JOIN api_keys k ON k.id = a.key_id ORDER BY a.id DESC LIMIT $1`,
      [limit],
    );
  }

  clickCounts(filter: { since: Date; until: Date; exchanger: string | null; from: string | null; to: string | null }): Promise<unknown[]> {
    return this.dataSource.query(
      `SELECT e.slug AS exchanger, c.from_code AS "from", c.to_code AS "to", count(*)::int AS clicks,
              count(*) FILTER (WHERE c.is_unique)::int AS "uniqueClicks", count(*) FILTER (WHERE c.is_bot)::int AS bots
       FROM clicks c JOIN exchangers e ON e.id = c.exchanger_id
       WHERE c.at >= $1 AND c.at < $2 AND ($3::text IS NULL OR e.slug = $3) AND ($4::text IS NULL OR c.from_code = $4) AND ($5::text IS NULL OR c.to_code = $5)
       GROUP BY e.slug, c.from_code, c.to_code ORDER BY clicks DESC, e.slug`,
      [filter.since, filter.until, filter.exchanger, filter.from, filter.to],
    );
  }

  /** Runs `change` in a transaction and writes its audit row in the same transaction. */
  private async audited<T>(
    actor: Actor,
    action: 'create' | 'update' | 'delete',
    entity: string,
    change: (tx: EntityManager) => Promise<{ before: unknown; after: unknown; result?: T; entityId?: string }>,
  ): Promise<T> {
    return this.dataSource.transaction(async (tx) => {
      const { before, after, result, entityId } = await change(tx);
      const subject = (after ?? before) as { id?: number } | null;
      if (subject !== null) {
        await tx.query(`INSERT INTO admin_audit (key_id, action, entity, entity_id, before, after) VALUES ($1, $2, $3, $4, $5, $6)`, [
          actor.keyId, action, entity, entityId ?? (subject.id === undefined ? null : String(subject.id)), before === null ? null : JSON.stringify(before), after === null ? null : JSON.stringify(after),
        ]);
      }
      return (result !== undefined ? result : after) as T;
    });
  }
}

/** TypeORM answers UPDATE/DELETE … RETURNING with [rows, affected count]; INSERT/SELECT with rows. */
function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

function assignments(fields: object, columns: Record<string, string>, firstParam: number): { sets: string[]; values: unknown[] } {
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const [field, value] of Object.entries(fields)) {
    const column = columns[field];
    if (column === undefined || value === undefined) continue;
    values.push(value);
    sets.push(`${column} = $${firstParam + values.length - 1}`);
  }
  return { sets, values };
}

async function unique<T>(query: Promise<T>, message: string): Promise<T> {
  try {
    return await query;
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new ConflictError(message);
    if ((error as { code?: string }).code === '23503') throw new ConflictError(`${message.split(' ')[0]} refers to something that does not exist`);
    throw error;
  }
}
