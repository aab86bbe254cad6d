import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { FeedRunStatus } from './feed.entity';

export interface StoredReject {
  index: number;
  reason: string;
}

/** One row per poll of a feed (bounded retention). */
@Entity({ name: 'feed_runs' })
export class FeedRunEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'feed_id', type: 'integer' })
  feedId!: number;

  @Column({ type: 'varchar', length: 16, default: 'schedule' })
  trigger!: string;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'duration_ms', type: 'integer' })
  durationMs!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: FeedRunStatus;

  @Column({ type: 'varchar', length: 8, nullable: true })
  format!: string | null;

  /** The dialect the reader recognised (FEED_DIALECTS). */
  @Column({ type: 'varchar', length: 16, nullable: true })
  dialect!: string | null;

  @Column({ name: 'http_status', type: 'integer', nullable: true })
  httpStatus!: number | null;

  @Column({ type: 'integer', nullable: true })
  bytes!: number | null;

  @Column({ type: 'integer', default: 0 })
  items!: number;

  @Column({ type: 'integer', default: 0 })
  accepted!: number;

  @Column({ type: 'integer', default: 0 })
  rejected!: number;

  @Column({ type: 'integer', default: 0 })
  duplicates!: number;

  @Column({ type: 'integer', default: 0 })
  inserted!: number;

  @Column({ type: 'integer', default: 0 })
  updated!: number;

  @Column({ type: 'integer', default: 0 })
  deleted!: number;

  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true })
  errorCode!: string | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  rejects!: StoredReject[];

  @Column({ type: 'jsonb', default: () => "'[]'" })
  warnings!: string[];
}
