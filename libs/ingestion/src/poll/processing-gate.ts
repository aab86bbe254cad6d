/**
 * A counting semaphore for the CPU-bound part of a poll (read, normalize, fingerprint, write).
 *
 * A process keeps many polls in hand because most of a poll is waiting on the exchanger's server; but
 * reading and normalizing a feed is synchronous work on the one event loop, so more than a couple at
 * once only makes every one of them late (and their BullMQ schedulers skip iterations). Polls queue
 * here, first come first served, after their body has arrived.
 */
export class ProcessingGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`a processing gate needs a limit of at least 1, got ${limit}`);
  }

  /** Polls processing now / waiting for a slot (for metrics and tests). */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (active stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
