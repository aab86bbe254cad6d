import { describe, expect, it } from 'vitest';
import { redisOptions } from './redis.module';

describe('redisOptions', () => {
  it('reads host, port, credentials and database from the URL', () => {
    expect(redisOptions('redis://user:p%40ss@cache.internal:6380/2', 'rw')).toMatchObject({
      host: 'cache.internal',
      port: 6380,
      username: 'user',
      password: 'p@ss',
      db: 2,
      connectionName: 'rw',
      maxRetriesPerRequest: null,
    });
  });

  it('defaults the port and database and turns on TLS for rediss://', () => {
    const options = redisOptions('rediss://cache', 'rw');
    expect(options).toMatchObject({ host: 'cache', port: 6379, db: 0, tls: {} });
    expect(options.password).toBeUndefined();
  });

  it('keeps reconnecting with a bounded back-off', () => {
    const retry = redisOptions('redis://x', 'rw').retryStrategy;
    expect(retry?.(1)).toBe(100);
    expect(retry?.(1000)).toBe(2000);
  });
});
