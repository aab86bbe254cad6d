import { Turns } from '../rates/direction-books.service';

/**
 * At most `concurrency` route searches at once in a process, first come first served; past `maxWaiting`
 * waiting, a search is refused with BusyError (429, Retry-After). The turns DirectionBooks keeps per
 * direction, kept per process: a search reads up to eleven directions at once (their rows, when not
 * kept, and one question of their shown feeds), and unbounded, a burst of searches would hold every
 * connection of the pool and make /v1/rates wait behind them.
 */
export class RouteGate extends Turns {
  constructor(concurrency: number, maxWaiting: number) {
    super(concurrency, maxWaiting, 'too many route searches at once; retry in a second');
  }
}
