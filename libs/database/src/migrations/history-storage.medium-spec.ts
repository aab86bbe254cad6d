import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TestDatabase } from '../../../../test/support/services';
import { createDataSource } from '../data-source';
import { UNPACKED_MINUTES } from '../history/history.repository';
import { migrateAndSeed } from '../migrate';
import { MIGRATIONS } from '.';

type Bucket = [
  direction: number,
  bucket: string,
  open: string | null,
  high: string,
  low: string,
  close: string | null,
  offers: number,
];

/** Minute buckets as HistoryStorage1764073400000 found them (one row a minute), folded up to 11:20. */
const UNPACKED: Bucket[] = [
  [1, '2026-11-30T09:59:00.000Z', null, '90', '90', '90', 1],
  [1, '2026-11-30T10:03:00.000Z', '90', '101', '89.5', '100.5', 3],
  [1, '2026-11-30T10:07:00.000Z', '100.5', '100.5', '100.2', '100.2', 3],
  [1, '2026-11-30T10:30:00.000Z', '100.2', '103', '100.2', '103', 4],
  [2, '2026-11-30T10:10:00.000Z', '5', '5', '5', null, 0],
  [2, '2026-11-30T10:59:00.000Z', null, '0.000123', '0.000123', '0.000123', 2],
  // The hour the roll-up was in: folded again from its change points, not packed from these.
  [1, '2026-11-30T11:05:00.000Z', '103', '104', '103', '104', 4],
];

/** Migrating a database that already recorded history keeps its minute buckets (they used to be dropped). */
describe('HistoryStorage1764073400000 over recorded history', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateAndSeed(db.url);
    dataSource = createDataSource({ url: db.url, poolSize: 1 });
    await dataSource.initialize();
    const storage = MIGRATIONS.findIndex((m) => m.name === 'HistoryStorage1764073400000');
    for (let i = MIGRATIONS.length; i > storage; i--) await dataSource.undoLastMigration();
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  it('packs the complete hours before the roll-up point and leaves the hour in progress to the roll-up', async () => {
    await dataSource.query(
      `INSERT INTO history_directions (id, from_code, to_code, rate, changed_at) VALUES (1, 'BTC', 'USDTTRC20', '104', now()), (2, 'USDTTRC20', 'BTC', '0.000123', now())`,
    );
    for (const row of UNPACKED)
      await dataSource.query(
        `INSERT INTO history_minutes (direction_id, bucket, open, high, low, close, offers) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        row,
      );
    await dataSource.query(`UPDATE history_rollup SET folded_until = '2026-11-30T11:20:00Z'`);

    await dataSource.runMigrations({ transaction: 'each' });

    const packed = await dataSource.query<Array<{ direction_id: number; bucket: Date }>>(
      `SELECT direction_id, bucket FROM history_minutes ORDER BY 1, 2`,
    );
    expect(packed.map((p) => `${p.direction_id} ${p.bucket.toISOString()}`)).toEqual([
      '1 2026-11-30T09:00:00.000Z',
      '1 2026-11-30T10:00:00.000Z',
      '2 2026-11-30T10:00:00.000Z',
    ]);
    const unpacked = await dataSource.query<Array<Record<string, unknown>>>(
      `SELECT m.direction_id, b.bucket, b.open::text, b.high::text, b.low::text, b.close::text, b.offers
       FROM history_minutes m CROSS JOIN LATERAL (${UNPACKED_MINUTES}) b ORDER BY 1, 2`,
    );
    expect(unpacked.map((r) => Object.values({ ...r, bucket: (r.bucket as Date).toISOString() }))).toEqual(
      UNPACKED.slice(0, -1),
    );
    const [rollup] = await dataSource.query<Array<{ folded_until: Date }>>(`SELECT folded_until FROM history_rollup`);
    expect(rollup!.folded_until.toISOString()).toBe('2026-11-30T11:00:00.000Z');
    const leftover = await dataSource.query(`SELECT 1 FROM pg_tables WHERE tablename = 'history_minutes_unpacked'`);
    expect(leftover).toHaveLength(0);
  });
});
