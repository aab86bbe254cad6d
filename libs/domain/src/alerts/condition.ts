import { Dec } from '../decimal';

/**
 * What an alert watches (DESIGN.md §12), on one direction (and city, or all cities):
 *  - `above`: the best shown rate is at least `value`;
 *  - `below`: the best shown rate is at most `value`;
 *  - `moves`: the best moved by at least `value` percent (either way) from the best at creation, or at the
 *    last notice;
 *  - `reserve`: a shown offer holds a reserve of at least `value` (of `to`).
 * Values are decimal strings, never floats.
 */
export const ALERT_KINDS = ['above', 'below', 'moves', 'reserve'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface AlertCondition {
  readonly kind: AlertKind;
  readonly value: string;
}

/** What an alert remembers between evaluations: armed (may fire) and, for `moves`, the best it measures from. */
export interface AlertState {
  readonly armed: boolean;
  readonly reference: string | null;
}

/** What a direction (and city) shows now: its best rate (most of `to` per `from`) and its largest reserve; null: nothing shown. */
export interface DirectionMarket {
  readonly best: string | null;
  readonly reserve: string | null;
}

/** The outcome of one evaluation: whether to notify, and the state to keep. */
export interface AlertStep {
  readonly fire: boolean;
  readonly state: AlertState;
}

/**
 * The prefilter of an alert in its current state, for the database (so an evaluation reads only the alerts a
 * change may concern, through an index, never every alert of a direction): something may happen when the
 * watched figure (`metric`) is ≥ `hi` or ≤ `lo`. Bounds are inclusive and may admit a few alerts
 * `stepAlert` then leaves as they are (a best exactly at `value` when the alert waits to re-arm).
 */
export interface AlertWatch {
  readonly metric: 'rate' | 'reserve';
  readonly hi: string | null;
  readonly lo: string | null;
}

/** The figure a condition compares. */
export const metricOf = (kind: AlertKind): 'rate' | 'reserve' => (kind === 'reserve' ? 'reserve' : 'rate');

/** Whether the market meets a threshold condition now (`moves` has none: see `stepAlert`). */
function holds(condition: AlertCondition, market: DirectionMarket): boolean | null {
  const figure = condition.kind === 'reserve' ? market.reserve : market.best;
  if (figure === null) return null;
  const order = new Dec(figure).comparedTo(condition.value);
  return condition.kind === 'below' ? order <= 0 : order >= 0;
}

/** How far `best` is from `reference`, in percent (absolute). */
export function movePercent(reference: string, best: string): Dec {
  const ref = new Dec(reference);
  return new Dec(best).minus(ref).abs().div(ref).times(100);
}

/**
 * The state of a new alert on the market of its creation: a threshold alert is armed unless its condition
 * already holds (it fires on a crossing, not on a state); a `moves` alert measures from the best now.
 */
export function initialAlertState(condition: AlertCondition, market: DirectionMarket): AlertState {
  if (condition.kind === 'moves') return { armed: true, reference: market.best };
  return { armed: holds(condition, market) !== true, reference: null };
}

/**
 * One evaluation, with hysteresis: a threshold alert fires when its condition starts to hold while armed and
 * is disarmed; it re-arms only once the condition stops holding (the best back below `value` for `above`).
 * A `moves` alert fires when the best is `value` % or more away from its reference, which becomes the best
 * then. With nothing shown (null figure), nothing changes.
 */
export function stepAlert(condition: AlertCondition, state: AlertState, market: DirectionMarket): AlertStep {
  if (condition.kind === 'moves') {
    if (market.best === null) return { fire: false, state };
    if (state.reference === null || new Dec(state.reference).isZero())
      return { fire: false, state: { armed: true, reference: market.best } };
    const moved = movePercent(state.reference, market.best).gte(condition.value);
    return moved ? { fire: true, state: { armed: true, reference: market.best } } : { fire: false, state };
  }
  const now = holds(condition, market);
  if (now === null) return { fire: false, state };
  if (now && state.armed) return { fire: true, state: { armed: false, reference: null } };
  if (!now && !state.armed) return { fire: false, state: { armed: true, reference: null } };
  return { fire: false, state };
}

/** The database prefilter of an alert in `state` (see AlertWatch). */
export function watchOf(condition: AlertCondition, state: AlertState): AlertWatch {
  const metric = metricOf(condition.kind);
  switch (condition.kind) {
    case 'above':
    case 'reserve':
      return state.armed ? { metric, hi: condition.value, lo: null } : { metric, hi: null, lo: condition.value };
    case 'below':
      return state.armed ? { metric, hi: null, lo: condition.value } : { metric, hi: condition.value, lo: null };
    case 'moves': {
      // No reference yet: the first best shown becomes it (any best is ≥ 0).
      if (state.reference === null) return { metric, hi: '0', lo: null };
      const ref = new Dec(state.reference);
      const band = ref.times(condition.value).div(100);
      return { metric, hi: ref.plus(band).toFixed(), lo: ref.minus(band).toFixed() };
    }
  }
}

/** Whether two states are the same (so an evaluation writes only alerts whose state changed). */
export const sameAlertState = (a: AlertState, b: AlertState): boolean =>
  a.armed === b.armed && a.reference === b.reference;
