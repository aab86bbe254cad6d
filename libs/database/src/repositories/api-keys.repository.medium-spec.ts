import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DataSource } from 'typeorm';
import { migratedDatabase, TestDatabase } from '../../../../test/support/services';
import { NotFoundError } from '@app/domain';
import { insertExchangers } from '../../../../test/support/reputation';
import { ApiKeysRepository } from './api-keys.repository';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('ApiKeysRepository', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: ApiKeysRepository;

  const storedRow = async (id: number) =>
    (await dataSource.query<Array<Record<string, unknown>>>(`SELECT * FROM api_keys WHERE id = $1`, [id]))[0]!;

  beforeAll(async () => {
    ({ db, dataSource } = await migratedDatabase());
    repository = new ApiKeysRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('creates a random key, returns its text once and stores only its SHA-256 hash and prefix', async () => {
    const { key, info } = await repository.create('ci');
    expect(key).toMatch(/^rw_[A-Za-z0-9_-]{43}$/);
    expect(info).toEqual({
      id: expect.any(Number),
      name: 'ci',
      prefix: key.slice(0, 10),
      createdAt: expect.any(Date),
      lastUsedAt: null,
      revokedAt: null,
      exchangerId: null,
      exchanger: null,
    });
    const row = await storedRow(info.id);
    expect(row.key_hash).toBe(sha256(key));
    expect(Object.values(row).map(String)).not.toContain(key);
    expect(JSON.stringify(row)).not.toContain(key.slice(10));
    const other = await repository.create('ci');
    expect(other.key).not.toBe(key);
  });

  it('checks a presented key: valid, revoked or unknown', async () => {
    const { key, info } = await repository.create('checker');
    const valid = await repository.check(key);
    expect(valid).toEqual({ status: 'valid', key: { ...info, lastUsedAt: null } });
    expect(JSON.stringify(valid)).not.toContain(sha256(key));

    expect(await repository.check(`${key}x`)).toEqual({ status: 'unknown' });
    expect(await repository.check('')).toEqual({ status: 'unknown' });
    expect(await repository.check(sha256(key))).toEqual({ status: 'unknown' });

    const revoked = await repository.revoke(info.id);
    expect(revoked).toMatchObject({ id: info.id, name: 'checker', revokedAt: expect.any(Date) });
    expect(await repository.check(key)).toMatchObject({
      status: 'revoked',
      key: { id: info.id, revokedAt: revoked!.revokedAt },
    });
  });

  it('notes when a valid key was last used', async () => {
    const { key, info } = await repository.create('user');
    await repository.check(key);
    // check() writes last_used_at in the background, without delaying the answer.
    await vi.waitFor(async () => expect((await storedRow(info.id)).last_used_at).toBeInstanceOf(Date), {
      timeout: 5000,
      interval: 20,
    });
  });

  it('keeps the first revocation time, and answers null for an unknown key id', async () => {
    const { info } = await repository.create('revoked-twice');
    const first = await repository.revoke(info.id);
    const second = await repository.revoke(info.id);
    expect(second!.revokedAt).toEqual(first!.revokedAt);
    expect(await repository.revoke(999_999)).toBeNull();
  });

  it('ensures the bootstrap key exists once, and never un-revokes it', async () => {
    const bootstrap = 'rw_bootstrap-key-from-the-environment-000000';
    await repository.ensure(bootstrap, 'bootstrap');
    await repository.ensure(bootstrap, 'bootstrap');
    const rows = await dataSource.query<Array<{ id: number }>>(`SELECT id FROM api_keys WHERE key_hash = $1`, [
      sha256(bootstrap),
    ]);
    expect(rows).toHaveLength(1);
    expect(await repository.check(bootstrap)).toMatchObject({
      status: 'valid',
      key: { name: 'bootstrap', prefix: bootstrap.slice(0, 10) },
    });
    await repository.revoke(rows[0]!.id);
    await repository.ensure(bootstrap, 'bootstrap');
    expect(await repository.check(bootstrap)).toMatchObject({ status: 'revoked' });
  });

  it('lists keys by id with their state, never their text or hash', async () => {
    const { key } = await repository.create('listed');
    const list = await repository.list();
    const ids = list.map((k) => k.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const listed = list.find((k) => k.name === 'listed');
    expect(Object.keys(listed!).sort()).toEqual([
      'createdAt',
      'exchanger',
      'exchangerId',
      'id',
      'lastUsedAt',
      'name',
      'prefix',
      'revokedAt',
    ]);
    const text = JSON.stringify(list);
    expect(text).not.toContain(key.slice(10));
    expect(text).not.toContain(sha256(key));
    expect(list.some((k) => k.revokedAt !== null)).toBe(true);
  });

  describe('keys scoped to an exchanger', () => {
    it('creates a scoped key whose info, check, list and revocation name the exchanger', async () => {
      const [auraId] = await insertExchangers(dataSource, 'scoped', 2);
      const { key, info } = await repository.create('aura cabinet', auraId);
      expect(info).toMatchObject({ name: 'aura cabinet', exchangerId: auraId, exchanger: 'scoped-1' });
      expect(await repository.check(key)).toEqual({ status: 'valid', key: info });
      expect((await repository.list()).find((k) => k.id === info.id)).toMatchObject({
        id: info.id,
        exchangerId: auraId,
        exchanger: 'scoped-1',
      });
      const revoked = await repository.revoke(info.id);
      expect(revoked).toMatchObject({ exchangerId: auraId, exchanger: 'scoped-1', revokedAt: expect.any(Date) });
      expect(await repository.check(key)).toMatchObject({ status: 'revoked', key: { exchanger: 'scoped-1' } });
    });

    it("lists one exchanger's keys only, when asked", async () => {
      const [first, second] = await insertExchangers(dataSource, 'lister', 2);
      const a = await repository.create('a', first);
      const b = await repository.create('b', second);
      const admin = await repository.create('admin');
      const ofFirst = await repository.list(first);
      expect(ofFirst.map((k) => k.id)).toEqual([a.info.id]);
      const all = (await repository.list()).map((k) => k.id);
      expect(all).toEqual(expect.arrayContaining([a.info.id, b.info.id, admin.info.id]));
    });

    it('refuses a key for an exchanger that does not exist (not found, nothing stored)', async () => {
      const before = (await repository.list()).length;
      await expect(repository.create('ghost', 987_654)).rejects.toBeInstanceOf(NotFoundError);
      expect(await repository.list()).toHaveLength(before);
    });

    it("audits a creation made for an actor, with the key's info and never its text or hash", async () => {
      const [audited] = await insertExchangers(dataSource, 'audited', 1);
      const admin = await repository.create('auditor');
      const { key, info } = await repository.create('audited cabinet', audited, { keyId: admin.info.id });
      const rows = await dataSource.query<Array<{ keyId: number; action: string; after: Record<string, unknown> }>>(
        `SELECT key_id AS "keyId", action, after FROM admin_audit WHERE entity = 'api_key' AND entity_id = $1`,
        [String(info.id)],
      );
      expect(rows).toEqual([
        {
          keyId: admin.info.id,
          action: 'create',
          after: expect.objectContaining({ id: info.id, exchangerId: audited, exchanger: 'audited-1' }),
        },
      ]);
      expect(JSON.stringify(rows)).not.toContain(key.slice(10));
      expect(JSON.stringify(rows)).not.toContain(sha256(key));
    });

    it("deletes an exchanger's keys with it: they become unknown, never admin keys", async () => {
      const [doomed] = await insertExchangers(dataSource, 'doomed', 1);
      const { key, info } = await repository.create('doomed cabinet', doomed);
      await dataSource.query(`DELETE FROM exchangers WHERE id = $1`, [doomed]);
      expect(await repository.check(key)).toEqual({ status: 'unknown' });
      expect((await repository.list()).some((k) => k.id === info.id)).toBe(false);
    });
  });
});
