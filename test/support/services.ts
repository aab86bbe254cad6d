import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { createDataSource, migrateAndSeed } from '@app/database';
import { createScratchDatabase, LOCAL_POSTGRES_URL, ScratchDatabase } from '../../tools/bench/scratch-database';

/** The machine's PostgreSQL and Redis (CI starts them before the tests). Override with TEST_* variables. */
export const TEST_POSTGRES_URL = LOCAL_POSTGRES_URL;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type TestDatabase = ScratchDatabase;

/** A fresh, empty database per test file, so files never see each other's rows. */
export function createTestDatabase(prefix = 'rw_test'): Promise<TestDatabase> {
  return createScratchDatabase(prefix);
}

/** A fresh database per test file, migrated and seeded, with a DataSource over it. */
export async function migratedDatabase(poolSize = 2): Promise<{ db: TestDatabase; dataSource: DataSource }> {
  const db = await createTestDatabase();
  await migrateAndSeed(db.url);
  const dataSource = createDataSource({ url: db.url, poolSize });
  await dataSource.initialize();
  return { db, dataSource };
}

/** An admin key to act as in audited changes (the audit rows name it). */
export async function adminActor(dataSource: DataSource, name = 'admin'): Promise<{ keyId: number }> {
  const [key] = await dataSource.query<Array<{ id: number }>>(
    `INSERT INTO api_keys (name, key_hash, prefix) VALUES ($1, 'h-' || $1, 'rw_' || left(md5($1), 6)) RETURNING id`,
    [name],
  );
  return { keyId: key!.id };
}

/** A temporary DATA_DIR the `postgres` user can traverse (standalone mode runs Postgres as that user when root). */
export function createDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ratewatch-data-'));
  chmodSync(dir, 0o755);
  return dir;
}
