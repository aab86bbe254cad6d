import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** One point of a direction's best-rate history: the minute and the best rate then (a decimal string). */
export interface BestRatePoint {
  from: string;
  to: string;
  /** '' for every city of the direction. */
  city: string;
  minute: Date;
  rate: string;
}

/** How long the best-rate history is kept. */
export const RATE_HISTORY_HOURS = 48;

/** The best rate of viewed directions, a point a minute (table `best_rate_history`). */
@Injectable()
export class RateHistoryRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores points; a minute already stored for a direction (by another api replica) is kept as it is. */
  async record(points: BestRatePoint[]): Promise<void> {
    if (points.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO best_rate_history (from_code, to_code, city, minute, rate)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::numeric[])
       ON CONFLICT DO NOTHING`,
      [
        points.map((p) => p.from),
        points.map((p) => p.to),
        points.map((p) => p.city),
        points.map((p) => p.minute),
        points.map((p) => p.rate),
      ],
    );
  }

  /** The points of a direction since `since`, oldest first. */
  async history(from: string, to: string, city: string, since: Date): Promise<Array<{ at: string; rate: string }>> {
    const rows = await this.dataSource.query<Array<{ at: Date; rate: string }>>(
      `SELECT minute AS at, rate::text AS rate FROM best_rate_history
       WHERE from_code = $1 AND to_code = $2 AND city = $3 AND minute >= $4 ORDER BY minute`,
      [from, to, city, since],
    );
    return rows.map((r) => ({ at: r.at.toISOString(), rate: r.rate }));
  }

  /** Deletes points older than RATE_HISTORY_HOURS; returns how many. */
  async prune(): Promise<number> {
    const [result] = await this.dataSource.query<Array<{ pruned: number }>>(
      `WITH d AS (DELETE FROM best_rate_history WHERE minute < now() - make_interval(hours => $1) RETURNING 1) SELECT count(*)::int AS pruned FROM d`,
      [RATE_HISTORY_HOURS],
    );
    return result?.pruned ?? 0;
  }
}
