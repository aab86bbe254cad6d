import { describe, expect, it } from 'vitest';
import { withinDeadline } from './within-deadline';

describe('withinDeadline', () => {
  it('gives the value of work that finishes in time', async () => {
    expect(await withinDeadline(Promise.resolve(42), 1000)).toEqual({ done: true, value: 42 });
  });

  it('says the deadline came first for work that never finishes', async () => {
    expect(await withinDeadline(new Promise<never>(() => undefined), 10)).toEqual({ done: false });
  });

  it('rejects with the work’s own failure', async () => {
    await expect(withinDeadline(Promise.reject(new Error('boom')), 1000)).rejects.toThrow('boom');
  });

  it('leaves no unhandled rejection when the work fails after the deadline', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      let fail: (error: Error) => void = () => undefined;
      const work = new Promise<never>((_, reject) => (fail = reject));
      expect(await withinDeadline(work, 5)).toEqual({ done: false });
      fail(new Error('late failure'));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });
});
