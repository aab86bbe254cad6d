import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { loadConfig } from '@app/config';
import { createDataSource, isDatabaseUnavailable, PartnersRepository } from '@app/database';
import { SafeHttpClient } from '@app/http-client';
import { FakePartnerApi } from '../../../test/support/fake-partner-api';
import { PoolSqueeze } from '../../../test/support/pool-squeeze';
import { migratedDatabase, TestDatabase } from '../../../test/support/services';
import { PartnerApiClient } from './partner-api.client';
import { PAGE_LIMIT, PartnerSyncService } from './partner-sync.service';
import { sealSecret } from './secret-box';

const SECRET = 's'.repeat(40);
const NOW = new Date('2026-11-25T12:00:00Z');

describe('PartnerSyncService on a real PostgreSQL', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let service: PartnerSyncService;
  let partners: PartnersRepository;
  const api = new FakePartnerApi();
  const fetcher = new SafeHttpClient({ allowPrivate: true });
  let exchangerId: number;
  let n = 0;

  const count = async (table: string) =>
    Number(
      (
        await dataSource.query<Array<{ n: string }>>(`SELECT count(*) AS n FROM ${table} WHERE exchanger_id = $1`, [
          exchangerId,
        ])
      )[0]!.n,
    );

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(3));
    await api.start();
    partners = new PartnersRepository(dataSource);
    service = new PartnerSyncService(partners, new PartnerApiClient(fetcher), loadConfig({ SECRET_KEY: SECRET }));
  });

  afterAll(async () => {
    await api.stop();
    await fetcher.close();
    await dataSource.destroy();
    await db.drop();
  });

  beforeEach(async () => {
    api.exchanges = null;
    api.holdAnswer = null;
    const [row] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1::text, $1::text, 'https://p.example', 'https://p.example/?rid=1') RETURNING id`,
      [`partner-${++n}`],
    );
    exchangerId = row!.id;
    await dataSource.query(
      `INSERT INTO partner_accounts (exchanger_id, api_url, api_key_encrypted) VALUES ($1, $2, $3)`,
      [exchangerId, api.url, sealSecret(api.apiKey, SECRET)],
    );
  });

  it('stores the balance, referred exchanges and visits; a re-sync with overlapping windows adds no duplicates', async () => {
    const first = await service.sync(exchangerId, NOW);
    expect(first).toEqual({ status: 'ok', balanceChanged: true, exchanges: 2, visits: 1 });
    const second = await service.sync(exchangerId, new Date(NOW.getTime() + 60_000));
    expect(second).toMatchObject({ status: 'ok', balanceChanged: false });
    expect(await count('partner_balances')).toBe(1);
    expect(await count('partner_exchanges')).toBe(2);
    expect(await count('partner_visits')).toBe(1);
    const [exchange] = await dataSource.query<Array<{ success: boolean; reward: string; at: Date }>>(
      `SELECT success, reward::text, at FROM partner_exchanges WHERE exchanger_id = $1 AND remote_id = '1895'`,
      [exchangerId],
    );
    expect(exchange).toMatchObject({ success: true, reward: '0.41' });
    expect(new Date(exchange!.at).toISOString()).toBe('2020-05-24T21:37:44.000Z');
    const [visit] = await dataSource.query<Array<{ cur_from: string; cur_to: string }>>(
      `SELECT cur_from, cur_to FROM partner_visits WHERE exchanger_id = $1`,
      [exchangerId],
    );
    expect(visit).toEqual({ cur_from: 'USDTTRC20', cur_to: 'SBERRUB' });
  });

  it('reads from the last synced time with an overlap, in windows of a day', async () => {
    await service.sync(exchangerId, NOW);
    api.requests.length = 0;
    await service.sync(exchangerId, new Date(NOW.getTime() + 10 * 60_000));
    const windows = api.requests
      .filter((r) => r.apiMethod === 'get_exchanges')
      .map((r) => [Number(r.query.get('start_time')), Number(r.query.get('end_time'))]);
    expect(windows).toEqual([[NOW.getTime() / 1000 - 3600, NOW.getTime() / 1000 + 600]]);
  });

  it('halves a window whose answer may be truncated', async () => {
    const hour = 3600;
    api.exchanges = (start, end) => {
      if (end - start > hour)
        return Object.fromEntries(
          Array.from({ length: PAGE_LIMIT }, (_, i) => [`x${i}`, { id: `x${i}`, time: start }]),
        );
      return { [`w${start}`]: { id: `w${start}`, time: start + 1, exchange_success: 1, partner_reward: '1' } };
    };
    await dataSource.query(
      `UPDATE partner_accounts SET exchanges_synced_to = $2, visits_synced_to = $2 WHERE exchanger_id = $1`,
      [exchangerId, new Date(NOW.getTime() - 3 * 3600_000)],
    );
    const outcome = await service.sync(exchangerId, NOW);
    expect(outcome).toMatchObject({ status: 'ok' });
    // 4 hours (3 + 1 overlap) read as windows of at most an hour, none truncated
    const ids = (
      await dataSource.query<Array<{ remote_id: string }>>(
        `SELECT remote_id FROM partner_exchanges WHERE exchanger_id = $1`,
        [exchangerId],
      )
    ).map((r) => r.remote_id);
    expect(ids.length).toBeGreaterThanOrEqual(4);
    expect(ids.every((id) => id.startsWith('w'))).toBe(true);
  });

  it('stores a clear error on the account and never throws: wrong key, disabled API', async () => {
    await dataSource.query(`UPDATE partner_accounts SET api_key_encrypted = $2 WHERE exchanger_id = $1`, [
      exchangerId,
      sealSecret('wrong-key', SECRET),
    ]);
    expect(await service.sync(exchangerId, NOW)).toMatchObject({ status: 'error', code: 'auth_failed' });
    const [account] = await dataSource.query<Array<{ last_error: { code: string; message: string } }>>(
      `SELECT last_error FROM partner_accounts WHERE exchanger_id = $1`,
      [exchangerId],
    );
    expect(account!.last_error.code).toBe('auth_failed');
    expect(JSON.stringify(account)).not.toContain('wrong-key');
  });

  it('does not store a database that gave no connection in time as the account failing; the next sync reads it all', async () => {
    // A syncer on a pool of one connection that waits 300 ms for it; the test takes it while get_exchanges is
    // being answered, so storing the exchanges finds none.
    const narrow = createDataSource({ url: db.url, poolSize: 1, connectTimeoutMs: 300 });
    await narrow.initialize();
    const squeeze = new PoolSqueeze(narrow, 1);
    try {
      const syncer = new PartnerSyncService(
        new PartnersRepository(narrow),
        new PartnerApiClient(fetcher),
        loadConfig({ SECRET_KEY: SECRET }),
      );
      api.holdAnswer = { method: 'get_exchanges', until: () => squeeze.take() };
      // The connection comes back the moment the wait for it fails: a sync that then recorded an error on the
      // account (as it did: internal_error) would get it.
      const failed = await syncer.sync(exchangerId, NOW).then(
        () => null,
        (error: unknown) => error,
      );
      expect(squeeze.held).toBe(0);
      expect(isDatabaseUnavailable(failed)).toBe(true);
      const account = async () =>
        (
          await dataSource.query<Array<{ last_error: unknown; exchanges_synced_to: Date | null }>>(
            `SELECT last_error, exchanges_synced_to FROM partner_accounts WHERE exchanger_id = $1`,
            [exchangerId],
          )
        )[0]!;
      expect(await account()).toEqual({ last_error: null, exchanges_synced_to: null });
      expect(await count('partner_exchanges')).toBe(0);
      // The connection free again, the next sync reads the whole window it missed.
      expect(await syncer.sync(exchangerId, NOW)).toMatchObject({ status: 'ok', exchanges: 2 });
      expect(await count('partner_exchanges')).toBe(2);
      expect((await account()).exchanges_synced_to).toEqual(NOW);
    } finally {
      squeeze.stop();
      await narrow.destroy();
    }
  });

  it('fails loudly with a SECRET_KEY that is not the one the key was stored with', async () => {
    const other = new PartnerSyncService(
      partners,
      new PartnerApiClient(fetcher),
      loadConfig({ SECRET_KEY: 'z'.repeat(40) }),
    );
    const outcome = await other.sync(exchangerId, NOW);
    expect(outcome).toEqual({
      status: 'error',
      code: 'secret_key',
      message: 'cannot decrypt a partner API key: SECRET_KEY is not the key it was stored with',
    });
    expect(api.requests.some((r) => r.apiKey === null)).toBe(false);
  });

  it('reports partner visits against our unique clicks, by direction', async () => {
    await service.sync(exchangerId, NOW);
    const visitAt = new Date('2020-05-24T21:33:20Z');
    const click = `INSERT INTO clicks (exchanger_id, from_code, to_code, at, day, visitor_hash, is_unique) VALUES ($1, 'USDTTRC20', 'SBERRUB', $2::timestamptz, ($2::timestamptz AT TIME ZONE 'UTC')::date, $3, $4)`;
    await dataSource.query(click, [exchangerId, visitAt, 'v1', true]);
    await dataSource.query(click, [exchangerId, visitAt, 'v1', false]);
    await dataSource.query(click, [exchangerId, visitAt, 'v2', true]);
    const report = (await partners.report(new Date('2020-05-01T00:00:00Z'), new Date('2020-06-01T00:00:00Z'))) as Array<
      Record<string, unknown>
    >;
    const mine = report.find((r) => r.exchanger === `partner-${n}`);
    expect(mine).toMatchObject({
      balance: '15.37',
      referredExchanges: 2,
      successfulExchanges: 1,
      reward: '0.41',
      partnerVisits: 1,
      clicks: 3,
      uniqueClicks: 2,
      visitsPerUniqueClick: '0.500',
    });
    expect(mine!.byDirection).toEqual([
      { from: 'USDTTRC20', to: 'SBERRUB', partnerVisits: 1, uniqueClicks: 2, visitsPerUniqueClick: '0.500' },
    ]);
  });
});
