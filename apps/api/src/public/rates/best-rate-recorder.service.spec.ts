import { describe, expect, it } from 'vitest';
import type { BestRatePoint, RateHistoryRepository } from '@app/database';
import { BestRateRecorder } from './best-rate-recorder.service';

/** What the recorder hands to the database (the repository itself is covered by the e2e test). */
function recorder(): { recorder: BestRateRecorder; written: BestRatePoint[] } {
  const written: BestRatePoint[] = [];
  const history = {
    record: (points: BestRatePoint[]) => Promise.resolve(void written.push(...points)),
    prune: () => Promise.resolve(0),
  };
  return { recorder: new BestRateRecorder(history as unknown as RateHistoryRepository), written };
}

describe('BestRateRecorder', () => {
  it('keeps one point a minute per direction and city, at the start of the minute', async () => {
    const { recorder: r, written } = recorder();
    const at = (iso: string) => new Date(iso);
    r.note('BTC', 'SBERRUB', null, '6900000', at('2026-11-25T10:00:05Z'));
    r.note('BTC', 'SBERRUB', null, '6910000', at('2026-11-25T10:00:50Z'));
    r.note('BTC', 'SBERRUB', null, '6920000', at('2026-11-25T10:01:01Z'));
    r.note('USDTTRC20', 'CASHUSD', 'MSK', '0.99', at('2026-11-25T10:00:30Z'));
    r.note('USDTTRC20', 'CASHUSD', null, '0.98', at('2026-11-25T10:00:30Z'));
    await r.flush();
    expect(written.map((p) => [p.from, p.to, p.city, p.minute.toISOString(), p.rate])).toEqual([
      ['BTC', 'SBERRUB', '', '2026-11-25T10:00:00.000Z', '6900000'],
      ['BTC', 'SBERRUB', '', '2026-11-25T10:01:00.000Z', '6920000'],
      ['USDTTRC20', 'CASHUSD', 'MSK', '2026-11-25T10:00:00.000Z', '0.99'],
      ['USDTTRC20', 'CASHUSD', '', '2026-11-25T10:00:00.000Z', '0.98'],
    ]);
  });

  it('loses only a chart point, never the request, when the database refuses the batch', async () => {
    const failing = { record: () => Promise.reject(new Error('connection refused')), prune: () => Promise.resolve(0) };
    const r = new BestRateRecorder(failing as unknown as RateHistoryRepository);
    r.note('BTC', 'ETH', null, '20.5');
    await expect(r.flush()).resolves.toBeUndefined();
  });

  it('never prunes the history (housekeeping does, in the workers)', async () => {
    let pruned = 0;
    const history = { record: () => Promise.resolve(), prune: () => Promise.resolve(++pruned) };
    const r = new BestRateRecorder(history as unknown as RateHistoryRepository);
    r.note('BTC', 'ETH', null, '20.5');
    await r.flush();
    expect(pruned).toBe(0);
  });
});
