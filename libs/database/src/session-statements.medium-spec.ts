import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../../../test/support/services';
import { executeOn } from './session-statements';

/**
 * A statement prepared once per connection and run by EXECUTE inside simple queries of several statements: the
 * connection's state is what the server has, whichever statement of a query failed, a rollback and a statement
 * deallocated behind the writer's back included.
 */
describe('executeOn (SQL prepared statements in simple queries)', () => {
  let db: TestDatabase;
  let client: Client;
  const NAME = 'ratewatch_test_pick';
  // A statement over a temporary table, with parameters of several types (their types inferred from the casts).
  const SQL = `SELECT id, $2::numeric * amount AS scaled, $3::text AS note, $4::timestamptz AS at FROM t WHERE id = $1`;
  const SETUP = `CREATE TEMP TABLE IF NOT EXISTS t (id int NOT NULL, amount numeric NOT NULL)`;
  /** Runs the statement in one simple query between `before` and `after`, as a write does: its rows (the EXECUTE's) or the error. */
  const run = async (values: unknown[], before = SETUP, after = '') => {
    const execution = await executeOn(client, NAME, SQL, values);
    try {
      const results = await execution.send((text) =>
        client.query({ text: `${before}; ${text}${after && `; ${after}`}`, rowMode: 'array' }),
      );
      return {
        text: execution.text,
        rows: (results as unknown as Array<{ rows: unknown[][] }>).at(after ? -2 : -1)!.rows,
      };
    } catch (error) {
      return { text: execution.text, error: (error as Error).message };
    }
  };
  const prepared = async () =>
    (await client.query<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name')).rows.map(
      (r) => r.name,
    );
  const at = new Date('2026-12-05T10:00:00.000Z');

  beforeAll(async () => {
    db = await createTestDatabase('rw_session_statements');
  });
  afterAll(async () => {
    await db.drop();
  });
  beforeEach(async () => {
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`${SETUP}; INSERT INTO t VALUES (1, 0.1), (2, 2)`);
  });
  afterEach(async () => {
    await client.end();
  });

  it('prepares in the first query, then only executes; exact values of every type written in', async () => {
    const first = await run([1, '3.0000000000000000001', "it's", at]);
    expect(first.text).toMatch(/^PREPARE ratewatch_test_pick AS SELECT .*; EXECUTE ratewatch_test_pick\(1, /s);
    expect(first.rows).toEqual([[1, '0.30000000000000000001', "it's", at]]);
    const second = await run([2, '0.5', null, at]);
    expect(second.text).toMatch(/^EXECUTE ratewatch_test_pick\(2, '0\.5', NULL, '2026-12-05T10:00:00\.000Z'\)$/);
    expect(second.rows).toEqual([[2, '1.0', null, at]]);
    expect(await prepared()).toEqual([NAME]);
  });

  it('a query that failed before its PREPARE: the next one asks the server, and prepares', async () => {
    const failed = await run([1, '1', 'x', at], `${SETUP}; SELECT 1/0`);
    expect(failed.error).toMatch(/division by zero/);
    expect(await prepared()).toEqual([]);
    const next = await run([1, '2', 'x', at]);
    expect(next.text).toMatch(/^PREPARE /);
    expect(next.rows).toEqual([[1, '0.2', 'x', at]]);
  });

  it('a query that failed after its PREPARE ran: the next one asks the server, and only executes', async () => {
    const failed = await run([1, '1', 'x', at], SETUP, 'SELECT 1/0');
    expect(failed.error).toMatch(/division by zero/);
    expect(await prepared()).toEqual([NAME]);
    const next = await run([2, '2', 'y', at]);
    expect(next.text).toMatch(/^EXECUTE /);
    expect(next.rows).toEqual([[2, '4', 'y', at]]);
  });

  it('outlives a rollback; deallocated behind its back, one query fails and the next prepares again', async () => {
    await client.query('BEGIN');
    expect((await run([1, '1', 'x', at])).rows).toHaveLength(1);
    await client.query('ROLLBACK');
    expect((await run([1, '1', 'x', at])).text).toMatch(/^EXECUTE /);

    await client.query(`DEALLOCATE ${NAME}`);
    expect((await run([1, '1', 'x', at])).error).toMatch(/prepared statement .* does not exist/);
    const again = await run([1, '1', 'x', at]);
    expect(again.text).toMatch(/^PREPARE /);
    expect(again.rows).toEqual([[1, '0.1', 'x', at]]);
  });

  it('a table the statement names made again (a rolled-back CREATE) is found by name on the next run', async () => {
    expect((await run([1, '1', 'x', at])).rows).toHaveLength(1);
    await client.query('DROP TABLE t');
    await client.query('BEGIN');
    expect((await run([1, '1', 'x', at], `${SETUP}; INSERT INTO t VALUES (1, 7)`)).rows).toEqual([[1, '7', 'x', at]]);
    await client.query('ROLLBACK');
    expect((await run([1, '1', 'x', at], `${SETUP}; INSERT INTO t VALUES (1, 8)`)).rows).toEqual([[1, '8', 'x', at]]);
  });

  it('each connection prepares its own; a name that is not a plain identifier is refused', async () => {
    expect((await run([1, '1', 'x', at])).text).toMatch(/^PREPARE /);
    const other = new Client({ connectionString: db.url });
    await other.connect();
    try {
      expect((await executeOn(other, NAME, SQL, [1, '1', 'x', at])).text).toMatch(/^PREPARE /);
    } finally {
      await other.end();
    }
    await expect(executeOn(client, 'pick; DROP TABLE t', SQL, [])).rejects.toThrow(/not a statement name/);
    await expect(executeOn(client, 'Pick', SQL, [])).rejects.toThrow(/not a statement name/);
  });
});
