import { randomBytes } from 'node:crypto';
import { request as httpRequest, IncomingMessage, ClientRequest } from 'node:http';
import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '@app/config';
import { FeedPollService } from '@app/ingestion';
import { SnapshotChanges } from '@app/messaging';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { RatesService } from '../../apps/api/src/public/rates/rates.service';
import { MAX_CHANNELS_PER_DIRECTION, RateStreams } from '../../apps/api/src/public/stream/rate-streams.service';
import { FeedServer } from '../support/feed-server';
import { feedPublisher } from '../support/ingestion';
import { http } from '../support/http';
import { waitFor } from '../support/processes';
import { runCli } from '../../apps/cli/src/cli';
import { RunningWorker, startWorker } from '../../apps/worker/src/bootstrap';
import { createTestDatabase, TEST_REDIS_URL, TestDatabase } from '../support/services';

interface StreamEvent {
  id: string | null;
  event: string;
  data: string;
}
interface Table {
  from: string;
  to: string;
  generatedAt: string;
  items: Array<{ rate: string; exchanger: { slug: string } }>;
}
interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

/** A raw Server-Sent Events reader (no EventSource library): events, comments and the `retry:` hint as they come. */
class StreamReader {
  readonly events: StreamEvent[] = [];
  readonly comments: string[] = [];
  retry: number | null = null;
  ended = false;
  private buffer = '';
  private taken = 0;

  private constructor(
    readonly request: ClientRequest,
    readonly response: IncomingMessage,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.read(chunk));
    response.on('end', () => (this.ended = true));
    response.on('close', () => (this.ended = true));
    response.on('error', () => (this.ended = true));
  }

  /** Opens a stream; an answer other than 200 comes back whole as `refused`. */
  static open(
    url: string,
    headers: Record<string, string> = {},
  ): Promise<
    { stream: StreamReader } | { refused: { status: number; headers: IncomingMessage['headers']; body: string } }
  > {
    return new Promise((resolve, reject) => {
      const request = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
        if (response.statusCode !== 200) {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () =>
            resolve({ refused: { status: response.statusCode!, headers: response.headers, body } }),
          );
          return;
        }
        resolve({ stream: new StreamReader(request, response) });
      });
      request.on('error', reject);
      request.end();
    });
  }

  static async connect(url: string, headers: Record<string, string> = {}): Promise<StreamReader> {
    const opened = await StreamReader.open(url, headers);
    if ('refused' in opened) throw new Error(`stream refused: ${opened.refused.status} ${opened.refused.body}`);
    return opened.stream;
  }

  /** The next event not taken yet (in order), waiting for it. */
  async next(what = 'the next event'): Promise<StreamEvent> {
    const event = await waitFor(what, () => this.events[this.taken], 15_000, 20);
    this.taken++;
    return event;
  }

  /** Events received and not taken yet. */
  pending(): StreamEvent[] {
    return this.events.slice(this.taken);
  }

  close(): void {
    this.request.destroy();
  }

  private read(chunk: string): void {
    this.buffer += chunk;
    for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: StreamEvent = { id: null, event: 'message', data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else if (line.startsWith('retry: ')) this.retry = Number(line.slice(7));
        else if (line.startsWith('id: ')) event.id = line.slice(4);
        else if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) this.events.push({ ...event, data: data.join('\n') });
    }
  }
}

const rates = (...items: string[]) => `<rates>${items.join('')}</rates>`;
const item = (from: string, to: string, out: string) =>
  `<item><from>${from}</from><to>${to}</to><in>1</in><out>${out}</out><amount>100000000</amount></item>`;
/** A table without the time it was made: what two renders of the same offers share. */
const content = (body: string) => {
  const { generatedAt: _made, ...rest } = JSON.parse(body) as Table;
  return rest;
};

/** GET /v1/rates/stream over HTTP, against a standalone api (embedded change events) and a scratch database. */
describe('the live stream of a rate table', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let client: Client;
  const feeds = new FeedServer();
  const open: StreamReader[] = [];
  let stopped = false;

  const connect = async (query: string, headers: Record<string, string> = {}) => {
    const stream = await StreamReader.connect(`${api.url}/v1/rates/stream?${query}`, headers);
    open.push(stream);
    return stream;
  };
  const streams = () => api.app.get(RateStreams).size;
  /** Closes every stream this test opened, and waits until the api has let them all go. */
  const closeAll = async () => {
    for (const stream of open.splice(0)) stream.close();
    await waitFor('the api to let every stream go', () => streams() === 0);
  };
  /** The feed `slug` now answers `body`, and is polled (the write path, change events included). */
  const polled = feedPublisher(feeds, () => ({ database: client, poller: api.app.get(FeedPollService) }));
  const publish = async (slug: string, body: string) => {
    expect(['ok', 'unchanged']).toContain((await polled(slug, body)).status);
  };

  const rateOf = (event: StreamEvent) => (JSON.parse(event.data) as Table).items.map((i) => i.rate);

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start();
    api = await startApi(
      loadConfig({
        DATABASE_URL: db.url,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        FETCH_ALLOW_PRIVATE: 'true',
        PUBLIC_CACHE_SECONDS: '30',
        PUBLIC_RATE_LIMIT: '0',
        STREAM_MAX_PER_IP: '2',
        STREAM_HEARTBEAT_SECONDS: '1',
        SHUTDOWN_DRAIN_SECONDS: '1',
      }),
    );
    client = new Client({ connectionString: db.url });
    await client.connect();
    await publish('aura', rates(item('BTC', 'SBERRUB', '6850000')));
  });

  afterEach(async () => {
    if (!stopped) await closeAll();
  });

  afterAll(async () => {
    for (const stream of open) stream.close();
    await client?.end();
    if (!stopped) await api?.close();
    await feeds.stop();
    await db?.drop();
  });

  it('sends the table GET /v1/rates answers on connect, then each change, never the same table twice', async () => {
    const stream = await connect('from=btc&to=SBERRUB');
    expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.response.headers['cache-control']).toMatch(/no-cache/);
    expect(stream.response.headers['x-accel-buffering']).toBe('no');
    const first = await stream.next('the table on connect');
    expect(first.event).toBe('table');
    expect(first.id).toMatch(/^[\w-]{16,}$/);
    expect(stream.retry).toBeGreaterThan(0);
    const polled = await http<Table>(`${api.url}/v1/rates?from=btc&to=SBERRUB`);
    expect(first.data).toBe(polled.text);
    expect(rateOf(first)).toEqual(['6850000']);

    await publish('aura', rates(item('BTC', 'SBERRUB', '6860000')));
    const changed = await stream.next('the changed table');
    expect(rateOf(changed)).toEqual(['6860000']);
    expect(changed.id).not.toBe(first.id);
    // GET /v1/rates answers the same table now (the stream's render went through the shared cache).
    expect(content(changed.data)).toEqual(content((await http(`${api.url}/v1/rates?from=BTC&to=SBERRUB`)).text));

    // A change announced for the direction that leaves its table as it was (a re-render, a new generatedAt)
    // sends nothing: the next event is the next real change.
    api.app.get(SnapshotChanges).publish({ directions: [['BTC', 'SBERRUB']] });
    api.app.get(SnapshotChanges).publish({ all: true });
    await publish('aura', rates(item('BTC', 'SBERRUB', '6860000')));
    await publish('beta', rates(item('BTC', 'SBERRUB', '6700000')));
    const next = await stream.next('the table with a second exchanger');
    expect(rateOf(next)).toEqual(['6860000', '6700000']);
    // Another direction's change is not this stream's.
    await publish('gamma', rates(item('ETH', 'SBERRUB', '250000')));
    await publish('aura', rates(item('BTC', 'SBERRUB', '6870000')));
    expect(rateOf(await stream.next('the next change'))).toEqual(['6870000', '6700000']);
    expect(stream.pending()).toEqual([]);
  });

  it('sends one table per burst of changes, the last one', async () => {
    const stream = await connect('from=BTC&to=SBERRUB');
    await stream.next('the table on connect');
    // The polls write the changes one after another; the announcement of each reaches the stream at once.
    const changes = api.app.get(SnapshotChanges);
    const renders = () => metric('ratewatch_stream_renders_total');
    const before = await renders();
    for (let i = 0; i < 5; i++) changes.publish({ directions: [['BTC', 'SBERRUB']] });
    await publish('aura', rates(item('BTC', 'SBERRUB', '6880000')));
    expect(rateOf(await stream.next('the burst'))).toEqual(['6880000', '6700000']);
    expect(stream.pending()).toEqual([]);
    // Six announcements, far fewer renders (the burst coalesced).
    expect((await renders()) - before).toBeLessThan(6);
  });

  it('re-renders every streamed table on a change of everything ({all: true}), sending those that changed', async () => {
    const btc = await connect('from=BTC&to=SBERRUB');
    const eth = await connect('from=ETH&to=SBERRUB');
    const before = rateOf(await btc.next('the BTC table'));
    expect(rateOf(await eth.next('the ETH table'))).toEqual(['250000']);
    // Maintenance changed an offer behind the write path's back, and says only that anything may have changed.
    await client.query(
      `UPDATE offers SET amount_out = 251000, rate = 251000 WHERE from_code = 'ETH' AND to_code = 'SBERRUB'`,
    );
    api.app.get(SnapshotChanges).publish({ all: true });
    expect(rateOf(await eth.next('the ETH table after the change of everything'))).toEqual(['251000']);
    // The BTC table was rendered again and found the same: not sent. Its next real change is its next event.
    await publish('aura', rates(item('BTC', 'SBERRUB', '6880001')));
    const after = rateOf(await btc.next('the next BTC change'));
    expect(after).not.toEqual(before);
    expect(after[0]).toBe('6880001');
  });

  it('resumes with Last-Event-ID: nothing while the table is the same, the new one at once if it changed', async () => {
    const first = await connect('from=BTC&to=SBERRUB');
    const held = await first.next('the table on connect');
    first.close();
    await waitFor('the stream to close', () => streams() === 0);

    // Unchanged while away: the stream opens, and stays silent until the next change.
    const resumed = await connect('from=BTC&to=SBERRUB', { 'last-event-id': held.id! });
    await waitFor('a heartbeat on the resumed stream', () => resumed.comments.includes('hb'));
    expect(resumed.pending()).toEqual([]);
    await publish('aura', rates(item('BTC', 'SBERRUB', '6890000')));
    const after = await resumed.next('the change after resuming');
    expect(rateOf(after)).toEqual(['6890000', '6700000']);
    resumed.close();
    await waitFor('the stream to close', () => streams() === 0);

    // Changed while away: the new table comes first thing.
    await publish('aura', rates(item('BTC', 'SBERRUB', '6900000')));
    const back = await connect('from=BTC&to=SBERRUB', { 'last-event-id': after.id! });
    expect(rateOf(await back.next('the table that changed while away'))).toEqual(['6900000', '6700000']);
    // An id it never sent (hostile or from another table) gets the current table too.
    const stranger = await connect('from=BTC&to=SBERRUB', { 'last-event-id': 'x'.repeat(300) });
    expect(rateOf(await stranger.next('the table for an unknown id'))).toEqual(['6900000', '6700000']);
  });

  it('sends heartbeats and a retry hint', async () => {
    const stream = await connect('from=BTC&to=SBERRUB&amount=0.5');
    await waitFor('two heartbeats', () => stream.comments.filter((c) => c === 'hb').length >= 2);
    expect(stream.retry).toBe(3000);
  });

  it('holds at most STREAM_MAX_PER_IP streams per address, says so with a 429, and frees the slot on disconnect', async () => {
    const one = await connect('from=BTC&to=SBERRUB');
    // Another query, and an X-Forwarded-For the api does not trust (TRUST_PROXY is off): the same address.
    await connect('from=BTC&to=SBERRUB&exclude=manual', { 'x-forwarded-for': '203.0.113.9' });
    const third = await StreamReader.open(`${api.url}/v1/rates/stream?from=BTC&to=SBERRUB`, {
      'x-forwarded-for': '198.51.100.7',
    });
    expect('refused' in third && third.refused.status).toBe(429);
    if (!('refused' in third)) return;
    expect(third.refused.headers['content-type']).toMatch(/application\/json/);
    expect(Number(third.refused.headers['retry-after'])).toBeGreaterThan(0);
    const body = JSON.parse(third.refused.body) as ErrorBody;
    expect(body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(body.message).toMatch(/STREAM_MAX_PER_IP.*poll GET \/v1\/rates/);
    expect(await metric('ratewatch_stream_refused_total', { reason: 'per_ip' })).toBeGreaterThanOrEqual(1);
    expect(await metric('ratewatch_stream_open')).toBe(2);

    one.close();
    await waitFor('the first stream to be let go', () => streams() === 1);
    const again = await connect('from=BTC&to=SBERRUB');
    expect((await again.next('the table on the freed slot')).event).toBe('table');
  });

  it('refuses what GET /v1/rates refuses, with its 400 and 404, and holds no slot for it', async () => {
    const refused = async (query: string, status: number, message: RegExp) => {
      const answer = await http<ErrorBody>(`${api.url}/v1/rates/stream?${query}`);
      expect(answer.status, query).toBe(status);
      expect(answer.body.message, query).toMatch(message);
    };
    await refused('from=BTC&to=BTC', 400, /from and to must differ/);
    await refused('from=BTC&to=SBERRUB&city=Moscow', 400, /MSK/);
    await refused('from=BTC&to=SBERRUB&exclude=bogus', 400, /unknown flags/);
    await refused('from=BTC&to=SBERRUB&amount=-1', 400, /amount must be a positive decimal/);
    await refused('from=BTC&to=SBERRUB&unknown=1', 400, /unknown/);
    await refused('from=NOPE&to=SBERRUB', 404, /NOPE/);
    // HEAD: the headers of the stream, and no stream held.
    const head = await fetch(`${api.url}/v1/rates/stream?from=BTC&to=SBERRUB`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    for (let i = 0; i < 3; i++) await refused('from=NOPE&to=BTC', 404, /NOPE/);
    expect(streams()).toBe(0);
    // The slots were not taken: two streams still open.
    await connect('from=BTC&to=SBERRUB');
    await connect('from=BTC&to=SBERRUB');
  });

  it('counts what it does on /metrics', async () => {
    expect(await metric('ratewatch_stream_events_sent_total')).toBeGreaterThan(5);
    expect(await metric('ratewatch_stream_renders_total', { result: 'changed' })).toBeGreaterThan(3);
    expect(await metric('ratewatch_stream_open')).toBe(0);
  });

  it('ends its streams when the api stops, and the api stops, a render still running then writing nothing', async () => {
    const stream = await connect('from=BTC&to=SBERRUB');
    await stream.next('the table on connect');
    // The next render of the stream's table is held after it got its table, and goes on right after the
    // streams were ended (before their last bytes have left): it must find its channel gone. Before, it
    // wrote to the ended response — an 'error' nobody listened to, an uncaught exception, the process dead.
    const streams = api.app.get(RateStreams);
    const service = api.app.get(RatesService);
    const cachedTable = service.cachedTable.bind(service);
    const shutdown = streams.beforeApplicationShutdown.bind(streams);
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    let finished = false;
    const renders = vi.spyOn(service, 'cachedTable').mockImplementation(async (query, url) => {
      const answer = await cachedTable(query, url);
      held = true;
      await gate;
      finished = true;
      return answer;
    });
    const hook = vi.spyOn(streams, 'beforeApplicationShutdown').mockImplementation(() => {
      shutdown();
      release();
    });
    // Vitest reports an uncaught exception for the run; this test says it failed too.
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      await publish('aura', rates(item('BTC', 'SBERRUB', '6910000')));
      await waitFor('the render of the change to be held', () => held);
      stopped = true;
      // SIGTERM: readiness says 503 for SHUTDOWN_DRAIN_SECONDS, then the listener closes; the stream ends.
      await api.close('SIGTERM');
      await waitFor('the stream to end', () => stream.ended);
      expect(finished).toBe(true);
      expect(stream.pending()).toEqual([]);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      release();
      renders.mockRestore();
      hook.mockRestore();
    }
  });

  /** The sum of the api's /metrics samples of `name` whose labels include `labels` (0 when none). */
  async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = (await http<string>(`${api.url}/metrics`)).text;
    const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .filter((line) => wanted.every((pair) => line.includes(pair)))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  }
});

/** Behind a trusted proxy (TRUST_PROXY=1): the per-address limit counts the client X-Forwarded-For names. */
describe('the live stream behind a trusted proxy', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const open: StreamReader[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startApi(
      loadConfig({
        DATABASE_URL: db.url,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        PUBLIC_RATE_LIMIT: '0',
        TRUST_PROXY: '1',
        STREAM_MAX_PER_IP: '1',
        STREAM_MAX_CONNECTIONS: '2',
      }),
    );
  });

  afterAll(async () => {
    for (const stream of open) stream.close();
    await api?.close();
    await db?.drop();
  });

  it('holds STREAM_MAX_PER_IP per client address and STREAM_MAX_CONNECTIONS in all, each refusal saying which', async () => {
    const url = `${api.url}/v1/rates/stream?from=BTC&to=SBERRUB`;
    const from = (address: string) => StreamReader.open(url, { 'x-forwarded-for': address });
    const held = async (address: string) => {
      const opened = await from(address);
      if ('refused' in opened) throw new Error(`refused: ${opened.refused.body}`);
      open.push(opened.stream);
      return opened.stream;
    };
    const refusal = async (address: string) => {
      const opened = await from(address);
      if (!('refused' in opened)) throw new Error(`not refused for ${address}`);
      return { status: opened.refused.status, message: (JSON.parse(opened.refused.body) as ErrorBody).message };
    };
    const first = await held('203.0.113.1');
    expect(await refusal('203.0.113.1')).toEqual({ status: 429, message: expect.stringMatching(/STREAM_MAX_PER_IP/) });
    await held('203.0.113.2');
    expect(await refusal('203.0.113.3')).toEqual({
      status: 429,
      message: expect.stringMatching(/as many live streams as it can \(2\).*poll/),
    });
    first.close();
    await waitFor('the first slot to be freed', () => api.app.get(RateStreams).size === 1);
    expect((await (await held('203.0.113.3')).next('the table')).event).toBe('table');
  });
});

/**
 * Distinct tables per direction are bounded: each is rendered again on every change of its direction, so
 * streams with many spellings of `amount` (or many `limit`s) must not make many renders.
 */
describe('the live stream with many distinct queries', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const open: StreamReader[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startApi(
      loadConfig({
        DATABASE_URL: db.url,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        PUBLIC_RATE_LIMIT: '0',
        STREAM_MAX_PER_IP: '100',
        STREAM_MAX_CONNECTIONS: '100',
      }),
    );
  });

  afterAll(async () => {
    for (const stream of open) stream.close();
    await api?.close();
    await db?.drop();
  });

  const attempt = (query: string) => StreamReader.open(`${api.url}/v1/rates/stream?${query}`);
  const held = async (query: string) => {
    const opened = await attempt(query);
    if ('refused' in opened) throw new Error(`${query} refused: ${opened.refused.status} ${opened.refused.body}`);
    open.push(opened.stream);
    return opened.stream;
  };
  const refusedMetric = async () => {
    const text = (await http<string>(`${api.url}/metrics`)).text;
    const line = text
      .split('\n')
      .find((l) => l.startsWith('ratewatch_stream_refused_total{') && l.includes('reason="channels"'));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  it('streams spellings of one query as one table, and refuses a new table of a direction past the cap', async () => {
    const direction = 'from=BTC&to=SBERRUB';
    // All but two of the direction's channels: one per limit.
    for (let limit = 1; limit <= MAX_CHANNELS_PER_DIRECTION - 2; limit++) await held(`${direction}&limit=${limit}`);
    const one = await held(`${direction}&amount=1`);
    await held(`${direction}&exclude=manual,verifying`);
    // The direction is full. Other spellings of the same two queries join their channels.
    const spellings = [
      'amount=1.0',
      'amount=01',
      'amount=0001.000',
      'exclude=VERIFYING,manual,Manual',
      'exclude=manual,%20verifying',
    ];
    for (const spelling of spellings) await held(`${direction}&${spelling}`);
    const same = await held(`${direction}&amount=1.000000000000000000`);
    expect((await same.next('the table of amount=1.0…')).data).toBe((await one.next('the table of amount=1')).data);

    // A new table of the full direction: 429, JSON, saying what to do instead; counted.
    const before = await refusedMetric();
    for (const query of ['amount=2', 'amount=1.5', 'limit=31&amount=1', 'side=get']) {
      const refused = await attempt(`${direction}&${query}`);
      if (!('refused' in refused)) throw new Error(`${query} was streamed past the cap`);
      expect(refused.refused.status, query).toBe(429);
      expect(refused.refused.headers['content-type']).toMatch(/application\/json/);
      expect(Number(refused.refused.headers['retry-after'])).toBeGreaterThan(0);
      const body = JSON.parse(refused.refused.body) as ErrorBody;
      expect(body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
      expect(body.message).toMatch(/without amount/);
      expect(body.message).toMatch(/poll GET \/v1\/rates.*If-None-Match/);
    }
    expect((await refusedMetric()) - before).toBe(4);
    // The plain table of the full direction is never refused (filling a direction locks nobody out of it).
    await held(direction);
    await held(`${direction}&limit=100&side=give`);
    // Another direction has its own channels; the refused held no slot.
    await held('from=ETH&to=SBERRUB&amount=2');
    expect(api.app.get(RateStreams).size).toBe(open.length);

    // A channel whose last stream leaves makes room.
    const first = open.shift()!;
    first.close();
    await waitFor('the limit=1 stream to be let go', () => api.app.get(RateStreams).size === open.length);
    expect((await (await held(`${direction}&amount=2`)).next('the new table')).event).toBe('table');
  });
});

/** Fleet mode: a worker's change reaches the streams of every api replica, through Redis. */
describe('the live stream in fleet mode', () => {
  let db: TestDatabase;
  const replicas: RunningApi[] = [];
  let worker: RunningWorker;
  let client: Client;
  const feeds = new FeedServer();
  let stream: StreamReader | null = null;

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: `rwtest-${randomBytes(4).toString('hex')}`,
      FETCH_ALLOW_PRIVATE: 'true',
      PORT: '0',
      WORKER_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      PUBLIC_CACHE_SECONDS: '60',
      PUBLIC_RATE_LIMIT: '0',
    };
    expect(await runCli(['db:migrate'], env, { out: () => undefined, err: () => undefined })).toBe(0);
    for (let i = 0; i < 2; i++) replicas.push(await startApi(loadConfig(env)));
    worker = await startWorker(loadConfig(env));
    client = new Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    stream?.close();
    await client?.end();
    await worker?.close();
    for (const replica of replicas) await replica.close();
    await feeds.stop();
    await db?.drop();
  });

  it('sends a change a worker wrote to the subscribers of every replica', async () => {
    const [a, b] = [replicas[0]!, replicas[1]!];
    feeds.serve('/aura.xml', { body: rates(item('BTC', 'SBERRUB', '6850000')) });
    const { rows } = await client.query<{ id: number }>(
      `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('aura', 'Aura', 'https://aura.example', 'https://aura.example/?rid=1') RETURNING id)
       INSERT INTO feeds (exchanger_id, url, interval_s, stale_after_s) SELECT id, $1, 30, 3600 FROM e RETURNING id`,
      [feeds.url('/aura.xml')],
    );
    const feedId = rows[0]!.id;
    expect((await worker.app.get(FeedPollService).poll(feedId, 'manual')).status).toBe('ok');
    stream = await StreamReader.connect(`${b.url}/v1/rates/stream?from=BTC&to=SBERRUB`);
    const first = await stream.next('the table on connect');
    expect((JSON.parse(first.data) as Table).items.map((i) => i.rate)).toEqual(['6850000']);
    feeds.serve('/aura.xml', { body: rates(item('BTC', 'SBERRUB', '7100000')) });
    expect((await worker.app.get(FeedPollService).poll(feedId, 'manual')).status).toBe('ok');
    const changed = await stream.next('the change the worker made');
    expect((JSON.parse(changed.data) as Table).items.map((i) => i.rate)).toEqual(['7100000']);
    // The version is the table's, not the replica's: resuming on replica A with it sends nothing new.
    const resumed = await StreamReader.connect(`${a.url}/v1/rates/stream?from=BTC&to=SBERRUB`, {
      'last-event-id': changed.id!,
    });
    try {
      await waitFor('the resumed stream to open', () => resumed.retry !== null);
      feeds.serve('/aura.xml', { body: rates(item('BTC', 'SBERRUB', '7200000')) });
      expect((await worker.app.get(FeedPollService).poll(feedId, 'manual')).status).toBe('ok');
      expect(rateOfEvent(await resumed.next('the next change on replica A'))).toEqual(['7200000']);
      expect(rateOfEvent(await stream.next('the next change on replica B'))).toEqual(['7200000']);
    } finally {
      resumed.close();
    }
  });
});

function rateOfEvent(event: StreamEvent): string[] {
  return (JSON.parse(event.data) as Table).items.map((i) => i.rate);
}
