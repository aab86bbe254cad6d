import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../../../../test/support/services';
import { copyWithRows } from './copy-with-rows';

/**
 * A COPY whose rows leave with its query, before the server asks for them: the rows arrive, and whatever fails
 * — a statement before the COPY, the COPY itself, a row — fails that query alone; the rows sent ahead are
 * dropped and the connection goes on answering.
 */
describe('copyWithRows (a COPY and its rows in one round trip)', () => {
  let db: TestDatabase;
  let client: Client;
  const SETUP = `CREATE TEMP TABLE IF NOT EXISTS t (id int NOT NULL, amount numeric NOT NULL, note text); DELETE FROM t`;
  const copy = async (rows: string, text = `${SETUP}; COPY t (id, amount, note) FROM STDIN`) =>
    (await copyWithRows(client, text, Buffer.from(rows))).copied;
  const stored = async () =>
    (await client.query<{ id: number; amount: string; note: string | null }>('SELECT * FROM t ORDER BY id')).rows;

  beforeAll(async () => {
    db = await createTestDatabase('rw_copy');
  });
  afterAll(async () => {
    await db.drop();
  });
  beforeEach(async () => {
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  afterEach(async () => {
    await client.end();
  });

  it('stores the rows and answers how many the COPY took; exact decimals, nulls and escapes as sent', async () => {
    expect(await copy('1\t0.10000000000000000001\t\\N\n2\t3\ta\\tb\n')).toBe(2);
    expect(await stored()).toEqual([
      { id: 1, amount: '0.10000000000000000001', note: null },
      { id: 2, amount: '3', note: 'a\tb' },
    ]);
    expect(await copy('')).toBe(0);
    expect(await stored()).toEqual([]);
  });

  it('writes the rows with the query, before the server has answered anything', async () => {
    const socket = (client as unknown as { connection: { stream: { bytesWritten: number } } }).connection.stream;
    const rows = Buffer.from('1\t1\ta\n'.repeat(10_000));
    const before = socket.bytesWritten;
    const copied = copy(rows.toString());
    // Synchronously: the client was idle, so the query was submitted at once, and its rows went with it.
    expect(socket.bytesWritten - before).toBeGreaterThan(rows.length);
    expect(await copied).toBe(10_000);
  });

  it('sends rows larger than the socket takes at once (8 MB)', async () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => `${i}\t${i}.5\t${'x'.repeat(30)}\n`).join('');
    expect(Buffer.byteLength(rows)).toBeGreaterThan(8_000_000);
    expect(await copy(rows)).toBe(200_000);
    const [{ n, sum }] = (
      await client.query<{ n: number; sum: string }>('SELECT count(*)::int AS n, sum(amount)::text AS sum FROM t')
    ).rows as [{ n: number; sum: string }];
    expect(n).toBe(200_000);
    // Σ (i + 0.5) for i < 200,000, exact.
    expect(sum).toBe('20000000000.0');
  });

  it('a bad row fails the COPY with the server’s error (where and what); the connection answers the next query', async () => {
    await expect(copy('1\t2\tok\n2\tnot-a-number\tbad\n3\t4\tok\n')).rejects.toThrow(
      /invalid input syntax for type numeric: "not-a-number"/,
    );
    expect((await client.query('SELECT 41 + 1 AS n')).rows).toEqual([{ n: 42 }]);
    // Nothing of the failed query was kept: its statements were one transaction, the table it made is gone too.
    expect((await client.query(`SELECT to_regclass('pg_temp.t') AS t`)).rows).toEqual([{ t: null }]);
  });

  it('a failure before the COPY (a statement ahead of it) drops the rows sent ahead, in or out of a transaction', async () => {
    await expect(copy('1\t2\tx\n', `SELECT 1/0; COPY t FROM STDIN`)).rejects.toThrow(/division by zero/);
    expect((await client.query('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);

    await client.query('BEGIN');
    await expect(copy('1\t2\tx\n', `COPY no_such_table FROM STDIN`)).rejects.toThrow(/no_such_table/);
    // The transaction is aborted as by any failed statement; a rollback ends it and the connection goes on.
    await expect(client.query('SELECT 1')).rejects.toThrow(/current transaction is aborted/);
    await client.query('ROLLBACK');
    expect(await copy('7\t8\t\\N\n')).toBe(1);
    expect(await stored()).toEqual([{ id: 7, amount: '8', note: null }]);
  });

  it('runs the statements around the COPY in its round trip and answers their rows, as text, per statement', async () => {
    const answer = await copyWithRows(
      client,
      `BEGIN; SELECT 'lock'::text AS a, NULL::int AS b; ${SETUP}; SELECT 1 WHERE false; COPY t (id, amount, note) FROM STDIN;
       SELECT count(*)::int AS n, sum(amount) AS total FROM t; SELECT id, note FROM t ORDER BY id`,
      Buffer.from('1\t0.1\tx\n2\t0.20\t\\N\n'),
    );
    expect(answer).toEqual({
      copied: 2,
      sets: [
        [['lock', null]],
        [],
        [['2', '0.30']],
        [
          ['1', 'x'],
          ['2', null],
        ],
      ],
    });
    // The transaction begun ahead of the COPY is still open: the rows are the caller's to commit or roll back.
    await client.query('ROLLBACK');
    expect((await client.query(`SELECT to_regclass('pg_temp.t') AS t`)).rows).toEqual([{ t: null }]);
  });

  it('a failure after the COPY fails the query, and the copied rows go with its transaction', async () => {
    await expect(
      copyWithRows(client, `${SETUP}; COPY t (id, amount, note) FROM STDIN; SELECT 1/0`, Buffer.from('1\t2\tx\n')),
    ).rejects.toThrow(/division by zero/);
    expect((await client.query(`SELECT to_regclass('pg_temp.t') AS t`)).rows).toEqual([{ t: null }]);
  });

  it('queries queued behind it run after it, in order, on the same connection', async () => {
    const [copied, after] = await Promise.all([
      copy('1\t1\ta\n2\t2\tb\n'),
      client.query<{ n: number }>('SELECT count(*)::int AS n FROM t'),
    ]);
    expect(copied).toBe(2);
    expect(after.rows).toEqual([{ n: 2 }]);
  });
});
