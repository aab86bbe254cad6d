import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertCondition, hashAlertToken } from '@app/domain';
import { createExchangerWithFeed } from '../../../../test/support/ingestion';
import { waitFor } from '../../../../test/support/processes';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { AlertDeliveriesRepository } from './alert-deliveries.repository';
import { AlertsRepository, NewAlert } from './alerts.repository';

/** Alerts' storage on the real Postgres: lookup by direction, the shown market, atomic firing, the per-creator limit. */
describe('AlertsRepository', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let alerts: AlertsRepository;
  let deliveries: AlertDeliveriesRepository;
  let feeds: number[];
  let exchangers: number[];

  const alert = (fields: Partial<NewAlert> & { condition: AlertCondition }): NewAlert => ({
    from: 'BTC',
    to: 'SBERRUB',
    city: null,
    webhookUrl: 'https://hook.example/x',
    tokenHash: hashAlertToken('t'),
    secret: 's',
    creator: 'creator-a',
    expiresAt: new Date(Date.now() + 86_400_000),
    ...fields,
  });
  /** Exchanger `n`'s offer of a direction (city '' = none) is now `rate` with `reserve`. */
  const offer = (n: number, from: string, to: string, rate: string, reserve: string | null = null, city = '') =>
    dataSource.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, city, amount_in, amount_out, rate, reserve)
       VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7)
       ON CONFLICT (feed_id, from_code, to_code, city) DO UPDATE SET rate = EXCLUDED.rate, amount_out = EXCLUDED.amount_out,
         reserve = EXCLUDED.reserve, quarantine = NULL`,
      [feeds[n], exchangers[n], from, to, city, rate, reserve],
    );
  const noticesOf = async (id: string) =>
    (
      await dataSource.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM alert_deliveries WHERE alert_id = $1`,
        [id],
      )
    )[0]!.n;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(8));
    alerts = new AlertsRepository(dataSource);
    deliveries = new AlertDeliveriesRepository(dataSource);
    feeds = [];
    exchangers = [];
    for (const slug of ['one', 'two', 'three']) {
      const made = await createExchangerWithFeed(dataSource, slug, `https://${slug}.example/rates.xml`);
      feeds.push(made.feedId);
      exchangers.push(made.exchangerId);
    }
    await dataSource.query(`UPDATE feeds SET last_success_at = now(), stale_after_s = 3600`);
  });

  beforeEach(async () => {
    await dataSource.query(`DELETE FROM alert_deliveries; DELETE FROM alerts; DELETE FROM offers`);
    await dataSource.query(`UPDATE exchangers SET status = 'active'; UPDATE feeds SET last_success_at = now()`);
  });

  afterAll(async () => {
    await alerts?.close();
    await dataSource?.destroy();
    await db?.drop();
  });

  it('reads only the alerts of the changed directions that the market reached', async () => {
    await offer(0, 'BTC', 'SBERRUB', '100');
    await offer(0, 'ETH', 'SBERRUB', '100');
    const reached = await alerts.create(alert({ condition: { kind: 'above', value: '110' } }), 100);
    await alerts.create(alert({ condition: { kind: 'above', value: '200' } }), 100);
    await alerts.create(alert({ condition: { kind: 'below', value: '50' } }), 100);
    const elsewhere = await alerts.create(alert({ from: 'ETH', condition: { kind: 'above', value: '110' } }), 100);
    await offer(0, 'BTC', 'SBERRUB', '120');
    await offer(0, 'ETH', 'SBERRUB', '120');

    const result = await alerts.evaluate([['BTC', 'SBERRUB']]);
    expect(result).toMatchObject({ candidates: 1, changed: 1 });
    expect(result.deliveryIds).toHaveLength(1);
    expect(await noticesOf(reached!.id)).toBe(1);
    expect(await noticesOf(elsewhere!.id)).toBe(0);
    // Nothing crossed since: the alerts reached are only waiting to re-arm, none is read again.
    expect(await alerts.evaluate([['BTC', 'SBERRUB']])).toEqual({ candidates: 0, changed: 0, deliveryIds: [] });
    expect(await alerts.evaluate([['USDTTRC20', 'CASHUSD']])).toEqual({ candidates: 0, changed: 0, deliveryIds: [] });
  });

  it('takes the best of the shown offers only: not held back, of fresh feeds, of active exchangers', async () => {
    await offer(0, 'BTC', 'SBERRUB', '100', '10');
    const a = await alerts.create(alert({ condition: { kind: 'above', value: '150' } }), 100);
    const r = await alerts.create(alert({ condition: { kind: 'reserve', value: '500' } }), 100);
    await offer(1, 'BTC', 'SBERRUB', '160', '1000');
    await dataSource.query(`UPDATE offers SET quarantine = '{"reason":"band"}' WHERE feed_id = $1`, [feeds[1]]);
    await offer(2, 'BTC', 'SBERRUB', '170', '2000');
    await dataSource.query(`UPDATE feeds SET last_success_at = now() - interval '30 days' WHERE id = $1`, [feeds[2]]);
    expect((await alerts.evaluate([['BTC', 'SBERRUB']])).deliveryIds).toEqual([]);
    expect(await alerts.market('BTC', 'SBERRUB', null)).toEqual({ best: '100', reserve: '10' });

    await dataSource.query(`UPDATE feeds SET last_success_at = now() WHERE id = $1`, [feeds[2]]);
    await dataSource.query(`UPDATE exchangers SET status = 'paused' WHERE id = $1`, [exchangers[2]]);
    expect((await alerts.evaluate([['BTC', 'SBERRUB']])).deliveryIds).toEqual([]);

    await dataSource.query(`UPDATE exchangers SET status = 'active' WHERE id = $1`, [exchangers[2]]);
    expect((await alerts.evaluate([['BTC', 'SBERRUB']])).deliveryIds).toHaveLength(2);
    expect([await noticesOf(a!.id), await noticesOf(r!.id)]).toEqual([1, 1]);
  });

  it('narrows a city alert to its city, and an alert without a city sees every offer', async () => {
    await offer(0, 'USDTTRC20', 'CASHUSD', '0.95', null, 'MSK');
    await offer(1, 'USDTTRC20', 'CASHUSD', '0.97', null, 'SPB');
    const msk = await alerts.create(
      alert({ from: 'USDTTRC20', to: 'CASHUSD', city: 'MSK', condition: { kind: 'above', value: '0.96' } }),
      100,
    );
    const all = await alerts.create(
      alert({ from: 'USDTTRC20', to: 'CASHUSD', condition: { kind: 'above', value: '0.975' } }),
      100,
    );
    await offer(1, 'USDTTRC20', 'CASHUSD', '0.98', null, 'SPB');
    await alerts.evaluate([['USDTTRC20', 'CASHUSD']]);
    expect([await noticesOf(msk!.id), await noticesOf(all!.id)]).toEqual([0, 1]);
    await offer(0, 'USDTTRC20', 'CASHUSD', '0.961', null, 'MSK');
    await alerts.evaluate([['USDTTRC20', 'CASHUSD']]);
    expect([await noticesOf(msk!.id), await noticesOf(all!.id)]).toEqual([1, 1]);
  });

  it('fires a crossing once however many evaluators see it at once, each evaluating once per change', async () => {
    // Every worker hears every change: three evaluators (each its own connection), none evaluating twice.
    const evaluators = Array.from({ length: 3 }, () => new AlertsRepository(dataSource));
    try {
      await offer(0, 'BTC', 'SBERRUB', '100');
      const made = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          alerts.create(alert({ condition: { kind: 'above', value: String(101 + i) } }), 100),
        ),
      );
      const counts = () => Promise.all(made.map((a) => noticesOf(a!.id)));
      for (let round = 1; round <= 5; round++) {
        const before = await counts();
        // The market moves up and back down while the evaluators of the first change are still at work.
        await offer(0, 'BTC', 'SBERRUB', '150');
        const up = evaluators.map((e) => e.evaluate([['BTC', 'SBERRUB']]));
        await offer(0, 'BTC', 'SBERRUB', '100');
        const down = evaluators.map((e) => e.evaluate([['BTC', 'SBERRUB']]));
        await Promise.all([...up, ...down]);
        // A crossing seen fires once (none if every evaluator read 100); whatever the order, the market ends at
        // 100 and every alert is armed again.
        const after = await counts();
        expect(after.map((n, i) => n - before[i]!).every((d) => d === 0 || d === 1)).toBe(true);
        const states = await dataSource.query<Array<{ armed: boolean }>>(`SELECT armed FROM alerts`);
        expect(states.every((row) => row.armed)).toBe(true);
      }
      // So the next crossing fires every alert, once.
      const before = await counts();
      await offer(0, 'BTC', 'SBERRUB', '150');
      await Promise.all(evaluators.map((e) => e.evaluate([['BTC', 'SBERRUB']])));
      expect((await counts()).map((n, i) => n - before[i]!)).toEqual(made.map(() => 1));
    } finally {
      await Promise.all(evaluators.map((e) => e.close()));
    }
  });

  it('loses no crossing when an evaluator that read an older market writes after one that read a newer', async () => {
    const first = new AlertsRepository(dataSource);
    const second = new AlertsRepository(dataSource);
    const blocker = dataSource.createQueryRunner();
    try {
      await offer(0, 'BTC', 'SBERRUB', '100');
      const a = await alerts.create(alert({ condition: { kind: 'above', value: '101' } }), 100);
      // The first evaluator reads 150 and fires, but its write waits (the alert's row held elsewhere).
      await blocker.startTransaction();
      await blocker.query(`SELECT 1 FROM alerts WHERE id = $1 FOR UPDATE`, [a!.id]);
      await offer(0, 'BTC', 'SBERRUB', '150');
      const firing = first.evaluate([['BTC', 'SBERRUB']]);
      const waitingOn = async (type: string) =>
        (
          await dataSource.query<Array<{ n: number }>>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = $1`,
            [type],
          )
        )[0]!.n > 0;
      await waitFor('the first evaluation’s write waiting', () => waitingOn('transactionid'));
      // Meanwhile the market falls back to 100 and the second evaluator evaluates that change.
      await offer(0, 'BTC', 'SBERRUB', '100');
      let secondDone = false;
      const rearming = second.evaluate([['BTC', 'SBERRUB']]).finally(() => (secondDone = true));
      await waitFor('the second evaluation done or waiting its turn', async () => secondDone || waitingOn('advisory'));
      await blocker.commitTransaction();
      await Promise.all([firing, rearming]);
      expect(await noticesOf(a!.id)).toBe(1);
      // The alert is armed again (the market is at 100), so the next crossing fires.
      await offer(0, 'BTC', 'SBERRUB', '150');
      await alerts.evaluate([['BTC', 'SBERRUB']]);
      expect(await noticesOf(a!.id)).toBe(2);
    } finally {
      if (blocker.isTransactionActive) await blocker.rollbackTransaction();
      await blocker.release();
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('never evaluates a deleted or expired alert, and drops its pending notices', async () => {
    await offer(0, 'BTC', 'SBERRUB', '100');
    const deleted = await alerts.create(alert({ condition: { kind: 'above', value: '110' } }), 100);
    const expired = await alerts.create(alert({ condition: { kind: 'above', value: '110' } }), 100);
    const pending = await alerts.create(alert({ condition: { kind: 'below', value: '90' } }), 100);
    await offer(0, 'BTC', 'SBERRUB', '80');
    await alerts.evaluate([['BTC', 'SBERRUB']]);
    expect(await noticesOf(pending!.id)).toBe(1);
    await alerts.delete(deleted!.id);
    await alerts.delete(pending!.id);
    await dataSource.query(`UPDATE alerts SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired!.id]);
    await offer(0, 'BTC', 'SBERRUB', '120');
    expect(await alerts.evaluate([['BTC', 'SBERRUB']])).toMatchObject({ candidates: 0, deliveryIds: [] });
    expect(await alerts.expire()).toBe(1);
    expect(await alerts.findById(deleted!.id)).toBeNull();
    expect((await alerts.findById(expired!.id))?.status).toBe('expired');
    expect(await deliveries.counts()).toMatchObject({ pending: 0, dropped: 1 });
  });

  it('forgets the signing secret of an alert deleted, expired or disabled, and deletes what is long inactive', async () => {
    await offer(0, 'BTC', 'SBERRUB', '100');
    const make = () => alerts.create(alert({ condition: { kind: 'moves', value: '10' } }), 100);
    const [deleted, expired, disabled, active] = await Promise.all([make(), make(), make(), make()]);
    await alerts.delete(deleted!.id);
    await dataSource.query(`UPDATE alerts SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired!.id]);
    expect(await alerts.expire()).toBe(1);
    await offer(0, 'BTC', 'SBERRUB', '120');
    const { deliveryIds } = await alerts.evaluate([['BTC', 'SBERRUB']]);
    expect(deliveryIds).toHaveLength(2);
    const [notice] = await dataSource.query<Array<{ id: string }>>(
      `SELECT id::text AS id FROM alert_deliveries WHERE alert_id = $1`,
      [disabled!.id],
    );
    expect(
      (await deliveries.record(notice!.id, { kind: 'failed', error: 'HTTP 500', httpStatus: 500 }, 1)).disabled,
    ).toBe(true);
    const secrets = async () =>
      Object.fromEntries(
        (await dataSource.query<Array<{ id: string; secret: string | null }>>(`SELECT id, secret FROM alerts`)).map(
          (r) => [r.id, r.secret],
        ),
      );
    expect(await secrets()).toEqual({
      [deleted!.id]: null,
      [expired!.id]: null,
      [disabled!.id]: null,
      [active!.id]: 's',
    });

    // A month later: the inactive alerts go (their notices with them), notices finished a week ago go.
    await dataSource.query(`UPDATE alerts SET updated_at = now() - interval '31 days' WHERE status <> 'active'`);
    await dataSource.query(
      `UPDATE alert_deliveries SET status = 'delivered', finished_at = now() - interval '8 days' WHERE alert_id = $1`,
      [active!.id],
    );
    const pending = await deliveries.queueOperatorNotice('feed.failing', 'https://ops.example/hook', '{}');
    expect(await alerts.purgeInactive(30)).toBe(3);
    expect(await deliveries.purgeFinished(7)).toBe(1);
    expect(Object.keys(await secrets())).toEqual([active!.id]);
    const left = await dataSource.query<Array<{ id: string }>>(`SELECT id::text AS id FROM alert_deliveries`);
    expect(left).toEqual([{ id: pending }]);
    // Nothing recent is touched.
    expect([await alerts.purgeInactive(30), await deliveries.purgeFinished(7)]).toEqual([0, 0]);
  });

  it('evaluates every direction that has alerts after a change that may touch any', async () => {
    await offer(0, 'BTC', 'SBERRUB', '100');
    await offer(0, 'ETH', 'SBERRUB', '100');
    const btc = await alerts.create(alert({ condition: { kind: 'below', value: '90' } }), 100);
    const eth = await alerts.create(alert({ from: 'ETH', condition: { kind: 'below', value: '90' } }), 100);
    await dataSource.query(`UPDATE offers SET rate = 80, amount_out = 80`);
    expect((await alerts.evaluateAll()).deliveryIds).toHaveLength(2);
    expect([await noticesOf(btc!.id), await noticesOf(eth!.id)]).toEqual([1, 1]);
  });

  it('holds the per-creator limit under parallel requests', async () => {
    const made = await Promise.all(
      Array.from({ length: 10 }, () =>
        alerts.create(alert({ creator: 'busy', condition: { kind: 'above', value: '1' } }), 3),
      ),
    );
    expect(made.filter(Boolean)).toHaveLength(3);
    expect(
      await alerts.create(alert({ creator: 'other', condition: { kind: 'above', value: '1' } }), 3),
    ).not.toBeNull();
  });

  it('disables an alert after its undelivered notices in a row, and a delivery starts the count again', async () => {
    await offer(0, 'BTC', 'SBERRUB', '100');
    const a = await alerts.create(alert({ condition: { kind: 'moves', value: '10' } }), 100);
    const fire = async (rate: string) => {
      await offer(0, 'BTC', 'SBERRUB', rate);
      return (await alerts.evaluate([['BTC', 'SBERRUB']])).deliveryIds[0]!;
    };
    await deliveries.record(await fire('120'), { kind: 'failed', error: 'HTTP 500', httpStatus: 500 }, 2);
    await deliveries.record(await fire('150'), { kind: 'delivered', httpStatus: 200 }, 2);
    await deliveries.record(await fire('200'), { kind: 'failed', error: 'HTTP 500', httpStatus: 500 }, 2);
    expect((await alerts.findById(a!.id))?.status).toBe('active');
    const last = await deliveries.record(await fire('300'), { kind: 'failed', error: 'timeout', httpStatus: null }, 2);
    expect(last.disabled).toBe(true);
    expect(await alerts.findById(a!.id)).toMatchObject({ status: 'disabled', consecutiveFailures: 2 });
    await offer(0, 'BTC', 'SBERRUB', '600');
    expect((await alerts.evaluate([['BTC', 'SBERRUB']])).candidates).toBe(0);
  });
});
