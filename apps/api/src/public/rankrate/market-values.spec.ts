import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '@app/config';
import type { MarketDirectionRow, MarketValuesRepository } from '@app/database';
import { SnapshotChanges } from '@app/messaging';
import { MARKET_REFRESH_MS, MARKET_REFRESH_PACE, MarketValues } from './market-values.service';

/**
 * When MarketValues reads the market again: the schedule alone (the reads themselves are the medium
 * spec's), with a repository whose reads take as long as the test says, on a fake clock.
 */
describe('MarketValues pacing', () => {
  let readMs = 0;
  const reads: Array<'whole' | number> = [];
  const row: MarketDirectionRow = {
    from: 'BTC',
    to: 'USDTTRC20',
    median: '60000',
    best: '60100',
    exchangers: 3,
    exchangerIds: [1, 2, 3],
  };
  const slow = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), readMs));
  const repository = {
    currencyUnits: () =>
      Promise.resolve([
        { code: 'USDTTRC20', iso: 'USD' },
        { code: 'BTC', iso: 'BTC' },
      ]),
    directionStats: (directions?: ReadonlyArray<readonly [string, string]>) => {
      reads.push(directions === undefined ? 'whole' : directions.length);
      return slow([row]);
    },
  } as unknown as MarketValuesRepository;
  let changes: SnapshotChanges;
  let market: MarketValues;

  beforeEach(() => {
    vi.useFakeTimers();
    reads.length = 0;
    changes = new SnapshotChanges(loadConfig({}));
    market = new MarketValues(repository, changes);
  });

  afterEach(() => {
    market.onApplicationShutdown();
    vi.useRealTimers();
  });

  /** Loads the market with reads taking `ms`, then announces a change of one direction. */
  const loadThenChange = async (ms: number) => {
    readMs = ms;
    const loaded = market.valuation();
    await vi.advanceTimersByTimeAsync(ms);
    await loaded;
    expect(reads).toEqual(['whole']);
    changes.publish({ directions: [['BTC', 'USDTTRC20']] });
  };

  it('applies the first changes at once after a quick first read, then at most every MARKET_REFRESH_MS', async () => {
    await loadThenChange(10);
    await vi.advanceTimersByTimeAsync(MARKET_REFRESH_PACE * 10 + 20);
    expect(reads).toEqual(['whole', 1]);
    changes.publish({ directions: [['BTC', 'USDTTRC20']] });
    await vi.advanceTimersByTimeAsync(MARKET_REFRESH_MS - 100);
    expect(reads).toEqual(['whole', 1]);
    await vi.advanceTimersByTimeAsync(200);
    expect(reads).toEqual(['whole', 1, 1]);
  });

  it('waits MARKET_REFRESH_PACE times as long as a slow read took before the next', async () => {
    // A whole-market read of 2 s: the changes heard meanwhile wait 20 s, not 3 s.
    await loadThenChange(2000);
    await vi.advanceTimersByTimeAsync(MARKET_REFRESH_PACE * 2000 - 500);
    expect(reads).toEqual(['whole']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads).toEqual(['whole', 1]);
    // That incremental read took 2 s too: the next change waits another 20 s after it.
    await vi.advanceTimersByTimeAsync(2000);
    changes.publish({ directions: [['BTC', 'USDTTRC20']] });
    await vi.advanceTimersByTimeAsync(MARKET_REFRESH_PACE * 2000 - 2000);
    expect(reads).toEqual(['whole', 1]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(reads).toEqual(['whole', 1, 1]);
  });
});
