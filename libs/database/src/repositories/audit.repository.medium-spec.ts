import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { auditedTransaction, AuditRepository } from './audit.repository';

describe('auditedTransaction and AuditRepository', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: AuditRepository;
  let keyId: number;

  const auditCount = async () =>
    Number((await dataSource.query<Array<{ n: string }>>(`SELECT count(*) AS n FROM admin_audit`))[0]!.n);
  const exchangerNamed = (slug: string) =>
    dataSource.query<Array<{ id: number; name: string }>>(`SELECT id, name FROM exchangers WHERE slug = $1`, [slug]);
  const insertExchanger = (tx: { query: DataSource['query'] }, slug: string) =>
    tx.query<Array<{ id: number; slug: string }>>(
      `INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ($1::text, $1::text, 'https://x.example', 'https://x.example/?rid=1') RETURNING id, slug`,
      [slug],
    );

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase());
    repository = new AuditRepository(dataSource);
    const [key] = await dataSource.query<Array<{ id: number }>>(
      `INSERT INTO api_keys (name, key_hash, prefix) VALUES ('ops key', 'h1', 'rw_1') RETURNING id`,
    );
    keyId = key!.id;
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  describe('auditedTransaction', () => {
    it('commits the change and its audit row together, and returns the row after', async () => {
      const returned = await auditedTransaction(dataSource, { keyId }, 'create', 'exchanger', async (tx) => {
        const [row] = await insertExchanger(tx, 'committed');
        return { before: null, after: row! };
      });
      const [row] = await exchangerNamed('committed');
      expect(returned).toEqual({ id: row!.id, slug: 'committed' });
      const [audit] = await dataSource.query<Array<Record<string, unknown>>>(
        `SELECT key_id, action, entity, entity_id, before, after FROM admin_audit ORDER BY id DESC LIMIT 1`,
      );
      expect(audit).toEqual({
        key_id: keyId,
        action: 'create',
        entity: 'exchanger',
        entity_id: String(row!.id),
        before: null,
        after: { id: row!.id, slug: 'committed' },
      });
    });

    it('leaves neither the change nor an audit row when the change throws', async () => {
      const audits = await auditCount();
      await expect(
        auditedTransaction(dataSource, { keyId }, 'create', 'exchanger', async (tx) => {
          await insertExchanger(tx, 'rolled-back');
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(await exchangerNamed('rolled-back')).toEqual([]);
      expect(await auditCount()).toBe(audits);
    });

    it('rolls the change back when its audit row cannot be written', async () => {
      const audits = await auditCount();
      // No key 999999: the audit insert fails on its foreign key, after the change ran.
      await expect(
        auditedTransaction(dataSource, { keyId: 999_999 }, 'create', 'exchanger', async (tx) => {
          const [row] = await insertExchanger(tx, 'unaudited');
          return { before: null, after: row! };
        }),
      ).rejects.toThrow();
      expect(await exchangerNamed('unaudited')).toEqual([]);
      expect(await auditCount()).toBe(audits);
    });

    it('writes no audit row when there was nothing to change (before and after null)', async () => {
      const audits = await auditCount();
      const result = await auditedTransaction<boolean>(dataSource, { keyId }, 'delete', 'exchanger', () =>
        Promise.resolve({ before: null, after: null, result: false }),
      );
      expect(result).toBe(false);
      expect(await auditCount()).toBe(audits);
    });

    it('audits a delete from the row before, under the given entity id, and returns the result', async () => {
      const [row] = await insertExchanger(dataSource, 'to-delete');
      const result = await auditedTransaction<number[]>(
        dataSource,
        { keyId: null },
        'delete',
        'exchanger',
        async (tx) => {
          await tx.query(`DELETE FROM exchangers WHERE id = $1`, [row!.id]);
          return { before: { slug: 'to-delete' }, after: null, result: [7, 8], entityId: 'to-delete' };
        },
      );
      expect(result).toEqual([7, 8]);
      expect(await exchangerNamed('to-delete')).toEqual([]);
      const [audit] = await dataSource.query<Array<Record<string, unknown>>>(
        `SELECT key_id, action, entity_id, before, after FROM admin_audit ORDER BY id DESC LIMIT 1`,
      );
      expect(audit).toEqual({
        key_id: null,
        action: 'delete',
        entity_id: 'to-delete',
        before: { slug: 'to-delete' },
        after: null,
      });
    });
  });

  describe('listAudit', () => {
    it('lists the newest first, with the key name, up to the limit', async () => {
      await dataSource.query(`DELETE FROM admin_audit`);
      for (const [i, key] of [keyId, null, keyId].entries()) {
        await auditedTransaction(dataSource, { keyId: key }, 'update', 'currency', () =>
          Promise.resolve({ before: { n: i }, after: { n: i + 1 }, entityId: `C${i}` }),
        );
      }
      const all = (await repository.listAudit(10)) as Array<Record<string, unknown>>;
      expect(all.map((a) => a.entityId)).toEqual(['C2', 'C1', 'C0']);
      expect(all[0]).toMatchObject({
        keyId,
        keyName: 'ops key',
        action: 'update',
        entity: 'currency',
        entityId: 'C2',
        before: { n: 2 },
        after: { n: 3 },
      });
      expect(all[0]!.at).toBeInstanceOf(Date);
      expect(typeof all[0]!.id).toBe('string');
      expect(all[1]).toMatchObject({ keyId: null, keyName: null });
      expect(((await repository.listAudit(2)) as Array<Record<string, unknown>>).map((a) => a.entityId)).toEqual([
        'C2',
        'C1',
      ]);
    });

    it('keeps the audit of a key that was deleted, without its name', async () => {
      const [key] = await dataSource.query<Array<{ id: number }>>(
        `INSERT INTO api_keys (name, key_hash, prefix) VALUES ('temp', 'h2', 'rw_2') RETURNING id`,
      );
      await auditedTransaction(dataSource, { keyId: key!.id }, 'update', 'currency', () =>
        Promise.resolve({ before: {}, after: {}, entityId: 'TEMP' }),
      );
      await dataSource.query(`DELETE FROM api_keys WHERE id = $1`, [key!.id]);
      const [newest] = (await repository.listAudit(1)) as Array<Record<string, unknown>>;
      expect(newest).toMatchObject({ entityId: 'TEMP', keyId: null, keyName: null });
    });
  });
});
