import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { ClickRecord, ClicksRepository } from './clicks.repository';

describe('ClicksRepository', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: ClicksRepository;
  let alpha: number;
  let beta: number;
  const NOON = new Date('2025-05-10T12:00:00.000Z');
  let made = 0;

  /** A click; its referrer tags the order it was made in, as rows are not stored in batch order. */
  const click = (overrides: Partial<ClickRecord> = {}): ClickRecord => ({
    exchangerId: alpha,
    from: 'BTC',
    to: 'SBERRUB',
    city: null,
    at: NOON,
    visitorHash: 'visitor-1',
    referrer: `https://monitor.example/?n=${String(++made).padStart(6, '0')}`,
    isBot: false,
    ...overrides,
  });
  const stored = () =>
    dataSource.query<
      Array<{ visitor_hash: string; is_unique: boolean; is_bot: boolean; day: string; city: string | null }>
    >(
      `SELECT visitor_hash, is_unique, is_bot, to_char(day, 'YYYY-MM-DD') AS day, city FROM clicks ORDER BY referrer NULLS LAST, id`,
    );
  const uniqueFlags = async () => (await stored()).map((c) => c.is_unique);

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(4));
    repository = new ClicksRepository(dataSource);
    const rows = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('alpha', 'Alpha', 'https://a.example', 'https://a.example/?rid=1'), ('beta', 'Beta', 'https://b.example', 'https://b.example/?rid=1') RETURNING id`,
    );
    alpha = rows[0]!.id;
    beta = rows[1]!.id;
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('gives the visitor salt secret the migrations made', async () => {
    const secret = await repository.visitorSecret();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(await repository.visitorSecret()).toBe(secret);
  });

  describe('recordBatch', () => {
    beforeEach(async () => {
      await dataSource.query(`DELETE FROM clicks`);
    });

    it('records nothing for an empty batch', async () => {
      expect(await repository.recordBatch([])).toEqual({ unique: 0 });
      expect(await stored()).toEqual([]);
    });

    it('counts the first click of a visitor, exchanger and direction a UTC day as unique, and records every click', async () => {
      const result = await repository.recordBatch([
        click(),
        click({ at: new Date(NOON.getTime() + 60_000) }),
        click({ city: 'MSK' }), // another city of the same direction is the same direction
        click({ visitorHash: 'visitor-2' }),
        click({ exchangerId: beta }),
        click({ to: 'ETH' }),
        click({ from: 'ETH', to: 'BTC' }),
      ]);
      expect(result).toEqual({ unique: 5 });
      expect(await uniqueFlags()).toEqual([true, false, false, true, true, true, true]);
      expect((await stored()).map((c) => c.day)).toEqual(Array(7).fill('2025-05-10'));
    });

    it('never counts a bot as unique, and a bot does not use up the visitor’s unique click', async () => {
      const result = await repository.recordBatch([
        click({ isBot: true }),
        click({ isBot: true, visitorHash: 'bot-only' }),
        click(),
      ]);
      expect(result).toEqual({ unique: 1 });
      expect((await stored()).map((c) => [c.visitor_hash, c.is_bot, c.is_unique])).toEqual([
        ['visitor-1', true, false],
        ['bot-only', true, false],
        ['visitor-1', false, true],
      ]);
    });

    it('counts a visitor once a day across batches', async () => {
      expect(await repository.recordBatch([click()])).toEqual({ unique: 1 });
      expect(
        await repository.recordBatch([
          click({ at: new Date(NOON.getTime() + 3_600_000) }),
          click({ visitorHash: 'visitor-3' }),
        ]),
      ).toEqual({ unique: 1 });
      expect(await uniqueFlags()).toEqual([true, false, true]);
    });

    it('starts a new day at midnight UTC', async () => {
      const result = await repository.recordBatch([
        click({ at: new Date('2025-05-10T23:59:59.000Z') }),
        click({ at: new Date('2025-05-11T00:00:01.000Z') }),
        click({ at: new Date('2025-05-11T23:00:00.000Z') }),
      ]);
      expect(result).toEqual({ unique: 2 });
      expect((await stored()).map((c) => [c.day, c.is_unique])).toEqual([
        ['2025-05-10', true],
        ['2025-05-11', true],
        ['2025-05-11', false],
      ]);
    });

    it('counts one unique click when two replicas record the same visitor at once', async () => {
      const results = await Promise.all([
        repository.recordBatch([click()]),
        repository.recordBatch([click({ referrer: null })]),
      ]);
      expect(results.map((r) => r.unique).sort()).toEqual([0, 1]);
      expect((await uniqueFlags()).sort()).toEqual([false, true]);
    });
  });

  describe('counts', () => {
    const since = new Date('2025-06-01T00:00:00.000Z');
    const until = new Date('2025-06-02T00:00:00.000Z');

    beforeAll(async () => {
      await dataSource.query(`DELETE FROM clicks`);
      const inside = new Date('2025-06-01T10:00:00.000Z');
      await repository.recordBatch([
        click({ at: inside }),
        click({ at: inside }),
        click({ at: inside, visitorHash: 'visitor-2' }),
        click({ at: inside, visitorHash: 'crawler', isBot: true }),
        click({ at: inside, to: 'ETH' }),
        click({ at: inside, exchangerId: beta }),
        click({ at: since }),
        click({ at: until }), // the window is [since, until)
        click({ at: new Date('2025-05-31T23:59:59.999Z') }),
      ]);
    });

    it('counts clicks, unique clicks and bots per exchanger and direction within [since, until), most clicked first', async () => {
      expect(await repository.counts({ since, until, exchanger: null, from: null, to: null })).toEqual([
        { exchanger: 'alpha', from: 'BTC', to: 'SBERRUB', clicks: 5, uniqueClicks: 2, bots: 1 },
        { exchanger: 'alpha', from: 'BTC', to: 'ETH', clicks: 1, uniqueClicks: 1, bots: 0 },
        { exchanger: 'beta', from: 'BTC', to: 'SBERRUB', clicks: 1, uniqueClicks: 1, bots: 0 },
      ]);
    });

    it('filters by exchanger, from and to', async () => {
      expect(await repository.counts({ since, until, exchanger: 'beta', from: null, to: null })).toEqual([
        { exchanger: 'beta', from: 'BTC', to: 'SBERRUB', clicks: 1, uniqueClicks: 1, bots: 0 },
      ]);
      expect(await repository.counts({ since, until, exchanger: null, from: null, to: 'ETH' })).toEqual([
        { exchanger: 'alpha', from: 'BTC', to: 'ETH', clicks: 1, uniqueClicks: 1, bots: 0 },
      ]);
      expect(await repository.counts({ since, until, exchanger: 'alpha', from: 'BTC', to: 'SBERRUB' })).toEqual([
        { exchanger: 'alpha', from: 'BTC', to: 'SBERRUB', clicks: 5, uniqueClicks: 2, bots: 1 },
      ]);
      expect(await repository.counts({ since, until, exchanger: null, from: 'ETH', to: null })).toEqual([]);
      expect(await repository.counts({ since, until, exchanger: 'nobody', from: null, to: null })).toEqual([]);
    });

    it('counts the clicks of another window apart', async () => {
      expect(
        await repository.counts({
          since: until,
          until: new Date('2025-06-03T00:00:00.000Z'),
          exchanger: null,
          from: null,
          to: null,
        }),
      ).toEqual([{ exchanger: 'alpha', from: 'BTC', to: 'SBERRUB', clicks: 1, uniqueClicks: 1, bots: 0 }]);
    });
  });
});
