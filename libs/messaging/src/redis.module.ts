import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import IORedis, { Redis, RedisOptions } from 'ioredis';
import { APP_CONFIG, AppConfig } from '@app/config';

const logger = new Logger('Redis');

/** Injection token of the process's shared ioredis client (fleet mode only). */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/**
 * ioredis options every ratewatch connection uses, from a redis:// or rediss:// URL. Passed as
 * options (not a shared client) so BullMQ opens and closes its own connections.
 */
export function redisOptions(url: string, connectionName: string): RedisOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    connectionName,
    // BullMQ workers need it; commands wait for a reconnect instead of failing after N retries.
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    // Reconnect forever, backing off to 2 s: a Redis restart must not need a ratewatch restart.
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
  };
}

export function createRedisClient(url: string, connectionName: string): Redis {
  return new IORedis(redisOptions(url, connectionName));
}

@Injectable()
class RedisClientCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly client: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    // QUIT would wait forever for a Redis that is down (commands queue until it returns).
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return;
    }
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** Provides REDIS_CLIENT for fleet mode (health checks, pub/sub, rate-limit storage). */
@Global()
@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        if (!config.redis.url) throw new Error('RedisModule needs REDIS_URL (fleet mode)');
        const client = createRedisClient(config.redis.url, 'ratewatch');
        // ioredis reconnects by itself; without a listener each failed attempt is an "unhandled error event".
        let lastLogged = 0;
        client.on('error', (error: Error) => {
          if (Date.now() - lastLogged < 10_000) return;
          lastLogged = Date.now();
          logger.warn(`Redis connection error (reconnecting): ${error.message}`);
        });
        return client;
      },
    },
    RedisClientCloser,
  ],
  exports: [REDIS_CLIENT],
})
export class RedisModule {}
