import { createHmac, randomBytes } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEvaluator, InProcessAlertDeliveryQueue, WebhookPostError, WebhookPoster } from '@app/alerts';
import { HousekeepingService } from '@app/background';
import { loadConfig } from '@app/config';
import { verifyWebhookSignature } from '@app/domain';
import { FeedPollService } from '@app/ingestion';
import { Queue } from 'bullmq';
import { bullConnection, JOBS, QUEUES } from '@app/queue';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { runCli } from '../../apps/cli/src/cli';
import { RunningWorker, startWorker } from '../../apps/worker/src/bootstrap';
import { FeedServer } from '../support/feed-server';
import { feedPublisher } from '../support/ingestion';
import { http, HttpAnswer } from '../support/http';
import { waitFor } from '../support/processes';
import { createTestDatabase, TEST_REDIS_URL, TestDatabase } from '../support/services';

interface Notice {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
interface Created {
  id: string;
  token: string;
  secret: string;
  status: string;
}

/** A webhook receiver on 127.0.0.1: keeps every request, answers what a path is told to (200 by default). */
class Receiver {
  readonly notices: Notice[] = [];
  /** Statuses to answer, per path, in turn (the last one stays). */
  readonly answers = new Map<string, number[]>();
  private server: Server | null = null;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.notices.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const queue = this.answers.get(path) ?? [200];
        const status = queue.length > 1 ? queue.shift()! : queue[0]!;
        if (status === 302) res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        else res.writeHead(status);
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  at(path: string): Notice[] {
    return this.notices.filter((n) => n.path === path);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

const ADMIN_KEY = 'alerts-e2e-admin-key-0123456789abcdefghijkl';
const rates = (...items: string[]) => `<rates>${items.join('')}</rates>`;
const item = (from: string, to: string, out: string, reserve = '1000000000') =>
  `<item><from>${from}</from><to>${to}</to><in>1</in><out>${out}</out><amount>${reserve}</amount></item>`;

/** Visitors' alerts end to end (DESIGN.md §12), in standalone mode: polls → evaluation → signed webhook. */
describe('alerts over HTTP', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let client: Client;
  const feeds = new FeedServer();
  const receiver = new Receiver();

  const call = <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    http<T>(`${api.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  /** Creates an alert from `creator` (X-Forwarded-For: the api trusts loopback proxies here). */
  const create = (body: Record<string, unknown>, creator = '198.51.100.1') =>
    call<Created & { message?: string }>('POST', '/v1/alerts', body, { 'x-forwarded-for': creator });
  /** The feed `slug` now answers `body`, and is polled: the write path, which evaluates the alerts it changes. */
  const polled = feedPublisher(feeds, () => ({ database: client, poller: api.app.get(FeedPollService) }));
  const publish = async (slug: string, body: string) => {
    expect((await polled(slug, body)).status).toBe('ok');
    await api.app.get(AlertEvaluator).idle();
  };

  /** Every notice of `alertId` is settled (delivered, failed or dropped): nothing more will be sent for now. */
  const settled = async (alertId: string) => {
    await api.app.get(AlertEvaluator).idle();
    await waitFor(`the notices of ${alertId} to settle`, async () => {
      api.app.get(InProcessAlertDeliveryQueue).wake();
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM alert_deliveries WHERE alert_id = $1 AND status = 'pending'`,
        [alertId],
      );
      return rows[0]!.n === 0;
    });
  };
  const deliveriesOf = async (alertId: string) =>
    (
      await client.query<{ status: string; attempts: number; last_error: string | null }>(
        `SELECT status, attempts, last_error FROM alert_deliveries WHERE alert_id = $1 ORDER BY id`,
        [alertId],
      )
    ).rows;

  const standaloneConfig = () =>
    loadConfig({
      DATABASE_URL: db.url,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      FETCH_ALLOW_PRIVATE: 'true',
      PUBLIC_CACHE_SECONDS: '0',
      PUBLIC_RATE_LIMIT: '0',
      TRUST_PROXY: 'loopback',
      ALERTS_MAX_PER_CREATOR: '3',
      ALERT_DELIVERY_ATTEMPTS: '2',
      ALERT_DISABLE_AFTER_FAILURES: '1',
      ADMIN_API_KEY: ADMIN_KEY,
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start();
    await receiver.start();
    api = await startApi(standaloneConfig());
    client = new Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await api?.close();
    await receiver.stop();
    await feeds.stop();
    await db?.drop();
  });

  it('never accepts or sends to a private address when FETCH_ALLOW_PRIVATE is off', async () => {
    const strict = await startApi(
      loadConfig({ DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', PUBLIC_RATE_LIMIT: '0' }),
    );
    try {
      for (const webhookUrl of [
        `${receiver.base}/strict`,
        `http://localhost:${new URL(receiver.base).port}/strict`,
        'http://[::1]/hook',
        'http://169.254.169.254/latest/meta-data/',
        'http://10.1.2.3/hook',
      ]) {
        const answer = await http<{ message: string }>(`${strict.url}/v1/alerts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ from: 'BTC', to: 'SBERRUB', condition: { kind: 'above', value: '1' }, webhookUrl }),
        });
        expect(answer.status, webhookUrl).toBe(400);
        expect(answer.body.message, webhookUrl).toMatch(/private or internal address/);
        // Never what a name resolves to: a creator must not map internal addresses.
        expect(answer.body.message, webhookUrl).not.toMatch(/127\.0\.0\.1|::1|10\.1\.2\.3|169\.254/);
      }
    } finally {
      await strict.close();
    }
    // At delivery: a name that resolves to loopback (DNS may change after creation) is refused at connect time.
    const poster = new WebhookPoster(false);
    try {
      const port = new URL(receiver.base).port;
      await expect(poster.post(`http://localhost:${port}/strict`, '{}', {})).rejects.toThrow(
        /private or internal address/,
      );
      await expect(poster.post(`http://127.0.0.1:${port}/strict`, '{}', {})).rejects.toThrow(WebhookPostError);
    } finally {
      await poster.close();
    }
    // A redirect is never followed (it could lead anywhere, a private address included).
    const lenient = new WebhookPoster(true);
    try {
      receiver.answers.set('/redirect', [302]);
      await expect(lenient.post(`${receiver.base}/redirect`, '{}', {})).rejects.toThrow(/HTTP 302/);
    } finally {
      await lenient.close();
    }
    expect(receiver.at('/strict')).toEqual([]);
  });

  it('fires once per crossing, signed with the alert’s secret', async () => {
    await publish('aurora', rates(item('BTC', 'SBERRUB', '6000000')));
    const created = await create({
      from: 'btc',
      to: 'sberrub',
      condition: { kind: 'above', value: '7000000' },
      webhookUrl: `${receiver.base}/crossings`,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ from: 'BTC', to: 'SBERRUB', city: null, status: 'active' });
    expect(created.body.token).toMatch(/^rwa_/);
    expect(created.body.secret).toMatch(/^rws_/);
    const { id, secret } = created.body;

    // Several snapshots above the value: one notice.
    await publish('aurora', rates(item('BTC', 'SBERRUB', '7100000')));
    await publish('aurora', rates(item('BTC', 'SBERRUB', '7200000')));
    await publish('aurora', rates(item('BTC', 'SBERRUB', '7000000')));
    await settled(id);
    expect(receiver.at('/crossings')).toHaveLength(1);

    // Back below (no notice), then above again: a second one.
    await publish('aurora', rates(item('BTC', 'SBERRUB', '6999999.99')));
    await settled(id);
    expect(receiver.at('/crossings')).toHaveLength(1);
    await publish('aurora', rates(item('BTC', 'SBERRUB', '7500000')));
    await settled(id);
    const notices = receiver.at('/crossings');
    expect(notices).toHaveLength(2);

    for (const notice of notices) {
      expect(notice.headers['content-type']).toBe('application/json');
      expect(notice.headers['x-ratewatch-event']).toBe('alert.fired');
      expect(notice.headers['x-ratewatch-delivery']).toMatch(/^\d+$/);
      const signature = String(notice.headers['x-ratewatch-signature']);
      const t = String(notice.headers['x-ratewatch-timestamp']);
      const [, hex] = /^sha256=([0-9a-f]{64})$/.exec(signature)!;
      // What a receiver computes: HMAC-SHA256 of "<t>.<body>" keyed with the secret.
      expect(createHmac('sha256', secret).update(`${t}.${notice.body}`).digest('hex')).toBe(hex);
      expect(verifyWebhookSignature(secret, { signature, timestamp: t }, notice.body, new Date())).toBe(true);
      expect(verifyWebhookSignature('rws_not-the-secret', { signature, timestamp: t }, notice.body, new Date())).toBe(
        false,
      );
    }
    expect(JSON.parse(notices[1]!.body)).toMatchObject({
      event: 'alert.fired',
      alert: { id, from: 'BTC', to: 'SBERRUB', city: null, kind: 'above', value: '7000000' },
      best: '7500000',
    });
    const read = await call<{ notices: number; status: string }>('GET', `/v1/alerts/${id}`, undefined, {
      authorization: `Bearer ${created.body.token}`,
    });
    expect(read.body).toMatchObject({ notices: 2, status: 'active' });
  });

  it('retries a notice the receiver answered 500, and disables an alert whose notices never arrive', async () => {
    await publish('borealis', rates(item('ETH', 'SBERRUB', '200000')));
    receiver.answers.set('/flaky', [500, 200]);
    const flaky = await create({
      from: 'ETH',
      to: 'SBERRUB',
      condition: { kind: 'below', value: '190000' },
      webhookUrl: `${receiver.base}/flaky`,
    });
    receiver.answers.set('/down', [503]);
    const down = await create({
      from: 'ETH',
      to: 'SBERRUB',
      condition: { kind: 'moves', value: '5' },
      webhookUrl: `${receiver.base}/down`,
    });
    expect([flaky.status, down.status]).toEqual([201, 201]);

    await publish('borealis', rates(item('ETH', 'SBERRUB', '180000')));
    await settled(flaky.body.id);
    await settled(down.body.id);
    const tries = receiver.at('/flaky');
    expect(tries).toHaveLength(2);
    expect(tries[1]!.headers['x-ratewatch-delivery']).toBe(tries[0]!.headers['x-ratewatch-delivery']);
    expect(await deliveriesOf(flaky.body.id)).toEqual([{ status: 'delivered', attempts: 2, last_error: null }]);

    expect(receiver.at('/down')).toHaveLength(2);
    expect(await deliveriesOf(down.body.id)).toEqual([{ status: 'failed', attempts: 2, last_error: 'HTTP 503' }]);
    const disabled = await call<{ status: string; disabledReason: string }>(
      'GET',
      `/v1/alerts/${down.body.id}`,
      undefined,
      {
        'x-alert-token': down.body.token,
      },
    );
    expect(disabled.body.status).toBe('disabled');
    expect(disabled.body.disabledReason).toMatch(/not delivered/);

    // The operator sees it (admin key only), by the webhook's host.
    expect((await call('GET', '/v1/admin/alert-deliveries')).status).toBe(401);
    const admin = await call<{
      counts: { failed: number };
      failedLastDay: number;
      items: Array<Record<string, unknown>>;
    }>('GET', '/v1/admin/alert-deliveries?limit=5', undefined, { authorization: `Bearer ${ADMIN_KEY}` });
    expect(admin.status).toBe(200);
    expect(admin.body.failedLastDay).toBeGreaterThanOrEqual(1);
    expect(admin.body.items).toContainEqual(
      expect.objectContaining({
        alertId: down.body.id,
        status: 'failed',
        attempts: 2,
        lastError: 'HTTP 503',
        lastHttpStatus: 503,
      }),
    );
    expect(admin.body.items).toContainEqual(expect.objectContaining({ alertId: flaky.body.id, status: 'delivered' }));
    expect(JSON.stringify(admin.body)).not.toContain('/down');
    expect(
      (await call('GET', '/v1/admin/alert-deliveries?limit=0', undefined, { authorization: `Bearer ${ADMIN_KEY}` }))
        .status,
    ).toBe(400);
  });

  it('stops after DELETE, pending notices included', async () => {
    await publish('cygnus', rates(item('BTC', 'USDTTRC20', '90000')));
    receiver.answers.set('/deleted', [500]);
    const alert = await create({
      from: 'BTC',
      to: 'USDTTRC20',
      condition: { kind: 'above', value: '95000' },
      webhookUrl: `${receiver.base}/deleted`,
    });
    const auth = { authorization: `Bearer ${alert.body.token}` };
    await publish('cygnus', rates(item('BTC', 'USDTTRC20', '96000')));
    await waitFor('the first attempt', () => receiver.at('/deleted').length === 1);
    expect((await call('DELETE', `/v1/alerts/${alert.body.id}`, undefined, auth)).status).toBe(204);
    await settled(alert.body.id);
    expect(await deliveriesOf(alert.body.id)).toEqual([
      { status: 'dropped', attempts: 1, last_error: 'the alert was deleted' },
    ]);
    // Crossings after the delete are not evaluated at all.
    await publish('cygnus', rates(item('BTC', 'USDTTRC20', '80000')));
    await publish('cygnus', rates(item('BTC', 'USDTTRC20', '99000')));
    await settled(alert.body.id);
    expect(receiver.at('/deleted')).toHaveLength(1);
    expect((await call('GET', `/v1/alerts/${alert.body.id}`, undefined, auth)).status).toBe(404);
  });

  it('needs the alert’s token: 401 without, 404 with a wrong one', async () => {
    const alert = await create({
      from: 'BTC',
      to: 'SBERRUB',
      condition: { kind: 'reserve', value: '5000000000' },
      webhookUrl: `${receiver.base}/token`,
    });
    const path = `/v1/alerts/${alert.body.id}`;
    expect((await call('GET', path)).status).toBe(401);
    expect((await call('DELETE', path)).status).toBe(401);
    expect((await call('GET', path, undefined, { authorization: 'Bearer rwa_wrong' })).status).toBe(404);
    expect((await call('DELETE', path, undefined, { 'x-alert-token': 'rwa_wrong' })).status).toBe(404);
    expect((await call('GET', '/v1/alerts/not-a-uuid', undefined, { 'x-alert-token': alert.body.token })).status).toBe(
      404,
    );
    const read = await call<Record<string, unknown>>('GET', path, undefined, { 'x-alert-token': alert.body.token });
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('token');
    expect(read.body).not.toHaveProperty('secret');
    const { rows } = await client.query<{ token_hash: string }>(`SELECT token_hash FROM alerts WHERE id = $1`, [
      alert.body.id,
    ]);
    expect(rows[0]!.token_hash).not.toContain(alert.body.token);
  });

  it('limits the active alerts of one address (an IPv6 /64 counting as one), 429 past it', async () => {
    const body = (n: number) => ({
      from: 'BTC',
      to: 'SBERRUB',
      condition: { kind: 'above', value: String(8_000_000 + n) },
      webhookUrl: `${receiver.base}/limit`,
    });
    const made: HttpAnswer<Created>[] = [];
    for (const [n, ip] of ['2001:db8:7:1::1', '2001:db8:7:1::2', '2001:db8:7:1:ffff::9'].entries())
      made.push(await create(body(n), ip));
    expect(made.map((a) => a.status)).toEqual([201, 201, 201]);
    const over = await create(body(9), '2001:db8:7:1::77');
    expect(over.status).toBe(429);
    expect(over.body.message).toMatch(/at most 3 active alerts per address/);
    expect((await create(body(9), '2001:db8:7:2::1')).status).toBe(201);
    await call('DELETE', `/v1/alerts/${made[0]!.body.id}`, undefined, { 'x-alert-token': made[0]!.body.token });
    expect((await create(body(10), '2001:db8:7:1::1')).status).toBe(201);
  });

  it('keeps a pending notice across a restart (standalone: Postgres holds the retry schedule)', async () => {
    await publish('draco', rates(item('ETH', 'USDTTRC20', '3000')));
    receiver.answers.set('/restart', [500, 200]);
    const alert = await create(
      {
        from: 'ETH',
        to: 'USDTTRC20',
        condition: { kind: 'above', value: '3100' },
        webhookUrl: `${receiver.base}/restart`,
      },
      '192.0.2.77',
    );
    await publish('draco', rates(item('ETH', 'USDTTRC20', '3200')));
    await waitFor('the first attempt', () => receiver.at('/restart').length === 1);
    await waitFor('the retry scheduled', async () => (await deliveriesOf(alert.body.id))[0]?.attempts === 1);
    await api.close();
    api = await startApi(standaloneConfig());
    await settled(alert.body.id);
    expect(receiver.at('/restart')).toHaveLength(2);
    expect(await deliveriesOf(alert.body.id)).toEqual([{ status: 'delivered', attempts: 2, last_error: null }]);
  });

  it('says what to fix in a bad request, and 404s an unknown currency', async () => {
    const base = {
      from: 'BTC',
      to: 'SBERRUB',
      condition: { kind: 'above', value: '1' },
      webhookUrl: `${receiver.base}/x`,
    };
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ ...base, condition: { kind: 'sideways', value: '1' } }, 400, /condition.kind must be one of/],
      [{ ...base, condition: { kind: 'above', value: 7000000.5 } }, 400, /positive decimal string/],
      [{ ...base, condition: { kind: 'above', value: '1e6' } }, 400, /positive decimal string/],
      [{ ...base, condition: { kind: 'moves', value: '5000' } }, 400, /at most 1000/],
      [{ ...base, condition: undefined }, 400, /condition is required/],
      [{ ...base, webhookUrl: 'ftp://example.com/x' }, 400, /webhookUrl must be an http\(s\) URL/],
      [{ ...base, expiresAt: '2001-01-01T00:00:00Z' }, 400, /expiresAt must be in the future/],
      [{ ...base, expiresAt: '2099-01-01T00:00:00Z' }, 400, /at most 365 days/],
      [{ ...base, extra: 1 }, 400, /extra/],
      [{ ...base, to: 'BTC' }, 400, /from and to must differ/],
      [{ ...base, to: 'NOSUCHCOIN' }, 404, /NOSUCHCOIN/],
    ];
    for (const [body, status, message] of cases) {
      const answer = await create(body, '192.0.2.200');
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body.message, JSON.stringify(body)).toMatch(message);
    }
    const big = await create({ ...base, webhookUrl: `${receiver.base}/${'x'.repeat(5000)}` }, '192.0.2.200');
    expect(big.status).toBe(413);
  });
});

/** Fleet mode: the worker that polls evaluates its change and sends the notice through BullMQ on the real Redis. */
describe('alerts in fleet mode', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let worker: RunningWorker;
  let client: Client;
  let polls: Queue;
  const feeds = new FeedServer();
  const receiver = new Receiver();
  const prefix = `rwtest-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start();
    await receiver.start();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      FETCH_ALLOW_PRIVATE: 'true',
      SECRET_KEY: 'f'.repeat(40),
      PORT: '0',
      WORKER_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      PUBLIC_RATE_LIMIT: '0',
      ALERT_DELIVERY_ATTEMPTS: '3',
    };
    expect(await runCli(['db:migrate'], env, { out: () => undefined, err: () => undefined })).toBe(0);
    const config = loadConfig(env);
    api = await startApi(config);
    worker = await startWorker(config);
    client = new Client({ connectionString: db.url });
    await client.connect();
    polls = new Queue(QUEUES.feedPoll, { connection: bullConnection(TEST_REDIS_URL, 'test'), prefix });
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await polls?.obliterate({ force: true }).catch(() => undefined);
    await polls?.close();
    const deliveries = new Queue(QUEUES.alertDelivery, { connection: bullConnection(TEST_REDIS_URL, 'test'), prefix });
    await deliveries.obliterate({ force: true }).catch(() => undefined);
    await deliveries.close();
    await client?.end();
    await receiver.stop();
    await feeds.stop();
    await db?.drop();
  });

  it('evaluates in the worker that wrote the change and delivers through the alert-delivery queue, retrying a 500', async () => {
    feeds.serve('/fleet.xml', { body: rates(item('BTC', 'SBERRUB', '6000000')) });
    const { rows } = await client.query<{ id: number }>(
      `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('fleet', 'Fleet', 'https://fleet.example', 'https://fleet.example/?rid=1') RETURNING id)
       INSERT INTO feeds (exchanger_id, url, interval_s, stale_after_s) SELECT id, $1, 30, 3600 FROM e RETURNING id`,
      [feeds.url('/fleet.xml')],
    );
    const feedId = rows[0]!.id;
    const poll = async () => {
      const job = await polls.add(JOBS.pollFeed, { feedId, trigger: 'manual' });
      await waitFor('the poll', async () => (await polls.getJob(job.id!))?.finishedOn !== undefined);
    };
    await poll();
    const created = await http<Created>(`${api.url}/v1/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        from: 'BTC',
        to: 'SBERRUB',
        condition: { kind: 'above', value: '7000000' },
        webhookUrl: `${receiver.base}/fleet`,
      }),
    });
    expect(created.status).toBe(201);
    receiver.answers.set('/fleet', [500, 200]);

    feeds.serve('/fleet.xml', { body: rates(item('BTC', 'SBERRUB', '7100000')) });
    await poll();
    const delivered = await waitFor('the notice delivered', async () => {
      const { rows: found } = await client.query<{ status: string; attempts: number }>(
        `SELECT status, attempts FROM alert_deliveries WHERE alert_id = $1 AND status <> 'pending'`,
        [created.body.id],
      );
      return found[0];
    });
    expect(delivered).toEqual({ status: 'delivered', attempts: 2 });
    const notices = receiver.at('/fleet');
    expect(notices).toHaveLength(2);
    expect(
      verifyWebhookSignature(
        created.body.secret,
        {
          signature: String(notices[1]!.headers['x-ratewatch-signature']),
          timestamp: String(notices[1]!.headers['x-ratewatch-timestamp']),
        },
        notices[1]!.body,
        new Date(),
      ),
    ).toBe(true);

    // Still above: no second notice (the api never evaluates the worker's change: it hears it through Redis only).
    feeds.serve('/fleet.xml', { body: rates(item('BTC', 'SBERRUB', '7200000')) });
    await poll();
    // Its evaluation is done once the worker counted a second quiet one (the first poll's, before the alert, was one).
    const metrics = await waitFor('the third evaluation', async () => {
      const scrape = await http(`${worker.url}/metrics`);
      return /ratewatch_alert_evaluations_total\{outcome="quiet",app="worker"\} 2/.test(scrape.text) && scrape;
    });
    expect(metrics.text).toMatch(/ratewatch_alert_notices_total\{source="visitor",app="worker"\} 1/);
    expect(metrics.text).toMatch(/ratewatch_alert_delivery_attempts_total\{outcome="retry",app="worker"\} 1/);
    expect(metrics.text).toMatch(/ratewatch_alert_delivery_attempts_total\{outcome="delivered",app="worker"\} 1/);
    const { rows: all } = await client.query(`SELECT id FROM alert_deliveries WHERE alert_id = $1`, [created.body.id]);
    expect(all).toHaveLength(1);

    // A notice the queue lost (its attempt overdue for long, no job): housekeeping hands it to the queue again.
    const { rows: lost } = await client.query<{ id: string }>(
      `INSERT INTO alert_deliveries (alert_id, event, url, body, created_at, next_attempt_at)
       VALUES ($1, 'alert.fired', $2, '{"lost":true}', now() - interval '11 minutes', now() - interval '6 minutes')
       RETURNING id::text AS id`,
      [created.body.id, `${receiver.base}/fleet`],
    );
    expect(await worker.app.get(HousekeepingService).run(JOBS.checkAlerts)).toMatchObject({ requeued: 1 });
    await waitFor('the lost notice delivered', async () => {
      const { rows: found } = await client.query<{ status: string }>(
        `SELECT status FROM alert_deliveries WHERE id = $1`,
        [lost[0]!.id],
      );
      return found[0]?.status === 'delivered';
    });
    expect(receiver.at('/fleet').map((n) => n.body)).toContain('{"lost":true}');
  });
});
