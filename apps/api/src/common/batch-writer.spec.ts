import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { batchItemsDroppedCounter } from '@app/observability';
import { BatchWriter } from './batch-writer';

/** `ratewatch_batch_items_dropped_total` of one writer by reason. */
async function droppedOf(registry: Registry, writer: string): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('ratewatch_batch_items_dropped_total')?.get();
  const byReason: Record<string, number> = {};
  for (const { labels, value } of metric?.values ?? [])
    if (labels.writer === writer) byReason[String(labels.reason)] = value;
  return byReason;
}

describe('BatchWriter', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const writer = (write: (batch: number[]) => Promise<unknown>, onFailure: 'retry' | 'drop' = 'retry') =>
    new BatchWriter<number>({ name: 'numbers', write, everyMs: 1000, atCount: 3, maxBuffered: 5, onFailure });

  it('writes at the count at once, and the rest when the time is up', async () => {
    const batches: number[][] = [];
    const w = writer((batch) => Promise.resolve(batches.push(batch)));
    [1, 2, 3, 4].forEach((n) => w.add(n));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2, 3]]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('puts a failed batch back and writes it on the retry, before newer items', async () => {
    const batches: number[][] = [];
    let fail = true;
    const w = writer((batch) =>
      fail ? Promise.reject(new Error('database away')) : Promise.resolve(batches.push(batch)),
    );
    w.add(1);
    await w.flush();
    fail = false;
    w.add(2);
    await vi.advanceTimersByTimeAsync(5000);
    expect(batches).toEqual([[1, 2]]);
  });

  it('drops a failed batch when told to', async () => {
    const write = vi.fn(() => Promise.reject(new Error('database away')));
    const w = writer(write, 'drop');
    w.add(1);
    await w.flush();
    await w.flush();
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('never buffers more than its bound', () => {
    const w = new BatchWriter<number>({
      name: 'numbers',
      write: () => Promise.reject(new Error('away')),
      everyMs: 1000,
      maxBuffered: 2,
      onFailure: 'retry',
    });
    expect([w.add(1), w.add(2), w.add(3)]).toEqual([true, true, false]);
  });
});

describe('BatchWriter: one item the database refuses for good', () => {
  it('writes the others one by one and drops only that item; a transient failure still keeps them all', async () => {
    const written: number[] = [];
    let away = false;
    const w = new BatchWriter<number>({
      name: 'numbers',
      everyMs: 1000,
      maxBuffered: 100,
      onFailure: 'retry',
      isTransient: (error) => (error as Error).message === 'away',
      write: (batch) => {
        if (away) return Promise.reject(new Error('away'));
        if (batch.includes(13)) return Promise.reject(new Error('foreign key'));
        written.push(...batch);
        return Promise.resolve();
      },
    });
    [11, 12, 13, 14].forEach((n) => w.add(n));
    await w.flush();
    expect(written).toEqual([11, 12, 14]);

    away = true;
    w.add(15);
    await w.flush();
    away = false;
    w.add(16);
    await w.flush();
    expect(written).toEqual([11, 12, 14, 15, 16]);
  });
});

describe('BatchWriter: every item given up is counted', () => {
  const counted = (options: { maxBuffered?: number; write: (batch: number[]) => Promise<unknown> }) => {
    const registry = new Registry();
    const writer = new BatchWriter<number>({
      name: 'numbers',
      everyMs: 1000,
      maxBuffered: options.maxBuffered ?? 100,
      onFailure: 'retry',
      isTransient: (error) => (error as Error).message === 'away',
      write: options.write,
      dropped: batchItemsDroppedCounter(registry),
      describe: (n) => ({ n }),
    });
    return { registry, writer };
  };

  it('counts the item the database refuses for good, and only that one', async () => {
    const { registry, writer } = counted({
      write: (batch) => (batch.includes(13) ? Promise.reject(new Error('foreign key')) : Promise.resolve()),
    });
    [12, 13, 14].forEach((n) => writer.add(n));
    await writer.flush();
    expect(await droppedOf(registry, 'numbers')).toEqual({ refused: 1 });
  });

  it('counts what a full buffer turns away', async () => {
    const { registry, writer } = counted({ maxBuffered: 2, write: () => Promise.reject(new Error('away')) });
    [1, 2, 3, 4, 5].forEach((n) => writer.add(n));
    expect(await droppedOf(registry, 'numbers')).toEqual({ buffer_full: 3 });
    await writer.close();
  });

  it('at close, writes what is buffered; what the database still cannot take is counted as lost, with no retry left', async () => {
    vi.useFakeTimers();
    try {
      let away = false;
      const written: number[] = [];
      const { registry, writer } = counted({
        write: (batch) => (away ? Promise.reject(new Error('away')) : Promise.resolve(written.push(...batch))),
      });
      [1, 2].forEach((n) => writer.add(n));
      await writer.close();
      expect(written).toEqual([1, 2]);
      expect(await droppedOf(registry, 'numbers')).toEqual({});

      away = true;
      writer.add(3);
      await writer.close();
      expect(await droppedOf(registry, 'numbers')).toEqual({ unwritten_at_shutdown: 1 });
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
