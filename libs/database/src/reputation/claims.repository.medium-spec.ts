import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import {
  CLAIM_LIMITS,
  DuplicateTextError,
  InvalidFieldError,
  NotFoundError,
  TransitionError,
  VisitorIdentity,
} from '@app/domain';
import { insertExchangers, newVisitor, uniqueText } from '../../../../test/support/reputation';
import { adminActor, migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { ClicksRepository } from '../repositories/clicks.repository';
import { ClaimsRepository, ClaimSubmission } from './claims.repository';
import { ReputationRepository } from './reputation.repository';

describe('ClaimsRepository', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let claims: ClaimsRepository;
  let reputation: ReputationRepository;
  let secret: string;
  let admin: { keyId: number };
  let exchangerKey: { keyId: number };

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(4));
    claims = new ClaimsRepository(dataSource);
    reputation = new ReputationRepository(dataSource);
    secret = await new ClicksRepository(dataSource).visitorSecret();
    admin = await adminActor(dataSource, 'moderator');
    exchangerKey = await adminActor(dataSource, 'exchanger-key');
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const file = (exchangerId: number, visitor: VisitorIdentity, overrides: Partial<ClaimSubmission> = {}) =>
    claims.fileClaim({ exchangerId, orderRef: 'ORD-1', text: uniqueText(), visitor, ...overrides });
  const claimsOpen = async (exchangerId: number) =>
    (await reputation.standing([exchangerId])).get(exchangerId)!.claimsOpen;
  const recount = async (exchangerId: number) => {
    const [row] = await dataSource.query<[{ open: number }]>(
      `SELECT count(*)::int AS open FROM claims WHERE exchanger_id = $1 AND state IN ('open', 'answered')`,
      [exchangerId],
    );
    return row.open;
  };

  it('lives pending → open → answered → resolved, each step timed and kept with who did it and what they wrote', async () => {
    const [exchangerId] = await insertExchangers(dataSource, 'life', 1);
    const by = { keyId: exchangerKey.keyId, exchangerId: exchangerId! };
    const filed = await file(exchangerId!, newVisitor(secret), {
      orderRef: ' #77-A ',
      amount: '12345678901234567890.123456789012345678',
      currency: 'USDT',
    });
    expect(filed).toMatchObject({
      state: 'pending',
      orderRef: '#77-A',
      amount: '12345678901234567890.123456789012345678',
      currency: 'USDT',
      openedAt: null,
      closedAt: null,
    });
    expect(filed.events).toEqual([
      expect.objectContaining({ action: 'file', actor: 'visitor', keyId: null, fromState: null, toState: 'pending' }),
    ]);
    // Not public yet: neither listed nor counted, and the exchanger cannot answer it.
    expect((await claims.listClaims(exchangerId!, { limit: 10 })).items).toEqual([]);
    await expect(claims.answerClaim(by, filed.id, 'We never got it')).rejects.toThrow(NotFoundError);

    const opened = await claims.moderateClaim(admin, filed.id, 'accept');
    expect(opened).toMatchObject({ state: 'open', openedAt: expect.any(Date) });
    expect(await claimsOpen(exchangerId!)).toBe(1);
    expect((await claims.listClaims(exchangerId!, { limit: 10 })).items.map((c) => c.id)).toEqual([filed.id]);

    await claims.answerClaim(by, filed.id, 'We are checking the payment, give us an hour.');
    const answered = await claims.answerClaim(by, filed.id, 'Refund sent: tx 0xabc.');
    expect(answered.state).toBe('answered');
    expect(await claimsOpen(exchangerId!)).toBe(1);

    const resolved = await claims.moderateClaim(admin, filed.id, 'resolve', 'Refund confirmed by the customer');
    expect(resolved).toMatchObject({ state: 'resolved', closedAt: expect.any(Date) });
    expect(await claimsOpen(exchangerId!)).toBe(0);
    expect(
      resolved.events.map(({ action, actor, keyId, fromState, toState, text }) => ({
        action,
        actor,
        keyId,
        fromState,
        toState,
        text,
      })),
    ).toEqual([
      { action: 'file', actor: 'visitor', keyId: null, fromState: null, toState: 'pending', text: null },
      { action: 'accept', actor: 'admin', keyId: admin.keyId, fromState: 'pending', toState: 'open', text: null },
      {
        action: 'answer',
        actor: 'exchanger',
        keyId: exchangerKey.keyId,
        fromState: 'open',
        toState: 'answered',
        text: 'We are checking the payment, give us an hour.',
      },
      {
        action: 'answer',
        actor: 'exchanger',
        keyId: exchangerKey.keyId,
        fromState: 'answered',
        toState: 'answered',
        text: 'Refund sent: tx 0xabc.',
      },
      {
        action: 'resolve',
        actor: 'admin',
        keyId: admin.keyId,
        fromState: 'answered',
        toState: 'resolved',
        text: 'Refund confirmed by the customer',
      },
    ]);
    const times = resolved.events.map((e) => e.at.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times.every((t) => Number.isFinite(t))).toBe(true);

    await expect(claims.moderateClaim(admin, filed.id, 'reject', 'too late')).rejects.toThrow(TransitionError);
    await expect(claims.answerClaim(by, filed.id, 'one more')).rejects.toThrow(TransitionError);
    const audit = await reputation.moderationAudit({ entity: 'claim', entityId: filed.id }, 10);
    expect(audit.map((a) => [a.action, a.fromState, a.toState, a.keyId])).toEqual([
      ['resolve', 'answered', 'resolved', admin.keyId],
      ['accept', 'pending', 'open', admin.keyId],
    ]);
  });

  it('rejects spam before it is public (not counted), and an unanswered open claim with a reason (uncounted)', async () => {
    const [exchangerId] = await insertExchangers(dataSource, 'reject', 1);
    const spam = await file(exchangerId!, newVisitor(secret));
    await expect(claims.moderateClaim(admin, spam.id, 'reject')).rejects.toThrow(InvalidFieldError);
    expect((await claims.moderateClaim(admin, spam.id, 'reject', 'spam')).state).toBe('rejected');
    expect(await claimsOpen(exchangerId!)).toBe(0);

    const unfounded = await file(exchangerId!, newVisitor(secret));
    await claims.moderateClaim(admin, unfounded.id, 'accept');
    expect(await claimsOpen(exchangerId!)).toBe(1);
    const rejected = await claims.moderateClaim(
      admin,
      unfounded.id,
      'reject',
      'the order was paid out, proof attached',
    );
    expect(rejected).toMatchObject({ state: 'rejected', closedAt: expect.any(Date) });
    expect(rejected.events.at(-1)).toMatchObject({ action: 'reject', text: 'the order was paid out, proof attached' });
    expect(await claimsOpen(exchangerId!)).toBe(0);
    // Only the one that was public is in the exchanger's list.
    expect((await claims.listClaims(exchangerId!, { limit: 10 })).items.map((c) => c.id)).toEqual([unfounded.id]);
  });

  it('keeps claimsOpen equal to the open and answered claims through racing moderators and exchangers', async () => {
    const [exchangerId] = await insertExchangers(dataSource, 'race', 1);
    const by = { keyId: exchangerKey.keyId, exchangerId: exchangerId! };
    const filed = [];
    for (let i = 0; i < 9; i++) filed.push(await file(exchangerId!, newVisitor(secret)));
    await Promise.allSettled(
      filed.flatMap((c) => [claims.moderateClaim(admin, c.id, 'accept'), claims.moderateClaim(admin, c.id, 'accept')]),
    );
    expect(await claimsOpen(exchangerId!)).toBe(9);
    await Promise.allSettled(
      filed.flatMap((c, i) => [
        claims.answerClaim(by, c.id, 'answered'),
        i % 3 === 0
          ? claims.moderateClaim(admin, c.id, 'resolve')
          : claims.moderateClaim(admin, c.id, 'reject', 'nope'),
        i % 2 === 0 ? claims.moderateClaim(admin, c.id, 'resolve') : Promise.resolve(null),
      ]),
    );
    expect(await claimsOpen(exchangerId!)).toBe(await recount(exchangerId!));
    expect(await claimsOpen(exchangerId!)).toBe(0);
  });

  it("never lets an exchanger's key answer another exchanger's claim", async () => {
    const [mine, theirs] = await insertExchangers(dataSource, 'scope', 2);
    const claim = await file(theirs!, newVisitor(secret));
    await claims.moderateClaim(admin, claim.id, 'accept');
    await expect(
      claims.answerClaim({ keyId: exchangerKey.keyId, exchangerId: mine! }, claim.id, 'not mine'),
    ).rejects.toThrow(NotFoundError);
    expect((await claims.findClaim(claim.id))!.events).toHaveLength(2);
  });

  it('applies the daily limits, the duplicate check and the input rules to claims', async () => {
    const exchangers = await insertExchangers(dataSource, 'climits', CLAIM_LIMITS.perIpPerDay + 1);
    const visitor = newVisitor(secret, { ip: '203.0.113.200' });
    await file(exchangers[0]!, visitor);
    await expect(file(exchangers[0]!, visitor)).rejects.toMatchObject({ limit: 'exchanger-per-day' });
    for (const id of exchangers.slice(1, CLAIM_LIMITS.perVisitorPerDay)) await file(id, visitor);
    await expect(file(exchangers.at(-1)!, visitor)).rejects.toMatchObject({ limit: 'visitor-per-day' });
    for (const id of exchangers.slice(CLAIM_LIMITS.perVisitorPerDay, CLAIM_LIMITS.perIpPerDay))
      await file(id, newVisitor(secret, { ip: '203.0.113.200' }));
    await expect(file(exchangers.at(-1)!, newVisitor(secret, { ip: '203.0.113.200' }))).rejects.toMatchObject({
      limit: 'ip-per-day',
    });

    const [target] = await insertExchangers(dataSource, 'cdup', 1);
    const text = 'They took my 0.05 BTC and never paid the rubles to my card, support stopped answering.';
    await file(target!, newVisitor(secret), { text });
    await expect(file(target!, newVisitor(secret), { text: text.toUpperCase() })).rejects.toThrow(DuplicateTextError);

    const someone = newVisitor(secret);
    await expect(file(target!, someone, { orderRef: '  ' })).rejects.toThrow(/orderRef is required/);
    await expect(file(target!, someone, { amount: '10' })).rejects.toThrow(/go together/);
    await expect(file(target!, someone, { amount: '-1', currency: 'USDT' })).rejects.toThrow(InvalidFieldError);
    await expect(file(999_999, someone)).rejects.toThrow(NotFoundError);
    const html = `<script>alert(1)</script> they kept my money ${uniqueText(3)}`;
    expect((await file(target!, someone, { text: html, orderRef: '<b>1</b>' })).text).toBe(html);
  });

  it('lists the moderation queue by state and exchanger, oldest first, with the hashes', async () => {
    const [exchangerId, other] = await insertExchangers(dataSource, 'cqueue', 2);
    const visitor = newVisitor(secret);
    const a = await file(exchangerId!, visitor);
    const b = await file(exchangerId!, newVisitor(secret));
    await file(other!, newVisitor(secret));
    await claims.moderateClaim(admin, b.id, 'accept');
    expect((await claims.claimQueue({ exchangerId }, { limit: 10 })).items).toEqual([
      expect.objectContaining({ id: a.id, exchanger: 'cqueue-1', visitorHash: visitor.hash, ipHash: visitor.ipHash }),
    ]);
    const open = await claims.claimQueue({ exchangerId, state: 'open' }, { limit: 10 });
    expect(open.items.map((c) => c.id)).toEqual([b.id]);
    const all = await claims.claimQueue({ exchangerId, state: null }, { limit: 1 });
    expect(all.items.map((c) => c.id)).toEqual([a.id]);
    expect(
      (await claims.claimQueue({ exchangerId, state: null }, { limit: 1, cursor: all.next })).items.map((c) => c.id),
    ).toEqual([b.id]);
  });
});
