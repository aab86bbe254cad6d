import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { BestRatePoint, RATE_HISTORY_HOURS, RateHistoryRepository } from './rate-history.repository';

const MINUTE = 60_000;

describe('RateHistoryRepository', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: RateHistoryRepository;
  /** A whole minute, a few minutes ago. */
  const base = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE);
  const minute = (n: number) => new Date(base.getTime() + n * MINUTE);
  const point = (n: number, rate: string, overrides: Partial<BestRatePoint> = {}): BestRatePoint => ({
    from: 'BTC',
    to: 'SBERRUB',
    city: '',
    minute: minute(n),
    rate,
    ...overrides,
  });

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase());
    repository = new RateHistoryRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  beforeEach(async () => {
    await dataSource.query(`DELETE FROM best_rate_history`);
  });

  it('records points and gives a direction’s history since a time, oldest first, decimals as strings', async () => {
    await repository.record([point(2, '6850000.50'), point(0, '6800000'), point(1, '0.00000123')]);
    expect(await repository.history('BTC', 'SBERRUB', '', minute(0))).toEqual([
      { at: minute(0).toISOString(), rate: '6800000' },
      { at: minute(1).toISOString(), rate: '0.00000123' },
      { at: minute(2).toISOString(), rate: '6850000.50' },
    ]);
  });

  it('gives only points at or after `since`', async () => {
    await repository.record([point(0, '1'), point(1, '2'), point(2, '3')]);
    expect((await repository.history('BTC', 'SBERRUB', '', minute(1))).map((p) => p.rate)).toEqual(['2', '3']);
    expect(await repository.history('BTC', 'SBERRUB', '', minute(3))).toEqual([]);
  });

  it('keeps directions and cities apart ("" is every city)', async () => {
    await repository.record([
      point(0, '1'),
      point(0, '2', { city: 'MSK' }),
      point(0, '3', { to: 'ETH' }),
      point(0, '4', { from: 'ETH', to: 'BTC' }),
    ]);
    expect((await repository.history('BTC', 'SBERRUB', '', minute(0))).map((p) => p.rate)).toEqual(['1']);
    expect((await repository.history('BTC', 'SBERRUB', 'MSK', minute(0))).map((p) => p.rate)).toEqual(['2']);
    expect((await repository.history('BTC', 'ETH', '', minute(0))).map((p) => p.rate)).toEqual(['3']);
    expect((await repository.history('SBERRUB', 'BTC', '', minute(0))).map((p) => p.rate)).toEqual([]);
  });

  it('keeps the first point stored for a minute (another replica may have written it)', async () => {
    await repository.record([point(0, '100')]);
    await repository.record([point(0, '200'), point(1, '300')]);
    expect((await repository.history('BTC', 'SBERRUB', '', minute(0))).map((p) => p.rate)).toEqual(['100', '300']);
  });

  it('records nothing for no points', async () => {
    await repository.record([]);
    expect(await dataSource.query(`SELECT * FROM best_rate_history`)).toEqual([]);
  });

  it(`prunes points older than ${RATE_HISTORY_HOURS} hours and keeps the rest`, async () => {
    const hoursAgo = (hours: number) => new Date(Math.floor(Date.now() / MINUTE) * MINUTE - hours * 3_600_000);
    await repository.record([
      point(0, '1', { minute: hoursAgo(RATE_HISTORY_HOURS + 1) }),
      point(0, '2', { minute: hoursAgo(RATE_HISTORY_HOURS + 0.5), city: 'MSK' }),
      point(0, '3', { minute: hoursAgo(RATE_HISTORY_HOURS - 1) }),
      point(0, '4'),
    ]);
    expect(await repository.prune()).toBe(2);
    expect(
      (await repository.history('BTC', 'SBERRUB', '', hoursAgo(RATE_HISTORY_HOURS * 2))).map((p) => p.rate),
    ).toEqual(['3', '4']);
    expect(await repository.history('BTC', 'SBERRUB', 'MSK', hoursAgo(RATE_HISTORY_HOURS * 2))).toEqual([]);
    expect(await repository.prune()).toBe(0);
  });
});
