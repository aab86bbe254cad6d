/**
 * npm run compare:answers -- <dist-before> <dist-after>
 *
 * A refactor must not change what the API answers. This starts each build's api (from its `dist/`) on a
 * fresh database, registers the same exchangers with the same fixture feeds, polls them, sends the same
 * public and admin requests, and compares the answers — status, Location and body — after masking what
 * legitimately differs between two runs (times). Prints every difference; exits 1 if there is one.
 * Build both first (`npm run build` in each checkout). Needs the local PostgreSQL.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createScratchDatabase } from '../bench/scratch-database';

const ADMIN_KEY = 'compare-answers-admin-key-0123456789abcdef';
const FIXTURES = join(process.cwd(), 'test/fixtures/feeds');
const FEEDS: Record<string, string> = {
  '/standard.xml': 'standard.xml',
  '/cash.xml': 'cash-cities.xml',
  '/aliases.xml': 'code-aliases.xml',
};

interface Answer {
  request: string;
  status: number;
  location: string | null;
  body: string;
}

/** Requests after setup: the public API, the click-through and the admin reads, good and bad. */
const REQUESTS: Array<[method: 'GET' | 'POST', path: string, body?: unknown]> = [
  ['GET', '/v1/currencies?withOffers=true'],
  ['GET', '/v1/directions'],
  ['GET', '/v1/directions?from=BTC'],
  ['GET', '/v1/rates?from=BTC&to=SBERRUB'],
  ['GET', '/v1/rates?from=btc&to=sberrub&amount=0.5'],
  ['GET', '/v1/rates?from=BTC&to=SBERRUB&amount=3000000&side=get&exclude=manual'],
  ['GET', '/v1/rates?from=USDTTRC20&to=CASHUSD'],
  ['GET', '/v1/rates?from=USDTTRC20&to=CASHUSD&city=MSK'],
  ['GET', '/v1/rates?from=NOPE&to=SBERRUB'],
  ['GET', '/v1/rates?from=BTC'],
  ['GET', '/v1/rates?from=BTC&to=SBERRUB&amount=-1'],
  ['GET', '/v1/exchangers'],
  ['GET', '/v1/exchangers/aura'],
  ['GET', '/v1/exchangers/nobody'],
  ['GET', '/go/aura?from=BTC&to=SBERRUB'],
  ['GET', '/go/aura?from=BTC&to=NOPE'],
  ['GET', '/go/nobody?from=BTC&to=SBERRUB'],
  ['GET', '/v1/admin/exchangers'],
  ['GET', '/v1/admin/exchangers/1/feeds'],
  ['GET', '/v1/admin/feeds/1'],
  ['GET', '/v1/admin/feeds/999'],
  ['GET', '/v1/admin/feeds/abc'],
  ['GET', '/v1/admin/feeds/3/runs?limit=1'],
  ['GET', '/v1/admin/currency-aliases'],
  ['GET', '/v1/admin/clicks?since=2000-01-01T00:00:00Z'],
  ['GET', '/v1/admin/clicks?since=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z'],
  [
    'POST',
    '/v1/admin/exchangers',
    { slug: 'Bad Slug', name: 'x', siteUrl: 'https://x.example', referralUrl: 'https://x.example' },
  ],
  [
    'POST',
    '/v1/admin/exchangers',
    { slug: 'aura', name: 'x', siteUrl: 'https://x.example', referralUrl: 'https://x.example' },
  ],
  ['POST', '/v1/admin/currency-aliases', { alias: 'X', code: 'NOPE1' }],
  ['POST', '/v1/admin/feed-check?format=xml', '<rates><item><from>BTC</from>'],
];

const TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;
const DURATION = /"durationMs":\d+/g;

async function main(): Promise<void> {
  const [before, after] = process.argv.slice(2).map((dir) => resolve(dir));
  if (!before || !after) throw new Error('usage: compare:answers <dist-before> <dist-after>');
  const feeds = createServer((req, res) => {
    const file = FEEDS[req.url ?? ''];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/xml' }).end(readFileSync(join(FIXTURES, file)));
  });
  await new Promise<void>((done) => feeds.listen(0, '127.0.0.1', done));
  const feedBase = `http://127.0.0.1:${(feeds.address() as AddressInfo).port}`;
  try {
    const a = await answersOf(before, feedBase);
    const b = await answersOf(after, feedBase);
    let differences = 0;
    a.forEach((left, i) => {
      const right = b[i]!;
      if (JSON.stringify(left) === JSON.stringify(right)) return;
      differences++;
      console.log(
        `≠ ${left.request}\n  before: ${left.status} ${left.location ?? ''} ${left.body.slice(0, 400)}\n  after:  ${right.status} ${right.location ?? ''} ${right.body.slice(0, 400)}`,
      );
    });
    console.log(`${a.length} answers compared, ${differences} differ`);
    process.exitCode = differences === 0 ? 0 : 1;
  } finally {
    feeds.close();
  }
}

async function answersOf(dist: string, feedBase: string): Promise<Answer[]> {
  const db = await createScratchDatabase('rw_compare');
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  const api = spawn(process.execPath, [join(dist, 'apps/api/src/main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      REDIS_URL: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      FETCH_ALLOW_PRIVATE: 'true',
      ADMIN_API_KEY: ADMIN_KEY,
    },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const raw = typeof body === 'string';
    const response = await fetch(base + path, {
      method,
      redirect: 'manual',
      headers: {
        authorization: `Bearer ${ADMIN_KEY}`,
        ...(body === undefined ? {} : { 'content-type': raw ? 'text/xml' : 'application/json' }),
      },
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    });
    return {
      request: `${method} ${path}`,
      status: response.status,
      location: response.headers.get('location'),
      body: (await response.text()).replace(TIME, '<time>').replace(DURATION, '"durationMs":0'),
    };
  };
  try {
    for (let i = 0; ; i++) {
      const ready = await fetch(`${base}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (i > 600) throw new Error(`the api of ${dist} did not get ready`);
      await new Promise((done) => setTimeout(done, 100));
    }
    for (const [slug, path] of [
      ['aura', '/standard.xml'],
      ['cashbox', '/cash.xml'],
      ['aliases', '/aliases.xml'],
    ] as const) {
      const exchanger = JSON.parse(
        (
          await call('POST', '/v1/admin/exchangers', {
            slug,
            name: slug,
            siteUrl: `https://${slug}.example`,
            referralUrl: `https://${slug}.example/?rid=7`,
          })
        ).body,
      ) as { id: number };
      const feed = JSON.parse(
        (
          await call('POST', `/v1/admin/exchangers/${exchanger.id}/feeds`, {
            url: feedBase + path,
            intervalSeconds: 3600,
            timeoutMs: 5000,
          })
        ).body,
      ) as { id: number };
      await call('POST', `/v1/admin/feeds/${feed.id}/refresh?wait=true`);
    }
    const answers: Answer[] = [];
    for (const [method, path, body] of REQUESTS) answers.push(await call(method, path, body));
    return answers;
  } finally {
    api.kill('SIGTERM');
    await new Promise((done) => api.once('exit', done));
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
