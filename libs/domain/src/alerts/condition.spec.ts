import { describe, expect, it } from 'vitest';
import { AlertCondition, AlertState, initialAlertState, stepAlert, watchOf } from './condition';

const market = (best: string | null, reserve: string | null = null) => ({ best, reserve });

/** Runs a condition over a sequence of bests from its creation market, answering where it fired. */
function fired(condition: AlertCondition, created: string | null, bests: Array<string | null>, reserve = false) {
  let state: AlertState = initialAlertState(condition, reserve ? market(null, created) : market(created));
  return bests.map((figure) => {
    const step = stepAlert(condition, state, reserve ? market('1', figure) : market(figure));
    state = step.state;
    return step.fire;
  });
}

describe('alert crossings (hysteresis)', () => {
  it('above: fires once per crossing from below, re-arms only once back below', () => {
    const above: AlertCondition = { kind: 'above', value: '100' };
    expect(fired(above, '90', ['95', '100', '101', '150', '99.99', '100', '100.5', '99', '101'])).toEqual([
      false,
      true,
      false,
      false,
      false,
      true,
      false,
      false,
      true,
    ]);
  });

  it('above: an alert created while the condition holds waits for the next crossing', () => {
    expect(fired({ kind: 'above', value: '100' }, '120', ['130', '90', '110'])).toEqual([false, false, true]);
  });

  it('below: fires at or under the value, re-arms above it', () => {
    expect(fired({ kind: 'below', value: '50' }, '60', ['50', '40', '50.0', '50.01', '49'])).toEqual([
      true,
      false,
      false,
      false,
      true,
    ]);
  });

  it('compares exact decimals, never floats', () => {
    const above: AlertCondition = { kind: 'above', value: '0.30000000000000000001' };
    expect(fired(above, '0.1', ['0.3', '0.30000000000000000001'])).toEqual([false, true]);
  });

  it('moves: fires when the best moves p % either way from the last notice, then measures from there', () => {
    const moves: AlertCondition = { kind: 'moves', value: '10' };
    expect(fired(moves, '100', ['105', '110', '115', '121', '108.9', '108.8'])).toEqual([
      false,
      true,
      false,
      true,
      true,
      false,
    ]);
  });

  it('moves: an alert created with nothing shown measures from the first best', () => {
    expect(fired({ kind: 'moves', value: '5' }, null, ['100', '104', '95'])).toEqual([false, false, true]);
  });

  it('reserve: fires when a shown reserve reaches the amount', () => {
    expect(fired({ kind: 'reserve', value: '1000' }, '10', ['999', '1000', '5000', '10', '1000'], true)).toEqual([
      false,
      true,
      false,
      false,
      true,
    ]);
  });

  it('nothing shown changes nothing', () => {
    expect(fired({ kind: 'above', value: '100' }, '90', [null, '120', null, '120'])).toEqual([
      false,
      true,
      false,
      false,
    ]);
  });
});

describe('watchOf', () => {
  it('admits every alert stepAlert would change, through its bounds', () => {
    const above: AlertCondition = { kind: 'above', value: '100' };
    expect(watchOf(above, { armed: true, reference: null })).toEqual({ metric: 'rate', hi: '100', lo: null });
    expect(watchOf(above, { armed: false, reference: null })).toEqual({ metric: 'rate', hi: null, lo: '100' });
    expect(watchOf({ kind: 'below', value: '5' }, { armed: true, reference: null })).toEqual({
      metric: 'rate',
      hi: null,
      lo: '5',
    });
    expect(watchOf({ kind: 'moves', value: '10' }, { armed: true, reference: '200' })).toEqual({
      metric: 'rate',
      hi: '220',
      lo: '180',
    });
    expect(watchOf({ kind: 'reserve', value: '7' }, { armed: true, reference: null }).metric).toBe('reserve');
  });
});
