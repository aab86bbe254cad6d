import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { AlertDeliveriesRepository, AlertsRepository, OperatorAlertsRepository } from '@app/database';
import { verifyWebhookSignature } from '@app/domain';
import { createExchangerWithFeed } from '../../../test/support/ingestion';
import { waitFor } from '../../../test/support/processes';
import { migratedDatabase, TestDatabase } from '../../../test/support/services';
import { AlertDeliverer } from './alert-deliverer.service';
import { InProcessAlertDeliveryQueue } from './alert-delivery-queue';
import { AlertsMetrics } from './alerts.metrics';
import { OperatorAlerts } from './operator-alerts.service';
import { WebhookPoster } from './webhook-poster';

const SECRET = 'operator-secret-0123456789abcdefghijklmnop';

/** Operators' alerts on the real Postgres, delivered in-process to a local receiver and verified as a receiver would. */
describe('OperatorAlerts', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let operator: OperatorAlerts;
  let queue: InProcessAlertDeliveryQueue;
  let poster: WebhookPoster;
  let server: Server;
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  let feedId: number;
  let exchangerId: number;

  /** Runs the check, sends what it queued, and answers the events received by that run. */
  const check = async (): Promise<Array<Record<string, unknown>>> => {
    const before = received.length;
    const { operatorNotices } = await operator.run();
    await waitFor('the operators’ notices', () => {
      queue.wake();
      return received.length >= before + operatorNotices;
    });
    return received.slice(before).map((r) => JSON.parse(r.body) as Record<string, unknown>);
  };

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(4));
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const config = loadConfig({
      FETCH_ALLOW_PRIVATE: 'true',
      OPERATOR_ALERT_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ops`,
      OPERATOR_ALERT_SECRET: SECRET,
      OPERATOR_ALERT_FEED_FAILING_MINUTES: '10',
    });
    const alerts = new AlertsRepository(dataSource);
    const deliveries = new AlertDeliveriesRepository(dataSource);
    const metrics = new AlertsMetrics(new Registry(), alerts);
    poster = new WebhookPoster(true);
    queue = new InProcessAlertDeliveryQueue(deliveries, new AlertDeliverer(deliveries, poster, metrics, config));
    operator = new OperatorAlerts(new OperatorAlertsRepository(dataSource), alerts, deliveries, queue, metrics, config);
    ({ feedId, exchangerId } = await createExchangerWithFeed(dataSource, 'wobbly', 'https://wobbly.example/rates.xml'));
    await dataSource.query(`UPDATE feeds SET last_success_at = now() WHERE id = $1`, [feedId]);
  });

  afterAll(async () => {
    await queue?.onApplicationShutdown();
    await poster?.close();
    server?.closeAllConnections();
    server?.close();
    await dataSource?.destroy();
    await db?.drop();
  });

  it('says nothing while all is well (the first run only marks where quarantines start)', async () => {
    expect(await check()).toEqual([]);
  });

  it('tells once that a feed fails for the configured minutes, and once that it recovered, signed', async () => {
    const fail = (minutes: number) =>
      dataSource.query(
        `UPDATE feeds SET consecutive_failures = 3, last_status = 'error',
                last_error = '{"code":"http_error","message":"HTTP 502"}', last_success_at = now() - make_interval(mins => $2)
         WHERE id = $1`,
        [feedId, minutes],
      );
    await fail(5);
    expect(await check()).toEqual([]);
    await fail(11);
    const [failing, ...more] = await check();
    expect(more).toEqual([]);
    expect(failing).toMatchObject({
      event: 'feed.failing',
      feed: { id: feedId, exchanger: 'wobbly', error: { code: 'http_error', message: 'HTTP 502' } },
    });
    const last = received[received.length - 1]!;
    expect(last.headers['x-ratewatch-event']).toBe('feed.failing');
    const signed = {
      signature: String(last.headers['x-ratewatch-signature']),
      timestamp: String(last.headers['x-ratewatch-timestamp']),
    };
    expect(verifyWebhookSignature(SECRET, signed, last.body, new Date())).toBe(true);
    await fail(20);
    expect(await check()).toEqual([]);

    await dataSource.query(
      `UPDATE feeds SET consecutive_failures = 0, last_status = 'ok', last_error = NULL, last_success_at = now() WHERE id = $1`,
      [feedId],
    );
    expect(await check()).toMatchObject([{ event: 'feed.recovered', feed: { id: feedId, exchanger: 'wobbly' } }]);
    expect(await check()).toEqual([]);
  });

  it('tells of offers newly held back by the rate guard, once', async () => {
    await dataSource.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate, quarantine)
       VALUES ($1, $2, 'BTC', 'SBERRUB', 1, 9000000, 9000000, jsonb_build_object('reason', 'band', 'since', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))`,
      [feedId, exchangerId],
    );
    expect(await check()).toMatchObject([
      {
        event: 'quarantine.new',
        held: 1,
        offers: [{ exchanger: 'wobbly', from: 'BTC', to: 'SBERRUB', reason: 'band' }],
      },
    ]);
    expect(await check()).toEqual([]);
  });

  it('tells that a partner sync fails, and that it works again', async () => {
    await dataSource.query(
      `INSERT INTO partner_accounts (exchanger_id, api_url, api_key_encrypted, last_sync_at, last_error)
       VALUES ($1, 'https://wobbly.example/api', 'sealed', now(), '{"code":"http_error","message":"HTTP 401"}')`,
      [exchangerId],
    );
    expect(await check()).toMatchObject([{ event: 'partner.failing', partner: { exchanger: 'wobbly' } }]);
    expect(await check()).toEqual([]);
    await dataSource.query(
      `UPDATE partner_accounts SET last_success_at = now(), last_error = NULL WHERE exchanger_id = $1`,
      [exchangerId],
    );
    expect(await check()).toMatchObject([{ event: 'partner.recovered', partner: { exchanger: 'wobbly' } }]);
  });
});
