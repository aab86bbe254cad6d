/**
 * The settings the embedded PostgreSQL starts with (standalone mode), tuned for ratewatch's load: a market
 * rewritten in place every few seconds (most writes are UPDATEs of the same rows), read by index.
 *
 * Trade-offs, each chosen on purpose:
 * - `shared_buffers`: an eighth of the machine's memory, between 128 MB (PostgreSQL's default) and 1 GB —
 *   a 1,000,000-offer market with its indexes is ≈ 400 MB, which the default cannot hold (reads from the OS
 *   cache instead); more memory for the database is less for ratewatch's own caches on the same box.
 * - `max_wal_size` 2 GB and `checkpoint_timeout` 15 min (defaults 1 GB, 5 min): fewer checkpoints, so fewer
 *   full-page images in the WAL (the largest part of it when the same pages are updated every poll), at the
 *   price of a longer crash recovery (up to 2 GB of WAL replayed) and up to 2 GB more disk.
 * - `wal_compression`: smaller full-page images for a little CPU.
 * - `synchronous_commit` stays `on`: a snapshot written is never lost, even by an OS crash; `off` would
 *   save a WAL flush per poll but could drop the last fraction of a second of acknowledged writes.
 * - `random_page_cost` 1.1: an SSD, where ratewatch's index probes cost nearly what sequential reads do.
 *
 * `overrides` (EMBEDDED_POSTGRES_SETTINGS) win over every value here, and may add any other setting.
 */
export function embeddedServerSettings(
  totalMemoryBytes: number,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const mb = Math.floor(totalMemoryBytes / (1024 * 1024));
  const sharedBuffers = Math.min(1024, Math.max(128, Math.floor(mb / 8)));
  const effectiveCache = Math.max(sharedBuffers * 2, Math.floor(mb / 2));
  return {
    shared_buffers: `${sharedBuffers}MB`,
    effective_cache_size: `${effectiveCache}MB`,
    max_wal_size: '2GB',
    checkpoint_timeout: '15min',
    wal_compression: 'on',
    synchronous_commit: 'on',
    random_page_cost: '1.1',
    ...overrides,
    // Where and how the server listens is ratewatch's to decide, not a tuning setting.
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
  };
}

/** The settings as `postgres -c name=value` arguments. */
export function settingsArguments(settings: Readonly<Record<string, string>>): string[] {
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}
