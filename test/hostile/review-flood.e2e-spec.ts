import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVIEW_LIMITS } from '@app/domain';
import type { ApiErrorBody } from '../../apps/api/src/common/api-error.dto';
import { PUBLIC_MAX_BODY_BYTES } from '../../apps/api/src/public/reputation/small-body.guard';
import { http } from '../support/http';
import { ReputationApi, visitor } from '../support/reputation-api';
import { uniqueText } from '../support/reputation';

const FLOOD = 10_000;
// Concurrent enough to race the limits, few enough that the pool (10 connections, 5 s wait) is never the refusal.
const BATCH = 100;

/** Visitors who mean harm: floods, markup, oversized and malformed bodies. */
describe('hostile review and claim posts', () => {
  const app = new ReputationApi();
  const slugs = Array.from({ length: 10 }, (_, i) => `target-${i + 1}`);

  beforeAll(async () => {
    // No per-address throttling here: the review limits themselves are under test.
    await app.start({ PUBLIC_RATE_LIMIT: '0' });
    await app.exchanger('aurora');
    for (const slug of slugs) await app.exchanger(slug);
  });

  afterAll(() => app.stop());

  it(`stores at most ${REVIEW_LIMITS.perVisitorPerDay} of ${FLOOD} concurrent review posts from one visitor`, async () => {
    const flooder = visitor();
    const statuses = new Map<number, number>();
    for (let sent = 0; sent < FLOOD; sent += BATCH) {
      const answers = await Promise.all(
        Array.from({ length: BATCH }, (_, i) =>
          app.send('POST', `/v1/exchangers/${slugs[(sent + i) % slugs.length]}/reviews`, flooder, {
            tone: 'positive',
            text: uniqueText(),
          }),
        ),
      );
      for (const { status } of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({
      201: REVIEW_LIMITS.perVisitorPerDay,
      429: FLOOD - REVIEW_LIMITS.perVisitorPerDay,
    });
    const { rows } = await app.pg.query<{ stored: number; exchangers: number }>(
      `SELECT count(*)::int AS stored, count(DISTINCT exchanger_id)::int AS exchangers FROM reviews`,
    );
    expect(rows[0]).toEqual({ stored: REVIEW_LIMITS.perVisitorPerDay, exchangers: REVIEW_LIMITS.perVisitorPerDay });
    // The api is still answering others at once.
    expect((await app.send('POST', '/v1/exchangers/aurora/reviews', visitor(), review())).status).toBe(201);
  }, 180_000);

  it('returns HTML and script in review and claim text verbatim, as JSON text', async () => {
    const markup = `<script>alert(document.cookie)</script><img src=x onerror="alert(1)"> <a href="https://evil.example">win</a> &amp; ' " \\ ${uniqueText(3)}`;
    const posted = await app.send<{ id: string }>('POST', '/v1/exchangers/aurora/reviews', visitor(), {
      tone: 'negative',
      text: markup,
      orderRef: '<b>1</b>',
    });
    expect(posted.status).toBe(201);
    await app.admin('POST', `/v1/admin/reviews/${posted.body.id}/publish`);
    const list = await app.send<{ items: Array<{ id: string; text: string; orderRef: string }> }>(
      'GET',
      '/v1/exchangers/aurora/reviews',
      visitor(),
    );
    expect(list.headers.get('content-type')).toMatch(/^application\/json/);
    const shown = list.body.items.find((r) => r.id === posted.body.id)!;
    expect(shown.text).toBe(markup);
    expect(shown.orderRef).toBe('<b>1</b>');
    expect(list.text).toContain(JSON.stringify(markup));

    const claim = await app.send<{ id: string }>('POST', '/v1/exchangers/aurora/claims', visitor(), {
      orderRef: '"><svg onload=alert(1)>',
      text: markup,
    });
    await app.admin('POST', `/v1/admin/claims/${claim.body.id}/accept`);
    const claims = await app.send<{ items: Array<{ id: string; text: string; orderRef: string }> }>(
      'GET',
      '/v1/exchangers/aurora/claims',
      visitor(),
    );
    expect(claims.body.items.find((c) => c.id === claim.body.id)).toMatchObject({
      text: markup,
      orderRef: '"><svg onload=alert(1)>',
    });
    const queue = await app.admin<{ items: Array<{ text: string }> }>('GET', '/v1/admin/reviews?state=all');
    expect(queue.body.items.map((r) => r.text)).toContain(markup);
  });

  it(`refuses a body over ${PUBLIC_MAX_BODY_BYTES} bytes with a 413, declared or chunked, and stores nothing`, async () => {
    const big = JSON.stringify({ tone: 'positive', text: `${uniqueText()} ${'é'.repeat(PUBLIC_MAX_BODY_BYTES)}` });
    for (const path of ['/v1/exchangers/aurora/reviews', '/v1/exchangers/aurora/claims']) {
      const declared = await app.send<ApiErrorBody>('POST', path, visitor(), big);
      expect(declared.status, path).toBe(413);
      expect(declared.body.message).toBe(`the request body is too large: at most ${PUBLIC_MAX_BODY_BYTES} bytes`);
    }
    const by = visitor();
    const chunked = await http<ApiErrorBody>(`${app.api.url}/v1/exchangers/aurora/reviews`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': by.ip, 'user-agent': by.userAgent },
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const huge = await app.send('POST', '/v1/exchangers/aurora/reviews', visitor(), 'x'.repeat(2 * 1024 * 1024));
    expect(huge.status).toBe(413);
    const { rows } = await app.pg.query(`SELECT 1 FROM reviews WHERE length(text) > $1`, [2000]);
    expect(rows).toEqual([]);
  });

  it.each([
    ['malformed JSON', '{"tone": "positive", "text": ', 400, /not valid JSON/],
    ['an empty JSON body', '', 400, /body is empty/],
    ['a JSON array', '[1, 2, 3]', 400, /tone|text/],
    ['a JSON string', '"hello"', 400, /./],
    ['a deeply nested body', `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`, 400, /nested deeper/],
    ['a prototype-polluting body', `{"tone":"positive","text":"${uniqueText()}","__proto__":{"admin":true}}`, 400, /./],
  ])('refuses %s with a 4xx that says what is wrong', async (_name, body, status, message) => {
    const answer = await app.send<ApiErrorBody>('POST', '/v1/exchangers/aurora/reviews', visitor(), body);
    expect(answer.status).toBe(status);
    expect(answer.body.message).toMatch(message);
  });

  it.each(['application/x-www-form-urlencoded', 'text/plain', 'application/xml'])(
    'refuses a %s body with a 4xx naming what is missing',
    async (contentType) => {
      const answer = await app.send<ApiErrorBody>('POST', '/v1/exchangers/aurora/reviews', visitor(), 'tone=positive', {
        'content-type': contentType,
      });
      expect(answer.status).toBe(400);
      expect(answer.body.message).toMatch(/tone must be one of|text must be a string/);
    },
  );

  it('answers 404 for an unknown exchanger and 400 for a bad tone or a short text', async () => {
    expect((await app.send('POST', '/v1/exchangers/no-such-one/reviews', visitor(), review())).status).toBe(404);
    const tone = await app.send<ApiErrorBody>(
      'POST',
      '/v1/exchangers/aurora/reviews',
      visitor(),
      review({ tone: '<script>' }),
    );
    expect(tone.status).toBe(400);
    expect(tone.body.message).toBe('tone must be one of positive, neutral, negative');
    const short = await app.send<ApiErrorBody>(
      'POST',
      '/v1/exchangers/aurora/reviews',
      visitor(),
      review({ text: ' \u200b'.repeat(30) }),
    );
    expect(short.status).toBe(400);
    expect(short.body.message).toMatch(/text must be 20–2000 characters of text \(it has 0\)/);
  });
});

function review(extra: Record<string, unknown> = {}) {
  return { tone: 'positive', text: uniqueText(), ...extra };
}
