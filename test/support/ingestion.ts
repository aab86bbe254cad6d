import type { Client } from 'pg';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { CatalogRepository, FeedsRepository, HistoryRepository, QuarantineRepository } from '@app/database';
import { loadConfig } from '@app/config';
import { SafeHttpClient } from '@app/http-client';
import { CatalogSnapshots, FeedPollService, IngestionMetrics, PollOutcome } from '@app/ingestion';
import type { FeedServer } from './feed-server';
import { SnapshotChanges } from '@app/messaging';

/** The real poll service over a DataSource, wired by hand (no Nest) for medium tests. */
export function pollServiceFor(dataSource: DataSource): {
  poller: FeedPollService;
  feeds: FeedsRepository;
  fetcher: SafeHttpClient;
  registry: Registry;
  changes: SnapshotChanges;
} {
  const feeds = new FeedsRepository(dataSource);
  const registry = new Registry();
  const fetcher = new SafeHttpClient({ allowPrivate: true });
  const config = loadConfig({ HISTORY_RECORDING: 'true' });
  const changes = new SnapshotChanges(config);
  const poller = new FeedPollService(
    feeds,
    new CatalogSnapshots(new CatalogRepository(dataSource)),
    fetcher,
    new IngestionMetrics(registry, feeds, new QuarantineRepository(dataSource), new HistoryRepository(dataSource)),
    changes,
    config,
  );
  return { poller, feeds, fetcher, registry, changes };
}

/** Inserts an exchanger and one feed; returns their ids. */
export async function createExchangerWithFeed(
  dataSource: DataSource,
  slug: string,
  url: string,
  feed: { intervalSeconds?: number; enabled?: boolean; status?: string; format?: string } = {},
): Promise<{ exchangerId: number; feedId: number }> {
  const [exchanger] = await dataSource.query<Array<{ id: number }>>(
    `INSERT INTO exchangers (slug, name, site_url, referral_url, status) VALUES ($1::text, $1::text, 'https://x.example', 'https://x.example/?rid=7', $2) RETURNING id`,
    [slug, feed.status ?? 'active'],
  );
  const [row] = await dataSource.query<Array<{ id: number }>>(
    `INSERT INTO feeds (exchanger_id, url, interval_s, enabled, format, timeout_ms) VALUES ($1, $2, $3, $4, $5, 3000) RETURNING id`,
    [exchanger!.id, url, feed.intervalSeconds ?? 30, feed.enabled ?? true, feed.format ?? 'auto'],
  );
  return { exchangerId: exchanger!.id, feedId: row!.id };
}

/**
 * `publish(slug, body)`: the feed of exchanger `slug` (registered on first use, polled every 30 s, stale after
 * an hour) now answers `body` from `server`, and is polled at once through the app's FeedPollService — its
 * real write path, change events, history and alerts included. `app()` is asked at each call (tests start
 * the app and connect in beforeAll). Answers the poll's outcome.
 */
export function feedPublisher(
  server: FeedServer,
  app: () => { database: Client; poller: FeedPollService },
): (slug: string, body: string) => Promise<PollOutcome> {
  const feedIds = new Map<string, number>();
  return async (slug, body) => {
    server.serve(`/${slug}.xml`, { body });
    const { database, poller } = app();
    let feedId = feedIds.get(slug);
    if (feedId === undefined) {
      const { rows } = await database.query<{ id: number }>(
        `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1::text, initcap($1::text), 'https://' || $1 || '.example', 'https://' || $1 || '.example/?rid=1') RETURNING id)
         INSERT INTO feeds (exchanger_id, url, interval_s, stale_after_s) SELECT id, $2, 30, 3600 FROM e RETURNING id`,
        [slug, server.url(`/${slug}.xml`)],
      );
      feedId = rows[0]!.id;
      feedIds.set(slug, feedId);
    }
    return poller.poll(feedId, 'manual');
  };
}
