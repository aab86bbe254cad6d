import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClaimsRepository } from '@app/database';
import { SnapshotChangeEvent, SnapshotChanges } from '@app/messaging';
import type { ApiErrorBody } from '../../apps/api/src/common/api-error.dto';
import { http } from '../support/http';
import { ReputationApi, visitor } from '../support/reputation-api';
import { uniqueText } from '../support/reputation';
import { adminActor } from '../support/services';

interface Review {
  id: string;
  state: string;
  rejectReason: string | null;
  moderatedAt: string | null;
  moderatedBy: number | null;
  createdAt: string;
  visited: boolean;
  burst: boolean;
  exchanger?: string;
  visitor?: string;
  ip?: string;
}
interface ClaimEvent {
  at: string;
  action: string;
  actor: string;
  keyId?: number | null;
  fromState?: string | null;
  toState: string;
  text: string | null;
}
interface Claim {
  id: string;
  state: string;
  openedAt: string | null;
  closedAt: string | null;
  events: ClaimEvent[];
}
interface Act {
  entity: string;
  entityId: string;
  action: string;
  fromState: string;
  toState: string;
  reason: string | null;
  at: string;
}
interface Standing {
  positive: number;
  neutral: number;
  negative: number;
  claims_open: number;
}

/** Moderation over HTTP: the life of a review and of a claim, every step timed, kept and audited. */
describe('moderation (admin API)', () => {
  const app = new ReputationApi();
  let auroraId: number;
  const events: SnapshotChangeEvent[] = [];

  const standing = async (exchangerId: number): Promise<Standing> => {
    const { rows } = await app.pg.query<Standing>(
      `SELECT positive, neutral, negative, claims_open FROM exchanger_standing WHERE exchanger_id = $1`,
      [exchangerId],
    );
    return rows[0] ?? { positive: 0, neutral: 0, negative: 0, claims_open: 0 };
  };
  const audit = async (entity: string, id: string) =>
    (await app.admin<{ items: Act[] }>('GET', `/v1/admin/moderation/audit?entity=${entity}&id=${id}`)).body.items;
  const postReview = async (slug: string, tone = 'positive') => {
    const posted = await app.send<{ id: string }>('POST', `/v1/exchangers/${slug}/reviews`, visitor(), {
      tone,
      text: uniqueText(),
    });
    expect(posted.status).toBe(201);
    return posted.body.id;
  };
  const fileClaim = async (slug: string) => {
    const filed = await app.send<{ id: string }>('POST', `/v1/exchangers/${slug}/claims`, visitor(), {
      orderRef: 'ORD-9',
      text: uniqueText(),
      amount: '0.015',
      currency: 'BTC',
    });
    expect(filed.status).toBe(201);
    return filed.body.id;
  };
  const publicReviews = async (slug: string) =>
    (await app.send<{ items: Array<{ id: string }> }>('GET', `/v1/exchangers/${slug}/reviews`, visitor())).body.items;
  const publicClaims = async (slug: string) =>
    (await app.send<{ items: Array<Claim & { orderRef: string }> }>('GET', `/v1/exchangers/${slug}/claims`, visitor()))
      .body.items;

  beforeAll(async () => {
    await app.start();
    auroraId = await app.exchanger('aurora');
    await app.exchanger('borealis');
    await app.exchanger('crowded');
    app.api.app.get(SnapshotChanges).subscribe((event) => events.push(event));
  });

  afterAll(() => app.stop());

  it('takes a review through its life: pending → published (shown, counted) → rejected with the reason kept', async () => {
    const id = await postReview('aurora', 'negative');
    const queued = await app.admin<{ items: Review[] }>('GET', '/v1/admin/reviews?exchanger=aurora');
    const mine = queued.body.items.find((r) => r.id === id)!;
    expect(mine).toMatchObject({ state: 'pending', exchanger: 'aurora', visited: false, burst: false });
    // Moderators tell posters apart by short hashes, never the whole ones.
    expect(mine.visitor).toMatch(/^[0-9a-f]{12}$/);
    expect(mine.ip).toMatch(/^[0-9a-f]{12}$/);
    expect(queued.text).not.toMatch(/[0-9a-f]{40}/);

    const changesBefore = events.length;
    const published = await app.admin<Review>('POST', `/v1/admin/reviews/${id}/publish`);
    expect(published.status).toBe(200);
    const { rows: keys } = await app.pg.query<{ id: number }>(`SELECT id FROM api_keys WHERE name LIKE 'bootstrap%'`);
    expect(published.body).toMatchObject({ id, state: 'published', moderatedBy: keys[0]!.id, rejectReason: null });
    expect(Date.parse(published.body.moderatedAt!)).toBeGreaterThanOrEqual(Date.parse(published.body.createdAt));
    expect(events.length).toBeGreaterThan(changesBefore);
    expect(events.at(-1)).toEqual({ all: true });
    expect((await publicReviews('aurora')).map((r) => r.id)).toContain(id);
    expect(await standing(auroraId)).toMatchObject({ negative: 1, positive: 0 });

    const again = await app.admin<ApiErrorBody>('POST', `/v1/admin/reviews/${id}/publish`);
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/a published review cannot be published/);

    const noReason = await app.admin<ApiErrorBody>('POST', `/v1/admin/reviews/${id}/reject`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.message).toMatch(/reason must be a string of 3-500 characters/);
    const taken = await app.admin<Review>('POST', `/v1/admin/reviews/${id}/reject`, { reason: 'bought with a bonus' });
    expect(taken.body).toMatchObject({ state: 'rejected', rejectReason: 'bought with a bonus' });
    expect((await publicReviews('aurora')).map((r) => r.id)).not.toContain(id);
    expect(await standing(auroraId)).toMatchObject({ negative: 0 });
    expect((await app.admin('POST', `/v1/admin/reviews/${id}/reject`, { reason: 'again' })).status).toBe(409);

    const acts = await audit('review', id);
    expect(acts.map((a) => [a.action, a.fromState, a.toState, a.reason])).toEqual([
      ['reject', 'published', 'rejected', 'bought with a bonus'],
      ['publish', 'pending', 'published', null],
    ]);
    expect(Date.parse(acts[0]!.at)).toBeGreaterThanOrEqual(Date.parse(acts[1]!.at));
    const rejected = await app.admin<{ items: Review[] }>('GET', '/v1/admin/reviews?state=rejected&exchanger=aurora');
    expect(rejected.body.items.map((r) => r.id)).toContain(id);
  });

  it('rejects a pending review with its reason: never shown nor counted', async () => {
    const id = await postReview('borealis');
    const rejected = await app.admin<Review>('POST', `/v1/admin/reviews/${id}/reject`, { reason: 'spam link' });
    expect(rejected.body).toMatchObject({ state: 'rejected', rejectReason: 'spam link' });
    expect((await publicReviews('borealis')).map((r) => r.id)).not.toContain(id);
    expect((await app.admin('POST', `/v1/admin/reviews/${id}/publish`)).status).toBe(409);
    expect((await audit('review', id)).map((a) => a.toState)).toEqual(['rejected']);
  });

  it('takes a claim through its life: pending → open → answered → resolved, each step timed and kept', async () => {
    const id = await fileClaim('aurora');
    expect((await publicClaims('aurora')).map((c) => c.id)).not.toContain(id);
    const queue = await app.admin<{ items: Claim[] }>('GET', '/v1/admin/claims?state=pending');
    expect(queue.body.items.map((c) => c.id)).toContain(id);

    const accepted = await app.admin<Claim>('POST', `/v1/admin/claims/${id}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ state: 'open', closedAt: null });
    expect(await standing(auroraId)).toMatchObject({ claims_open: 1 });
    expect((await publicClaims('aurora')).find((c) => c.id === id)).toMatchObject({ state: 'open', orderRef: 'ORD-9' });

    // The exchanger's answer (its cabinet route is another part of the issue): straight through the repository.
    const { keyId } = await adminActor(app.api.app.get(DataSource), 'aurora cabinet');
    await app.api.app.get(ClaimsRepository).answerClaim({ keyId, exchangerId: auroraId }, id, 'Refunded today, sorry.');
    expect(await standing(auroraId)).toMatchObject({ claims_open: 1 });

    const resolved = await app.admin<Claim>('POST', `/v1/admin/claims/${id}/resolve`, { text: 'refund confirmed' });
    expect(resolved.body).toMatchObject({ state: 'resolved', closedAt: expect.any(String) });
    expect(await standing(auroraId)).toMatchObject({ claims_open: 0 });
    expect(resolved.body.events.map((e) => [e.action, e.actor, e.fromState, e.toState, e.text])).toEqual([
      ['file', 'visitor', null, 'pending', null],
      ['accept', 'admin', 'pending', 'open', null],
      ['answer', 'exchanger', 'open', 'answered', 'Refunded today, sorry.'],
      ['resolve', 'admin', 'answered', 'resolved', 'refund confirmed'],
    ]);
    const times = resolved.body.events.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    // The public sees every step, but no key id nor hash.
    const shown = (await publicClaims('aurora')).find((c) => c.id === id)!;
    expect(shown).toMatchObject({ state: 'resolved', amount: '0.015', currency: 'BTC' });
    expect(shown.events.map((e) => e.toState)).toEqual(['pending', 'open', 'answered', 'resolved']);
    for (const event of shown.events)
      expect(Object.keys(event).sort()).toEqual(['action', 'actor', 'at', 'text', 'toState']);
    expect(Object.keys(shown)).not.toContain('visitorHash');

    expect((await app.admin('POST', `/v1/admin/claims/${id}/reject`, { reason: 'too late' })).status).toBe(409);
    expect((await audit('claim', id)).map((a) => a.action)).toEqual(['resolve', 'accept']);
  });

  it('rejects claims: a pending one unseen, an open one with its count given back, the reason kept', async () => {
    const spam = await fileClaim('borealis');
    const rejected = await app.admin<Claim>('POST', `/v1/admin/claims/${spam}/reject`, { reason: 'no such order' });
    expect(rejected.body.state).toBe('rejected');
    expect(rejected.body.events.at(-1)).toMatchObject({ action: 'reject', text: 'no such order' });
    expect((await publicClaims('borealis')).map((c) => c.id)).not.toContain(spam);

    const unfounded = await fileClaim('borealis');
    await app.admin('POST', `/v1/admin/claims/${unfounded}/accept`);
    const borealisId = (await app.pg.query<{ id: number }>(`SELECT id FROM exchangers WHERE slug = 'borealis'`))
      .rows[0]!.id;
    expect(await standing(borealisId)).toMatchObject({ claims_open: 1 });
    await app.admin('POST', `/v1/admin/claims/${unfounded}/reject`, { reason: 'the order was paid out' });
    expect(await standing(borealisId)).toMatchObject({ claims_open: 0 });
    expect((await publicClaims('borealis')).find((c) => c.id === unfounded)?.state).toBe('rejected');
    expect((await app.admin('POST', `/v1/admin/claims/${unfounded}/accept`)).status).toBe(409);
    const acts = await audit('claim', unfounded);
    expect(acts[0]).toMatchObject({
      action: 'reject',
      fromState: 'open',
      toState: 'rejected',
      reason: 'the order was paid out',
    });
  });

  it('flags a burst of reviews of one exchanger for moderators, and filters by it', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await postReview('crowded'));
    const queue = await app.admin<{ items: Review[]; bursts: Array<{ exchanger: string; pending: number }> }>(
      'GET',
      '/v1/admin/reviews?burst=true',
    );
    expect(queue.body.items.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(queue.body.bursts).toEqual([
      { exchanger: 'crowded', pending: 6, firstAt: expect.any(String), lastAt: expect.any(String) },
    ]);
    const calm = await app.admin<{ items: Review[] }>('GET', '/v1/admin/reviews?burst=false&state=all');
    expect(calm.body.items.map((r) => r.id)).not.toContain(ids[0]);
  });

  it('pages a queue oldest first by cursor', async () => {
    const first = await app.admin<{ items: Review[]; nextCursor: string }>(
      'GET',
      '/v1/admin/reviews?state=all&limit=2',
    );
    const second = await app.admin<{ items: Review[] }>(
      'GET',
      `/v1/admin/reviews?state=all&limit=2&cursor=${first.body.nextCursor}`,
    );
    const ids = [...first.body.items, ...second.body.items].map((r) => Number(r.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(4);
  });

  it('refuses bad filters, ids and bodies with a 400 that says what to fix, unknown ones with a 404', async () => {
    for (const [path, message] of [
      ['/v1/admin/reviews?state=open', /state must be one of pending, published, rejected, all/],
      ['/v1/admin/reviews?burst=maybe', /burst must be true or false/],
      ['/v1/admin/reviews?exchanger=NOT%20A%20SLUG', /exchanger must be/],
      ['/v1/admin/claims?state=published', /state must be one of pending, open, answered, resolved, rejected, all/],
      ['/v1/admin/claims?limit=501', /limit must be at most 500/],
      ['/v1/admin/moderation/audit?entity=feed', /entity must be review or claim/],
      ['/v1/admin/moderation/audit?id=1.5', /id must be the id of a review or claim/],
    ] as const) {
      const answer = await app.admin<ApiErrorBody>('GET', path);
      expect(answer.status, path).toBe(400);
      expect(answer.body.message, path).toMatch(message);
    }
    expect((await app.admin('GET', '/v1/admin/claims?exchanger=nobody')).status).toBe(404);
    for (const path of ['/v1/admin/reviews/abc/publish', '/v1/admin/claims/-1/accept', '/v1/admin/claims/1e3/accept']) {
      const answer = await app.admin<ApiErrorBody>('POST', path);
      expect(answer.status, path).toBe(400);
      expect(answer.body.message).toBe('the id must be a whole number');
    }
    expect((await app.admin('POST', '/v1/admin/reviews/999999999/publish')).status).toBe(404);
    expect((await app.admin('POST', '/v1/admin/claims/999999999/accept')).status).toBe(404);
    const id = await postReview('borealis');
    const extra = await app.admin<ApiErrorBody>('POST', `/v1/admin/reviews/${id}/reject`, {
      reason: 'spam',
      ban: true,
    });
    expect(extra.status).toBe(400);
    expect(extra.body.message).toMatch(/property ban should not exist/);
    expect((await app.admin('POST', `/v1/admin/reviews/${id}/reject`, { reason: 'no' })).status).toBe(400);
  });

  it('answers 401 to every moderation route without the admin key', async () => {
    for (const [method, path] of [
      ['GET', '/v1/admin/reviews'],
      ['POST', '/v1/admin/reviews/1/publish'],
      ['POST', '/v1/admin/reviews/1/reject'],
      ['GET', '/v1/admin/claims'],
      ['POST', '/v1/admin/claims/1/accept'],
      ['POST', '/v1/admin/claims/1/resolve'],
      ['POST', '/v1/admin/claims/1/reject'],
      ['GET', '/v1/admin/moderation/audit'],
    ] as const)
      expect((await http(`${app.api.url}${path}`, { method })).status, path).toBe(401);
  });
});
