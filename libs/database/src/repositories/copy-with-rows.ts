import type { ClientBase, Connection, Submittable } from 'pg';

/** What a copyWithRows query answered: the rows the COPY took, and the rows of each statement that returns rows. */
export interface CopyAnswer {
  copied: number;
  /** Per statement that answered rows (in order; a SELECT that found none: an empty set), each row's values as text. */
  sets: Array<Array<Array<string | null>>>;
}

/**
 * Runs `text` — a simple query with one `COPY … FROM STDIN` among its statements — with `rows` (COPY text) sent in
 * the same write as the query, and answers how many rows the COPY took and what the other statements answered:
 * statements before the COPY (a transaction's BEGIN and a lock) and after it (the statement that reads the copied
 * rows) run in the same round trip.
 *
 * pg-copy-streams sends the rows only once the server asked for them (its CopyInResponse): a second round
 * trip, and one through the caller's event loop — in `bench:scale` a poll's staged COPY took 90 ms of the
 * server's time (mean, pg_stat_statements), mostly waiting for a loaded worker's loop to send rows it already
 * had. Sent ahead, the rows are in the server's socket when it gets to the COPY; after the COPY the server goes
 * on with the query's next statement.
 *
 * The protocol allows it (PostgreSQL's "Message Flow: COPY Operations"): a server that fails before the COPY
 * (a statement before it, or the COPY itself) or during it (a bad row) answers the error, and ignores any
 * CopyData and CopyDone that arrive outside copy mode — the connection is ready for the next query as after
 * any failed query. A transaction it was in is aborted, as by any failed statement.
 */
export function copyWithRows(client: ClientBase, text: string, rows: Buffer): Promise<CopyAnswer> {
  return new Promise((resolve, reject) => {
    client.query(new CopyWithRows(text, rows, resolve, reject));
  });
}

/** pg's Connection with its two copy messages (pg has them; @types/pg does not list them). */
type CopyingConnection = Connection & { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void };

/** The query (pg's Submittable): pg hands it the server's messages until ReadyForQuery or an error. */
class CopyWithRows implements Submittable {
  private copied = 0;
  private readonly sets: CopyAnswer['sets'] = [];

  constructor(
    private readonly text: string,
    private readonly rows: Buffer,
    private readonly resolve: (answer: CopyAnswer) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  /** pg wraps it with its query_timeout, if one is set: it is called when the query ends either way. */
  callback(): void {}

  submit(pgConnection: Connection): void {
    const connection = pgConnection as CopyingConnection;
    // One write: corked, the query, the rows and the end of the copy leave together.
    const { stream } = connection;
    stream.cork();
    try {
      connection.query(this.text);
      if (this.rows.length > 0) connection.sendCopyFromChunk(this.rows);
      connection.endCopyFrom();
    } finally {
      stream.uncork();
    }
  }

  /** The rows are on their way already. */
  handleCopyInResponse(): void {}

  handleCommandComplete(message: { text?: string }): void {
    const copied = /^COPY (\d+)/.exec(message.text ?? '');
    if (copied) this.copied = Number(copied[1]);
  }

  /** A statement that answers rows begins its set. */
  handleRowDescription(): void {
    this.sets.push([]);
  }

  /** A row, its values as the server sent them (text; null for NULL). */
  handleDataRow(message: { fields: Array<string | null> }): void {
    this.sets[this.sets.length - 1]!.push(message.fields);
  }

  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}

  handleError(error: Error): void {
    this.callback();
    this.reject(error);
  }

  handleReadyForQuery(): void {
    this.callback();
    this.resolve({ copied: this.copied, sets: this.sets });
  }
}
