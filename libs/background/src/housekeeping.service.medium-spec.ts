import { SchedulerRegistry } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { AlertDeliverer, AlertsMetrics, InProcessAlertDeliveryQueue, OperatorAlerts, WebhookPoster } from '@app/alerts';
import {
  AlertDeliveriesRepository,
  AlertsRepository,
  FeedsRepository,
  HistoryRepository,
  OperatorAlertsRepository,
  PartnersRepository,
  QuarantineRepository,
} from '@app/database';
import { loadConfig } from '@app/config';
import { FeedScheduler } from '@app/ingestion';
import { SnapshotChanges } from '@app/messaging';
import { PartnerScheduler } from '@app/partners';
import {
  feedPollSchedule,
  feedSchedulerId,
  HOUSEKEEPING,
  InProcessRecurringSchedules,
  JOBS,
  partnerSchedulerId,
} from '@app/queue';
import { createExchangerWithFeed } from '../../../test/support/ingestion';
import { migratedDatabase, TestDatabase } from '../../../test/support/services';
import { HousekeepingService, REFERENCE_REFRESH_PACE } from './housekeeping.service';

/** Alerts' upkeep as the process builds it (standalone: the in-process deliverer, not started here). */
function operatorAlerts(dataSource: DataSource): OperatorAlerts {
  const config = loadConfig({});
  const alerts = new AlertsRepository(dataSource);
  const deliveries = new AlertDeliveriesRepository(dataSource);
  const metrics = new AlertsMetrics(new Registry(), alerts);
  const deliverer = new AlertDeliverer(deliveries, new WebhookPoster(false), metrics, config);
  const queue = new InProcessAlertDeliveryQueue(deliveries, deliverer);
  return new OperatorAlerts(new OperatorAlertsRepository(dataSource), alerts, deliveries, queue, metrics, config);
}

/** Housekeeping on the real Postgres, through the in-process driver (the BullMQ one keeps the same contract). */
describe('HousekeepingService', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let schedules: InProcessRecurringSchedules;
  let housekeeping: HousekeepingService;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(4));
    schedules = new InProcessRecurringSchedules(new SchedulerRegistry());
    const feeds = new FeedsRepository(dataSource);
    const partners = new PartnersRepository(dataSource);
    housekeeping = new HousekeepingService(
      schedules,
      new FeedScheduler(schedules, feeds),
      new PartnerScheduler(schedules, partners),
      feeds,
      new QuarantineRepository(dataSource),
      new SnapshotChanges(loadConfig({})),
      new HistoryRepository(dataSource),
      operatorAlerts(dataSource),
      loadConfig({}),
    );
  });

  afterAll(async () => {
    await schedules?.stop();
    await dataSource?.destroy();
    await db?.drop();
  });

  it('reconciles every family with the database: feeds, partner accounts and the housekeeping schedules themselves', async () => {
    const { exchangerId, feedId } = await createExchangerWithFeed(dataSource, 'kept', 'https://kept.example/rates.xml');
    await dataSource.query(
      `INSERT INTO partner_accounts (exchanger_id, api_url, api_key_encrypted) VALUES ($1, 'https://kept.example/api.php', 'sealed')`,
      [exchangerId],
    );
    // A schedule whose feed is gone (deleted behind the schedule's back).
    await schedules.upsert(feedPollSchedule(feedId + 1000, 30));

    const result = await housekeeping.run(JOBS.reconcileFeeds);
    expect(result).toMatchObject({
      feeds: { upserted: [feedId], removed: [feedId + 1000] },
      partners: { upserted: [exchangerId], removed: [] },
    });
    expect(await schedules.ids('feed')).toEqual([feedSchedulerId(feedId)]);
    expect(await schedules.ids('partner')).toEqual([partnerSchedulerId(exchangerId)]);
    expect(await schedules.ids('housekeeping')).toEqual(
      Object.values(HOUSEKEEPING)
        .map((h) => h.schedulerId)
        .sort(),
    );
    // A second run finds everything in place.
    expect(await housekeeping.run(JOBS.reconcileFeeds)).toMatchObject({
      feeds: { upserted: [], removed: [] },
      partners: { upserted: [], removed: [] },
      housekeeping: { upserted: [], removed: [] },
    });
  });

  it('rolls the rate history up: a fresh feed of an active exchanger is found, its best recorded, folded and readable', async () => {
    const { feedId } = await createExchangerWithFeed(dataSource, 'rolled', 'https://rolled.example/rates.xml');
    await dataSource.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate, fp)
       SELECT id, exchanger_id, 'XMR', 'LTC', 1, 0.75, 0.75, 1 FROM feeds WHERE id = $1`,
      [feedId],
    );
    // Its offer appeared without a write through the poll (as a feed coming back does): the roll-up's re-evaluation finds it.
    await dataSource.query(`UPDATE feeds SET last_success_at = now() WHERE id = $1`, [feedId]);
    const result = (await housekeeping.run(JOBS.rollUpHistory)) as {
      reevaluated: { changes: number };
      rolledUp: { ran: boolean };
    };
    expect(result.reevaluated.changes).toBeGreaterThanOrEqual(1);
    expect(result.rolledUp.ran).toBe(true);
    const series = await new HistoryRepository(dataSource).series({
      from: 'XMR',
      to: 'LTC',
      resolution: 'hour',
      since: new Date(Date.now() - 3_600_000),
    });
    expect(series.map((p) => [p.close, p.offers])).toEqual([['0.75', 1]]);
  });

  it('retires expired alerts (the alerts job; operators’ alerts are off without OPERATOR_ALERT_URL)', async () => {
    const alert = (expiresIn: string) =>
      dataSource.query<Array<{ id: string }>>(
        `INSERT INTO alerts (from_code, to_code, kind, value, metric, webhook_url, token_hash, secret, creator, expires_at)
         VALUES ('BTC', 'SBERRUB', 'above', 7000000, 'rate', 'https://bot.example/hook', repeat('0', 64), 'rws_s', 'c', now() + $1::interval)
         RETURNING id`,
        [expiresIn],
      );
    const [expired] = await alert('-1 minute');
    const [live] = await alert('1 day');
    expect(await housekeeping.run(JOBS.checkAlerts)).toEqual({ expired: 1, operatorNotices: 0, requeued: 0 });
    const rows = await dataSource.query<Array<{ id: string; status: string; secret: string | null }>>(
      `SELECT id, status, secret FROM alerts WHERE id = ANY($1::uuid[]) ORDER BY expires_at`,
      [[expired!.id, live!.id]],
    );
    // Expired: retired and its signing secret forgotten; the other untouched.
    expect(rows).toEqual([
      { id: expired!.id, status: 'expired', secret: null },
      { id: live!.id, status: 'active', secret: 'rws_s' },
    ]);
  });

  it('prunes feed runs', async () => {
    expect(await housekeeping.run(JOBS.pruneRuns)).toEqual({ pruned: expect.any(Number) as number });
  });

  it("paces the guard's upkeep by its cost: a scheduled run waits REFERENCE_REFRESH_PACE times the last one's time", async () => {
    const first = await housekeeping.run(JOBS.refreshReferences);
    expect(first).toMatchObject({ references: expect.any(Object) as object, held: {} });
    // As if that run had taken 10 s: the next scheduled one is skipped, a direct call still runs.
    await dataSource.query(`UPDATE reference_refreshes SET took_ms = 10000`);
    expect(await housekeeping.run(JOBS.refreshReferences)).toEqual({ skipped: 'paced' });
    expect(await housekeeping.refreshReferences()).toMatchObject({ references: expect.any(Object) as object });
    // Long enough ago: due again.
    await dataSource.query(
      `UPDATE reference_refreshes SET took_ms = 10000, refreshed_at = now() - make_interval(secs => 10 * (1 + $1))`,
      [REFERENCE_REFRESH_PACE],
    );
    expect(await housekeeping.run(JOBS.refreshReferences)).toMatchObject({ references: expect.any(Object) as object });
  });
});
