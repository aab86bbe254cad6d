/**
 * npm run bench:stream — the live stream (GET /v1/rates/stream, issue 20) with BENCH_STREAM_SUBSCRIBERS (10,000)
 * subscribers of one table. One api process (a child, fleet mode on a scratch database of the local
 * PostgreSQL and the local Redis: a change is announced exactly as a worker announces it), the subscribers in
 * BENCH_STREAM_CHILDREN (2) other processes, raw HTTP over sockets (no EventSource library), spread over
 * loopback addresses so that STREAM_MAX_PER_IP (1000 here) is not what is measured. For each of
 * BENCH_STREAM_ROUNDS (3) changes: the time from the change's announcement to its table's arrival at each
 * subscriber; also the time to connect (request to the first table), and the api's resident memory per
 * subscriber. Baseline, same run: a bare node:http SSE server (child process) holding the same subscribers and
 * broadcasting the same bytes when told to.
 */
import { ChildProcess, fork, spawn } from 'node:child_process';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { connect, Socket } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { migrateAndSeed } from '@app/database';
import { BenchRow, printTable, waitForJson, writeResults } from './bench-kit';
import { rssMb } from './process-stats';
import { createScratchDatabase } from './scratch-database';

const SUBSCRIBERS = Number(process.env.BENCH_STREAM_SUBSCRIBERS ?? 10_000);
const CHILDREN = Number(process.env.BENCH_STREAM_CHILDREN ?? 2);
const ROUNDS = Number(process.env.BENCH_STREAM_ROUNDS ?? 3);
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Subscribers per loopback address (under STREAM_MAX_PER_IP = 1000). */
const PER_ADDRESS = 500;
/** Connections a subscriber process opens at once (the listen backlog is 511). */
const CONNECT_CONCURRENCY = 100;
/** Offers in the streamed table (50: about 25 KB of JSON, 250 MB for 10,000 subscribers at each change). */
const EXCHANGERS = Number(process.env.BENCH_STREAM_OFFERS ?? 50);
const PATH = '/v1/rates/stream?from=BTC&to=SBERRUB';
const TARGET_P99_MS = 1000;
const TABLE_EVENT_BYTES = Buffer.from('event: table');

/** Wall-clock time in ms with sub-ms precision, comparable between processes of this machine. */
const now = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------- the subscriber processes

type ToSubscribers =
  | { cmd: 'connect'; port: number; path: string; first: number; count: number }
  | { cmd: 'expect'; marker: string }
  | { cmd: 'close' };
type FromSubscribers =
  | { type: 'connected'; connectMs: number[]; failed: number }
  | { type: 'armed' }
  | { type: 'received'; at: number[]; missing: number }
  | { type: 'closed' };

/** Holds `count` streams, reports when each got its first table, then when each saw `marker`. */
function runSubscribers(): void {
  const sockets: Array<{ socket: Socket; tail: Buffer; firstAt: number; sawAt: number }> = [];
  let marker: Buffer | null = null;
  let waiting = 0;
  let report: (() => void) | null = null;
  const send = (message: FromSubscribers) => process.send!(message);

  process.on('message', (message: ToSubscribers) => {
    if (message.cmd === 'connect') void open(message);
    else if (message.cmd === 'expect') {
      marker = Buffer.from(message.marker);
      waiting = sockets.length;
      for (const s of sockets) s.sawAt = 0;
      const timeout = setTimeout(() => finish(), 20_000);
      report = () => {
        clearTimeout(timeout);
        finish();
      };
      send({ type: 'armed' });
    } else {
      for (const s of sockets) s.socket.destroy();
      send({ type: 'closed' });
      setTimeout(() => process.exit(0), 100);
    }
  });

  function finish(): void {
    if (!report) return;
    report = null;
    const at = sockets.filter((s) => s.sawAt > 0).map((s) => s.sawAt);
    send({ type: 'received', at, missing: sockets.length - at.length });
  }

  async function open(message: Extract<ToSubscribers, { cmd: 'connect' }>): Promise<void> {
    const connectMs: number[] = [];
    let failed = 0;
    let next = 0;
    const one = (index: number) =>
      new Promise<void>((resolve) => {
        const started = now();
        const address = `127.0.${1 + Math.floor(index / PER_ADDRESS / 250)}.${1 + (Math.floor(index / PER_ADDRESS) % 250)}`;
        const socket = connect({ host: '127.0.0.1', port: message.port, localAddress: address });
        const entry = { socket, tail: Buffer.alloc(0), firstAt: 0, sawAt: 0 };
        socket.on('connect', () =>
          socket.write(`GET ${message.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`),
        );
        // Bytes, never decoded: a marker split between two chunks is found with the last bytes of the one before.
        socket.on('data', (chunk: Buffer) => {
          // The chunk, and the seam with the one before (its last bytes and this one's first): no copy of the chunk.
          const seam = Buffer.concat([entry.tail, chunk.subarray(0, 64)]);
          const has = (needle: Buffer) => chunk.includes(needle) || seam.includes(needle);
          entry.tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - 64)));
          const text = chunk;
          if (entry.firstAt === 0) {
            if (text.indexOf('HTTP/1.1 ') === 0 && text.indexOf('HTTP/1.1 200') !== 0) {
              failed++;
              socket.destroy();
              return resolve();
            }
            if (has(TABLE_EVENT_BYTES)) {
              entry.firstAt = now();
              connectMs.push(entry.firstAt - started);
              sockets.push(entry);
              resolve();
            }
            return;
          }
          if (marker !== null && entry.sawAt === 0 && has(marker)) {
            entry.sawAt = now();
            if (--waiting === 0) report?.();
          }
        });
        socket.on('error', () => {
          if (entry.firstAt === 0) {
            failed++;
            resolve();
          }
        });
      });
    const lane = async () => {
      while (next < message.count) await one(message.first + next++);
    };
    await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, lane));
    send({ type: 'connected', connectMs, failed });
  }
}

// ---------------------------------------------------------------- the baseline server

/** A bare node:http SSE server: the same headers and first bytes, and a broadcast of the body POSTed to it. */
function runBaseline(): void {
  const subscribers = new Set<ServerResponse>();
  let event = Buffer.from(`id: 0\nevent: table\ndata: ${process.env.BODY}\n\n`);
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.method === 'POST') {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        event = Buffer.from(`id: ${Date.now()}\nevent: table\ndata: ${body}\n\n`);
        for (const subscriber of subscribers) subscriber.write(event);
        response.end('sent');
      });
      return;
    }
    if (request.url === '/ready') return void response.writeHead(200).end('{}');
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    response.write('retry: 3000\n: open\n\n');
    response.write(event);
    subscribers.add(response);
    response.on('close', () => subscribers.delete(response));
  });
  server.listen(Number(process.env.PORT), '127.0.0.1');
}

// ---------------------------------------------------------------- the run

interface Side {
  connectMs: number[];
  connectWallMs: number;
  failed: number;
  latencies: number[];
  missing: number;
  rssPerSubscriberKb: number;
}

/** Talks to the subscriber processes: connect them all, then time a change per round. */
class Subscribers {
  private readonly children: ChildProcess[] = [];

  constructor() {
    for (let i = 0; i < CHILDREN; i++)
      this.children.push(
        fork(__filename, [], { env: { ...process.env, STREAM_BENCH_ROLE: 'subscribers' }, stdio: 'inherit' }),
      );
  }

  private all<T extends FromSubscribers['type']>(
    type: T,
    message: (index: number) => ToSubscribers,
  ): Promise<Array<Extract<FromSubscribers, { type: T }>>> {
    return Promise.all(
      this.children.map(
        (child, index) =>
          new Promise<Extract<FromSubscribers, { type: T }>>((resolve) => {
            const listen = (reply: FromSubscribers) => {
              if (reply.type !== type) return;
              child.off('message', listen);
              resolve(reply as Extract<FromSubscribers, { type: T }>);
            };
            child.on('message', listen);
            child.send(message(index));
          }),
      ),
    );
  }

  async connect(port: number, path: string): Promise<{ connectMs: number[]; failed: number; wallMs: number }> {
    const per = Math.ceil(SUBSCRIBERS / CHILDREN);
    const started = now();
    const replies = await this.all('connected', (i) => ({
      cmd: 'connect',
      port,
      path,
      first: i * per,
      count: Math.min(per, SUBSCRIBERS - i * per),
    }));
    return {
      connectMs: replies.flatMap((r) => r.connectMs),
      failed: replies.reduce((n, r) => n + r.failed, 0),
      wallMs: now() - started,
    };
  }

  /** Arms the subscribers for `marker`, runs `announce` (returning when it announced the change), and waits. */
  async round(marker: string, announce: () => Promise<number>): Promise<{ latencies: number[]; missing: number }> {
    const received = this.children.map(
      (child) =>
        new Promise<Extract<FromSubscribers, { type: 'received' }>>((resolve) => {
          const listen = (reply: FromSubscribers) => {
            if (reply.type !== 'received') return;
            child.off('message', listen);
            resolve(reply);
          };
          child.on('message', listen);
        }),
    );
    const armed = this.children.map(
      (child) =>
        new Promise<void>((resolve) => {
          const listen = (reply: FromSubscribers) => {
            if (reply.type !== 'armed') return;
            child.off('message', listen);
            resolve();
          };
          child.on('message', listen);
          child.send({ cmd: 'expect', marker } satisfies ToSubscribers);
        }),
    );
    await Promise.all(armed);
    const announcedAt = await announce();
    const replies = await Promise.all(received);
    return {
      latencies: replies.flatMap((r) => r.at.map((at) => at - announcedAt)),
      missing: replies.reduce((n, r) => n + r.missing, 0),
    };
  }

  async close(): Promise<void> {
    await this.all('closed', () => ({ cmd: 'close' }));
  }
}

async function main(): Promise<void> {
  const db = await createScratchDatabase('rw_bench_stream');
  const children: ChildProcess[] = [];
  const prefix = `rwbench-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL);
  const pg = new Client({ connectionString: db.url });
  try {
    const started = Date.now();
    await migrateAndSeed(db.url);
    await pg.connect();
    await seed(pg);
    const apiPort = 3950 + Math.floor(Math.random() * 40);
    const api = spawn(process.execPath, ['dist/apps/api/src/main.js'], {
      cwd: join(__dirname, '../../..'),
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        REDIS_URL,
        REDIS_PREFIX: prefix,
        PORT: String(apiPort),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        PUBLIC_RATE_LIMIT: '0',
        STREAM_MAX_PER_IP: '1000',
        STREAM_MAX_CONNECTIONS: String(SUBSCRIBERS + 1000),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(api);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitForJson(`${apiUrl}/health/ready`);
    const table = await (await fetch(`${apiUrl}/v1/rates?from=BTC&to=SBERRUB`)).text();
    console.log(
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(
          ' ',
        )} on ${cpus().length} cores; api (fleet mode, pid ${api.pid}) ready in ${((Date.now() - started) / 1000).toFixed(1)} s; the table is ` +
        `${table.length.toLocaleString('en-US')} bytes (${EXCHANGERS} offers); ${SUBSCRIBERS.toLocaleString('en-US')} ` +
        `subscribers in ${CHILDREN} processes`,
    );

    // The api.
    let rate = 7_000_000;
    const apiSide = await measure(apiPort, PATH, api.pid!, async () => {
      rate += 1234;
      // What a worker does: write the snapshot, then announce the change on Redis.
      await pg.query(
        `UPDATE offers SET amount_out = $1, rate = $1 WHERE exchanger_id = (SELECT min(id) FROM exchangers) AND from_code = 'BTC' AND to_code = 'SBERRUB'`,
        [rate],
      );
      return {
        marker: `"rate":"${rate}"`,
        announce: async () => {
          const at = now();
          await redis.publish(`${prefix}:snapshot-changes`, JSON.stringify({ directions: [['BTC', 'SBERRUB']] }));
          return at;
        },
      };
    });
    api.kill('SIGTERM');

    // The baseline: the same bytes, the same subscribers, nothing between the announcement and the write.
    const basePort = apiPort + 100;
    const baseline = fork(__filename, [], {
      env: { ...process.env, STREAM_BENCH_ROLE: 'baseline', PORT: String(basePort), BODY: table },
      stdio: 'inherit',
    });
    children.push(baseline);
    await waitForJson(`http://127.0.0.1:${basePort}/ready`);
    let baseRate = 8_000_000;
    const baseSide = await measure(basePort, '/stream', baseline.pid!, () => {
      baseRate += 1234;
      const body = table.replace(/"rate":"[^"]*"/, `"rate":"${baseRate}"`);
      return Promise.resolve({
        marker: `"rate":"${baseRate}"`,
        announce: async () => {
          const at = now();
          await fetch(`http://127.0.0.1:${basePort}/broadcast`, { method: 'POST', body });
          return at;
        },
      });
    });

    const rows = tableRows(apiSide, baseSide);
    printTable(
      `Live stream: ${SUBSCRIBERS.toLocaleString('en-US')} subscribers of one table, ${ROUNDS} changes (api in fleet mode, change announced on Redis)`,
      rows,
    );
    const problems = apiSide.failed + apiSide.missing + baseSide.failed + baseSide.missing;
    console.log(
      `load average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; refused or failed connections: api ${apiSide.failed}, baseline ${baseSide.failed}; ` +
        `subscribers that missed a change: api ${apiSide.missing}, baseline ${baseSide.missing}`,
    );
    console.log(
      `results written to ${writeResults('stream', { subscribers: SUBSCRIBERS, rounds: ROUNDS, rows, problems })}`,
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await pg.end().catch(() => undefined);
    redis.disconnect();
    await db.drop();
  }
}

/** Connects every subscriber to `port`, times ROUNDS changes, and the server's RSS per subscriber. */
async function measure(
  port: number,
  path: string,
  pid: number,
  change: () => Promise<{ marker: string; announce: () => Promise<number> }>,
): Promise<Side> {
  const subscribers = new Subscribers();
  try {
    const rssBefore = rssMb(pid);
    const connected = await subscribers.connect(port, path);
    const rssAfter = rssMb(pid);
    const latencies: number[] = [];
    let missing = 0;
    for (let i = 0; i < ROUNDS; i++) {
      // The change is made, the subscribers are told what it will look like, then it is announced.
      const made = await change();
      const round = await subscribers.round(made.marker, made.announce);
      latencies.push(...round.latencies);
      missing += round.missing;
    }
    return {
      connectMs: connected.connectMs,
      connectWallMs: connected.wallMs,
      failed: connected.failed,
      latencies,
      missing,
      rssPerSubscriberKb: ((rssAfter - rssBefore) * 1024) / Math.max(1, connected.connectMs.length),
    };
  } finally {
    await subscribers.close();
  }
}

function tableRows(api: Side, base: Side): BenchRow[] {
  const ms = (
    figure: string,
    value: number,
    baselineValue: number,
    target = '',
    met: boolean | null = null,
    unit = 'ms',
  ): BenchRow => ({
    figure,
    value,
    unit,
    baseline: 'bare node:http SSE',
    baselineValue,
    ratio: value / Math.max(baselineValue, 0.001),
    target,
    met,
  });
  const p = (xs: number[], q: number) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  };
  const p99 = p(api.latencies, 0.99);
  return [
    ms('change → subscriber, p50', p(api.latencies, 0.5), p(base.latencies, 0.5)),
    ms('change → subscriber, p99', p99, p(base.latencies, 0.99), `≤ ${TARGET_P99_MS} ms`, p99 <= TARGET_P99_MS),
    ms('change → subscriber, max', Math.max(...api.latencies), Math.max(...base.latencies)),
    ms('connect → first table, p50', p(api.connectMs, 0.5), p(base.connectMs, 0.5)),
    ms('connect → first table, p99', p(api.connectMs, 0.99), p(base.connectMs, 0.99)),
    ms(`all ${SUBSCRIBERS.toLocaleString('en-US')} connected (wall)`, api.connectWallMs, base.connectWallMs),
    ms('server RSS per subscriber', api.rssPerSubscriberKb, base.rssPerSubscriberKb, '', null, 'KB'),
  ];
}

/** Exchangers with fresh feeds, one BTC→SBERRUB offer each (the table), as the read bench seeds them. */
async function seed(pg: Client): Promise<void> {
  await pg.query(
    `INSERT INTO exchangers (slug, name, site_url, referral_url) SELECT 'ex-' || g, 'Exchanger ' || g, 'https://ex' || g || '.example', 'https://ex' || g || '.example/?rid=1' FROM generate_series(1, $1) g`,
    [EXCHANGERS],
  );
  await pg.query(
    `INSERT INTO feeds (exchanger_id, url, last_success_at, last_status, stale_after_s) SELECT id, 'https://ex' || id || '.example/rates.xml', now() + interval '1 day', 'ok', 86400 * 30 FROM exchangers`,
  );
  await pg.query(
    `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate, reserve, from_min, from_max)
     SELECT f.id, f.exchanger_id, 'BTC', 'SBERRUB', 1, 6800000 + f.id * 10, 6800000 + f.id * 10, 10000000 + f.id, 0.001, 10 FROM feeds f`,
  );
}

if (process.env.STREAM_BENCH_ROLE === 'subscribers') runSubscribers();
else if (process.env.STREAM_BENCH_ROLE === 'baseline') runBaseline();
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
