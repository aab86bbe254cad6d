import { describe, expect, it } from 'vitest';
import { ProcessingGate } from './processing-gate';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ProcessingGate', () => {
  it('runs at most `limit` jobs at once, the others in arrival order', async () => {
    const gate = new ProcessingGate(2);
    const started: number[] = [];
    const release = new Map<number, () => void>();
    const jobs = [1, 2, 3, 4].map((n) =>
      gate.run(
        () =>
          new Promise<number>((resolve) => {
            started.push(n);
            release.set(n, () => resolve(n));
          }),
      ),
    );
    await tick();
    expect(started).toEqual([1, 2]);
    expect(gate.load).toEqual({ active: 2, waiting: 2 });
    release.get(2)!();
    await tick();
    expect(started).toEqual([1, 2, 3]);
    release.get(1)!();
    release.get(3)!();
    await tick();
    release.get(4)!();
    expect(await Promise.all(jobs)).toEqual([1, 2, 3, 4]);
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
  });

  it('frees the slot of a job that throws', async () => {
    const gate = new ProcessingGate(1);
    await expect(gate.run(() => Promise.reject(new Error('broken feed')))).rejects.toThrow('broken feed');
    await expect(gate.run(() => Promise.resolve('next'))).resolves.toBe('next');
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
  });

  it('refuses a limit below 1', () => {
    expect(() => new ProcessingGate(0)).toThrow(RangeError);
  });
});
