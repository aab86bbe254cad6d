import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DataSource } from 'typeorm';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { DirectionOfferRow, OffersRepository } from './offers.repository';

/** Rows in one order whatever order a plan gave them (a direction's rows have no order of their own). */
const sorted = (rows: DirectionOfferRow[]) =>
  [...rows].sort((a, b) => a.feedId - b.feedId || (a.city ?? '').localeCompare(b.city ?? ''));

/** More rows than one page of the cursor read (PAGE_ROWS, 1,000). */
const BIG = 2_345;

/**
 * findDirectionsRows on the real PostgreSQL: the rows of several directions in one statement, the same as
 * findDirectionRows reads for each alone — cities, held offers left out, a big direction read by its cursor.
 */
describe('OffersRepository.findDirectionsRows', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: OffersRepository;

  async function feedOf(slug: string): Promise<{ exchangerId: number; feedId: number }> {
    const [exchanger] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO exchangers (slug, name, site_url, referral_url, status)
       VALUES ($1::text, 'Name ' || $1::text, 'https://x.example', 'https://x.example/?rid=1', 'active') RETURNING id`,
      [slug],
    );
    const [feed] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO feeds (exchanger_id, url, stale_after_s, last_success_at)
       VALUES ($1, 'https://x.example/rates-' || gen_random_uuid() || '.xml', 300, now()) RETURNING id`,
      [exchanger!.id],
    );
    return { exchangerId: exchanger!.id, feedId: feed!.id };
  }

  async function offer(
    at: { exchangerId: number; feedId: number },
    from: string,
    to: string,
    rate: string,
    options: { city?: string; held?: boolean } = {},
  ): Promise<void> {
    await dataSource.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, city, amount_in, amount_out, rate, reserve,
                           from_min, from_fee, quarantine)
       VALUES ($1, $2, $3, $4, $5, 1, $6, $6, '1000.5', '0.001', '[{"kind":"percent","value":"0.5"}]', $7::jsonb)`,
      [
        at.feedId,
        at.exchangerId,
        from,
        to,
        options.city ?? '',
        rate,
        options.held ? JSON.stringify({ reason: 'rate far from the median' }) : null,
      ],
    );
  }

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase(3));
    repository = new OffersRepository(dataSource);
    const alpha = await feedOf('alpha');
    const beta = await feedOf('beta');
    await offer(alpha, 'BTC', 'SBERRUB', '6850000.50');
    await offer(beta, 'BTC', 'SBERRUB', '6800000');
    await offer(beta, 'BTC', 'ETH', '10', { held: true }); // held back: not a row of BTC→ETH
    await offer(alpha, 'BTC', 'ETH', '9.5');
    await offer(alpha, 'USDTTRC20', 'CASHUSD', '0.99', { city: 'MSK' });
    await offer(alpha, 'USDTTRC20', 'CASHUSD', '0.98', { city: 'SPB' });
    await offer(beta, 'USDTTRC20', 'CASHUSD', '0.97', { city: 'MSK' });
    await offer(beta, 'LTC', 'BTC', '0.001', { held: true }); // a direction with held offers only
    // A big direction: one exchanger in BIG cities, and one of them held.
    const big = await feedOf('big');
    await dataSource.query(
      `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, city, amount_in, amount_out, rate, reserve, quarantine)
       SELECT $1, $2, 'USDTTRC20', 'SBERRUB', 'C' || g, 1, 90 + g / 1000.0, 90 + g / 1000.0, 5000,
              CASE WHEN g = 7 THEN '{"reason":"held"}'::jsonb END
       FROM generate_series(1, $3::int + 1) g`,
      [big.feedId, big.exchangerId, BIG],
    );
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await dataSource?.destroy();
    await db?.drop();
  });

  it('reads several small directions in one statement, each the rows it has alone, in the order asked', async () => {
    const pairs = [
      ['USDTTRC20', 'CASHUSD'],
      ['BTC', 'SBERRUB'],
      ['SBERRUB', 'BTC'], // nobody offers it
      ['BTC', 'ETH'],
      ['LTC', 'BTC'],
    ] as const;
    const alone = [];
    for (const [from, to] of pairs) alone.push(await repository.findDirectionRows(from, to));
    const statements = vi.spyOn(dataSource, 'query');
    const together = await repository.findDirectionsRows(pairs);
    expect(statements).toHaveBeenCalledTimes(1);
    statements.mockRestore();

    expect(together.map(sorted)).toEqual(alone.map(sorted));
    expect(together.map((rows) => rows.length)).toEqual([3, 2, 0, 1, 0]);
    // Cities as stored (none: null), decimals as text, the held BTC→ETH offer of beta left out.
    expect(together[0]!.map((row) => `${row.city} ${row.rate}`).sort()).toEqual(['MSK 0.97', 'MSK 0.99', 'SPB 0.98']);
    expect(together[3]).toEqual([expect.objectContaining({ city: null, rate: '9.5', reserve: '1000.5' })]);
    expect(together[1]![0]).toEqual({
      feedId: expect.any(Number),
      exchangerId: expect.any(Number),
      city: null,
      in: '1',
      out: expect.any(String),
      rate: expect.any(String),
      reserve: '1000.5',
      fromMin: '0.001',
      fromMax: null,
      toMin: null,
      toMax: null,
      fromFee: [{ kind: 'percent', value: '0.5' }],
      toFee: [],
      minFee: [],
      flags: [],
      floating: null,
      delayMinutes: null,
    });
  });

  it('reads a big direction whole by its cursor, beside small ones read together', async () => {
    const big = await repository.findDirectionRows('USDTTRC20', 'SBERRUB');
    expect(big).toHaveLength(BIG); // BIG + 1 stored, one held
    expect(big.some((row) => row.city === 'C7')).toBe(false);
    const small = await repository.findDirectionRows('BTC', 'SBERRUB');

    const statements = vi.spyOn(dataSource, 'query');
    const together = await repository.findDirectionsRows([
      ['BTC', 'SBERRUB'],
      ['USDTTRC20', 'SBERRUB'],
    ]);
    // One statement for both (at most a page and one row of the big one), then its cursor on its own connection.
    expect(statements).toHaveBeenCalledTimes(1);
    statements.mockRestore();
    expect(together.map(sorted)).toEqual([sorted(small), sorted(big)]);
    expect(new Set(together[1]!.map((row) => row.city)).size).toBe(BIG);
  });

  it('answers a direction asked twice, with its rows each time, and nothing for no directions', async () => {
    const statements = vi.spyOn(dataSource, 'query');
    expect(await repository.findDirectionsRows([])).toEqual([]);
    expect(statements).not.toHaveBeenCalled();
    const [first, other, again] = await repository.findDirectionsRows([
      ['BTC', 'ETH'],
      ['BTC', 'SBERRUB'],
      ['BTC', 'ETH'],
    ]);
    expect(statements).toHaveBeenCalledTimes(1);
    statements.mockRestore();
    expect(first).toHaveLength(1);
    expect(other).toHaveLength(2);
    expect(again).toEqual(first);
  });

  it('takes codes as values, never as SQL', async () => {
    const rows = await repository.findDirectionsRows([
      ["BTC' OR '1'='1", 'ETH'],
      ['BTC', 'ETH'],
    ]);
    expect(rows.map((r) => r.length)).toEqual([0, 1]);
  });
});
