import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_LIMITS, REVIEW_LIMITS } from '@app/domain';
import type { ApiErrorBody } from '../../apps/api/src/common/api-error.dto';
import { ReputationApi, visitor, Visitor } from '../support/reputation-api';
import { uniqueText } from '../support/reputation';

interface Submitted {
  id: string;
  state: string;
  visited: boolean;
}
interface ReviewList {
  items: Array<{ id: string; tone: string; text: string; orderRef: string | null; visited: boolean; reply: unknown }>;
  nextCursor: string | null;
}

const review = (extra: Record<string, unknown> = {}) => ({ tone: 'positive', text: uniqueText(), ...extra });
const claim = (extra: Record<string, unknown> = {}) => ({ orderRef: 'A-1', text: uniqueText(), ...extra });

/** Posting reviews and claims over HTTP: what is stored, the visited mark, every abuse limit, what is refused. */
describe('reviews and claims (public API)', () => {
  const app = new ReputationApi();
  const others: string[] = [];

  const postReview = (slug: string, by: Visitor, body: unknown = review()) =>
    app.send<Submitted>('POST', `/v1/exchangers/${slug}/reviews`, by, body);
  const postClaim = (slug: string, by: Visitor, body: unknown = claim()) =>
    app.send<Submitted>('POST', `/v1/exchangers/${slug}/claims`, by, body);
  const publish = (id: string) => app.admin('POST', `/v1/admin/reviews/${id}/publish`);

  beforeAll(async () => {
    // A per-address limit high enough for each test's visitors, low enough to meet in one test.
    await app.start({ PUBLIC_RATE_LIMIT: '40' });
    await app.exchanger('aurora');
    await app.exchanger('borealis');
    await app.exchanger('sleeping', 'disabled');
    for (let i = 1; i <= 8; i++) others.push(await app.exchanger(`other-${i}`).then(() => `other-${i}`));
  });

  afterAll(() => app.stop());

  it('stores a review as pending, not shown until a moderator publishes it, then shown newest first', async () => {
    const by = visitor();
    const text = `Fast and fair: <b>the rate</b> was as shown. ${uniqueText(6)}`;
    const posted = await postReview('aurora', by, { tone: 'neutral', text, orderRef: 'ORD-77' });
    expect(posted.status).toBe(201);
    expect(posted.body).toEqual({ id: expect.stringMatching(/^\d+$/), state: 'pending', visited: false });
    const before = await app.send<ReviewList>('GET', '/v1/exchangers/aurora/reviews', by);
    expect(before.status).toBe(200);
    expect(before.body.items.map((r) => r.id)).not.toContain(posted.body.id);

    expect((await publish(posted.body.id)).status).toBe(200);
    const after = await app.send<ReviewList>('GET', '/v1/exchangers/aurora/reviews', by);
    expect(after.body.items[0]).toEqual({
      id: posted.body.id,
      tone: 'neutral',
      text,
      orderRef: 'ORD-77',
      visited: false,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      reply: null,
    });
  });

  it('pages the published reviews newest first by cursor, and refuses a cursor it did not make', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const posted = await postReview('borealis', visitor());
      ids.push(posted.body.id);
      await publish(posted.body.id);
    }
    const by = visitor();
    const first = await app.send<ReviewList>('GET', '/v1/exchangers/borealis/reviews?limit=2', by);
    expect(first.body.items.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    const second = await app.send<ReviewList>(
      'GET',
      `/v1/exchangers/borealis/reviews?limit=2&cursor=${first.body.nextCursor}`,
      by,
    );
    expect(second.body).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    for (const query of ['limit=0', 'limit=101', 'limit=x', 'cursor=1;DROP', 'cursor=-1', 'color=red']) {
      const bad = await app.send<ApiErrorBody>('GET', `/v1/exchangers/borealis/reviews?${query}`, by);
      expect(bad.status, query).toBe(400);
      expect(bad.body.message, query).toMatch(/limit|cursor|color/);
    }
  });

  describe('the visited mark', () => {
    it('is set when the visitor clicked through /go to this exchanger first, with the same address and browser', async () => {
      const by = visitor();
      await app.clickThrough('aurora', by);
      const posted = await postReview('aurora', by);
      expect(posted.body).toMatchObject({ state: 'pending', visited: true });
      await publish(posted.body.id);
      const list = await app.send<ReviewList>('GET', '/v1/exchangers/aurora/reviews', by);
      expect(list.body.items.find((r) => r.id === posted.body.id)?.visited).toBe(true);
    });

    it('is not set without a click, for a click to another exchanger, or for another browser at the address', async () => {
      const never = visitor();
      expect((await postReview('aurora', never)).body.visited).toBe(false);

      const elsewhere = visitor();
      await app.clickThrough('borealis', elsewhere);
      expect((await postReview('aurora', elsewhere)).body.visited).toBe(false);

      const clicker = visitor();
      await app.clickThrough('aurora', clicker);
      const sameAddress = { ip: clicker.ip, userAgent: `${clicker.userAgent} other-browser` };
      expect((await postReview('aurora', sameAddress)).body.visited).toBe(false);
    });

    it('is not set by a click older than the 30-day window', async () => {
      const by = visitor();
      await app.clickThrough('borealis', by);
      await app.pg.query(
        `UPDATE clicks SET at = now() - interval '31 days' WHERE exchanger_id = (SELECT id FROM exchangers WHERE slug = 'borealis') AND at > now() - interval '1 minute'`,
      );
      expect((await postReview('borealis', by)).body.visited).toBe(false);
    });
  });

  describe('abuse limits', () => {
    it('one review of an exchanger a day: the second is a 429 with Retry-After until the UTC day ends', async () => {
      const by = visitor();
      expect((await postReview('aurora', by)).status).toBe(201);
      const again = await postReview('aurora', by);
      expect(again.status).toBe(429);
      expect((again.body as unknown as ApiErrorBody).message).toMatch(/one review of an exchanger a day/);
      const retryAfter = Number(again.headers.get('retry-after'));
      const endOfDay = Math.ceil(
        (Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1) - Date.now()) /
          1000,
      );
      expect(retryAfter).toBeGreaterThan(0);
      expect(Math.abs(retryAfter - endOfDay)).toBeLessThan(60);
      // Another exchanger is still open to the same visitor.
      expect((await postReview('borealis', by)).status).toBe(201);
    });

    it(`at most ${REVIEW_LIMITS.perVisitorPerDay} reviews a day by one visitor, all exchangers together`, async () => {
      const by = visitor();
      for (const slug of others.slice(0, REVIEW_LIMITS.perVisitorPerDay))
        expect((await postReview(slug, by)).status, slug).toBe(201);
      const over = await postReview(others[REVIEW_LIMITS.perVisitorPerDay]!, by);
      expect(over.status).toBe(429);
      expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((over.body as unknown as ApiErrorBody).message).toMatch(/at most 5 reviews a day/);
    });

    it(`at most ${REVIEW_LIMITS.perIpPerDay} reviews a day from one address, whatever the browsers`, async () => {
      const ip = '198.18.7.7';
      let posted = 0;
      for (const slug of others) {
        for (let browser = 0; browser < 2 && posted < REVIEW_LIMITS.perIpPerDay; browser++, posted++)
          expect((await postReview(slug, visitor(ip))).status).toBe(201);
      }
      expect(posted).toBe(REVIEW_LIMITS.perIpPerDay);
      const over = await postReview('aurora', visitor(ip));
      expect(over.status).toBe(429);
      expect((over.body as unknown as ApiErrorBody).message).toMatch(/from one address/);
      // An IPv6 visitor is counted by its /64: rotating the rest of the address does not escape it.
      const v6 = (n: number) => visitor(`2001:db8:1:2::${n.toString(16)}`);
      for (let n = 0; n < REVIEW_LIMITS.perIpPerDay; n++)
        expect((await postReview(others[n % others.length]!, v6(n + 1))).status).toBe(201);
      expect((await postReview('aurora', v6(0xfff))).status).toBe(429);
    });

    it('refuses the same text, or nearly, about the same exchanger with a 409', async () => {
      const text = `Took my money and never sent the coins, avoid this exchanger ${uniqueText(3)}`;
      expect((await postReview('borealis', visitor(), { tone: 'negative', text })).status).toBe(201);
      const copy = await postReview('borealis', visitor(), { tone: 'negative', text: `${text.toUpperCase()}!!` });
      expect(copy.status).toBe(409);
      expect((copy.body as unknown as ApiErrorBody).message).toMatch(/already posted/);
    });

    it(`claims: one of an exchanger a day, at most ${CLAIM_LIMITS.perVisitorPerDay} a day by a visitor`, async () => {
      const by = visitor();
      expect((await postClaim('aurora', by)).status).toBe(201);
      const again = await postClaim('aurora', by);
      expect(again.status).toBe(429);
      expect(again.headers.get('retry-after')).toMatch(/^\d+$/);
      for (const slug of others.slice(0, CLAIM_LIMITS.perVisitorPerDay - 1))
        expect((await postClaim(slug, by)).status).toBe(201);
      expect((await postClaim(others[7]!, by)).status).toBe(429);
    });

    it('the per-address rate limit of the public API covers the posts too (each route counted on its own)', async () => {
      const by = visitor();
      let status = 0;
      // Refused posts count as well: a flood of bad bodies is throttled like any other.
      for (let i = 0; i < 45 && status !== 429; i++) status = (await postReview('borealis', by, {})).status;
      expect(status).toBe(429);
      const post = await postReview('borealis', by);
      expect(post.status).toBe(429);
      expect((post.body as unknown as ApiErrorBody).message).toMatch(/too many requests from this address/);
      expect(post.headers.get('retry-after')).toMatch(/^\d+$/);
    });
  });

  describe('input', () => {
    it.each([
      [{ tone: 'great', text: uniqueText() }, /tone must be one of positive, neutral, negative/],
      [{ text: uniqueText() }, /tone must be one of/],
      [{ tone: 'positive', text: 'too short' }, /text must be 20–2000 characters of text \(it has 9\)/],
      [{ tone: 'positive', text: 'x'.repeat(2001) }, /text must be 20–2000 characters/],
      [{ tone: 'positive', text: 42 }, /text must be a string/],
      [{ tone: 'positive', text: uniqueText(), orderRef: 'a\nb' }, /orderRef must be one line/],
      [{ tone: 'positive', text: uniqueText(), stars: 5 }, /property stars should not exist/],
    ])('a review %j is a 400 saying what to fix', async (body, message) => {
      const answer = await postReview('aurora', visitor(), body);
      expect(answer.status).toBe(400);
      expect((answer.body as unknown as ApiErrorBody).message).toMatch(message);
    });

    it.each([
      [{ text: uniqueText() }, /orderRef must be a string/],
      [claim({ amount: '150.5' }), /amount and currency go together/],
      [claim({ amount: '-1', currency: 'USDTTRC20' }), /amount must be a positive decimal/],
      [claim({ amount: '0', currency: 'USDTTRC20' }), /amount must be a positive decimal/],
      [claim({ amount: 150.5, currency: 'USDTTRC20' }), /amount must be a positive decimal string/],
      [claim({ amount: '1', currency: 'NOPE99' }), /currency NOPE99 is not in the catalog/],
    ])('a claim %j is a 400 saying what to fix', async (body, message) => {
      const answer = await postClaim('aurora', visitor(), body);
      expect(answer.status).toBe(400);
      expect((answer.body as unknown as ApiErrorBody).message).toMatch(message);
    });

    it('files a claim with its amount kept as a decimal string', async () => {
      const by = visitor();
      const posted = await postClaim('borealis', by, claim({ amount: '150.50', currency: 'usdttrc20' }));
      expect(posted.status).toBe(201);
      expect(posted.body).toEqual({ id: expect.stringMatching(/^\d+$/), state: 'pending' });
      const { rows } = await app.pg.query(`SELECT amount::text AS amount, currency, state FROM claims WHERE id = $1`, [
        posted.body.id,
      ]);
      expect(rows[0]).toEqual({ amount: '150.5', currency: 'USDTTRC20', state: 'pending' });
      // Pending claims are the moderators' only.
      const list = await app.send<{ items: Array<{ id: string }> }>('GET', '/v1/exchangers/borealis/claims', by);
      expect(list.body.items.map((c) => c.id)).not.toContain(posted.body.id);
    });

    it('answers 404 for an unknown, malformed or disabled exchanger', async () => {
      for (const slug of ['nobody', 'sleeping', 'NOT_A_SLUG', '%3Cscript%3E']) {
        expect((await postReview(slug, visitor())).status, slug).toBe(404);
        expect((await postClaim(slug, visitor())).status, slug).toBe(404);
        expect((await app.send('GET', `/v1/exchangers/${slug}/reviews`, visitor())).status, slug).toBe(404);
        expect((await app.send('GET', `/v1/exchangers/${slug}/claims`, visitor())).status, slug).toBe(404);
      }
    });
  });
});
