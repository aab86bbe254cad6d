import { CachedAnswer } from '../public-cache.service';

/** Answers kept at most; beyond it the oldest go first. */
export const MAX_ROUTE_ANSWERS = 5000;
/** Body bytes kept at most (a limit=20 answer is ~40 KB); beyond it the oldest go first. */
export const MAX_ROUTE_BYTES = 32 * 1024 * 1024;

interface Entry {
  answer: CachedAnswer;
  expires: number;
  directions: readonly string[];
}

/**
 * Answers that rest on several directions (a route's legs), kept for `ttlMs` and dropped as soon as a
 * snapshot of any direction they used changes — not only their own from|to, as the per-direction answer
 * cache does. An answer computed while one of its directions changed is handed out but not kept.
 * Concurrent misses of one key share one computation.
 */
export class DependentAnswers {
  private readonly entries = new Map<string, Entry>();
  private readonly byDirection = new Map<string, Set<string>>();
  private readonly inFlight = new Map<string, Promise<CachedAnswer>>();
  /** Per direction, the change count when it last changed; `allChangedAt` for a change of any. */
  private readonly changedAt = new Map<string, number>();
  private allChangedAt = 0;
  private changes = 0;
  private bytes = 0;

  constructor(private readonly ttlMs: number) {}

  /**
   * A snapshot of these directions (`from|to`) changed, or (null) possibly of any. A change of `X|Y` also
   * reaches the answers resting on `X|*` (any direction from X) and `*|Y` (any direction into Y).
   */
  changed(changedDirections: readonly string[] | null): void {
    const directions =
      changedDirections &&
      changedDirections.flatMap((d) => {
        const [from, to] = d.split('|');
        return [d, `${from}|*`, `*|${to}`];
      });
    this.changes++;
    if (directions === null) {
      this.allChangedAt = this.changes;
      this.changedAt.clear();
      for (const key of [...this.entries.keys()]) this.drop(key);
      this.byDirection.clear();
      return;
    }
    for (const direction of directions) {
      this.changedAt.set(direction, this.changes);
      const keys = this.byDirection.get(direction);
      if (!keys) continue;
      this.byDirection.delete(direction);
      for (const key of keys) this.drop(key);
    }
  }

  /** The kept answer of `key`, or the one `compute` makes (with the directions it rests on). */
  async get(
    key: string,
    compute: () => Promise<{ value: unknown; directions: readonly string[] }>,
  ): Promise<CachedAnswer> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > Date.now()) return hit.answer;
    let flight = this.inFlight.get(key);
    if (!flight) {
      const started = this.changes;
      flight = compute()
        .then(({ value, directions }) => {
          const answer = CachedAnswer.of(value);
          const moved = this.allChangedAt > started || directions.some((d) => (this.changedAt.get(d) ?? 0) > started);
          if (!moved) this.store(key, answer, directions);
          return answer;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, flight);
    }
    return flight;
  }

  /** Answers kept (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private store(key: string, answer: CachedAnswer, directions: readonly string[]): void {
    if (this.ttlMs <= 0) return;
    this.drop(key);
    while (
      this.entries.size >= MAX_ROUTE_ANSWERS ||
      (this.entries.size > 0 && this.bytes + answer.bytes.length > MAX_ROUTE_BYTES)
    ) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.drop(oldest);
    }
    this.entries.set(key, { answer, expires: Date.now() + this.ttlMs, directions });
    this.bytes += answer.bytes.length;
    for (const direction of directions) {
      let keys = this.byDirection.get(direction);
      if (!keys) this.byDirection.set(direction, (keys = new Set()));
      keys.add(key);
    }
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.answer.bytes.length;
    for (const direction of entry.directions) {
      const keys = this.byDirection.get(direction);
      keys?.delete(key);
      if (keys?.size === 0) this.byDirection.delete(direction);
    }
  }
}
