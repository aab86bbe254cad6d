import { randomBytes, timingSafeEqual } from 'node:crypto';
import { keyHash } from '../repositories/api-keys.repository';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NotFoundError } from '@app/domain';
import { Actor, auditedTransaction } from '../repositories/audit.repository';

/** A partner key of the keyed JSON API, as an admin sees it (never its text nor its hash). */
export interface OpenKeyInfo {
  id: number;
  name: string;
  prefix: string;
  perMinute: number;
  perDay: number;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Requests of one key on one UTC day: served, and refused past a quota. */
export interface OpenKeyDayUsage {
  day: string;
  served: number;
  refused: number;
}

export interface OpenKeyWithUsage extends OpenKeyInfo {
  /** The last days with requests, newest first (at most 31). */
  usage: OpenKeyDayUsage[];
}

/** What a presented key is: unknown, revoked, or valid with its quotas and what today's count was when read. */
export type OpenKeyCheck =
  | { status: 'unknown' }
  | { status: 'revoked'; key: OpenKeyInfo }
  | { status: 'valid'; key: OpenKeyInfo; servedToday: number };

/** One batch entry of `addUsage`: what a replica counted since its last flush. */
export interface OpenKeyUsageDelta {
  keyId: number;
  day: string;
  served: number;
  refused: number;
}

const COLUMNS = `k.id, k.name, k.prefix, k.per_minute AS "perMinute", k.per_day AS "perDay", k.created_at AS "createdAt",
  k.last_used_at AS "lastUsedAt", k.revoked_at AS "revokedAt"`;

/**
 * Partner keys of the keyed JSON API (`/v1/open/…`): random keys shown once and stored as SHA-256 hashes
 * (like `ApiKeysRepository`), each with its quotas; their usage per UTC day, added to in batches.
 * An admin's creation and revocation are audited.
 */
@Injectable()
export class OpenKeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A new key and its info; its text exists only in this answer. Audited (its info, never its text or hash). */
  async create(
    input: { name: string; perMinute: number; perDay: number },
    actor: Actor,
  ): Promise<{ key: string; info: OpenKeyInfo }> {
    // 32 hex characters, like BestChange's keys, after a prefix that says what the key is for.
    const key = `rwo_${randomBytes(16).toString('hex')}`;
    const info = await auditedTransaction(this.dataSource, actor, 'create', 'open_key', async (tx) => {
      const [row] = await tx.query<OpenKeyInfo[]>(
        `WITH k AS (INSERT INTO open_keys (name, key_hash, prefix, per_minute, per_day) VALUES ($1, $2, $3, $4, $5) RETURNING *)
         SELECT ${COLUMNS} FROM k`,
        [input.name, keyHash(key), key.slice(0, 10), input.perMinute, input.perDay],
      );
      return { before: null, after: row!, result: row! };
    });
    return { key, info };
  }

  /** Revokes a key (at once; again is a no-op that keeps the first time). Audited. A missing key is a NotFoundError. */
  async revoke(id: number, actor: Actor): Promise<OpenKeyInfo> {
    return auditedTransaction(this.dataSource, actor, 'update', 'open_key', async (tx) => {
      const [before] = await tx.query<OpenKeyInfo[]>(`SELECT ${COLUMNS} FROM open_keys k WHERE k.id = $1 FOR UPDATE`, [
        id,
      ]);
      if (!before) throw new NotFoundError(`no open-data key ${id}`);
      const [after] = await tx.query<OpenKeyInfo[]>(
        `WITH k AS (UPDATE open_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *) SELECT ${COLUMNS} FROM k`,
        [id],
      );
      return { before, after: after!, result: after! };
    });
  }

  /** Every key by id, revoked ones included, each with its usage of the last 31 days that had requests. */
  async list(): Promise<OpenKeyWithUsage[]> {
    const rows = await this.dataSource.query<Array<OpenKeyInfo & { usage: OpenKeyDayUsage[] }>>(
      `SELECT ${COLUMNS},
              COALESCE((SELECT json_agg(json_build_object('day', u.day::text, 'served', u.served, 'refused', u.refused) ORDER BY u.day DESC)
                        FROM open_key_usage u
                        WHERE u.key_id = k.id AND u.day > (now() AT TIME ZONE 'UTC')::date - 31), '[]') AS usage
       FROM open_keys k ORDER BY k.id`,
    );
    return rows.map((r) => ({
      ...r,
      usage: r.usage.map((u) => ({ ...u, served: Number(u.served), refused: Number(u.refused) })),
    }));
  }

  /** Looks a presented key up by its hash (compared in constant time); a valid one comes with today's served count. */
  async check(presented: string, day: string): Promise<OpenKeyCheck> {
    const hash = keyHash(presented);
    const [row] = await this.dataSource.query<Array<OpenKeyInfo & { keyHash: string; servedToday: string }>>(
      `SELECT ${COLUMNS}, k.key_hash AS "keyHash",
              COALESCE((SELECT u.served FROM open_key_usage u WHERE u.key_id = k.id AND u.day = $2::date), 0)::text AS "servedToday"
       FROM open_keys k WHERE k.key_hash = $1`,
      [hash, day],
    );
    if (!row || !timingSafeEqual(Buffer.from(row.keyHash), Buffer.from(hash))) return { status: 'unknown' };
    const { keyHash: _hash, servedToday, ...key } = row;
    if (key.revokedAt) return { status: 'revoked', key };
    return { status: 'valid', key, servedToday: Number(servedToday) };
  }

  /** Adds a replica's counts since its last flush, one statement for all keys and days; marks the keys used. */
  async addUsage(deltas: readonly OpenKeyUsageDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    await this.dataSource.query(
      `WITH d AS (
         SELECT * FROM unnest($1::int[], $2::date[], $3::bigint[], $4::bigint[]) AS d(key_id, day, served, refused)
       ), u AS (
         INSERT INTO open_key_usage (key_id, day, served, refused)
         SELECT d.key_id, d.day, d.served, d.refused FROM d JOIN open_keys k ON k.id = d.key_id
         ON CONFLICT (key_id, day) DO UPDATE
           SET served = open_key_usage.served + EXCLUDED.served, refused = open_key_usage.refused + EXCLUDED.refused
       )
       UPDATE open_keys SET last_used_at = now() WHERE id IN (SELECT key_id FROM d WHERE served > 0)`,
      [deltas.map((d) => d.keyId), deltas.map((d) => d.day), deltas.map((d) => d.served), deltas.map((d) => d.refused)],
    );
  }
}
