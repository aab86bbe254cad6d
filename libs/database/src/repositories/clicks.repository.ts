import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** One exchanger's clicks of one UTC day and direction. */
export interface DailyClicks {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  from: string;
  to: string;
  clicks: number;
  uniqueClicks: number;
  bots: number;
}

export interface ClickRecord {
  exchangerId: number;
  from: string;
  to: string;
  city: string | null;
  at: Date;
  visitorHash: string;
  referrer: string | null;
  isBot: boolean;
}

@Injectable()
export class ClicksRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The shared secret the daily visitor salt derives from. */
  async visitorSecret(): Promise<string> {
    const [row] = await this.dataSource.query<Array<{ value: string }>>(
      `SELECT value FROM app_secrets WHERE name = 'visitor_salt'`,
    );
    if (!row) throw new Error('app_secrets has no visitor_salt: run the migrations');
    return row.value;
  }

  /**
   * Records a batch of clicks in two statements. The first click of a visitor, exchanger and direction
   * a UTC day is unique — the partial unique index decides, so replicas writing at once cannot both
   * count it; every other click (and every bot's) is recorded as not unique.
   */
  async recordBatch(clicks: readonly ClickRecord[]): Promise<{ unique: number }> {
    if (clicks.length === 0) return { unique: 0 };
    const day = (at: Date) => at.toISOString().slice(0, 10);
    const key = (c: ClickRecord) => `${day(c.at)}|${c.exchangerId}|${c.from}|${c.to}|${c.visitorHash}`;
    const candidates = new Map<string, ClickRecord>();
    for (const click of clicks) if (!click.isBot && !candidates.has(key(click))) candidates.set(key(click), click);
    const columns = (rows: readonly ClickRecord[]) => [
      rows.map((c) => c.exchangerId),
      rows.map((c) => c.from),
      rows.map((c) => c.to),
      rows.map((c) => c.city),
      rows.map((c) => c.at.toISOString()),
      rows.map((c) => day(c.at)),
      rows.map((c) => c.visitorHash),
      rows.map((c) => c.referrer),
      rows.map((c) => c.isBot),
    ];
    const SELECT_BATCH = `SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::date[], $7::text[], $8::text[], $9::boolean[])
                          AS b(exchanger_id, from_code, to_code, city, at, day, visitor_hash, referrer, is_bot)`;
    return this.dataSource.transaction(async (tx) => {
      const first = [...candidates.values()];
      const inserted = await tx.query<
        Array<{ day: string; exchanger_id: number; from_code: string; to_code: string; visitor_hash: string }>
      >(
        `INSERT INTO clicks (exchanger_id, from_code, to_code, city, at, day, visitor_hash, referrer, is_bot, is_unique)
         SELECT exchanger_id, from_code, to_code, city, at, day, visitor_hash, referrer, is_bot, true FROM (${SELECT_BATCH}) b
         ON CONFLICT (day, exchanger_id, from_code, to_code, visitor_hash) WHERE is_unique DO NOTHING
         RETURNING to_char(day, 'YYYY-MM-DD') AS day, exchanger_id, from_code, to_code, visitor_hash`,
        columns(first),
      );
      const counted = new Set(
        inserted.map((r) => `${r.day}|${r.exchanger_id}|${r.from_code}|${r.to_code}|${r.visitor_hash}`),
      );
      const rest = clicks.filter((c) => !(candidates.get(key(c)) === c && counted.has(key(c))));
      if (rest.length > 0) {
        await tx.query(
          `INSERT INTO clicks (exchanger_id, from_code, to_code, city, at, day, visitor_hash, referrer, is_bot, is_unique)
           SELECT exchanger_id, from_code, to_code, city, at, day, visitor_hash, referrer, is_bot, false FROM (${SELECT_BATCH}) b`,
          columns(rest),
        );
      }
      return { unique: counted.size };
    });
  }

  counts(filter: {
    since: Date;
    until: Date;
    exchanger: string | null;
    from: string | null;
    to: string | null;
  }): Promise<unknown[]> {
    return this.dataSource.query(
      `SELECT e.slug AS exchanger, c.from_code AS "from", c.to_code AS "to", count(*)::int AS clicks,
              count(*) FILTER (WHERE c.is_unique)::int AS "uniqueClicks", count(*) FILTER (WHERE c.is_bot)::int AS bots
       FROM clicks c JOIN exchangers e ON e.id = c.exchanger_id
       WHERE c.at >= $1 AND c.at < $2 AND ($3::text IS NULL OR e.slug = $3) AND ($4::text IS NULL OR c.from_code = $4) AND ($5::text IS NULL OR c.to_code = $5)
       GROUP BY e.slug, c.from_code, c.to_code ORDER BY clicks DESC, e.slug`,
      [filter.since, filter.until, filter.exchanger, filter.from, filter.to],
    );
  }

  /** One exchanger's clicks over [since, until), by UTC day and direction: oldest day first, most clicked first within it. */
  dailyOfExchanger(exchangerId: number, since: Date, until: Date): Promise<DailyClicks[]> {
    return this.dataSource.query(
      `SELECT to_char(c.day, 'YYYY-MM-DD') AS day, c.from_code AS "from", c.to_code AS "to", count(*)::int AS clicks,
              count(*) FILTER (WHERE c.is_unique)::int AS "uniqueClicks", count(*) FILTER (WHERE c.is_bot)::int AS bots
       FROM clicks c
       WHERE c.exchanger_id = $1 AND c.at >= $2 AND c.at < $3
       GROUP BY c.day, c.from_code, c.to_code ORDER BY c.day, clicks DESC, c.from_code, c.to_code`,
      [exchangerId, since, until],
    );
  }
}
