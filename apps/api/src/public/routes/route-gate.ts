import { BusyError } from '@app/domain';

/**
 * At most `concurrency` route searches at once in a process, first come first served; past `maxWaiting`
 * waiting, a search is refused with BusyError (429, Retry-After). A search ranks up to eleven direction
 * tables at once, each a query or two: unbounded, a burst of searches would hold every connection of the
 * pool and make /v1/rates wait behind them.
 */
export class RouteGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting)
        throw new BusyError('too many route searches at once; retry in a second');
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The turn passes straight to the next in line (running stays the same).
      if (next) next();
      else this.running--;
    }
  }

  /** Searches running and waiting (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
