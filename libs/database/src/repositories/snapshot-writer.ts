import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EntityManager } from 'typeorm';
import type { NormalizedOffer } from '@app/domain';

export interface SnapshotChange {
  inserted: number;
  updated: number;
  deleted: number;
  /** Directions whose offers changed: the read caches to invalidate. */
  touched: Array<[string, string]>;
}

export const NO_CHANGE: SnapshotChange = { inserted: 0, updated: 0, deleted: 0, touched: [] };

/**
 * A 53-bit fingerprint of an offer's values (cyrb53 over their canonical text). Two offers with the
 * same values have the same fingerprint; a change is missed only on a 2^-53 collision.
 */
export function offerFingerprint(o: NormalizedOffer): string {
  const text = `${o.in}|${o.out}|${o.reserve ?? ''}|${o.fromMin ?? ''}|${o.fromMax ?? ''}|${o.toMin ?? ''}|${o.toMax ?? ''}|${feesText(o.fromFee)}|${feesText(o.toFee)}|${feesText(o.minFee)}|${o.flags.join('\u001f')}|${o.floating === null ? '' : `${o.floating.percent ?? ''}/${o.floating.minutes ?? ''}`}|${o.delayMinutes ?? ''}`;
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return String(4294967296 * (2097151 & h2) + (h1 >>> 0));
}

function feesText(fees: NormalizedOffer['fromFee']): string {
  let text = '';
  for (const fee of fees) text += `${fee.kind}:${fee.value}:${fee.unit ?? ''};`;
  return text;
}

const keyOf = (from: string, to: string, city: string): string => `${from}\u001f${to}\u001f${city}`;

/**
 * Replaces a feed's snapshot inside the caller's transaction (which holds the feed row's lock):
 * reads the stored keys and fingerprints, diffs in memory, and writes only the difference — deletes by
 * key, new and changed rows through one COPY into a temporary table, then one UPDATE … FROM and one
 * INSERT … SELECT. Never a query per offer.
 */
export async function replaceSnapshot(
  tx: EntityManager,
  feed: { id: number; exchangerId: number },
  offers: readonly NormalizedOffer[],
): Promise<SnapshotChange> {
  // One row, one text value: much cheaper to ship and parse than 10,000 rows of five columns.
  const [stored] = await tx.query<Array<{ rows: string | null }>>(
    `SELECT string_agg(from_code || E'\u001f' || to_code || E'\u001f' || city || E'\u001f' || CASE WHEN exchanger_id = $2 THEN fp::text ELSE '' END, E'\n') AS rows
     FROM offers WHERE feed_id = $1`,
    [feed.id, feed.exchangerId],
  );
  const current = new Map<string, string>();
  if (stored?.rows) {
    for (const line of stored.rows.split('\n')) {
      const cut = line.lastIndexOf('\u001f');
      current.set(line.slice(0, cut), line.slice(cut + 1));
    }
  }

  const changes: Array<{ offer: NormalizedOffer; fp: string; op: 'i' | 'u' }> = [];
  const touched = new Map<string, [string, string]>();
  const touch = (from: string, to: string) => touched.set(`${from}\u001f${to}`, [from, to]);
  for (const offer of offers) {
    const key = keyOf(offer.from, offer.to, offer.city ?? '');
    const fp = offerFingerprint(offer);
    const before = current.get(key);
    if (before === undefined) changes.push({ offer, fp, op: 'i' });
    else if (before !== fp) changes.push({ offer, fp, op: 'u' });
    current.delete(key);
    if (before !== fp) touch(offer.from, offer.to);
  }
  const gone = [...current.keys()].map((key) => key.split('\u001f') as [string, string, string]);
  for (const [from, to] of gone) touch(from, to);
  const inserted = changes.filter((c) => c.op === 'i').length;
  const result = { inserted, updated: changes.length - inserted, deleted: gone.length, touched: [...touched.values()] };

  if (gone.length > 0) {
    await tx.query(
      `DELETE FROM offers WHERE feed_id = $1 AND (from_code, to_code, city) IN (SELECT * FROM unnest($2::text[], $3::text[], $4::text[]))`,
      [feed.id, gone.map((k) => k[0]), gone.map((k) => k[1]), gone.map((k) => k[2])],
    );
  }
  if (changes.length > 0) await writeChanges(tx, feed, changes);
  return result;
}

const COPY_COLUMNS =
  'from_code, to_code, city, amount_in, amount_out, rate, reserve, from_min, from_max, to_min, to_max, from_fee, to_fee, min_fee, flags, floating, delay_minutes, fp';

/** One offer as a COPY text line (without the leading columns), in COPY_COLUMNS order. */
function copyLine(o: NormalizedOffer, fp: string): string {
  return (
    [
      o.from,
      o.to,
      o.city ?? '',
      o.in,
      o.out,
      o.rate,
      nullable(o.reserve),
      nullable(o.fromMin),
      nullable(o.fromMax),
      nullable(o.toMin),
      nullable(o.toMax),
      copyText(JSON.stringify(o.fromFee)),
      copyText(JSON.stringify(o.toFee)),
      copyText(JSON.stringify(o.minFee)),
      copyText(arrayLiteral(o.flags)),
      o.floating === null ? '\\N' : copyText(JSON.stringify(o.floating)),
      o.delayMinutes === null ? '\\N' : String(o.delayMinutes),
      fp,
    ].join('\t') + '\n'
  );
}

/** COPY text lines through the transaction's own connection. */
async function copyRows(tx: EntityManager, statement: string, lines: string[]): Promise<void> {
  const client = (await tx.queryRunner!.connect()) as PoolClient;
  await pipeline(Readable.from([lines.join('')]), client.query(copyFrom(statement)));
}

async function writeChanges(
  tx: EntityManager,
  feed: { id: number; exchangerId: number },
  changes: Array<{ offer: NormalizedOffer; fp: string; op: 'i' | 'u' }>,
): Promise<void> {
  await tx.query(
    `CREATE TEMP TABLE IF NOT EXISTS snapshot_changes (
       op char(1), from_code text, to_code text, city text, amount_in numeric, amount_out numeric, rate numeric, reserve numeric,
       from_min numeric, from_max numeric, to_min numeric, to_max numeric, from_fee jsonb, to_fee jsonb, min_fee jsonb, flags text[], floating jsonb, delay_minutes integer, fp bigint
     ) ON COMMIT DELETE ROWS`,
  );
  await copyRows(
    tx,
    `COPY snapshot_changes (op, ${COPY_COLUMNS}) FROM STDIN`,
    changes.map(({ offer, fp, op }) => `${op}\t${copyLine(offer, fp)}`),
  );
  await tx.query(
    `UPDATE offers o SET exchanger_id = $2, amount_in = c.amount_in, amount_out = c.amount_out, rate = c.rate, reserve = c.reserve,
            from_min = c.from_min, from_max = c.from_max, to_min = c.to_min, to_max = c.to_max, from_fee = c.from_fee, to_fee = c.to_fee,
            min_fee = c.min_fee, flags = c.flags, floating = c.floating, delay_minutes = c.delay_minutes, fp = c.fp, updated_at = now()
     FROM snapshot_changes c
     WHERE c.op = 'u' AND o.feed_id = $1 AND o.from_code = c.from_code AND o.to_code = c.to_code AND o.city = c.city`,
    [feed.id, feed.exchangerId],
  );
  await tx.query(
    `INSERT INTO offers (feed_id, exchanger_id, from_code, to_code, city, amount_in, amount_out, rate, reserve,
                         from_min, from_max, to_min, to_max, from_fee, to_fee, min_fee, flags, floating, delay_minutes, fp, updated_at)
     SELECT $1, $2, from_code, to_code, city, amount_in, amount_out, rate, reserve, from_min, from_max, to_min, to_max,
            from_fee, to_fee, min_fee, flags, floating, delay_minutes, fp, now()
     FROM snapshot_changes WHERE op = 'i'`,
    [feed.id, feed.exchangerId],
  );
}

function nullable(value: string | null): string {
  return value === null ? '\\N' : value;
}

/** A Postgres array literal of text elements, every element quoted. */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** Escapes a value for COPY's text format. */
export function copyText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}
