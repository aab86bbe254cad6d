import type { ClientBase } from 'pg';
import { inlineParameters } from './sql-literals';

/**
 * SQL-level prepared statements (`PREPARE` / `EXECUTE`) for a statement that goes in a simple query with others —
 * a snapshot write after its lock and its COPY — where the protocol's named statements cannot go. A simple query's
 * statement is parsed, analysed and rewritten every time it is sent: for the write's statement (a dozen CTEs, the
 * rate guard's candidates) that was 1.2–1.4 ms of a 13 ms poll write (bench:ingest, 5 % changed). `EXECUTE` of a
 * prepared one skips it; its plan follows `plan_cache_mode` as the protocol's named statements do (custom plans,
 * a generic one once it is no dearer).
 *
 * A connection prepares a statement once, in the query that first runs it, after the statements it depends on
 * (`PREPARE` resolves the tables it names, so the write's staging table is created before it). Whether it is
 * prepared is known from how that query ended: a query that failed may have stopped before or after its
 * `PREPARE` (statements run in order, and the first error ends the query), so the statement is then unsure, and
 * the next use asks `pg_prepared_statements` — one round trip, only after a failure. A prepared statement
 * outlives the transaction that prepared it, a rollback included; a table it names that is dropped and made again
 * (a temporary table created by a rolled-back transaction) makes PostgreSQL analyse it again, by name, when it
 * next runs.
 */
type State = 'prepared' | 'unsure';

const sessions = new WeakMap<ClientBase, Map<string, State>>();

/** What runs a prepared statement once: its text, and the query that carries it. */
export interface SessionExecution {
  /** `EXECUTE name(…)` with the values written in, after `PREPARE name AS …` when the connection lacks it. */
  readonly text: string;
  /**
   * Sends `query` — a simple query that carries `text` among its statements — and keeps what its end says: it
   * succeeded, so the statement is prepared; it failed, so it is unsure (the error is passed on).
   */
  send<T>(query: (text: string) => Promise<T>): Promise<T>;
}

/**
 * The text that runs statement `name` (`sql`, its parameters $1…) with `values` (written in: inlineParameters)
 * on `client`, preparing it first if the connection has not. `name` names one text for the process's life.
 */
export async function executeOn(
  client: ClientBase,
  name: string,
  sql: string,
  values: readonly unknown[],
): Promise<SessionExecution> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a statement name: ${name}`);
  let states = sessions.get(client);
  if (states === undefined) sessions.set(client, (states = new Map<string, State>()));
  if (states.get(name) === 'unsure') {
    const { rowCount } = await client.query('SELECT FROM pg_prepared_statements WHERE name = $1', [name]);
    if (rowCount === 0) states.delete(name);
    else states.set(name, 'prepared');
  }
  const prepared = states.get(name) === 'prepared';
  const execute =
    values.length === 0
      ? `EXECUTE ${name}`
      : `EXECUTE ${name}(${inlineParameters(values.map((_, i) => `$${i + 1}`).join(', '), values)})`;
  const session = states;
  const text = prepared ? execute : `PREPARE ${name} AS ${sql}; ${execute}`;
  return {
    text,
    async send(query) {
      try {
        const answer = await query(text);
        session.set(name, 'prepared');
        return answer;
      } catch (error) {
        // A prepared statement the query only ran can have been deallocated since: asked again too.
        session.set(name, 'unsure');
        throw error;
      }
    },
  };
}
