import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import {
  BURST,
  dailyVisitorHash,
  DuplicateTextError,
  InvalidFieldError,
  NotFoundError,
  REVIEW_LIMITS,
  SubmissionLimitError,
  TransitionError,
  utcDay,
  VisitorIdentity,
} from '@app/domain';
import { insertExchangers, newVisitor, uniqueText } from '../../../../test/support/reputation';
import { adminActor, migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { ClicksRepository } from '../repositories/clicks.repository';
import { standingColumnsSql } from './reputation-sql';
import { ReputationRepository, ReviewSubmission } from './reputation.repository';

describe('ReputationRepository (reviews)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let reviews: ReputationRepository;
  let clicks: ClicksRepository;
  let secret: string;
  let admin: { keyId: number };

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(10));
    reviews = new ReputationRepository(dataSource);
    clicks = new ClicksRepository(dataSource);
    secret = await clicks.visitorSecret();
    admin = await adminActor(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const review = (exchangerId: number, visitor: VisitorIdentity, overrides: Partial<ReviewSubmission> = {}) =>
    reviews.submitReview({ exchangerId, tone: 'positive', text: uniqueText(), visitor, ...overrides });
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (error: unknown) => error,
    );
  const ago = (ms: number) => new Date(Date.now() - ms);
  const DAY = 86_400_000;
  /** The counts recounted from the reviews themselves, to compare with the maintained ones. */
  const recount = async (exchangerId: number) => {
    const [row] = await dataSource.query<Array<{ positive: number; neutral: number; negative: number }>>(
      `SELECT count(*) FILTER (WHERE tone = 'positive' AND state = 'published')::int AS positive,
              count(*) FILTER (WHERE tone = 'neutral' AND state = 'published')::int AS neutral,
              count(*) FILTER (WHERE tone = 'negative' AND state = 'published')::int AS negative
       FROM reviews WHERE exchanger_id = $1`,
      [exchangerId],
    );
    return { ...row!, claimsOpen: 0 };
  };
  const standingOf = async (exchangerId: number) => (await reviews.standing([exchangerId])).get(exchangerId);

  describe('the moderation life of a review', () => {
    it('waits pending, is published then taken down with a reason; each act timed, audited and counted', async () => {
      const [exchangerId] = await insertExchangers(dataSource, 'life', 1);
      const submitted = await review(exchangerId!, newVisitor(secret), { tone: 'negative', orderRef: ' #A-1 ' });
      expect(submitted).toMatchObject({
        exchangerId,
        tone: 'negative',
        orderRef: '#A-1',
        state: 'pending',
        rejectReason: null,
        visited: false,
        burst: false,
        moderatedAt: null,
        moderatedBy: null,
      });
      expect((await reviews.listPublishedReviews(exchangerId!, { limit: 10 })).items).toEqual([]);
      expect(await standingOf(exchangerId!)).toEqual({ positive: 0, neutral: 0, negative: 0, claimsOpen: 0 });

      const published = await reviews.moderateReview(admin, submitted.id, 'publish');
      expect(published).toMatchObject({ state: 'published', moderatedBy: admin.keyId });
      expect(published.moderatedAt!.getTime()).toBeGreaterThanOrEqual(submitted.createdAt.getTime());
      expect((await reviews.listPublishedReviews(exchangerId!, { limit: 10 })).items.map((r) => r.id)).toEqual([
        submitted.id,
      ]);
      expect(await standingOf(exchangerId!)).toEqual({ positive: 0, neutral: 0, negative: 1, claimsOpen: 0 });

      await expect(reviews.moderateReview(admin, submitted.id, 'reject')).rejects.toThrow(InvalidFieldError);
      const takenDown = await reviews.moderateReview(admin, submitted.id, 'reject', ' bought with a bonus ');
      expect(takenDown).toMatchObject({ state: 'rejected', rejectReason: 'bought with a bonus' });
      expect(await standingOf(exchangerId!)).toEqual({ positive: 0, neutral: 0, negative: 0, claimsOpen: 0 });
      await expect(reviews.moderateReview(admin, submitted.id, 'publish')).rejects.toThrow(TransitionError);
      expect((await reviews.findReview(submitted.id))!.state).toBe('rejected');

      const audit = await reviews.moderationAudit({ entity: 'review', entityId: submitted.id }, 10);
      expect(
        audit.map(({ action, fromState, toState, reason, keyId }) => ({ action, fromState, toState, reason, keyId })),
      ).toEqual([
        {
          action: 'reject',
          fromState: 'published',
          toState: 'rejected',
          reason: 'bought with a bonus',
          keyId: admin.keyId,
        },
        { action: 'publish', fromState: 'pending', toState: 'published', reason: null, keyId: admin.keyId },
      ]);
      expect(audit[0]!.at.getTime()).toBeGreaterThanOrEqual(audit[1]!.at.getTime());
    });

    it('answers not found for a review that does not exist or an id that is not one', async () => {
      await expect(reviews.moderateReview(admin, '999999999', 'publish')).rejects.toThrow(NotFoundError);
      await expect(reviews.moderateReview(admin, "1' OR '1'='1", 'publish')).rejects.toThrow(NotFoundError);
      expect(await reviews.findReview('abc')).toBeNull();
      expect(await reviews.moderationAudit({ entity: 'review', entityId: 'abc' }, 10)).toEqual([]);
    });

    it('keeps the counts exactly equal to the published reviews through every move, concurrent ones included', async () => {
      const [exchangerId] = await insertExchangers(dataSource, 'counts', 1);
      const tones = ['positive', 'neutral', 'negative'] as const;
      const submitted = [];
      for (let i = 0; i < 12; i++)
        submitted.push(await review(exchangerId!, newVisitor(secret), { tone: tones[i % 3] }));
      // Moderators racing: each review published twice at once (one must lose), some then taken down.
      const races = await Promise.allSettled(
        submitted.flatMap((r) => [
          reviews.moderateReview(admin, r.id, 'publish'),
          reviews.moderateReview(admin, r.id, 'publish'),
        ]),
      );
      expect(races.filter((r) => r.status === 'fulfilled')).toHaveLength(12);
      expect(await standingOf(exchangerId!)).toEqual({ positive: 4, neutral: 4, negative: 4, claimsOpen: 0 });
      await Promise.allSettled(
        submitted
          .slice(0, 5)
          .flatMap((r) => [
            reviews.moderateReview(admin, r.id, 'reject', 'fake'),
            reviews.moderateReview(admin, r.id, 'reject', 'fake'),
          ]),
      );
      expect(await standingOf(exchangerId!)).toEqual(await recount(exchangerId!));
      expect(await standingOf(exchangerId!)).toEqual({ positive: 2, neutral: 2, negative: 3, claimsOpen: 0 });
    });
  });

  describe('the public list', () => {
    it('shows published reviews only, newest first, in keyset pages, without hashes or moderation data', async () => {
      const [exchangerId, other] = await insertExchangers(dataSource, 'list', 2);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await review(exchangerId!, newVisitor(secret));
        await reviews.moderateReview(admin, r.id, 'publish');
        ids.push(r.id);
      }
      await review(exchangerId!, newVisitor(secret)); // pending
      const rejected = await review(exchangerId!, newVisitor(secret));
      await reviews.moderateReview(admin, rejected.id, 'reject', 'spam');
      await reviews.moderateReview(admin, (await review(other!, newVisitor(secret))).id, 'publish');

      const first = await reviews.listPublishedReviews(exchangerId!, { limit: 2 });
      expect(first.items.map((r) => r.id)).toEqual([ids[4], ids[3]]);
      expect(Object.keys(first.items[0]!).sort()).toEqual(
        ['createdAt', 'id', 'orderRef', 'reply', 'repliedAt', 'text', 'tone', 'visited'].sort(),
      );
      const second = await reviews.listPublishedReviews(exchangerId!, { limit: 2, cursor: first.next });
      expect(second.items.map((r) => r.id)).toEqual([ids[2], ids[1]]);
      const last = await reviews.listPublishedReviews(exchangerId!, { limit: 2, cursor: second.next });
      expect(last).toEqual({ items: [expect.objectContaining({ id: ids[0] })], next: null });
      await expect(
        reviews.listPublishedReviews(exchangerId!, { limit: 2, cursor: '1; DROP TABLE reviews' }),
      ).rejects.toThrow(InvalidFieldError);
    });

    it('stores and returns HTML and script as the text typed, never altered', async () => {
      const [exchangerId] = await insertExchangers(dataSource, 'html', 1);
      const hostile = `<script>alert(document.cookie)</script><img src=x onerror="alert(1)"> <b>bold</b> &lt; ' " \\ ${uniqueText(4)}`;
      const stored = await review(exchangerId!, newVisitor(secret), { text: hostile, orderRef: '<i>ref</i>' });
      await reviews.moderateReview(admin, stored.id, 'publish');
      const [row] = await dataSource.query<Array<{ text: string; order_ref: string }>>(
        `SELECT text, order_ref FROM reviews WHERE id = $1`,
        [stored.id],
      );
      expect(row).toEqual({ text: hostile, order_ref: '<i>ref</i>' });
      expect((await reviews.listPublishedReviews(exchangerId!, { limit: 1 })).items[0]!.text).toBe(hostile);
    });
  });

  describe('the visited mark', () => {
    const clickBy = (exchangerId: number, visitor: { ip: string; userAgent: string }, at: Date, isBot = false) =>
      clicks.recordBatch([
        {
          exchangerId,
          from: 'BTC',
          to: 'SBERRUB',
          city: null,
          at,
          visitorHash: dailyVisitorHash(secret, utcDay(at), visitor.ip, visitor.userAgent),
          referrer: null,
          isBot,
        },
      ]);

    it('marks a review whose visitor clicked through to the exchanger within 30 days, under that day’s salt', async () => {
      const [exchangerId] = await insertExchangers(dataSource, 'visit', 1);
      const visitor = newVisitor(secret);
      await clickBy(exchangerId!, visitor, ago(12 * DAY));
      expect((await review(exchangerId!, visitor)).visited).toBe(true);
      const today = newVisitor(secret);
      await clickBy(exchangerId!, today, ago(60_000));
      expect((await review(exchangerId!, today)).visited).toBe(true);
    });

    it('does not mark a review without such a click: none, too old, to another exchanger, by someone else, by a bot', async () => {
      const [exchangerId, other] = await insertExchangers(dataSource, 'novisit', 2);
      expect((await review(exchangerId!, newVisitor(secret))).visited).toBe(false);

      const tooOld = newVisitor(secret);
      await clickBy(exchangerId!, tooOld, ago(31 * DAY));
      expect((await review(exchangerId!, tooOld)).visited).toBe(false);

      const elsewhere = newVisitor(secret);
      await clickBy(other!, elsewhere, ago(DAY));
      expect((await review(exchangerId!, elsewhere)).visited).toBe(false);

      const sameIp = newVisitor(secret);
      await clickBy(exchangerId!, { ip: sameIp.ip, userAgent: 'Another browser' }, ago(DAY));
      expect((await review(exchangerId!, sameIp)).visited).toBe(false);

      const bot = newVisitor(secret);
      await clickBy(exchangerId!, bot, ago(DAY), true);
      expect((await review(exchangerId!, bot)).visited).toBe(false);
    });
  });

  describe('abuse limits', () => {
    it('takes one review of an exchanger per visitor a day; the next day is a new day', async () => {
      const [exchangerId] = await insertExchangers(dataSource, 'perex', 1);
      const visitor = newVisitor(secret, { ip: '203.0.113.10', userAgent: 'UA-perex' });
      await review(exchangerId!, visitor);
      const error = await refusal(review(exchangerId!, visitor));
      expect(error).toBeInstanceOf(SubmissionLimitError);
      expect(error).toMatchObject({ limit: 'exchanger-per-day' });
      expect((error as SubmissionLimitError).retryAfterSeconds).toBeGreaterThan(0);
      const tomorrow = newVisitor(secret, {
        ip: '203.0.113.10',
        userAgent: 'UA-perex',
        now: new Date(Date.now() + DAY),
      });
      expect((await review(exchangerId!, tomorrow)).state).toBe('pending');
    });

    it(`takes at most ${REVIEW_LIMITS.perVisitorPerDay} reviews a day from one visitor, all exchangers together`, async () => {
      const exchangers = await insertExchangers(dataSource, 'pervisitor', REVIEW_LIMITS.perVisitorPerDay + 1);
      const visitor = newVisitor(secret);
      for (const id of exchangers.slice(0, -1)) await review(id, visitor);
      await expect(review(exchangers.at(-1)!, visitor)).rejects.toMatchObject({ limit: 'visitor-per-day' });
    });

    it(`takes at most ${REVIEW_LIMITS.perIpPerDay} reviews a day from one address, whoever the visitors`, async () => {
      const exchangers = await insertExchangers(dataSource, 'perip', REVIEW_LIMITS.perIpPerDay + 1);
      for (const id of exchangers.slice(0, -1)) await review(id, newVisitor(secret, { ip: '203.0.113.77' }));
      await expect(review(exchangers.at(-1)!, newVisitor(secret, { ip: '203.0.113.77' }))).rejects.toMatchObject({
        limit: 'ip-per-day',
      });
      expect((await review(exchangers.at(-1)!, newVisitor(secret, { ip: '203.0.113.78' }))).state).toBe('pending');
    });

    it(
      'stores at most the allowed number of 10,000 posts from one visitor sent concurrently',
      { timeout: 180_000 },
      async () => {
        const exchangers = await insertExchangers(dataSource, 'flood', 20);
        const visitor = newVisitor(secret);
        const refusals = new Map<string, number>();
        for (let batch = 0; batch < 20; batch++) {
          const results = await Promise.allSettled(
            Array.from({ length: 500 }, (_, i) => review(exchangers[(batch * 500 + i) % exchangers.length]!, visitor)),
          );
          for (const result of results)
            if (result.status === 'rejected') {
              const error = result.reason as Error;
              refusals.set(error.name, (refusals.get(error.name) ?? 0) + 1);
            }
        }
        const [{ stored }] = await dataSource.query<[{ stored: number }]>(
          `SELECT count(*)::int AS stored FROM reviews WHERE visitor_hash = $1`,
          [visitor.hash],
        );
        expect(stored).toBe(REVIEW_LIMITS.perVisitorPerDay);
        expect(refusals).toEqual(new Map([['SubmissionLimitError', 10_000 - REVIEW_LIMITS.perVisitorPerDay]]));
      },
    );

    it('refuses invalid input before anything is stored', async () => {
      const [exchangerId] = await insertExchangers(dataSource, 'invalid', 1);
      const visitor = newVisitor(secret);
      await expect(review(exchangerId!, visitor, { text: 'too short' })).rejects.toThrow(InvalidFieldError);
      await expect(review(exchangerId!, visitor, { text: 'x'.repeat(2001) })).rejects.toThrow(InvalidFieldError);
      await expect(review(exchangerId!, visitor, { tone: 'glowing' as never })).rejects.toThrow(/tone/);
      await expect(review(999_999, visitor)).rejects.toThrow(NotFoundError);
      expect((await review(exchangerId!, visitor)).state).toBe('pending'); // none of the above counted
    });
  });

  describe('near-duplicates', () => {
    const TEXT = 'Exchanged 500 USDT to Sberbank rubles, money arrived in fifteen minutes, support answered quickly.';

    it('refuses the same text about the same exchanger, re-spaced, re-cased or slightly edited, from anyone', async () => {
      const [exchangerId, other] = await insertExchangers(dataSource, 'dup', 2);
      const first = await review(exchangerId!, newVisitor(secret), { text: TEXT });
      await reviews.moderateReview(admin, first.id, 'reject', 'spam'); // rejected spam still counts
      for (const variant of [TEXT.toUpperCase(), `  ${TEXT.replace(/ /g, '   ')}!!!`, `${TEXT} Thanks!`])
        await expect(review(exchangerId!, newVisitor(secret), { text: variant })).rejects.toThrow(DuplicateTextError);
      expect((await review(other!, newVisitor(secret), { text: TEXT })).state).toBe('pending');
    });

    it('takes the text again once the duplicate window is over', async () => {
      const [exchangerId] = await insertExchangers(dataSource, 'dupold', 1);
      const first = await review(exchangerId!, newVisitor(secret), { text: TEXT });
      await dataSource.query(`UPDATE reviews SET created_at = now() - interval '91 days' WHERE id = $1`, [first.id]);
      expect((await review(exchangerId!, newVisitor(secret), { text: TEXT })).state).toBe('pending');
    });
  });

  describe('bursts', () => {
    it(`flags more than ${BURST.reviews} reviews of one exchanger within ${BURST.minutes} minutes for the moderators`, async () => {
      const [exchangerId, calm] = await insertExchangers(dataSource, 'burst', 2);
      const old = await review(exchangerId!, newVisitor(secret));
      await dataSource.query(`UPDATE reviews SET created_at = now() - interval '61 minutes' WHERE id = $1`, [old.id]);
      const before = [];
      for (let i = 0; i < BURST.reviews; i++) before.push(await review(exchangerId!, newVisitor(secret)));
      expect(before.map((r) => r.burst)).toEqual(Array(BURST.reviews).fill(false));
      await review(calm!, newVisitor(secret));
      const ours = async () =>
        (await reviews.burstExchangers()).filter((e) => e.exchangerId === exchangerId || e.exchangerId === calm);
      expect(await ours()).toEqual([]);

      const trigger = await review(exchangerId!, newVisitor(secret));
      expect(trigger.burst).toBe(true);
      const flagged = await reviews.reviewQueue({ burst: true, exchangerId }, { limit: 50 });
      expect(flagged.items.map((r) => r.id)).toEqual([...before.map((r) => r.id), trigger.id]);
      expect((await reviews.findReview(old.id))!.burst).toBe(false);
      expect(await ours()).toEqual([
        expect.objectContaining({ exchangerId, exchanger: 'burst-1', pending: BURST.reviews + 1 }),
      ]);
      for (const r of flagged.items) await reviews.moderateReview(admin, r.id, 'reject', 'burst of bought reviews');
      expect(await ours()).toEqual([]);
    });
  });

  describe('the moderation queue', () => {
    it('lists by state (pending by default) and exchanger, oldest first, with the hashes moderators compare', async () => {
      const [exchangerId, other] = await insertExchangers(dataSource, 'queue', 2);
      const visitor = newVisitor(secret);
      const a = await review(exchangerId!, visitor);
      const b = await review(exchangerId!, newVisitor(secret));
      await review(other!, newVisitor(secret));
      await reviews.moderateReview(admin, b.id, 'publish');
      const pending = await reviews.reviewQueue({ exchangerId }, { limit: 10 });
      expect(pending.items).toEqual([
        expect.objectContaining({ id: a.id, exchanger: 'queue-1', visitorHash: visitor.hash, ipHash: visitor.ipHash }),
      ]);
      expect((await reviews.reviewQueue({ exchangerId, state: null }, { limit: 1 })).items.map((r) => r.id)).toEqual([
        a.id,
      ]);
      expect(
        (await reviews.reviewQueue({ exchangerId, state: 'published' }, { limit: 10 })).items.map((r) => r.id),
      ).toEqual([b.id]);
      await expect(reviews.reviewQueue({ state: 'gone' as never }, { limit: 1 })).rejects.toThrow(InvalidFieldError);
    });
  });

  describe('replies', () => {
    it('lets an exchanger reply to its published reviews only; anything else is not found', async () => {
      const [exchangerId, other] = await insertExchangers(dataSource, 'reply', 2);
      const own = { keyId: admin.keyId, exchangerId: exchangerId! };
      const published = await review(exchangerId!, newVisitor(secret));
      await reviews.moderateReview(admin, published.id, 'publish');
      const pending = await review(exchangerId!, newVisitor(secret));
      const theirs = await review(other!, newVisitor(secret));
      await reviews.moderateReview(admin, theirs.id, 'publish');

      const replied = await reviews.replyToReview(own, published.id, ' Thank you! <b>We</b> fixed it. ');
      expect(replied).toMatchObject({ reply: 'Thank you! <b>We</b> fixed it.', repliedAt: expect.any(Date) });
      const again = await reviews.replyToReview(own, published.id, 'Updated answer');
      expect(again.reply).toBe('Updated answer');
      expect((await reviews.listPublishedReviews(exchangerId!, { limit: 1 })).items[0]).toMatchObject({
        reply: 'Updated answer',
      });
      for (const id of [pending.id, theirs.id, '999999999', 'x'])
        await expect(reviews.replyToReview(own, id, 'Not yours')).rejects.toThrow(NotFoundError);
      expect((await reviews.findReview(theirs.id))!.reply).toBeNull();
    });
  });

  describe('standing', () => {
    it('reads the counts of many exchangers in one call, zeros for those with nothing', async () => {
      const [a, b] = await insertExchangers(dataSource, 'standing', 2);
      const r = await review(a!, newVisitor(secret), { tone: 'neutral' });
      await reviews.moderateReview(admin, r.id, 'publish');
      const standing = await reviews.standing([a!, b!, 999_999]);
      expect(standing.get(a!)).toEqual({ positive: 0, neutral: 1, negative: 0, claimsOpen: 0 });
      expect(standing.get(b!)).toEqual({ positive: 0, neutral: 0, negative: 0, claimsOpen: 0 });
      expect(standing.get(999_999)).toEqual({ positive: 0, neutral: 0, negative: 0, claimsOpen: 0 });
      expect(await reviews.standing([])).toEqual(new Map());
      // The fragment a rates query LEFT JOINs: the same counts, zeros for an exchanger without a row.
      const joined = await dataSource.query<unknown[]>(
        `SELECT e.id, ${standingColumnsSql('s')} FROM exchangers e LEFT JOIN exchanger_standing s ON s.exchanger_id = e.id
         WHERE e.id = ANY($1::int[]) ORDER BY e.id`,
        [[a, b]],
      );
      expect(joined).toEqual([
        { id: a, reviewsPositive: 0, reviewsNeutral: 1, reviewsNegative: 0, claimsOpen: 0 },
        { id: b, reviewsPositive: 0, reviewsNeutral: 0, reviewsNegative: 0, claimsOpen: 0 },
      ]);
    });
  });
});
