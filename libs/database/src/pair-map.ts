/**
 * Values by a direction's `from` and then its `to`: two look-ups of strings the caller has, no key string made of
 * them (the codes are the normalizer's and the catalog's own strings, their hashes kept in them). What a write, a
 * history mark and a drain look directions up by — 10,000 of them for a fully changed feed, hundreds of thousands
 * in a drain.
 */
export class PairMap<T> {
  private readonly byFrom = new Map<string, Map<string, T>>();
  /** Pairs held. */
  size = 0;

  get(from: string, to: string): T | undefined {
    return this.byFrom.get(from)?.get(to);
  }

  has(from: string, to: string): boolean {
    return this.byFrom.get(from)?.has(to) ?? false;
  }

  set(from: string, to: string, value: T): void {
    let byTo = this.byFrom.get(from);
    if (byTo === undefined) this.byFrom.set(from, (byTo = new Map<string, T>()));
    const before = byTo.size;
    byTo.set(to, value);
    this.size += byTo.size - before;
  }

  /** Takes a pair out; true when it was there. */
  delete(from: string, to: string): boolean {
    const gone = this.byFrom.get(from)?.delete(to) ?? false;
    if (gone) this.size--;
    return gone;
  }

  *values(): IterableIterator<T> {
    for (const byTo of this.byFrom.values()) yield* byTo.values();
  }
}
