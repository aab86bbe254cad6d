import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../../../test/support/services';
import { createDataSource } from './data-source';
import { migrateAndSeed } from './migrate';
import { MIGRATIONS } from './migrations';

describe('migrateAndSeed on a real PostgreSQL', () => {
  let db: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('creates the schema and seeds the 322 catalog codes and the default aliases', async () => {
    const result = await migrateAndSeed(db.url);
    expect(result.migrationsApplied).toEqual([
      'InitialSchema1764072000000',
      'CatalogVersion1764072100000',
      'AdminAudit1764072300000',
      'PartnerPrograms1764072400000',
      'BestRateHistory1764072500000',
      'OfferFloatingAndDelay1764072600000',
      'FeedUrlUnique1764072700000',
      'RateIntegrity1764072800000',
      'CatalogForPeople1764073000000',
      'Reputation1764073100000',
      'RateHistory1764073200000',
      'DropBestRateHistory1764073300000',
      'HistoryStorage1764073400000',
      'Alerts1764073500000',
      'HistoryRecorder1764073600000',
      'SnapshotWrites1764073700000',
      'OpenData1764073800000',
      'ReferenceRefreshes1764074000000',
      'ReferenceRefreshCost1764074100000',
      'HistoryCarriedOffers1764074200000',
      'OffersAnalyzePace1764074300000',
      'HistoryPendingNoTruncate1764074400000',
      'HistoryFeedsMissed1764074500000',
      'HistoryPendingNoArrayStatistics1764074600000',
      'ReferenceVersion1764074700000',
      'HistoryPendingLz41764074800000',
    ]);
    expect(result.currenciesAdded).toBe(322);
    expect(result.aliasesAdded).toBeGreaterThan(10);
    const tables = await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
    expect(tables.rows.map((r: { tablename: string }) => r.tablename)).toEqual([
      'admin_audit',
      'alert_deliveries',
      'alerts',
      'api_keys',
      'app_secrets',
      'catalog_version',
      'cities',
      'city_aliases',
      'claim_events',
      'claims',
      'clicks',
      'currencies',
      'currency_aliases',
      'direction_references',
      'direction_references_version',
      'exchanger_standing',
      'exchangers',
      'feed_runs',
      'feed_snapshots',
      'feeds',
      'history_changes',
      'history_days',
      'history_directions',
      'history_feeds',
      'history_hours',
      'history_minutes',
      'history_pending',
      'history_rollup',
      'migrations',
      'moderation_audit',
      'offers',
      'open_data_ids',
      'open_key_usage',
      'open_keys',
      'operator_alert_state',
      'partner_accounts',
      'partner_balances',
      'partner_exchanges',
      'partner_visits',
      'quarantine_exceptions',
      'reference_refreshes',
      'reviews',
    ]);
    const alias = await client.query(
      `SELECT code FROM currency_aliases WHERE alias = 'USDTTRC' AND exchanger_id IS NULL`,
    );
    expect(alias.rows).toEqual([{ code: 'USDTTRC20' }]);
  });

  it('is idempotent and keeps what an admin changed', async () => {
    await client.query(`UPDATE currencies SET name = 'Bitcoin (renamed by admin)', enabled = false WHERE code = 'BTC'`);
    await client.query(`DELETE FROM currencies WHERE code = 'WMZ'`);
    const again = await migrateAndSeed(db.url);
    expect(again).toEqual({ migrationsApplied: [], currenciesAdded: 1, aliasesAdded: 0, citiesAdded: 0 });
    const btc = await client.query(`SELECT name, enabled FROM currencies WHERE code = 'BTC'`);
    expect(btc.rows).toEqual([{ name: 'Bitcoin (renamed by admin)', enabled: false }]);
  });

  it('lets several processes start at once (the advisory lock serialises them)', async () => {
    const fresh = await createTestDatabase();
    try {
      const results = await Promise.all([
        migrateAndSeed(fresh.url),
        migrateAndSeed(fresh.url),
        migrateAndSeed(fresh.url),
      ]);
      expect(results.map((r) => r.migrationsApplied.length).sort()).toEqual([0, 0, MIGRATIONS.length]);
      expect(results.reduce((sum, r) => sum + r.currenciesAdded, 0)).toBe(322);
    } finally {
      await fresh.drop();
    }
  });

  it('enforces the model: bad slugs, bad statuses, non-positive rates and duplicate aliases are refused', async () => {
    await expect(
      client.query(
        `INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('Bad Slug', 'x', 'https://x', 'https://x')`,
      ),
    ).rejects.toThrow(/check/);
    await expect(
      client.query(
        `INSERT INTO exchangers (slug, name, site_url, referral_url, status) VALUES ('ok-slug', 'x', 'https://x', 'https://x', 'gone')`,
      ),
    ).rejects.toThrow(/check/);
    const { rows } = await client.query(
      `INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('aura', 'Aura', 'https://aura.example', 'https://aura.example/?rid=1') RETURNING id`,
    );
    const exchangerId = (rows[0] as { id: number }).id;
    const feed = await client.query(
      `INSERT INTO feeds (exchanger_id, url) VALUES ($1, 'https://aura.example/rates.xml') RETURNING id`,
      [exchangerId],
    );
    const feedId = (feed.rows[0] as { id: number }).id;
    await expect(
      client.query(
        `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate) VALUES ($1, $2, 'BTC', 'ETH', 1, 0, 0)`,
        [feedId, exchangerId],
      ),
    ).rejects.toThrow(/check/);
    await expect(
      client.query(`INSERT INTO currency_aliases (alias, code) VALUES ('USDTTRC', 'USDTERC20')`),
    ).rejects.toThrow(/currency_aliases_scope_alias/);
    // The same alias for one exchanger only is fine.
    await client.query(`INSERT INTO currency_aliases (alias, exchanger_id, code) VALUES ('USDTTRC', $1, 'USDTERC20')`, [
      exchangerId,
    ]);
  });

  it('bumps the catalog version on every change to currencies or aliases', async () => {
    const version = async () =>
      Number(((await client.query(`SELECT version FROM catalog_version`)).rows[0] as { version: string }).version);
    const before = await version();
    await client.query(`INSERT INTO currency_aliases (alias, code) VALUES ('TETHERTRC', 'USDTTRC20')`);
    await client.query(`UPDATE currencies SET name = name WHERE code = 'ETH'`);
    await client.query(`DELETE FROM currency_aliases WHERE alias = 'TETHERTRC'`);
    expect(await version()).toBe(before + 3);
  });

  it('keeps one unique click per visitor, exchanger and direction a day', async () => {
    const { rows } = await client.query(`SELECT id FROM exchangers WHERE slug = 'aura'`);
    const exchangerId = (rows[0] as { id: number }).id;
    const insert = `INSERT INTO clicks (exchanger_id, from_code, to_code, visitor_hash, is_unique) VALUES ($1, 'BTC', 'SBERRUB', 'v1', $2)`;
    await client.query(insert, [exchangerId, true]);
    await client.query(insert, [exchangerId, false]);
    await expect(client.query(insert, [exchangerId, true])).rejects.toThrow(/clicks_unique_per_day/);
  });

  it('can be rolled back through TypeORM (down migration)', async () => {
    const scratch = await createTestDatabase();
    const dataSource = createDataSource({ url: scratch.url, poolSize: 1 });
    try {
      await migrateAndSeed(scratch.url);
      await dataSource.initialize();
      for (let i = 0; i < MIGRATIONS.length; i++) await dataSource.undoLastMigration();
      const tables: unknown[] = await dataSource.query(
        `SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`,
      );
      expect(tables).toHaveLength(0);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await scratch.drop();
    }
  });
});
