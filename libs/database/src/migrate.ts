import { Client } from 'pg';
import { createDataSource } from './data-source';
import { seedCatalog, SeedResult } from './seed/seed-catalog';

/** Any constant: the advisory lock that makes concurrent start-ups migrate one at a time. */
const MIGRATION_LOCK_KEY = 727_001;

export interface SetupResult extends SeedResult {
  migrationsApplied: string[];
}

/**
 * Brings a database to the current schema and seeds the catalog. Safe to run from several processes
 * at once (an advisory lock serialises them) and as often as you like (idempotent).
 */
export async function migrateAndSeed(url: string): Promise<SetupResult> {
  const lock = new Client({ connectionString: url, application_name: 'ratewatch-migrate-lock' });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const dataSource = createDataSource({ url, poolSize: 2, applicationName: 'ratewatch-migrate' });
    await dataSource.initialize();
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      const seeded = await seedCatalog(dataSource);
      return { migrationsApplied: applied.map((m) => m.name), ...seeded };
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await lock.end();
  }
}
