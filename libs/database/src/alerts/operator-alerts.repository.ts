import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/** One thing operators are told (DESIGN.md §12): a feed or partner sync failing or recovered, new quarantines. */
export type OperatorEvent =
  | {
      event: 'feed.failing';
      feed: { id: number; host: string; exchanger: string; error: unknown; failingSince: string };
    }
  | { event: 'feed.recovered'; feed: { id: number; host: string; exchanger: string } }
  | { event: 'partner.failing'; partner: { exchanger: string; error: unknown } }
  | { event: 'partner.recovered'; partner: { exchanger: string | null } }
  | {
      event: 'quarantine.new';
      held: number;
      offers: Array<{ exchanger: string; from: string; to: string; city: string | null; reason: string | null }>;
    };

/** Held offers named in one notice at most (the count says how many in all). */
const QUARANTINE_SAMPLE = 20;
const LOCK = 0x6f70_616c;

/**
 * What operators were last told, and what changed since (operator_alert_state): each check reads the failing
 * feeds and partner syncs and the newly held offers, and queues one notice per change to `url` in the same
 * transaction that remembers it, so a change is told once (and a recovery once) whatever the number of workers.
 */
@Injectable()
export class OperatorAlertsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Finds what changed, remembers it and queues its notices; answers the queued delivery ids. */
  async queueChanges(options: { feedFailingMinutes: number; url: string; now?: Date }): Promise<string[]> {
    const now = options.now ?? new Date();
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock($1)`, [LOCK]);
      const events = [
        ...(await this.feedEvents(tx, options.feedFailingMinutes, now)),
        ...(await this.partnerEvents(tx)),
        ...(await this.quarantineEvents(tx, now)),
      ];
      if (events.length === 0) return [];
      const bodies = events.map((e) => JSON.stringify({ ...e, at: now.toISOString() }));
      const rows = await tx.query<Array<{ id: string }>>(
        `INSERT INTO alert_deliveries (event, url, body) SELECT e, $2, b FROM unnest($1::text[], $3::text[]) AS u(e, b)
         RETURNING id::text AS id`,
        [events.map((e) => e.event), options.url, bodies],
      );
      return rows.map((r) => r.id);
    });
  }

  private async feedEvents(tx: EntityManager, minutes: number, now: Date): Promise<OperatorEvent[]> {
    const failing = await tx.query<Array<{ id: number; host: string; exchanger: string; error: unknown; since: Date }>>(
      `SELECT f.id, substring(f.url from '^[a-z]+://([^/?#]+)') AS host, e.slug AS exchanger, f.last_error AS error,
              COALESCE(f.last_success_at, f.created_at) AS since
       FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id
       WHERE f.enabled AND NOT f.in_maintenance AND f.consecutive_failures > 0
         AND COALESCE(f.last_success_at, f.created_at) <= $1::timestamptz - make_interval(mins => $2)`,
      [now, minutes],
    );
    const told = await this.told(tx, 'feed:');
    const events: OperatorEvent[] = [];
    for (const f of failing) {
      if (told.has(`feed:${f.id}`)) continue;
      events.push({
        event: 'feed.failing',
        feed: { id: f.id, host: f.host, exchanger: f.exchanger, error: f.error, failingSince: f.since.toISOString() },
      });
      await this.remember(tx, `feed:${f.id}`, 'failing');
    }
    const still = new Set(failing.map((f) => `feed:${f.id}`));
    const recovered = [...told.keys()].filter((key) => !still.has(key));
    if (recovered.length > 0) {
      const ids = recovered.map((key) => Number(key.slice('feed:'.length)));
      const names = await tx.query<Array<{ id: number; host: string; exchanger: string }>>(
        `SELECT f.id, substring(f.url from '^[a-z]+://([^/?#]+)') AS host, e.slug AS exchanger FROM feeds f JOIN exchangers e ON e.id = f.exchanger_id
         WHERE f.id = ANY($1::int[]) AND f.consecutive_failures = 0`,
        [ids],
      );
      const byId = new Map(names.map((n) => [n.id, n]));
      for (const id of ids) {
        const named = byId.get(id);
        // Still failing but no longer counted (disabled, in maintenance): forgotten without a recovery notice.
        if (named) events.push({ event: 'feed.recovered', feed: { id, host: named.host, exchanger: named.exchanger } });
        await this.forget(tx, `feed:${id}`);
      }
    }
    return events;
  }

  private async partnerEvents(tx: EntityManager): Promise<OperatorEvent[]> {
    const failing = await tx.query<Array<{ id: number; exchanger: string; error: unknown }>>(
      `SELECT p.exchanger_id AS id, e.slug AS exchanger, p.last_error AS error
       FROM partner_accounts p JOIN exchangers e ON e.id = p.exchanger_id
       WHERE p.enabled AND p.last_error IS NOT NULL AND (p.last_success_at IS NULL OR p.last_success_at < p.last_sync_at)`,
    );
    const told = await this.told(tx, 'partner:');
    const events: OperatorEvent[] = [];
    for (const p of failing) {
      if (told.has(`partner:${p.id}`)) continue;
      events.push({ event: 'partner.failing', partner: { exchanger: p.exchanger, error: p.error } });
      await this.remember(tx, `partner:${p.id}`, p.exchanger);
    }
    const still = new Set(failing.map((p) => `partner:${p.id}`));
    for (const [key, exchanger] of told) {
      if (still.has(key)) continue;
      events.push({ event: 'partner.recovered', partner: { exchanger } });
      await this.forget(tx, key);
    }
    return events;
  }

  /** Offers held since the last check (by their `since`), counted, a few named. The first check only sets the mark. */
  private async quarantineEvents(tx: EntityManager, now: Date): Promise<OperatorEvent[]> {
    const told = await this.told(tx, 'quarantine:');
    const mark = told.get('quarantine:since');
    await this.remember(tx, 'quarantine:since', now.toISOString());
    if (mark === undefined) return [];
    const rows = await tx.query<
      Array<{
        held: number;
        exchanger: string;
        from: string;
        to: string;
        city: string | null;
        reason: string | null;
      }>
    >(
      `SELECT count(*) OVER ()::int AS held, e.slug AS exchanger, o.from_code AS "from", o.to_code AS "to",
              NULLIF(o.city, '') AS city, o.quarantine->>'reason' AS reason
       FROM offers o JOIN exchangers e ON e.id = o.exchanger_id
       WHERE o.quarantine IS NOT NULL AND o.quarantine->>'since' > $1 AND o.quarantine->>'since' <= $2
       ORDER BY o.quarantine->>'since' DESC LIMIT ${QUARANTINE_SAMPLE}`,
      [mark, now.toISOString()],
    );
    if (rows.length === 0) return [];
    return [
      {
        event: 'quarantine.new',
        held: rows[0]!.held,
        offers: rows.map(({ exchanger, from, to, city, reason }) => ({ exchanger, from, to, city, reason })),
      },
    ];
  }

  private async told(tx: EntityManager, prefix: string): Promise<Map<string, string>> {
    const rows = await tx.query<Array<{ key: string; value: string }>>(
      `SELECT key, value FROM operator_alert_state WHERE key LIKE $1 || '%'`,
      [prefix],
    );
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  private async remember(tx: EntityManager, key: string, value: string): Promise<void> {
    await tx.query(
      `INSERT INTO operator_alert_state (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [key, value],
    );
  }

  private async forget(tx: EntityManager, key: string): Promise<void> {
    await tx.query(`DELETE FROM operator_alert_state WHERE key = $1`, [key]);
  }
}
