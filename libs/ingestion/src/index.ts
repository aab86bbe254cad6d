export * from './catalog/catalog-snapshots';
export * from './check/check-feed-url';
export * from './ingestion.module';
export * from './metrics/ingestion.metrics';
export * from './metrics/queue.metrics';
export * from './poll/backoff';
export * from './poll/feed-poll.service';
export * from './scheduling/feed-scheduler';
