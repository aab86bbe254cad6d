import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { AlertDeliveriesRepository, AlertsRepository, AttemptOutcome } from '@app/database';
import { migratedDatabase, TestDatabase } from '../../../test/support/services';
import { AlertDeliverer, DELIVERY_LEASE_MS } from './alert-deliverer.service';
import { AlertsMetrics } from './alerts.metrics';
import { WebhookPoster } from './webhook-poster';

/** The real repository, whose recording of one notice's outcome fails once (the database gone for a moment). */
class FlakyDeliveries extends AlertDeliveriesRepository {
  failOn: string | null = null;
  onFail: () => void = () => undefined;

  override async record(id: string, outcome: AttemptOutcome, disableAfter: number): Promise<{ disabled: boolean }> {
    if (id === this.failOn) {
      this.failOn = null;
      this.onFail();
      throw new Error('connection terminated');
    }
    return super.record(id, outcome, disableAfter);
  }
}

/** AlertDeliverer against the real Postgres and a local receiver. */
describe('AlertDeliverer', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let deliveries: FlakyDeliveries;
  let deliverer: AlertDeliverer;
  let poster: WebhookPoster;
  let server: Server;
  let base: string;
  let releaseSlow: () => void = () => undefined;
  const posts: string[] = [];
  let slowHere: () => void = () => undefined;
  const slowArrived = new Promise<void>((resolve) => (slowHere = resolve));

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(4));
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        posts.push(req.url ?? '');
        if (req.url === '/ok') return void res.writeHead(200).end();
        const answer = /^\/status\/(\d{3})$/.exec(req.url ?? '');
        if (answer) return void res.writeHead(Number(answer[1]), { location: `${base}/ok` }).end();
        // /down answers once /slow is in hand, so the slow one is still being posted when /down's outcome is recorded.
        if (req.url === '/down') void slowArrived.then(() => res.writeHead(503).end());
        else {
          releaseSlow = () => res.writeHead(200).end();
          slowHere();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = loadConfig({
      FETCH_ALLOW_PRIVATE: 'true',
      OPERATOR_ALERT_SECRET: 'operator-secret-0123456789abcdefghij',
    });
    deliveries = new FlakyDeliveries(dataSource);
    poster = new WebhookPoster(true);
    const metrics = new AlertsMetrics(new Registry(), new AlertsRepository(dataSource));
    deliverer = new AlertDeliverer(deliveries, poster, metrics, config);
  });

  afterAll(async () => {
    await poster?.close();
    server?.closeAllConnections();
    server?.close();
    await dataSource?.destroy();
    await db?.drop();
  });

  it('sends a notice once when two copies of its job run at once (a re-queued copy), and not again after', async () => {
    const id = await deliveries.queueOperatorNotice('feed.failing', `${base}/ok`, '{"n":0}');
    const before = posts.length;
    await Promise.all([deliverer.sendPending([id], 8), deliverer.sendPending([id], 8)]);
    expect(await deliverer.sendPending([id], 8)).toEqual({ retry: 0 });
    expect(posts.slice(before)).toEqual(['/ok']);
  });

  it('has a job come back for a notice still waiting out its back-off instead of completing without it', async () => {
    const id = await deliveries.queueOperatorNotice('feed.failing', `${base}/ok`, '{"n":-1}');
    await dataSource.query(`UPDATE alert_deliveries SET next_attempt_at = now() + interval '1 minute' WHERE id = $1`, [
      id,
    ]);
    const before = posts.length;
    expect(await deliverer.sendPending([id], 8)).toEqual({ retry: 1 });
    expect(posts.length).toBe(before);
    await dataSource.query(`UPDATE alert_deliveries SET next_attempt_at = now() WHERE id = $1`, [id]);
    expect(await deliverer.sendPending([id], 8)).toEqual({ retry: 0 });
    expect(posts.slice(before)).toEqual(['/ok']);
  });

  it('gives up at once on answers that will not change (redirect, 400, 401, 404, 410) and retries the passing ones', async () => {
    const statuses = [302, 400, 401, 404, 410, 408, 425, 429, 500, 503];
    const ids = new Map<number, string>();
    for (const status of statuses)
      ids.set(
        status,
        await deliveries.queueOperatorNotice('feed.failing', `${base}/status/${status}`, `{"s":${status}}`),
      );
    await deliverer.sendPending([...ids.values()], 8);
    const rows = await dataSource.query<Array<{ id: string; status: string; attempts: number; http: number }>>(
      `SELECT id::text AS id, status, attempts, last_http_status AS http FROM alert_deliveries WHERE id = ANY($1::bigint[])`,
      [[...ids.values()]],
    );
    const outcome = Object.fromEntries(rows.map((r) => [r.http, `${r.status}/${r.attempts}`]));
    expect(outcome).toEqual({
      302: 'failed/1',
      400: 'failed/1',
      401: 'failed/1',
      404: 'failed/1',
      410: 'failed/1',
      408: 'pending/1',
      425: 'pending/1',
      429: 'pending/1',
      500: 'pending/1',
      503: 'pending/1',
    });
  });

  it('records a notice delivered while recording another one’s outcome failed, then reports the failure', async () => {
    const down = await deliveries.queueOperatorNotice('feed.failing', `${base}/down`, '{"n":1}');
    const slow = await deliveries.queueOperatorNotice('feed.failing', `${base}/slow`, '{"n":2}');
    // The slow receiver answers only once recording the other notice's outcome has failed.
    deliveries.failOn = down;
    deliveries.onFail = () => releaseSlow();
    const notices = await deliveries.forAttemptMany([down, slow], DELIVERY_LEASE_MS);
    expect(notices).toHaveLength(2);
    await expect(deliverer.sendAll(notices, 2)).rejects.toThrow('connection terminated');
    const rows = await dataSource.query<Array<{ id: string; status: string }>>(
      `SELECT id::text AS id, status FROM alert_deliveries WHERE id = ANY($1::bigint[]) ORDER BY id`,
      [[down, slow]],
    );
    expect(rows).toEqual([
      { id: down, status: 'pending' },
      { id: slow, status: 'delivered' },
    ]);
  });
});
