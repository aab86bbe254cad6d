import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { CatalogRepository, FeedsRepository, QuarantineRepository } from '@app/database';
import { loadConfig } from '@app/config';
import { SafeHttpClient } from '@app/http-client';
import { CatalogSnapshots, FeedPollService, IngestionMetrics } from '@app/ingestion';
import { SnapshotChanges } from '@app/messaging';

/** The real poll service over a DataSource, wired by hand (no Nest) for medium tests. */
export function pollServiceFor(dataSource: DataSource): {
  poller: FeedPollService;
  feeds: FeedsRepository;
  fetcher: SafeHttpClient;
  registry: Registry;
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
    new IngestionMetrics(registry, feeds, new QuarantineRepository(dataSource)),
    changes,
    config,
  );
  return { poller, feeds, fetcher, registry };
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
