import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { NotFoundError } from '@app/domain';
import { Actor, auditedTransaction } from './audit.repository';

export interface ApiKeyInfo {
  id: number;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  /** The exchanger the key is scoped to (its cabinet only), or null for an admin key. */
  exchangerId: number | null;
  /** That exchanger's slug, to name the scope in messages and lists. */
  exchanger: string | null;
}

export type KeyCheck =
  { status: 'valid'; key: ApiKeyInfo } | { status: 'revoked'; key: ApiKeyInfo } | { status: 'unknown' };

/** How every key (admin, exchanger, open-data partner) is kept at rest: its SHA-256, hex. */
export const keyHash = (key: string): string => createHash('sha256').update(key).digest('hex');
// Read from `k` (api_keys) LEFT JOIN `e` (exchangers): a key's scope is named by its exchanger's slug.
const COLUMNS = `k.id, k.name, k.prefix, k.created_at AS "createdAt", k.last_used_at AS "lastUsedAt", k.revoked_at AS "revokedAt",
  k.exchanger_id AS "exchangerId", e.slug AS exchanger`;
const SCOPE = `LEFT JOIN exchangers e ON e.id = k.exchanger_id`;

/**
 * API keys: random 32-byte keys, shown once, stored only as SHA-256 hashes. A key is an admin key, or
 * scoped to one exchanger (its cabinet, never the admin API); deleting the exchanger deletes its keys.
 */
@Injectable()
export class ApiKeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Creates a key — an admin key, or one scoped to `exchangerId` — and returns it with its plain text, the
   * only time the text exists. A missing exchanger is a NotFoundError. With an `actor` (the admin API) the
   * creation is audited like any admin change: the key's info, never its text or hash.
   */
  async create(
    name: string,
    exchangerId: number | null = null,
    actor: Actor | null = null,
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    const key = `rw_${randomBytes(32).toString('base64url')}`;
    const insert = async (runner: Pick<EntityManager, 'query'>) => {
      const [info] = await runner.query<ApiKeyInfo[]>(
        `WITH k AS (INSERT INTO api_keys (name, key_hash, prefix, exchanger_id) VALUES ($1, $2, $3, $4) RETURNING *)
         SELECT ${COLUMNS} FROM k ${SCOPE}`,
        [name, keyHash(key), key.slice(0, 10), exchangerId],
      );
      return info!;
    };
    try {
      const info = actor
        ? await auditedTransaction(this.dataSource, actor, 'create', 'api_key', async (tx) => {
            const after = await insert(tx);
            return { before: null, after, result: after };
          })
        : await insert(this.dataSource);
      return { key, info };
    } catch (error) {
      // The exchanger was deleted (or never was) between the caller's look-up and this insert.
      if ((error as { code?: string }).code === '23503') throw new NotFoundError(`no exchanger ${exchangerId}`);
      throw error;
    }
  }

  /** Makes sure the bootstrap key from ADMIN_API_KEY exists (never un-revokes it). */
  async ensure(key: string, name: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO api_keys (name, key_hash, prefix) VALUES ($1, $2, $3) ON CONFLICT (key_hash) DO NOTHING`,
      [name, keyHash(key), key.slice(0, 10)],
    );
  }

  async revoke(id: number): Promise<ApiKeyInfo | null> {
    const [row] = await this.dataSource.query<ApiKeyInfo[]>(
      `WITH k AS (UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *)
       SELECT ${COLUMNS} FROM k ${SCOPE}`,
      [id],
    );
    return row ?? null;
  }

  /** Every key by id, with its scope; of one exchanger only when `exchangerId` is given. */
  async list(exchangerId: number | null = null): Promise<ApiKeyInfo[]> {
    return this.dataSource.query<ApiKeyInfo[]>(
      `SELECT ${COLUMNS} FROM api_keys k ${SCOPE} WHERE ($1::int IS NULL OR k.exchanger_id = $1) ORDER BY k.id`,
      [exchangerId],
    );
  }

  /** Looks a presented key up by its hash and compares the hashes in constant time; the answer carries its scope. */
  async check(presented: string): Promise<KeyCheck> {
    const hash = keyHash(presented);
    const [row] = await this.dataSource.query<Array<ApiKeyInfo & { keyHash: string }>>(
      `SELECT ${COLUMNS}, k.key_hash AS "keyHash" FROM api_keys k ${SCOPE} WHERE k.key_hash = $1`,
      [hash],
    );
    if (!row || !timingSafeEqual(Buffer.from(row.keyHash), Buffer.from(hash))) return { status: 'unknown' };
    const { keyHash: _hash, ...key } = row;
    if (key.revokedAt) return { status: 'revoked', key };
    void this.dataSource
      .query(
        `UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
        [key.id],
      )
      .catch(() => undefined);
    return { status: 'valid', key };
  }
}
