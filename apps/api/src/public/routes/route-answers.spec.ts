import { describe, expect, it } from 'vitest';
import { DependentAnswers } from './route-answers';

describe('answers that rest on several directions', () => {
  const computeOf = (value: unknown, directions: string[]) => {
    let calls = 0;
    const compute = () => {
      calls++;
      return Promise.resolve({ value, directions });
    };
    return { compute, calls: () => calls };
  };

  it('keeps an answer until any direction it used changes', async () => {
    const answers = new DependentAnswers(60_000);
    const route = computeOf({ a: 1 }, ['A|B', 'A|C', 'C|B']);
    const first = await answers.get('k', route.compute);
    expect(await answers.get('k', route.compute)).toBe(first);
    expect(route.calls()).toBe(1);
    answers.changed(['X|Y']);
    await answers.get('k', route.compute);
    expect(route.calls()).toBe(1);
    // A leg's direction, not the asked one, changes: made anew.
    answers.changed(['C|B']);
    await answers.get('k', route.compute);
    expect(route.calls()).toBe(2);
    answers.changed(null);
    expect(answers.size).toBe(0);
  });

  it('drops an answer resting on every direction from A (A|*) when a new one from A appears', async () => {
    const answers = new DependentAnswers(60_000);
    const route = computeOf({ a: 1 }, ['A|B', 'A|*', '*|B', 'A|C', 'C|B']);
    await answers.get('k', route.compute);
    answers.changed(['Q|R']);
    await answers.get('k', route.compute);
    expect(route.calls()).toBe(1);
    // A|D is no leg of the kept answer, but D may now be a better intermediate.
    answers.changed(['A|D']);
    await answers.get('k', route.compute);
    expect(route.calls()).toBe(2);
    answers.changed(['E|B']);
    await answers.get('k', route.compute);
    expect(route.calls()).toBe(3);
  });

  it('keeps at most MAX_ROUTE_BYTES of bodies, the oldest going first', async () => {
    const answers = new DependentAnswers(60_000);
    const big = 'x'.repeat(12 * 1024 * 1024);
    for (const key of ['a', 'b', 'c']) await answers.get(key, computeOf({ big }, ['A|B']).compute);
    expect(answers.size).toBe(2);
    const again = computeOf({ big }, ['A|B']);
    await answers.get('a', again.compute);
    expect(again.calls()).toBe(1);
  });

  it('does not keep an answer one of whose directions changed while it was made', async () => {
    const answers = new DependentAnswers(60_000);
    let release: () => void = () => undefined;
    const slow = () =>
      new Promise<{ value: unknown; directions: string[] }>((resolve) => {
        release = () => resolve({ value: 1, directions: ['A|C'] });
      });
    const pending = answers.get('k', slow);
    const shared = answers.get('k', slow);
    answers.changed(['A|C']);
    release();
    expect(await pending).toBe(await shared);
    expect(answers.size).toBe(0);
    // A change elsewhere meanwhile does not matter.
    const again = answers.get('k', slow);
    answers.changed(['Z|Z']);
    release();
    await again;
    expect(answers.size).toBe(1);
  });

  it('keeps nothing with a TTL of 0, and drops expired answers', async () => {
    const off = new DependentAnswers(0);
    await off.get('k', computeOf(1, ['A|B']).compute);
    expect(off.size).toBe(0);
    const short = new DependentAnswers(1);
    const c = computeOf(1, ['A|B']);
    await short.get('k', c.compute);
    const until = Date.now() + 5;
    while (Date.now() < until) await new Promise((r) => setImmediate(r));
    await short.get('k', c.compute);
    expect(c.calls()).toBe(2);
  });
});
