import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClicksRepository } from '@app/database';
import { migratedDatabase, TestDatabase } from '../../../../../test/support/services';
import { ClickRecorder } from './click-recorder.service';

/** Clicks are the evidence behind partner revenue: one click that can never be written must not hold back the others. */
describe('ClickRecorder on a real PostgreSQL', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  const exchanger = async (slug: string): Promise<number> =>
    (
      await dataSource.query<Array<{ id: number }>>(
        `INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1::text, $1::text, 'https://x.example', 'https://x.example/?r=1') RETURNING id`,
        [slug],
      )
    )[0]!.id;
  const clicksOf = async (id: number): Promise<number> =>
    Number(
      (
        await dataSource.query<Array<{ n: string }>>(`SELECT count(*) AS n FROM clicks WHERE exchanger_id = $1`, [id])
      )[0]!.n,
    );
  const click = (exchangerId: number, ip: string) => ({
    exchangerId,
    from: 'BTC',
    to: 'ETH',
    city: null,
    at: new Date(),
    referrer: null,
    ip,
    userAgent: 'Mozilla/5.0',
  });

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase());
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  /** `ratewatch_batch_items_dropped_total{writer="clicks"}` by reason, as /metrics would show it. */
  const droppedClicks = async (registry: Registry): Promise<Record<string, number>> => {
    const metric = await registry.getSingleMetric('ratewatch_batch_items_dropped_total')?.get();
    const byReason: Record<string, number> = {};
    for (const { labels, value } of metric?.values ?? [])
      if (labels.writer === 'clicks') byReason[String(labels.reason)] = value;
    return byReason;
  };

  it('drops only the click of an exchanger deleted before the batch is written; every other click is kept, now and later', async () => {
    const registry = new Registry();
    const recorder = new ClickRecorder(new ClicksRepository(dataSource), registry);
    const [gone, kept] = [await exchanger('gone'), await exchanger('kept')];
    await recorder.record(click(kept, '10.0.0.1'));
    await recorder.record(click(gone, '10.0.0.2'));
    await recorder.record(click(kept, '10.0.0.3'));
    await dataSource.query(`DELETE FROM exchangers WHERE id = $1`, [gone]);
    await recorder.flush();
    expect(await clicksOf(kept)).toBe(2);
    expect(await droppedClicks(registry)).toEqual({ refused: 1 });

    await recorder.record(click(kept, '10.0.0.4'));
    await recorder.flush();
    expect(await clicksOf(kept)).toBe(3);
    await recorder.onApplicationShutdown();
    expect(await droppedClicks(registry)).toEqual({ refused: 1 });
  });

  it('has every click recorded before shutdown in the database once the shutdown hook returns', async () => {
    const registry = new Registry();
    const recorder = new ClickRecorder(new ClicksRepository(dataSource), registry);
    const id = await exchanger('flood');
    // Below the batch size and well within the flush interval: only the shutdown writes them.
    for (let i = 0; i < 300; i++) void recorder.record(click(id, `10.1.${i >> 8}.${i & 255}`));
    await recorder.onApplicationShutdown();
    expect(await clicksOf(id)).toBe(300);
    expect(await droppedClicks(registry)).toEqual({});
  });

  it('shares one dropped-items counter between recorders on one registry (a second one must not fail to register)', async () => {
    const registry = new Registry();
    const first = new ClickRecorder(new ClicksRepository(dataSource), registry);
    const second = new ClickRecorder(new ClicksRepository(dataSource), registry);
    const gone = await exchanger('gone-twice');
    await dataSource.query(`DELETE FROM exchangers WHERE id = $1`, [gone]);
    await first.record(click(gone, '10.2.0.1'));
    await second.record(click(gone, '10.2.0.2'));
    await Promise.all([first.onApplicationShutdown(), second.onApplicationShutdown()]);
    expect(await droppedClicks(registry)).toEqual({ refused: 2 });
  });
});
