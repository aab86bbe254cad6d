import { NotFoundException } from '@nestjs/common';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { SnapshotChanges } from '@app/messaging';
import { MAX_CACHED_CHARS, PublicCache } from './public-cache.service';

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
});
