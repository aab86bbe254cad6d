import type { PoolClient } from 'pg';
import type { NormalizedOffer } from '@app/domain';
import { CopyAnswer, copyWithRows } from './copy-with-rows';

/** A changed offer as the writer stages it: its values, its fingerprint, and whether it is new (an insert). */
export interface StagedOffer {
  readonly offer: NormalizedOffer;
  readonly fp: number;
  readonly op: 'i' | 'u';
}

/**
 * The session's staging table for a write's changed offers: created on a connection's first staged write,
 * emptied by every commit (ON COMMIT DELETE ROWS truncates it in place: no new file, no catalog row, nothing
 * for a vacuum) and by a rollback. Temporary: no WAL, invisible to other sessions.
 */
export const STAGE_TABLE = 'ratewatch_snapshot_stage';

const STAGE_COLUMNS = `ins, from_code, to_code, city, amount_in, amount_out, rate, reserve, from_min, from_max, to_min, to_max,
  from_fee, to_fee, min_fee, flags, floating, delay_minutes, fp`;

const CREATE_STAGE_SQL = `CREATE TEMP TABLE IF NOT EXISTS ${STAGE_TABLE} (
  ins boolean NOT NULL, from_code text NOT NULL, to_code text NOT NULL, city text NOT NULL, amount_in numeric NOT NULL,
  amount_out numeric NOT NULL, rate numeric NOT NULL, reserve numeric, from_min numeric, from_max numeric, to_min numeric,
  to_max numeric, from_fee jsonb NOT NULL, to_fee jsonb NOT NULL, min_fee jsonb NOT NULL, flags text[] NOT NULL, floating jsonb,
  delay_minutes integer, fp bigint NOT NULL
) ON COMMIT DELETE ROWS`;

/**
 * Puts a write's changed offers into the staging table by one COPY (text format) inside the caller's
 * transaction: PostgreSQL's cheapest way in for many rows — each value read once by its type's input, no
 * parameter arrays to unpack (18 arrays of 10,000 elements cost more than the update they fed). `before` and
 * `after`: statements sent in the same round trip — the transaction's BEGIN and a lock before, the statement
 * that reads the staged rows after (copyWithRows); answers their rows.
 */
export async function stageOffers(
  client: PoolClient,
  rows: readonly StagedOffer[],
  before = '',
  after = '',
): Promise<CopyAnswer> {
  // One query and its rows in one write, one round trip (copyWithRows): a table created by a transaction that
  // rolled back is gone, so it is asked for every time; it is emptied, for a transaction that stages twice (two
  // feeds) before its commit empties it; then the COPY.
  const answer = await copyWithRows(
    client,
    `${before && `${before}; `}${CREATE_STAGE_SQL}; DELETE FROM ${STAGE_TABLE}; COPY ${STAGE_TABLE} (${STAGE_COLUMNS}) FROM STDIN${after && `; ${after}`}`,
    copyRows(rows),
  );
  if (answer.copied !== rows.length) throw new Error(`staged ${answer.copied} of ${rows.length} changed offers`);
  return answer;
}

/** The offers of a staged write (in the statement's FROM), named as `offers`' columns. */
export const STAGED = (ins: boolean) => `(SELECT * FROM ${STAGE_TABLE} WHERE ${ins ? '' : 'NOT '}ins) c`;

/**
 * The rows in COPY's text format, written byte by byte into one buffer: characters below 128 that need no
 * escape are copied by a loop the JIT compiles (building the text by `+=` and encoding it cost six times
 * more: 10,000 rows); anything else goes through copyText and UTF-8. Decimals go as they are (exact).
 */
export function copyRows(rows: readonly StagedOffer[]): Buffer {
  const out = new CopyBuffer(rows.length * 160);
  for (let i = 0; i < rows.length; i++) {
    const { offer: o, fp, op } = rows[i]!;
    out.raw(op === 'i' ? 't\t' : 'f\t');
    out.text(o.from);
    out.tab();
    out.text(o.to);
    out.tab();
    out.text(o.city ?? '');
    out.tab();
    out.text(o.in);
    out.tab();
    out.text(o.out);
    out.tab();
    out.text(o.rate);
    out.tab();
    out.nullable(o.reserve);
    out.tab();
    out.nullable(o.fromMin);
    out.tab();
    out.nullable(o.fromMax);
    out.tab();
    out.nullable(o.toMin);
    out.tab();
    out.nullable(o.toMax);
    out.tab();
    out.jsonList(o.fromFee);
    out.tab();
    out.jsonList(o.toFee);
    out.tab();
    out.jsonList(o.minFee);
    out.tab();
    if (o.flags.length === 0) out.raw('{}');
    else out.textArray(o.flags);
    out.tab();
    if (o.floating === null) out.raw('\\N');
    else out.text(JSON.stringify(o.floating));
    out.tab();
    if (o.delayMinutes === null || o.delayMinutes === undefined) out.raw('\\N');
    else out.raw(String(o.delayMinutes));
    out.tab();
    out.integer(fp);
    out.newline();
  }
  return out.done();
}

/** A growing byte buffer for COPY text. */
class CopyBuffer {
  private buf: Buffer;
  private at = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 1024));
  }

  /** A value: escaped for COPY (backslash, tab, newline, carriage return), UTF-8. */
  text(value: string): void {
    const n = value.length;
    this.room(n);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c > 13 && c < 128 && c !== 92) buf[at++] = c;
      else {
        this.at = at;
        this.slow(value.slice(i));
        return;
      }
    }
    this.at = at;
  }

  /**
   * A text[] literal, every element quoted, `\\` and `"` escaped for the array (then, as any value, for COPY):
   * what text(arrayLiteral(values)) writes, without building the literal.
   */
  textArray(values: readonly string[]): void {
    this.raw('{"');
    for (let k = 0; k < values.length; k++) {
      if (k > 0) this.raw('","');
      const value = values[k]!;
      this.text(hasQuoteOrBackslash(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"') : value);
    }
    this.raw('"}');
  }

  /** A fingerprint (an integer from 0 to 2^53) in decimal, without making its string. */
  integer(value: number): void {
    this.room(16);
    const buf = this.buf;
    const start = this.at;
    let at = start;
    let v = value;
    do {
      const q = Math.floor(v / 10);
      buf[at++] = 48 + (v - q * 10);
      v = q;
    } while (v > 0);
    for (let i = start, j = at - 1; i < j; i++, j--) {
      const digit = buf[i]!;
      buf[i] = buf[j]!;
      buf[j] = digit;
    }
    this.at = at;
  }

  /** A null (`\N`) or a value. */
  nullable(value: string | null): void {
    if (value === null) this.raw('\\N');
    else this.text(value);
  }

  /** A list as JSON text (a jsonb column): `[]` without serializing when empty, the common case. */
  jsonList(list: readonly unknown[]): void {
    if (list.length === 0) this.raw('[]');
    else this.text(JSON.stringify(list));
  }

  /** ASCII that needs no escape, as it is. */
  raw(ascii: string): void {
    const n = ascii.length;
    this.room(n);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) buf[at++] = ascii.charCodeAt(i);
    this.at = at;
  }

  tab(): void {
    this.room(1);
    this.buf[this.at++] = 9;
  }

  newline(): void {
    this.room(1);
    this.buf[this.at++] = 10;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.at);
  }

  /** The rest of a value from its first character that is not plain ASCII: escaped, then UTF-8 (3 bytes a unit at most). */
  private slow(rest: string): void {
    const escaped = copyText(rest);
    this.room(escaped.length * 3);
    this.at += this.buf.write(escaped, this.at, 'utf8');
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
}

function hasQuoteOrBackslash(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 92 || c === 34) return true;
  }
  return false;
}

/** A Postgres array literal of text elements, every element quoted. */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** Escapes a value for COPY's text format. */
export function copyText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}
