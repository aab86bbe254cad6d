import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const FEED_FORMATS = ['auto', 'xml', 'json', 'txt'] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

/** Statuses of one poll, as stored on feed runs and as the feed's last status. */
export const FEED_RUN_STATUSES = ['ok', 'empty', 'maintenance', 'not_modified', 'unchanged', 'error'] as const;
export type FeedRunStatus = (typeof FEED_RUN_STATUSES)[number];

export interface StoredError {
  code: string;
  message: string;
}

@Entity({ name: 'feeds' })
export class FeedEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'exchanger_id', type: 'integer' })
  exchangerId!: number;

  @Column({ type: 'text' })
  url!: string;

  @Column({ type: 'varchar', length: 8, default: 'auto' })
  format!: FeedFormat;

  @Column({ name: 'interval_s', type: 'integer', default: 30 })
  intervalSeconds!: number;

  @Column({ name: 'timeout_ms', type: 'integer', default: 10000 })
  timeoutMs!: number;

  @Column({ name: 'stale_after_s', type: 'integer', default: 300 })
  staleAfterSeconds!: number;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  // --- poll state ---
  @Column({ type: 'text', nullable: true })
  etag!: string | null;

  @Column({ name: 'last_modified', type: 'text', nullable: true })
  lastModified!: string | null;

  @Column({ name: 'content_hash', type: 'text', nullable: true })
  contentHash!: string | null;

  @Column({ name: 'last_attempt_at', type: 'timestamptz', nullable: true })
  lastAttemptAt!: Date | null;

  @Column({ name: 'last_success_at', type: 'timestamptz', nullable: true })
  lastSuccessAt!: Date | null;

  @Column({ name: 'last_change_at', type: 'timestamptz', nullable: true })
  lastChangeAt!: Date | null;

  @Column({ name: 'last_status', type: 'varchar', length: 16, nullable: true })
  lastStatus!: FeedRunStatus | null;

  @Column({ name: 'last_error', type: 'jsonb', nullable: true })
  lastError!: StoredError | null;

  /** Set by a maintenance answer, cleared by the next good one: the feed's offers are hidden meanwhile. */
  @Column({ name: 'in_maintenance', type: 'boolean', default: false })
  inMaintenance!: boolean;

  @Column({ name: 'consecutive_failures', type: 'integer', default: 0 })
  consecutiveFailures!: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
