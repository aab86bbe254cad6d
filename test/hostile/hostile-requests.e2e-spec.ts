import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { createDataSource } from '@app/database';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { ClickRecorder } from '../../apps/api/src/public/go/click-recorder.service';
import { FeedServer } from '../support/feed-server';
import { pollServiceFor } from '../support/ingestion';
import { http } from '../support/http';
import { createTestDatabase, TestDatabase } from '../support/services';

const ADMIN_KEY = 'hostile-admin-key-0123456789abcdef0123';

interface HostileRequest {
  name: string;
  method?: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  admin?: boolean;
  status: number;
  /** What the answer's message must say (what to fix). */
  says?: RegExp;
}

/**
 * Hostile requests to the public and admin API (standalone, private feed addresses NOT allowed).
 * Each gets a 4xx that says what to fix — or for the SSRF checks a report naming the refusal — and
 * none of them changes a row. The README's Reliability table lists these cases.
 */
export const HOSTILE_REQUESTS: HostileRequest[] = [
  { name: 'SQL in a currency code', path: "/v1/rates?from=BTC'%20OR%201=1--&to=ETH", status: 400, says: /from/ },
  {
    name: 'SQL UNION in a code',
    path: '/v1/rates?from=BTC&to=ETH%20UNION%20SELECT%20*%20FROM%20api_keys',
    status: 400,
    says: /to/,
  },
  { name: 'SQL in a slug', path: "/v1/exchangers/aura';DROP%20TABLE%20offers;--", status: 404 },
  { name: 'path traversal in a slug', path: '/v1/exchangers/..%2F..%2Fetc%2Fpasswd', status: 404 },
  { name: 'Cyrillic look-alike code', path: '/v1/rates?from=%D0%92%D0%A2%D0%A1&to=ETH', status: 400, says: /from/ },
  {
    name: 'zero-width character in a code parameter',
    path: '/v1/rates?from=B%E2%80%8BTC&to=ETH',
    status: 400,
    says: /from/,
  },
  {
    name: 'amount with 1,000 digits',
    path: `/v1/rates?from=BTC&to=ETH&amount=${'9'.repeat(1000)}`,
    status: 400,
    says: /amount/,
  },
  { name: 'amount 1e400, negative, NaN', path: '/v1/rates?from=BTC&to=ETH&amount=1e400', status: 400, says: /amount/ },
  { name: 'negative amount', path: '/v1/rates?from=BTC&to=ETH&amount=-5', status: 400, says: /amount/ },
  { name: 'limit of a billion', path: '/v1/rates?from=BTC&to=ETH&limit=1000000000', status: 400, says: /limit/ },
  {
    name: 'repeated parameter (from twice)',
    path: '/v1/rates?from=BTC&from=ETH&to=SBERRUB',
    status: 400,
    says: /from/,
  },
  { name: 'parameter as an object (from[$ne]=x)', path: '/v1/rates?from[$ne]=x&to=ETH', status: 400 },
  { name: '/go to an absolute URL as the code', path: '/go/aura?from=https://evil.example/&to=BTC', status: 400 },
  {
    name: '/go with CRLF header injection',
    path: '/go/aura?from=BTC&to=%0d%0aLocation:%20https://evil.example',
    status: 400,
  },
  { name: '/go with a protocol-relative city', path: '/go/aura?from=BTC&to=ETH&city=%2F%2Fevil.example', status: 400 },
  {
    name: '/go to an unregistered host as the slug',
    path: '/go/https%3A%2F%2Fevil.example?from=BTC&to=ETH',
    status: 404,
  },
  { name: 'admin without a key', path: '/v1/admin/exchangers', status: 401, admin: false },
  {
    name: 'admin with the key in the query string',
    path: `/v1/admin/exchangers?api_key=${ADMIN_KEY}`,
    status: 401,
    admin: false,
  },
  {
    name: 'admin with a wrong key of the same length',
    path: '/v1/admin/exchangers',
    headers: { authorization: `Bearer ${'x'.repeat(ADMIN_KEY.length)}` },
    status: 401,
    admin: false,
  },
  {
    name: 'oversized admin JSON (2 MB)',
    method: 'POST',
    path: '/v1/admin/exchangers',
    body: JSON.stringify({ slug: 'big', name: 'x'.repeat(2 * 1024 * 1024) }),
    status: 413,
  },
  {
    name: 'deeply nested admin JSON',
    method: 'POST',
    path: '/v1/admin/exchangers',
    body: '{"slug":'.repeat(5000) + '1' + '}'.repeat(5000),
    status: 400,
  },
  { name: 'malformed admin JSON', method: 'POST', path: '/v1/admin/exchangers', body: '{"slug": "x",', status: 400 },
  {
    name: 'prototype pollution in admin JSON',
    method: 'POST',
    path: '/v1/admin/exchangers',
    body: '{"slug":"pp","name":"Pp","siteUrl":"https://pp.example","referralUrl":"https://pp.example/?r=1","__proto__":{"admin":true}}',
    status: 400,
  },
  {
    name: 'unknown field in admin JSON',
    method: 'POST',
    path: '/v1/admin/exchangers',
    body: '{"slug":"uf","name":"Uf","siteUrl":"https://uf.example","referralUrl":"https://uf.example/?r=1","id":1}',
    status: 400,
    says: /id/,
  },
  {
    name: 'referral URL javascript:',
    method: 'POST',
    path: '/v1/admin/exchangers',
    body: '{"slug":"js","name":"Js","siteUrl":"https://js.example","referralUrl":"javascript:alert(1)"}',
    status: 400,
    says: /referralUrl/,
  },
  {
    name: 'feed URL on a private address (SSRF)',
    method: 'POST',
    path: '/v1/admin/exchangers/1/feeds',
    body: '{"url":"http://10.0.0.5/export.xml"}',
    status: 400,
    says: /private|internal|address/,
  },
  {
    name: 'feed URL of the cloud metadata service (SSRF)',
    method: 'POST',
    path: '/v1/admin/exchangers/1/feeds',
    body: '{"url":"http://169.254.169.254/latest/meta-data"}',
    status: 400,
    says: /private|internal|address/,
  },
  {
    name: 'feed URL with a file: scheme',
    method: 'POST',
    path: '/v1/admin/exchangers/1/feeds',
    body: '{"url":"file:///etc/passwd"}',
    status: 400,
    says: /url/,
  },
  {
    name: 'feed URL with an IPv6 zone (http://[fe80::1%25lo]/) no fetcher can use',
    method: 'POST',
    path: '/v1/admin/exchangers/1/feeds',
    body: '{"url":"http://[fe80::1%25lo]/rates.xml"}',
    status: 400,
    says: /url must be an http\(s\) URL/,
  },
  {
    name: 'feed URL of 5,000 characters',
    method: 'POST',
    path: '/v1/admin/exchangers/1/feeds',
    body: JSON.stringify({ url: `https://ex.example/${'a'.repeat(5000)}` }),
    status: 400,
    says: /url must be at most 2048 characters/,
  },
  {
    name: 'feed URL on IPv6 loopback in brackets',
    method: 'POST',
    path: '/v1/admin/exchangers/1/feeds',
    body: '{"url":"http://[::1]:6379/"}',
    status: 400,
    says: /private|loopback/,
  },
  {
    name: 'partner API URL of the cloud metadata service, refused when registered (not first at sync)',
    method: 'PUT',
    path: '/v1/admin/exchangers/1/partner',
    body: '{"apiUrl":"http://169.254.169.254/latest/api.php","apiKey":"k-12345"}',
    status: 400,
    says: /apiUrl points to a private, loopback or link-local address/,
  },
  {
    name: 'partner API URL on a private IPv4 written as one number',
    method: 'PUT',
    path: '/v1/admin/exchangers/1/partner',
    body: '{"apiUrl":"http://167772165/api.php","apiKey":"k-12345"}',
    status: 400,
    says: /apiUrl/,
  },
  {
    name: 'partner API URL with a token in its query (would be audited in clear)',
    method: 'PUT',
    path: '/v1/admin/exchangers/1/partner',
    body: '{"apiUrl":"https://partner.example/api.php?auth_token=s3cr3t","apiKey":"k-12345"}',
    status: 400,
    says: /apiUrl must not carry a credential \(auth_token=…\)/,
  },
  {
    name: 'site URL whose user:password@ hides the real host',
    method: 'POST',
    path: '/v1/admin/exchangers',
    body: '{"slug":"tricky","name":"Tricky","siteUrl":"https://aura.example:pw@evil.example/","referralUrl":"https://aura.example/?rid=1"}',
    status: 400,
    says: /siteUrl must not carry user:password@/,
  },
];

describe('hostile requests', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let pg: Client;
  const feeds = new FeedServer();

  const counts = async () =>
    (
      await pg.query<Record<string, string>>(
        `SELECT (SELECT count(*) FROM exchangers) AS exchangers, (SELECT count(*) FROM feeds) AS feeds, (SELECT count(*) FROM offers) AS offers,
              (SELECT count(*) FROM currencies) AS currencies, (SELECT count(*) FROM admin_audit) AS audit, (SELECT count(*) FROM api_keys) AS keys`,
      )
    ).rows[0];

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start('127.0.0.1');
    feeds.serve('/aura.xml', {
      body: '<rates><item><from>BTC</from><to>ETH</to><in>1</in><out>20.5</out><amount>100</amount></item></rates>',
    });
    // Private addresses are refused, as in production (FETCH_ALLOW_PRIVATE unset).
    api = await startApi(
      loadConfig({
        DATABASE_URL: db.url,
        ADMIN_API_KEY: ADMIN_KEY,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        PUBLIC_RATE_LIMIT: '0',
      }),
    );
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    const { rows } = await pg.query<{ id: number }>(
      `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('aura', 'Aura', 'https://aura.example', 'https://aura.example/?rid=42') RETURNING id)
       INSERT INTO feeds (exchanger_id, url, interval_s) SELECT id, $1, 3600 FROM e RETURNING id`,
      [feeds.url('/aura.xml')],
    );
    // The api refuses loopback feeds; write the snapshot with a poller that may reach the test's server.
    const dataSource = createDataSource({ url: db.url, poolSize: 2 });
    await dataSource.initialize();
    const { poller, fetcher } = pollServiceFor(dataSource);
    expect((await poller.poll(rows[0]!.id, 'manual')).status).toBe('ok');
    await fetcher.close();
    await dataSource.destroy();
  });

  afterAll(async () => {
    await api?.close();
    await pg?.end();
    await feeds.stop();
    await db?.drop();
  });

  it('has the cases the README lists', () => {
    expect(HOSTILE_REQUESTS.length).toBeGreaterThanOrEqual(25);
  });

  it.each(HOSTILE_REQUESTS)(
    '$name → $status, and nothing changes',
    async ({ method, path, body, headers, admin, status, says }) => {
      const before = await counts();
      const answer = await http<{ message?: string | string[] }>(`${api.url}${path}`, {
        method: method ?? 'GET',
        headers: {
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(admin !== false && path.startsWith('/v1/admin') ? { authorization: `Bearer ${ADMIN_KEY}` } : {}),
          ...headers,
        },
        ...(body ? { body } : {}),
      });
      expect(answer.status).toBe(status);
      expect(answer.headers.get('location')).toBeNull();
      if (says) expect(JSON.stringify(answer.body.message)).toMatch(says);
      expect(await counts()).toEqual(before);
    },
  );

  it('checks a feed URL that resolves to loopback or hides loopback in another notation, and refuses it', async () => {
    for (const url of [
      `http://localhost:${new URL(feeds.base).port}/aura.xml`,
      'http://[::ffff:127.0.0.1]/',
      'http://2130706433/',
    ]) {
      const answer = await http<{ status: string; error: { code: string; message: string } }>(
        `${api.url}/v1/admin/feed-check`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ url }),
        },
      );
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: 'error', error: { code: 'forbidden_address' } });
    }
  });

  it('counts a flood of 500 clicks from one visitor as one unique click, even with a new X-Forwarded-For each time', async () => {
    const browser = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' };
    const answers = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        http(`${api.url}/go/aura?from=BTC&to=ETH`, {
          headers: { ...browser, 'x-forwarded-for': `203.0.${i % 200}.${i % 250}` },
        }),
      ),
    );
    expect(
      answers.every(
        (a) => a.status === 302 && a.headers.get('location') === 'https://aura.example/?rid=42&cur_from=BTC&cur_to=ETH',
      ),
    ).toBe(true);
    await api.app.get(ClickRecorder).flush();
    const { rows } = await pg.query<{ total: string; unique: string }>(
      `SELECT count(*) AS total, count(*) FILTER (WHERE is_unique) AS unique FROM clicks`,
    );
    expect(rows[0]).toEqual({ total: '500', unique: '1' });
  });
});
