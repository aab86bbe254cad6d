import { describe, expect, it } from 'vitest';
import { BusyError } from '@app/domain';
import { RouteGate } from './route-gate';

describe('the route search gate', () => {
  it('runs at most `concurrency` at once, the others in order, and refuses past the waiting line', async () => {
    const gate = new RouteGate(2, 2);
    const order: number[] = [];
    const releases: Array<() => void> = [];
    const job = (n: number) =>
      gate.run(
        () =>
          new Promise<number>((resolve) => {
            order.push(n);
            releases.push(() => resolve(n));
          }),
      );
    const runs = [job(1), job(2), job(3), job(4)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([1, 2]);
    expect(gate.load).toEqual({ running: 2, waiting: 2 });
    await expect(job(5)).rejects.toBeInstanceOf(BusyError);
    releases[0]!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([1, 2, 3]);
    for (let i = 1; i < 4; i++) {
      releases[i]!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(runs)).toEqual([1, 2, 3, 4]);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it('frees its turn when the work fails', async () => {
    const gate = new RouteGate(1, 1);
    await expect(gate.run(() => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await gate.run(() => Promise.resolve('next'))).toBe('next');
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });
});
