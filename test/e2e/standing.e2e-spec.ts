import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { ClaimsRepository, ClicksRepository, ReputationRepository } from '@app/database';
import { SnapshotChanges } from '@app/messaging';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { http } from '../support/http';
import { newVisitor, uniqueText } from '../support/reputation';
import { adminActor, createTestDatabase, TestDatabase } from '../support/services';

interface Counts {
  positive: number;
  neutral: number;
  negative: number;
  claimsOpen: number;
}
interface Standing {
  slug: string;
  status: string;
  listedSince: string;
  reviews: Counts;
}
interface RatesBody {
  items: Array<{ exchanger: Standing; rate: string }>;
}

const ZERO: Counts = { positive: 0, neutral: 0, negative: 0, claimsOpen: 0 };
const ADMIN_KEY = 'standing-test-admin-key-0123456789abcdef';

/**
 * Standing on every rate (issue 19): /v1/rates and /v1/exchangers carry each exchanger's review counts,
 * open claims, listing date and status, kept by moderation (never counted per request) and fresh after
 * every moderation act, cached answers and the calculator's kept rows included.
 */
describe('standing beside the rates', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let dataSource: DataSource;
  let reviews: ReputationRepository;
  let claims: ClaimsRepository;
  let secret: string;
  let admin: { keyId: number };
  const ids = new Map<string, number>();

  const get = async <T>(path: string): Promise<T> => {
    const answer = await http<T>(`${api.url}${path}`);
    expect(answer.status, path).toBe(200);
    return answer.body;
  };
  /** What R1's moderation routes do after every act that changes counts: drop the cached answers. */
  const announce = () => api.app.get(SnapshotChanges).publish({ all: true });
  const onRates = async (slug: string, query = '') =>
    (await get<RatesBody>(`/v1/rates?from=BTC&to=SBERRUB${query}`)).items.find((i) => i.exchanger.slug === slug)!
      .exchanger;
  const onList = async (slug: string) =>
    (await get<{ items: Standing[] }>('/v1/exchangers')).items.find((e) => e.slug === slug)!;
  const published = async (slug: string, tone: 'positive' | 'neutral' | 'negative') => {
    const review = await reviews.submitReview({
      exchangerId: ids.get(slug)!,
      tone,
      text: uniqueText(),
      visitor: newVisitor(secret),
    });
    await reviews.moderateReview(admin, review.id, 'publish');
    return review.id;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startApi(
      loadConfig({
        DATABASE_URL: db.url,
        ADMIN_API_KEY: ADMIN_KEY,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        PUBLIC_CACHE_SECONDS: '60',
        PUBLIC_RATE_LIMIT: '0',
      }),
    );
    dataSource = api.app.get(DataSource);
    reviews = api.app.get(ReputationRepository);
    claims = api.app.get(ClaimsRepository);
    secret = await api.app.get(ClicksRepository).visitorSecret();
    admin = await adminActor(dataSource);
    for (const [slug, rate, listed] of [
      ['aura', '6900000', '2025-03-14T09:00:00Z'],
      ['bitok', '6800000', '2026-01-02T03:04:05Z'],
    ] as const) {
      const [row] = await dataSource.query<Array<{ id: number }>>(
        `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url, created_at)
                    VALUES ($1::text, initcap($1::text), 'https://' || $1 || '.example', 'https://' || $1 || '.example/?r=1', $3)
                    RETURNING id),
              f AS (INSERT INTO feeds (exchanger_id, url, last_success_at, last_status, stale_after_s)
                    SELECT id, 'https://' || $1 || '.example/rates.xml', now(), 'ok', 86400 FROM e RETURNING id, exchanger_id)
         INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, amount_in, amount_out, rate, reserve)
         SELECT id, exchanger_id, 'BTC', 'SBERRUB', 1, $2::numeric, $2::numeric, 100000000 FROM f RETURNING exchanger_id AS id`,
        [slug, rate, listed],
      );
      ids.set(slug, row!.id);
    }
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('gives every rate and every listed exchanger zeros, its listing date and status before any review', async () => {
    for (const standing of [await onRates('aura'), await onList('aura'), await get<Standing>('/v1/exchangers/aura')])
      expect(standing).toMatchObject({ status: 'active', listedSince: '2025-03-14T09:00:00.000Z', reviews: ZERO });
    expect((await onRates('bitok')).listedSince).toBe('2026-01-02T03:04:05.000Z');
  });

  it('counts a review once it is published, by tone, and never a pending or rejected one', async () => {
    await published('aura', 'positive');
    await published('aura', 'positive');
    await published('aura', 'negative');
    const pending = await reviews.submitReview({
      exchangerId: ids.get('aura')!,
      tone: 'negative',
      text: uniqueText(),
      visitor: newVisitor(secret),
    });
    const rejected = await reviews.submitReview({
      exchangerId: ids.get('aura')!,
      tone: 'neutral',
      text: uniqueText(),
      visitor: newVisitor(secret),
    });
    await reviews.moderateReview(admin, rejected.id, 'reject', 'bought with a bonus');
    announce();

    const expected = { positive: 2, neutral: 0, negative: 1, claimsOpen: 0 };
    expect((await onRates('aura')).reviews).toEqual(expected);
    expect((await onRates('aura', '&amount=0.5')).reviews).toEqual(expected);
    expect((await onList('aura')).reviews).toEqual(expected);
    expect((await get<Standing>('/v1/exchangers/aura')).reviews).toEqual(expected);
    // Another exchanger's counts are its own.
    expect((await onRates('bitok')).reviews).toEqual(ZERO);
    expect((await onList('bitok')).reviews).toEqual(ZERO);

    await reviews.moderateReview(admin, pending.id, 'publish');
    announce();
    expect((await onRates('aura')).reviews).toEqual({ ...expected, negative: 2 });
  });

  it('takes a published review back out of the counts when it is rejected after all', async () => {
    const id = await published('bitok', 'neutral');
    announce();
    expect((await onRates('bitok')).reviews).toEqual({ ...ZERO, neutral: 1 });
    await reviews.moderateReview(admin, id, 'reject', 'written by the exchanger itself');
    announce();
    expect((await onRates('bitok')).reviews).toEqual(ZERO);
    expect((await onList('bitok')).reviews).toEqual(ZERO);
  });

  it('counts a claim while it is open or answered, not while pending nor once resolved or rejected', async () => {
    const file = () =>
      claims.fileClaim({
        exchangerId: ids.get('bitok')!,
        orderRef: `#${uniqueText(1)}`,
        text: uniqueText(),
        amount: '0.01',
        currency: 'BTC',
        visitor: newVisitor(secret),
      });
    const first = await file();
    const second = await file();
    announce();
    expect((await onRates('bitok')).reviews.claimsOpen).toBe(0);

    await claims.moderateClaim(admin, first.id, 'accept');
    await claims.moderateClaim(admin, second.id, 'accept');
    announce();
    expect((await onRates('bitok')).reviews.claimsOpen).toBe(2);
    expect((await onList('bitok')).reviews.claimsOpen).toBe(2);

    await claims.moderateClaim(admin, first.id, 'resolve', 'refunded');
    await claims.moderateClaim(admin, second.id, 'reject', 'no such order');
    announce();
    expect((await onRates('bitok')).reviews.claimsOpen).toBe(0);
    expect((await get<Standing>('/v1/exchangers/bitok')).reviews.claimsOpen).toBe(0);
  });

  it('reads counts with the shown feeds: a new amount on a kept direction shows them once a change is announced', async () => {
    // The calculator keeps the direction's offer rows and which of its feeds are shown (with the counts) for
    // PUBLIC_CACHE_SECONDS; a moderation act announces a change of everything, which drops both.
    expect((await onRates('aura', '&amount=0.25')).reviews.positive).toBe(2);
    await published('aura', 'positive');
    announce();
    expect((await onRates('aura', '&amount=0.75')).reviews.positive).toBe(3);
  });

  it('drops cached answers on a moderation act through the admin API: the very same URLs show the new counts', async () => {
    // Cached now, and stale: the test before changed the counts through the repository, which announces nothing.
    await onRates('aura');
    await onList('aura');
    const truth = (await reviews.standing([ids.get('aura')!])).get(ids.get('aura')!)!;
    const review = await reviews.submitReview({
      exchangerId: ids.get('aura')!,
      tone: 'neutral',
      text: uniqueText(),
      visitor: newVisitor(secret),
    });
    const publish = await http(`${api.url}/v1/admin/reviews/${review.id}/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(publish.status).toBe(200);
    const expected = { ...truth, neutral: truth.neutral + 1 };
    expect((await onRates('aura')).reviews).toEqual(expected);
    expect((await onList('aura')).reviews).toEqual(expected);
    expect((await get<Standing>('/v1/exchangers/aura')).reviews).toEqual(expected);
  });

  it('never counts reviews per request: the answer reads the maintained row, so a row set by hand is what it shows', async () => {
    await dataSource.query(
      `INSERT INTO exchanger_standing (exchanger_id, positive, neutral, negative, claims_open) VALUES ($1, 7, 8, 9, 1)
       ON CONFLICT (exchanger_id) DO UPDATE SET positive = 7, neutral = 8, negative = 9, claims_open = 1`,
      [ids.get('bitok')],
    );
    announce();
    const expected = { positive: 7, neutral: 8, negative: 9, claimsOpen: 1 };
    expect((await onRates('bitok')).reviews).toEqual(expected);
    expect((await onList('bitok')).reviews).toEqual(expected);
  });
});
