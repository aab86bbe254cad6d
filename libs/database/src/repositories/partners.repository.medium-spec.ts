import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { migratedDatabase, adminActor, TestDatabase } from '../../../../test/support/services';
import { Actor } from './audit.repository';
import { PartnerExchange, PartnersRepository, PartnerVisit } from './partners.repository';

const SECRET = 'v1:ciphertext-of-the-partner-key';
const ACCOUNT = {
  apiUrl: 'https://partner.example/api',
  apiKeyEncrypted: SECRET,
  requestStyle: 'post',
  syncIntervalSeconds: 900,
  enabled: true,
};

describe('PartnersRepository', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: PartnersRepository;
  let actor: Actor;
  let counter = 0;

  async function exchanger(status = 'active', slug = `partner-${++counter}`): Promise<number> {
    const [row] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO exchangers (slug, name, site_url, referral_url, status) VALUES ($1::text, 'Name ' || $1::text, 'https://x.example', 'https://x.example/?rid=1', $2) RETURNING id`,
      [slug, status],
    );
    return row!.id;
  }
  const auditCount = async () =>
    Number((await dataSource.query<Array<{ n: string }>>(`SELECT count(*) AS n FROM admin_audit`))[0]!.n);
  const lastAudit = async () =>
    (
      await dataSource.query<
        Array<{
          key_id: number | null;
          action: string;
          entity: string;
          entity_id: string;
          before: unknown;
          after: unknown;
        }>
      >(`SELECT key_id, action, entity, entity_id, before, after FROM admin_audit ORDER BY id DESC LIMIT 1`)
    )[0]!;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase());
    repository = new PartnersRepository(dataSource);
    actor = await adminActor(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  describe('accounts', () => {
    it('creates an account, audited, and never returns or audits the encrypted key', async () => {
      const exchangerId = await exchanger();
      const view = await repository.upsertAccount(actor, exchangerId, ACCOUNT);
      expect(view).toEqual({
        exchangerId,
        apiUrl: ACCOUNT.apiUrl,
        requestStyle: 'post',
        syncIntervalSeconds: 900,
        enabled: true,
        lastSyncAt: null,
        lastSuccessAt: null,
        lastError: null,
      });
      const audit = await lastAudit();
      expect(audit).toMatchObject({
        key_id: actor.keyId,
        action: 'update',
        entity: 'partner-account',
        entity_id: String(exchangerId),
        before: null,
        after: { exchangerId, apiUrl: ACCOUNT.apiUrl },
      });
      expect(JSON.stringify(view)).not.toContain(SECRET);
      expect(JSON.stringify(audit)).not.toContain(SECRET);
      // The sync still gets the key.
      expect(await repository.findAccount(exchangerId)).toMatchObject({
        exchangerId,
        apiKeyEncrypted: SECRET,
        requestStyle: 'post',
        enabled: true,
        exchangesSyncedTo: null,
        visitsSyncedTo: null,
      });
    });

    it('replaces an account in place, clearing its last error, and audits before and after', async () => {
      const exchangerId = await exchanger();
      await repository.upsertAccount(actor, exchangerId, ACCOUNT);
      await repository.recordSync(exchangerId, { error: { code: 'http_error', message: 'HTTP 500' } });
      const view = await repository.upsertAccount(actor, exchangerId, {
        ...ACCOUNT,
        apiKeyEncrypted: 'v1:new-secret',
        requestStyle: 'get',
        syncIntervalSeconds: 3600,
      });
      expect(view).toMatchObject({ exchangerId, requestStyle: 'get', syncIntervalSeconds: 3600, lastError: null });
      expect(await repository.findAccount(exchangerId)).toMatchObject({
        apiKeyEncrypted: 'v1:new-secret',
        requestStyle: 'get',
      });
      const audit = await lastAudit();
      expect(audit).toMatchObject({
        before: { requestStyle: 'post', lastError: { code: 'http_error' } },
        after: { requestStyle: 'get', lastError: null },
      });
      expect(JSON.stringify(audit)).not.toContain('secret');
      expect(JSON.stringify(view)).not.toContain('secret');
    });

    it('refuses an account of an unknown exchanger and audits nothing', async () => {
      const audits = await auditCount();
      await expect(repository.upsertAccount(actor, 999_999, ACCOUNT)).rejects.toThrow();
      expect(await auditCount()).toBe(audits);
    });

    it('deletes an account, audited without the key; deleting none is false and unaudited', async () => {
      const exchangerId = await exchanger();
      await repository.upsertAccount(actor, exchangerId, ACCOUNT);
      expect(await repository.deleteAccount(actor, exchangerId)).toBe(true);
      expect(await repository.findAccount(exchangerId)).toBeNull();
      const audit = await lastAudit();
      expect(audit).toMatchObject({
        action: 'delete',
        entity: 'partner-account',
        entity_id: String(exchangerId),
        before: { exchangerId },
        after: null,
      });
      expect(JSON.stringify(audit)).not.toContain(SECRET);
      const audits = await auditCount();
      expect(await repository.deleteAccount(actor, exchangerId)).toBe(false);
      expect(await auditCount()).toBe(audits);
    });

    it('treats the account of a paused exchanger as disabled, and schedules only enabled accounts of active exchangers', async () => {
      await dataSource.query(`DELETE FROM partner_accounts`);
      const active = await exchanger();
      const off = await exchanger();
      const paused = await exchanger('paused');
      await repository.upsertAccount(actor, active, { ...ACCOUNT, syncIntervalSeconds: 600 });
      await repository.upsertAccount(actor, off, { ...ACCOUNT, enabled: false });
      await repository.upsertAccount(actor, paused, ACCOUNT);
      expect(await repository.findAccount(paused)).toMatchObject({ enabled: false });
      expect(await repository.findAccount(off)).toMatchObject({ enabled: false });
      expect(await repository.listSchedulable()).toEqual([{ exchangerId: active, syncIntervalSeconds: 600 }]);
    });

    it('records a sync: success moves the cursors, a failure keeps them and the last success', async () => {
      const exchangerId = await exchanger();
      await repository.upsertAccount(actor, exchangerId, ACCOUNT);
      const exchangesTo = new Date('2025-01-02T03:04:05.000Z');
      const visitsTo = new Date('2025-01-02T03:00:00.000Z');
      await repository.recordSync(exchangerId, { error: null, exchangesTo, visitsTo });
      const ok = await dataSource.query<
        Array<{ last_sync_at: Date; last_success_at: Date | null; last_error: unknown }>
      >(`SELECT last_sync_at, last_success_at, last_error FROM partner_accounts WHERE exchanger_id = $1`, [
        exchangerId,
      ]);
      expect(ok[0]!.last_success_at).toEqual(ok[0]!.last_sync_at);
      expect(await repository.findAccount(exchangerId)).toMatchObject({
        exchangesSyncedTo: exchangesTo,
        visitsSyncedTo: visitsTo,
      });

      await repository.recordSync(exchangerId, { error: { code: 'timeout', message: 'slow' } });
      const failed = await dataSource.query<Array<{ last_success_at: Date; last_error: unknown }>>(
        `SELECT last_success_at, last_error FROM partner_accounts WHERE exchanger_id = $1`,
        [exchangerId],
      );
      expect(failed[0]).toEqual({
        last_success_at: ok[0]!.last_success_at,
        last_error: { code: 'timeout', message: 'slow' },
      });
      expect(await repository.findAccount(exchangerId)).toMatchObject({
        exchangesSyncedTo: exchangesTo,
        visitsSyncedTo: visitsTo,
      });
    });
  });

  describe('what partners report', () => {
    it('adds a balance row only when the balance changed, comparing decimals', async () => {
      const exchangerId = await exchanger();
      expect(await repository.addBalanceIfChanged(exchangerId, '100.5', '10')).toBe(true);
      expect(await repository.addBalanceIfChanged(exchangerId, '100.50', '10')).toBe(false);
      expect(await repository.addBalanceIfChanged(exchangerId, '99', null)).toBe(true);
      expect(await repository.addBalanceIfChanged(exchangerId, '100.5', null)).toBe(true);
      const rows = await dataSource.query<Array<{ balance: string }>>(
        `SELECT balance::text AS balance FROM partner_balances WHERE exchanger_id = $1 ORDER BY id`,
        [exchangerId],
      );
      expect(rows.map((r) => r.balance)).toEqual(['100.5', '99', '100.5']);
    });

    it('upserts exchanges and visits by remote id', async () => {
      const exchangerId = await exchanger();
      const exchange: PartnerExchange = {
        remoteId: 'x1',
        at: new Date('2025-03-01T10:00:00Z'),
        giveCode: 'BTC',
        getCode: 'SBERRUB',
        amountGive: '0.5',
        amountGet: '3400000',
        success: false,
        reward: '0',
        userHash: 'u1',
      };
      await repository.upsertExchanges(exchangerId, [exchange]);
      await repository.upsertExchanges(exchangerId, [{ ...exchange, success: true, reward: '12.34' }]);
      await repository.upsertExchanges(exchangerId, []);
      expect(
        await dataSource.query(
          `SELECT remote_id, success, reward::text AS reward, amount_give::text AS amount_give FROM partner_exchanges WHERE exchanger_id = $1`,
          [exchangerId],
        ),
      ).toEqual([{ remote_id: 'x1', success: true, reward: '12.34', amount_give: '0.5' }]);
      const visit: PartnerVisit = {
        remoteId: 'v1',
        at: new Date('2025-03-01T09:00:00Z'),
        referrer: null,
        curFrom: 'BTC',
        curTo: 'SBERRUB',
        userHash: null,
      };
      await repository.upsertVisits(exchangerId, [visit, { ...visit, remoteId: 'v2' }]);
      await repository.upsertVisits(exchangerId, [{ ...visit, referrer: 'https://monitor.example' }]);
      expect(
        await dataSource.query(
          `SELECT remote_id, referrer FROM partner_visits WHERE exchanger_id = $1 ORDER BY remote_id`,
          [exchangerId],
        ),
      ).toEqual([
        { remote_id: 'v1', referrer: 'https://monitor.example' },
        { remote_id: 'v2', referrer: null },
      ]);
    });

    it('reports, per account and within [since, until), exchanges, reward, visits, clicks and visits per unique click', async () => {
      await dataSource.query(`DELETE FROM partner_accounts`);
      const since = new Date('2025-04-01T00:00:00Z');
      const until = new Date('2025-04-08T00:00:00Z');
      const inside = new Date('2025-04-03T12:00:00Z');
      const before = new Date('2025-03-31T23:59:59Z');
      const id = await exchanger('active', 'reported');
      await exchanger('active', 'no-account');
      await repository.upsertAccount(actor, id, ACCOUNT);
      await repository.addBalanceIfChanged(id, '10', null);
      await repository.addBalanceIfChanged(id, '25.75', null);
      const ex = (remoteId: string, at: Date, success: boolean, reward: string): PartnerExchange => ({
        remoteId,
        at,
        giveCode: 'BTC',
        getCode: 'SBERRUB',
        amountGive: '1',
        amountGet: '1',
        success,
        reward,
        userHash: null,
      });
      await repository.upsertExchanges(id, [
        ex('a', inside, true, '1.5'),
        ex('b', inside, true, '2.25'),
        ex('c', inside, false, '100'),
        ex('d', before, true, '1000'),
        ex('e', until, true, '1000'),
      ]);
      const visit = (remoteId: string, at: Date, curFrom: string | null, curTo: string | null): PartnerVisit => ({
        remoteId,
        at,
        referrer: null,
        curFrom,
        curTo,
        userHash: null,
      });
      await repository.upsertVisits(id, [
        visit('1', inside, 'BTC', 'SBERRUB'),
        visit('2', inside, 'BTC', 'SBERRUB'),
        visit('3', inside, 'BTC', 'SBERRUB'),
        visit('4', inside, null, null),
        visit('5', before, 'BTC', 'SBERRUB'),
      ]);
      await dataSource.query(
        `INSERT INTO clicks (exchanger_id, from_code, to_code, at, day, visitor_hash, is_unique) VALUES
           ($1, 'BTC', 'SBERRUB', $2::timestamptz, ($2::timestamptz AT TIME ZONE 'UTC')::date, 'v1', true), ($1, 'BTC', 'SBERRUB', $2::timestamptz, ($2::timestamptz AT TIME ZONE 'UTC')::date, 'v1', false),
           ($1, 'BTC', 'SBERRUB', $2::timestamptz, ($2::timestamptz AT TIME ZONE 'UTC')::date, 'v2', true), ($1, 'ETH', 'BTC', $2::timestamptz, ($2::timestamptz AT TIME ZONE 'UTC')::date, 'v1', true),
           ($1, 'BTC', 'SBERRUB', $3::timestamptz, ($3::timestamptz AT TIME ZONE 'UTC')::date, 'v3', true)`,
        [id, inside, before],
      );

      const report = (await repository.report(since, until)) as Array<Record<string, unknown>>;
      expect(report.map((r) => r.exchanger)).toEqual(['reported']);
      expect(report[0]).toMatchObject({
        exchanger: 'reported',
        name: 'Name reported',
        balance: '25.75',
        referredExchanges: 3,
        successfulExchanges: 2,
        reward: '3.75',
        partnerVisits: 4,
        clicks: 4,
        uniqueClicks: 3,
        visitsPerUniqueClick: '1.333',
        lastError: null,
      });
      expect(report[0]!.byDirection).toEqual([
        { from: 'BTC', to: 'SBERRUB', partnerVisits: 3, uniqueClicks: 2, visitsPerUniqueClick: '1.500' },
        { from: 'ETH', to: 'BTC', partnerVisits: 0, uniqueClicks: 1, visitsPerUniqueClick: '0.000' },
      ]);
    });

    it('reports an account without activity with zeros and no ratio', async () => {
      const report = (await repository.report(
        new Date('2030-01-01T00:00:00Z'),
        new Date('2030-01-02T00:00:00Z'),
      )) as Array<Record<string, unknown>>;
      expect(report[0]).toMatchObject({
        referredExchanges: 0,
        reward: '0',
        partnerVisits: 0,
        clicks: 0,
        uniqueClicks: 0,
        visitsPerUniqueClick: null,
        byDirection: [],
      });
    });
  });
});
