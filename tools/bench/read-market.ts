/**
 * The market bench:read and bench:routes read: 500 exchangers with one feed each, `offers` offers in all — one
 * BTC→SBERRUB offer per exchanger (the bench's direction), the rest spread over other directions with a
 * direction's rates within 0.5 % of each other — and the review counts of nine exchangers in ten.
 */
import { Client } from 'pg';
import { loadConfig } from '@app/config';
import {
  createDataSource,
  HistoryRepository,
  integrityPolicy,
  migrateAndSeed,
  QuarantineRepository,
  readBundledCatalog,
} from '@app/database';

export const READ_MARKET_EXCHANGERS = 500;

/** Seeds the market into the database at `url` (migrated first); answers how long it took, in ms. */
export async function seedReadMarket(url: string, offers: number): Promise<number> {
  const started = Date.now();
  await migrateAndSeed(url);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const codes = readBundledCatalog()
      .map((c) => c.code)
      .filter((c) => c !== 'BTC' && c !== 'SBERRUB');
    await client.query(
      `INSERT INTO exchangers (slug, name, site_url, referral_url) SELECT 'ex-' || g, 'Exchanger ' || g, 'https://ex' || g || '.example', 'https://ex' || g || '.example/?rid=1' FROM generate_series(1, $1) g`,
      [READ_MARKET_EXCHANGERS],
    );
    // Standing as moderation leaves it: most exchangers have counts, every tenth none yet (read as zeros).
    await client.query(
      `INSERT INTO exchanger_standing (exchanger_id, positive, neutral, negative, claims_open)
       SELECT id, id % 500, id % 7, id % 11, id % 3 FROM exchangers WHERE id % 10 <> 0`,
    );
    // Polled once a day: the standalone api polls its feeds in-process, and 500 polls of unreachable
    // addresses every 30 s (a third of its CPU besides the reads) are not the read path (bench:scale measures polls).
    await client.query(
      `INSERT INTO feeds (exchanger_id, url, interval_s, last_success_at, last_status, stale_after_s) SELECT id, 'https://ex' || id || '.example/rates.xml', 86400, now() + interval '1 day', 'ok', 86400 * 30 FROM exchangers`,
    );
    // One BTC→SBERRUB offer per exchanger, the rest spread over other directions.
    await client.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate, reserve, from_min, from_max, to_fee, flags)
       SELECT f.id, f.exchanger_id, 'BTC', 'SBERRUB', 1, 6800000 + f.id * 10, 6800000 + f.id * 10, 10000000 + f.id, 0.001, 10,
              CASE WHEN f.id % 3 = 0 THEN '[{"kind":"percent","value":"0.5"}]'::jsonb ELSE '[]'::jsonb END,
              CASE WHEN f.id % 4 = 0 THEN '{manual}'::text[] ELSE '{}'::text[] END
       FROM feeds f`,
    );
    const perFeed = Math.max(0, Math.floor((offers - READ_MARKET_EXCHANGERS) / READ_MARKET_EXCHANGERS));
    // A direction's rates within 0.5 % of each other, as a market's are: rates spread over 1…1000 on one
    // direction made the standalone api's rate guard judge (and hold) about half the offers in every sweep —
    // seconds of decimal arithmetic on its event loop — which is not what a read costs.
    await client.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate, reserve)
       SELECT f.id, f.exchanger_id, c1.code, c2.code, 1, r.rate, r.rate, 100000
       FROM feeds f
       CROSS JOIN LATERAL (SELECT n, $2::text[] AS codes FROM generate_series(0, $1 - 1) n) s
       CROSS JOIN LATERAL (SELECT s.codes[1 + ((s.n + f.id) % array_length(s.codes, 1))] AS code) c1
       CROSS JOIN LATERAL (SELECT s.codes[1 + ((s.n / array_length(s.codes, 1) + f.id * 7 + 1) % array_length(s.codes, 1))] AS code) c2
       CROSS JOIN LATERAL (SELECT ((hashtext(c1.code || '>' || c2.code)::bigint % 1000 + 1000) % 1000 + 1)
                                  * (1 + (f.id % 50) / 10000.0) AS rate) r
       WHERE c1.code <> c2.code
       ON CONFLICT DO NOTHING`,
      [perFeed, codes],
    );
    await client.query('VACUUM ANALYZE offers');
  } finally {
    await client.end();
  }
  return Date.now() - started;
}

/**
 * What a running deployment has recorded of the market seeded above, as its workers (or the standalone
 * process) would have by the time anyone reads it: every direction's best in the rate history, and the rate
 * guard's references with the stored offers judged against them. Without it the api's own housekeeping
 * catches up on the whole market in its first minute — recording the history of every direction, the
 * first references — which a read bench then measures instead of the steady state. Answers the ms it took.
 */
export async function recordReadMarket(url: string): Promise<number> {
  const started = Date.now();
  const dataSource = createDataSource({ url, poolSize: 2, applicationName: 'ratewatch-bench-seed' });
  await dataSource.initialize();
  try {
    const quarantine = new QuarantineRepository(dataSource);
    await quarantine.refreshReferences();
    await quarantine.sweep(integrityPolicy(loadConfig({}).rateGuard));
    const history = new HistoryRepository(dataSource);
    // The feeds' shown states and the bests of every direction they offer (drained to the end).
    await history.reevaluateFeeds();
  } finally {
    await dataSource.destroy();
  }
  return Date.now() - started;
}
