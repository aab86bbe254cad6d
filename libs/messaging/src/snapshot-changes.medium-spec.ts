import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { loadConfig } from '@app/config';
import { TEST_REDIS_URL } from '../../../test/support/services';
import { waitFor } from '../../../test/support/processes';
import { SnapshotChangeEvent, SnapshotChanges } from './snapshot-changes';

/** Snapshot-change announcements between processes, over the real Redis (fleet mode). */
describe('SnapshotChanges (real Redis)', () => {
  let publisherRedis: Redis;
  let listenerRedis: Redis;
  let publisher: SnapshotChanges;
  let listener: SnapshotChanges;
  const heard: SnapshotChangeEvent[] = [];

  beforeAll(() => {
    // Two processes of one installation: their own connections, one prefix.
    const config = loadConfig({ REDIS_PREFIX: `rw-test-${randomUUID()}` });
    publisherRedis = new Redis(TEST_REDIS_URL);
    listenerRedis = new Redis(TEST_REDIS_URL);
    publisher = new SnapshotChanges(config, publisherRedis);
    listener = new SnapshotChanges(config, listenerRedis);
    listener.onModuleInit();
    listener.subscribe((event) => heard.push(event));
  });

  afterAll(async () => {
    await listener?.onApplicationShutdown();
    publisherRedis?.disconnect();
    listenerRedis?.disconnect();
  });

  /** Publishes until the listener hears it (its subscription may still be on the way), then answers. */
  const announce = (event: SnapshotChangeEvent) =>
    waitFor(
      'the announcement heard',
      () => {
        publisher.publish(event);
        return Promise.resolve(heard.some((e) => JSON.stringify(e) === JSON.stringify(event)));
      },
      20_000,
      100,
    );

  it('tells its listeners that anything may have changed after a reconnect (what was published meanwhile is lost)', async () => {
    await announce({ directions: [['BTC', 'SBERRUB']] });
    heard.length = 0;
    // The subscriber's connection drops and comes back.
    (listener as unknown as { subscriber: Redis }).subscriber.disconnect(true);
    await waitFor('the reconnect announced', () => Promise.resolve(heard.some((e) => 'all' in e)), 20_000, 50);
    await announce({ directions: [['ETH', 'SBERRUB']] });
  });
});
