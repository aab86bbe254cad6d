import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  const prefix = `rw-test-${randomUUID()}`;

  beforeAll(() => {
    // Two processes of one installation: their own connections, one prefix.
    const config = loadConfig({ REDIS_PREFIX: prefix });
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

  it('keeps no subscription in a process that only publishes (a worker), and subscribes with its first listener', async () => {
    const config = loadConfig({ REDIS_PREFIX: prefix });
    const workerRedis = new Redis(TEST_REDIS_URL);
    const worker = new SnapshotChanges(config, workerRedis);
    try {
      worker.onModuleInit();
      worker.publish({ directions: [['LTC', 'SBERRUB']] });
      expect((worker as unknown as { subscriber: Redis | null }).subscriber).toBeNull();
      const late: SnapshotChangeEvent[] = [];
      worker.subscribe((event) => late.push(event));
      expect((worker as unknown as { subscriber: Redis | null }).subscriber).not.toBeNull();
      await waitFor(
        'the late listener to hear an announcement',
        () => {
          publisher.publish({ directions: [['XMR', 'SBERRUB']] });
          return Promise.resolve(late.some((e) => 'directions' in e && e.directions[0]![0] === 'XMR'));
        },
        20_000,
        100,
      );
    } finally {
      await worker.onApplicationShutdown();
      workerRedis.disconnect();
    }
  });

  it('tells its listeners that anything may have changed after a reconnect (what was published meanwhile is lost)', async () => {
    await announce({ directions: [['BTC', 'SBERRUB']] });
    heard.length = 0;
    // The subscriber's connection drops and comes back.
    (listener as unknown as { subscriber: Redis }).subscriber.disconnect(true);
    await waitFor('the reconnect announced', () => Promise.resolve(heard.some((e) => 'all' in e)), 20_000, 50);
    await announce({ directions: [['ETH', 'SBERRUB']] });
  });
});
