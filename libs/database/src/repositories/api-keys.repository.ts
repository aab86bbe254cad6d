import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface ApiKeyInfo {
  id: number;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export type KeyCheck =
  { status: 'valid'; key: ApiKeyInfo } | { status: 'revoked'; key: ApiKeyInfo } | { status: 'unknown' };

const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');
const COLUMNS = `id, name, prefix, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

/** Admin API keys: random 32-byte keys, shown once, stored only as SHA-256 hashes. */
@Injectable()
export class ApiKeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Creates a key and returns it with its plain text — the only time the text exists. */
  async create(name: string): Promise<{ key: string; info: ApiKeyInfo }> {
    const key = `rw_${randomBytes(32).toString('base64url')}`;
    const [info] = await this.dataSource.query<ApiKeyInfo[]>(
      `INSERT INTO api_keys (name, key_hash, prefix) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
      [name, hashOf(key), key.slice(0, 10)],
    );
    return { key, info: info! };
  }

  /** Makes sure the bootstrap key from ADMIN_API_KEY exists (never un-revokes it). */
  async ensure(key: string, name: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO api_keys (name, key_hash, prefix) VALUES ($1, $2, $3) ON CONFLICT (key_hash) DO NOTHING`,
      [name, hashOf(key), key.slice(0, 10)],
    );
  }

  async revoke(id: number): Promise<ApiKeyInfo | null> {
    const [rows] = await this.dataSource.query<[ApiKeyInfo[], number]>(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    );
    return rows[0] ?? null;
  }

  async list(): Promise<ApiKeyInfo[]> {
    return this.dataSource.query<ApiKeyInfo[]>(`SELECT ${COLUMNS} FROM api_keys ORDER BY id`);
  }

  /** Looks a presented key up by its hash and compares the hashes in constant time. */
  async check(presented: string): Promise<KeyCheck> {
    const hash = hashOf(presented);
    const [row] = await this.dataSource.query<Array<ApiKeyInfo & { keyHash: string }>>(
      `SELECT ${COLUMNS}, key_hash AS "keyHash" FROM api_keys WHERE key_hash = $1`,
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
