import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { AlertDeliveriesRepository } from './alert-deliveries.repository';

const LEASE_MS = 60_000;

/** Notices on the real Postgres: who may send one, and when it counts as lost. */
describe('AlertDeliveriesRepository', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let deliveries: AlertDeliveriesRepository;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(4));
    deliveries = new AlertDeliveriesRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const notice = () => deliveries.queueOperatorNotice('feed.failing', 'https://ops.example/hook', '{}');

  it('hands a job’s notice to one of two copies of the job running at once, never to both', async () => {
    const id = await notice();
    const [a, b] = await Promise.all([
      deliveries.forAttemptMany([id], LEASE_MS),
      deliveries.forAttemptMany([id], LEASE_MS),
    ]);
    expect([...a, ...b].map((n) => n.id)).toEqual([id]);
    // Still in the first one's hands: a copy of the job re-queued later takes nothing either.
    expect(await deliveries.forAttemptMany([id], LEASE_MS)).toEqual([]);
  });

  it('does not send a notice again while it waits out its back-off, then does once it is due', async () => {
    const id = await notice();
    expect(await deliveries.forAttemptMany([id], LEASE_MS)).toHaveLength(1);
    await deliveries.record(id, { kind: 'retry', error: 'HTTP 503', httpStatus: 503, delayMs: 60_000 }, 10);
    expect(await deliveries.forAttemptMany([id], LEASE_MS)).toEqual([]);
    await dataSource.query(`UPDATE alert_deliveries SET next_attempt_at = now() WHERE id = $1`, [id]);
    expect(await deliveries.forAttemptMany([id], LEASE_MS)).toMatchObject([{ id, attempts: 1 }]);
  });

  it('re-queues a notice only when its attempt is long overdue, not for being old, and once per period', async () => {
    await dataSource.query(`UPDATE alert_deliveries SET status = 'dropped', finished_at = now()`);
    // Old and waiting out a long back-off (many attempts, or a backlog): not lost.
    const waiting = await notice();
    await dataSource.query(
      `UPDATE alert_deliveries SET created_at = now() - interval '1 hour', next_attempt_at = now() + interval '5 minutes'
       WHERE id = $1`,
      [waiting],
    );
    // Leased by a job sending it right now: not lost either.
    const held = await notice();
    await dataSource.query(`UPDATE alert_deliveries SET created_at = now() - interval '1 hour' WHERE id = $1`, [held]);
    expect(await deliveries.forAttemptMany([held], LEASE_MS)).toHaveLength(1);
    // Its job lost: due 20 minutes ago and still pending.
    const lost = await notice();
    await dataSource.query(
      `UPDATE alert_deliveries SET next_attempt_at = now() - interval '20 minutes' WHERE id = $1`,
      [lost],
    );
    expect(await deliveries.takeOverdue(10 * 60_000, 100)).toEqual([lost]);
    // The next pass, a minute later, does not queue it again.
    expect(await deliveries.takeOverdue(10 * 60_000, 100)).toEqual([]);
    // The re-queued job takes it.
    expect(await deliveries.forAttemptMany([lost], LEASE_MS)).toMatchObject([{ id: lost }]);
  });
});
