import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DataSource } from 'typeorm';
import { CatalogRepository } from '@app/database';
import { NotFoundError } from '@app/domain';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { CatalogSnapshots } from './catalog-snapshots';

describe('CatalogSnapshots on a real PostgreSQL', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: CatalogRepository;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase());
    repository = new CatalogRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  it('loads the catalog once per version and builds each exchanger’s context once', async () => {
    const loads = vi.spyOn(repository, 'loadCurrencies');
    const snapshots = new CatalogSnapshots(repository);
    const version = await repository.version();
    const first = await snapshots.at(version);
    expect(await snapshots.at(version)).toBe(first);
    expect(loads).toHaveBeenCalledTimes(1);
    expect(first.contextFor(7)).toBe(first.contextFor(7));
    expect(first.require('btc').code).toBe('BTC');
    expect(() => first.require('NOPE')).toThrow(NotFoundError);
    loads.mockRestore();
  });

  it('sees an admin’s change on the request path within the version check, on every replica', async () => {
    const replicas = [new CatalogSnapshots(repository), new CatalogSnapshots(repository)];
    for (const replica of replicas) expect((await replica.current()).has('ZZTEST')).toBe(false);
    await dataSource.query(
      `INSERT INTO currencies (code, name, ticker, iso, kind) VALUES ('ZZTEST', 'Test', 'ZZ', 'ZZ', 'crypto')`,
    );
    await dataSource.query(`INSERT INTO currency_aliases (alias, code) VALUES ('ZZALIAS', 'ZZTEST')`);
    for (const replica of replicas) {
      await vi.waitFor(async () => expect((await replica.current()).has('zztest')).toBe(true), {
        timeout: 10_000,
        interval: 100,
      });
      const context = (await replica.current()).contextFor(null);
      expect(context.globalAliases.get('ZZALIAS')).toBe('ZZTEST');
    }
  });

  it('gives a disabled currency to the normalizer (to refuse it as disabled) but not to visitors', async () => {
    await dataSource.query(`UPDATE currencies SET enabled = false WHERE code = 'ZZTEST'`);
    const snapshot = await new CatalogSnapshots(repository).at(await repository.version());
    expect(snapshot.has('ZZTEST')).toBe(false);
    expect(snapshot.contextFor(null).currencies.get('ZZTEST')?.enabled).toBe(false);
  });
});
