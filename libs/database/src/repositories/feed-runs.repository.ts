import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Feed runs: one row per poll (written with the feed's state by FeedsRepository), listed for admins. */
@Injectable()
export class FeedRunsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  list(feedId: number, limit: number): Promise<unknown[]> {
    return this.dataSource.query(
      `SELECT id::text AS id, trigger, started_at AS "startedAt", duration_ms AS "durationMs", status, format, dialect, http_status AS "httpStatus", bytes, items,
              accepted, rejected, duplicates, inserted, updated, deleted, quarantined, released,
              CASE WHEN error_code IS NULL THEN NULL ELSE jsonb_build_object('code', error_code, 'message', error_message) END AS error,
              rejects, warnings
       FROM feed_runs WHERE feed_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2`,
      [feedId, limit],
    );
  }
}
