import { NotFoundException } from '@nestjs/common';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '@app/config';
import { SnapshotChanges } from '@app/messaging';
import {
  MAX_CACHED_CHARS,
  PublicCache,
  REFRESH_AHEAD_SHARE,
  REFRESH_EARLIEST_SHARE,
  REFRESH_LEAD_FACTOR,
} from './public-cache.service';

const setup = () => {
  const config = loadConfig({ PUBLIC_CACHE_SECONDS: '60' });
  const changes = new SnapshotChanges(config);
  return { cache: new PublicCache(config, changes, new Registry()), changes };
};

describe('PublicCache', () => {
  it('forgets the raw URLs of a direction when its snapshot changes, so random query strings cannot pile up', async () => {
    const { cache, changes } = setup();
    for (let i = 0; i < 500; i++)
      await cache.get(
        'BTC|ETH',
        `BTC|ETH|${i}`,
        () => Promise.resolve({ amount: i }),
        `/v1/rates?from=BTC&to=ETH&amount=${i}`,
      );
    expect(cache.stats()).toMatchObject({ entries: 1000, rawUrls: 500 });
    expect(cache.peekRaw('/v1/rates?from=BTC&to=ETH&amount=7')?.body).toBe('{"amount":7}');
    changes.publish({ directions: [['BTC', 'ETH']] });
    expect(cache.stats()).toEqual({ entries: 0, rawUrls: 0, chars: 0 });
    expect(cache.peekRaw('/v1/rates?from=BTC&to=ETH&amount=7')).toBeNull();
  });

  it('keeps its bodies under the size budget', async () => {
    const { cache } = setup();
    const big = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 100; i++) await cache.get(`D${i}|X`, `k${i}`, () => Promise.resolve(big));
    expect(cache.stats().chars).toBeLessThanOrEqual(MAX_CACHED_CHARS);
    expect(cache.stats().chars).toBeGreaterThan(0);
  });

  it('serves the expired answer when a new one cannot be made, but passes a 4xx through', async () => {
    const config = loadConfig({ PUBLIC_CACHE_SECONDS: '1' });
    const registry = new Registry();
    const cache = new PublicCache(config, new SnapshotChanges(config), registry);
    await cache.get('BTC|ETH', 'k', () => Promise.resolve({ rate: '20.5' }));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const down = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    expect((await cache.get('BTC|ETH', 'k', down)).body).toBe('{"rate":"20.5"}');
    await expect(cache.get('BTC|ETH', 'other', down)).rejects.toThrow('ECONNREFUSED');
    const lookups = (await registry.getSingleMetric('ratewatch_public_cache_lookups_total')!.get()).values;
    expect(Object.fromEntries(lookups.map((v) => [v.labels.result, v.value]))).toEqual({ miss: 3, stale: 1 });
    await expect(
      cache.get('BTC|ETH', 'k', () => Promise.reject(new NotFoundException('no exchanger x'))),
    ).rejects.toThrow('no exchanger x');
  });

  describe('refresh ahead of expiry', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** A computation the test finishes when it wants. */
    const deferred = <T>() => {
      let resolve!: (value: T) => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    };
    const url = '/v1/rates?from=BTC&to=ETH';
    const ttl = 60_000;
    const due = ttl * (1 - REFRESH_AHEAD_SHARE);

    const primed = async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(1_000_000);
      const { cache, changes } = setup();
      const runs: Array<ReturnType<typeof deferred<unknown>>> = [];
      const compute = () => {
        const run = deferred<unknown>();
        runs.push(run);
        return run.promise;
      };
      const first = cache.get('BTC|ETH', 'k', compute, url);
      runs[0]!.resolve({ version: 1 });
      expect((await first).body).toBe('{"version":1}');
      return { cache, changes, runs, compute };
    };

    it('makes a hot answer anew once in the last part of its life, serving the current one meanwhile', async () => {
      const { cache, runs, compute } = await primed();
      vi.setSystemTime(1_000_000 + due - 1);
      expect(cache.peekRaw(url)?.body).toBe('{"version":1}');
      expect(runs).toHaveLength(1);
      vi.setSystemTime(1_000_000 + due + 1);
      expect(cache.peekRaw(url)?.body).toBe('{"version":1}');
      expect((await cache.get('BTC|ETH', 'k', compute)).body).toBe('{"version":1}');
      expect(cache.peekRaw(url)?.body).toBe('{"version":1}');
      expect(runs).toHaveLength(2);
      runs[1]!.resolve({ version: 2 });
      await vi.waitFor(() => expect(cache.peekRaw(url)?.body).toBe('{"version":2}'));
      // The new answer lives a full TTL from when it was made, and the alias names it.
      vi.setSystemTime(1_000_000 + due + ttl - 1000);
      expect(cache.peekRaw(url)?.body).toBe('{"version":2}');
      expect(cache.stats()).toMatchObject({ entries: 2, rawUrls: 1 });
    });

    it('never serves an answer past its TTL: a failed or slow refresh leaves the expiry as it was', async () => {
      const { cache, runs, compute } = await primed();
      vi.setSystemTime(1_000_000 + due + 1);
      expect(cache.peekRaw(url)?.body).toBe('{"version":1}');
      runs[1]!.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
      await vi.waitFor(() => {
        // The failed refresh is forgotten: the next hit in the window tries again.
        expect(cache.peekRaw(url)?.body).toBe('{"version":1}');
        expect(runs).toHaveLength(3);
      });
      vi.setSystemTime(1_000_000 + ttl);
      expect(cache.peekRaw(url)).toBeNull();
      // A reader now waits for the refresh still running (single flight), not for a computation of its own.
      const waiting = cache.get('BTC|ETH', 'k', compute, url);
      runs[2]!.resolve({ version: 3 });
      expect((await waiting).body).toBe('{"version":3}');
      expect(runs).toHaveLength(3);
      expect(cache.peekRaw(url)?.body).toBe('{"version":3}');
    });

    it('does not keep a refresh that a snapshot change overtook', async () => {
      const { cache, changes, runs } = await primed();
      vi.setSystemTime(1_000_000 + due + 1);
      cache.peekRaw(url);
      changes.publish({ directions: [['BTC', 'ETH']] });
      const joined = cache.get('BTC|ETH', 'k', () => Promise.reject(new Error('not this one')));
      runs[1]!.resolve({ version: 2 });
      // The reader joined the refresh: it gets that answer, which is not kept.
      expect((await joined).body).toBe('{"version":2}');
      expect(cache.peekRaw(url)).toBeNull();
      expect(cache.stats()).toEqual({ entries: 0, rawUrls: 0, chars: 0 });
    });

    it('keeps a refresh when only other directions changed meanwhile (a busy market announces many a second)', async () => {
      const { cache, changes, runs } = await primed();
      vi.setSystemTime(1_000_000 + due + 1);
      cache.peekRaw(url);
      changes.publish({ directions: [['BTC', 'USDTTRC20']] });
      changes.publish({ directions: [['ETH', 'BTC']] });
      runs[1]!.resolve({ version: 2 });
      await vi.waitFor(() => expect(cache.peekRaw(url)?.body).toBe('{"version":2}'));
      // A change of every direction overtakes it, though.
      vi.setSystemTime(1_000_000 + due + ttl);
      cache.peekRaw(url);
      expect(runs).toHaveLength(3);
      changes.publish({ all: true });
      runs[2]!.resolve({ version: 3 });
      await vi.waitFor(() => expect(cache.peekRaw(url)).toBeNull());
    });

    it('starts the refresh of a slowly made answer earlier, by its last computation time, within the earliest share', async () => {
      vi.useFakeTimers({ toFake: ['Date', 'performance'] });
      vi.setSystemTime(1_000_000);
      const { cache } = setup();
      const runs: Array<ReturnType<typeof deferred<unknown>>> = [];
      const compute = () => {
        const run = deferred<unknown>();
        runs.push(run);
        return run.promise;
      };
      // Made in 10 s of a 60 s TTL: refreshed from 20 s before its expiry, not 15 s.
      const first = cache.get('BTC|ETH', 'k', compute, url);
      vi.advanceTimersByTime(10_000);
      runs[0]!.resolve({ version: 1 });
      await first;
      const stored = 1_010_000;
      const lead = REFRESH_LEAD_FACTOR * 10_000;
      expect(lead).toBeGreaterThan(ttl * REFRESH_AHEAD_SHARE);
      vi.setSystemTime(stored + ttl - lead - 1);
      cache.peekRaw(url);
      expect(runs).toHaveLength(1);
      vi.setSystemTime(stored + ttl - lead + 1);
      cache.peekRaw(url);
      expect(runs).toHaveLength(2);
      // Made in 40 s: refreshed no earlier than half its life.
      vi.advanceTimersByTime(40_000);
      runs[1]!.resolve({ version: 2 });
      // (Not vi.waitFor: it moves the faked clock.)
      await new Promise((resolve) => setImmediate(resolve));
      const restored = Date.now();
      expect(cache.peekRaw(url)?.body).toBe('{"version":2}');
      vi.setSystemTime(restored + ttl * (1 - REFRESH_EARLIEST_SHARE) - 1);
      cache.peekRaw(url);
      expect(runs).toHaveLength(2);
      vi.setSystemTime(restored + ttl * (1 - REFRESH_EARLIEST_SHARE) + 1);
      cache.peekRaw(url);
      expect(runs).toHaveLength(3);
    });
  });
});
