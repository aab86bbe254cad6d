import type { DataSource } from 'typeorm';
import { compareDecimalStrings, TimeSlicer } from '@app/domain';

/**
 * A band's factor 1 + band / 100 as `digits` / 10^`scale` (10 % → 110 / 10^2), for bands of at most six decimals
 * (the database's `band / 100` is then exact too: it keeps twenty); null for any other band (no copy is used).
 */
export function bandFactor(band: string): { digits: number; scale: number } | null {
  const match = /^(\d{1,4})(?:\.(\d{1,6}))?$/.exec(band);
  if (match === null) return null;
  const fraction = match[2] ?? '';
  return { digits: Number(`${Number(match[1]) + 100}${fraction}`), scale: 2 + fraction.length };
}

/**
 * `value` (a plain non-negative decimal, as PostgreSQL prints a numeric) × `digits` / 10^`scale`, exactly, as a
 * plain decimal: digit by digit, without a decimal object (a copy makes one for each reference its writes meet,
 * again whenever the reference moves). Null for any other form of `value`.
 */
export function timesFactor(value: string, { digits, scale }: { digits: number; scale: number }): string | null {
  if (!/^\d+(?:\.\d+)?$/.test(value)) return null;
  const point = value.indexOf('.');
  const fractionDigits = (point === -1 ? 0 : value.length - point - 1) + scale;
  // The product's digits, least significant first (each step below 2^53: a digit times at most 10^11).
  const out: number[] = [];
  let carry = 0;
  for (let i = value.length - 1; i >= 0; i--) {
    if (i === point) continue;
    const x = (value.charCodeAt(i) - 48) * digits + carry;
    out.push(x % 10);
    carry = Math.floor(x / 10);
  }
  for (; carry > 0; carry = Math.floor(carry / 10)) out.push(carry % 10);
  while (out.length <= fractionDigits) out.push(0);
  let text = '';
  for (let i = out.length - 1; i >= fractionDigits; i--) text += out[i];
  if (fractionDigits > 0) {
    text += '.';
    for (let i = fractionDigits - 1; i >= 0; i--) text += out[i];
  }
  return text;
}

/**
 * More references than this are not kept (about 150 bytes each: 75 MB): the writes probe every offer, as without a
 * copy. A 1,000-exchanger market has some 100,000.
 */
export const MAX_CACHED_REFERENCES = 500_000;

/** What a write asks of the copy: its version, and whether an offer's rate needs the guard's judgement. */
export interface ReferenceView {
  /** `direction_references_version` when the copy was read. */
  readonly version: string;
  /**
   * Whether `rate` in the direction of `key` (offerKey: from, to and city — the writer has it made already) may be
   * above its reference by more than the narrowest band: a direction without a reference is never judged (the
   * guard has nothing to judge it by).
   */
  suspect(key: string, rate: string): boolean;
}

interface Kept {
  readonly rate: string;
  /** rate × (1 + band / 100), exactly (timesFactor), made on the first question; null: not a plain decimal. */
  ceiling?: string | null;
}

/**
 * The rate guard's references as the database last showed this process (DESIGN.md §10), so a write asks the
 * database to judge only the offers that may be outliers instead of probing the reference of each one it wrote
 * (500 index probes for a 5 % change of 10,000 offers, 10,000 for a full one). The copy is trusted only inside
 * the write's own statement, where the version it was read at is compared with the stored one (in the same
 * snapshot as the references the statement would probe): any statement that changed a reference since moved
 * the version (migration ReferenceVersion1764074700000), and the write then probes every offer, as without a
 * copy — so an offer is never judged by a reference other than the one its write's statement sees.
 *
 * A write that finds the version moved says so (`seen`), and the copy is read again in the background, once
 * at a time; until then writes probe every offer.
 */
export class ReferenceCache {
  private copy: {
    source: DataSource;
    version: string;
    references: Map<string, Kept>;
    band: string;
    factor: { digits: number; scale: number };
  } | null = null;
  private loading: Promise<void> | null = null;
  private reads = 0;

  constructor(private readonly limit = MAX_CACHED_REFERENCES) {}

  /**
   * The copy of `dataSource`'s references for the guard's narrowest band (percent), or null: none yet, or read
   * for another band or from another database (whose versions are its own: they may be equal by chance).
   */
  view(band: string, dataSource: DataSource): ReferenceView | null {
    const copy = this.copy;
    if (copy === null || copy.band !== band || copy.source !== dataSource) return null;
    const { references, factor } = copy;
    return {
      version: copy.version,
      suspect(key, rate) {
        const kept = references.get(key);
        if (kept === undefined) return false;
        const ceiling = kept.ceiling === undefined ? (kept.ceiling = timesFactor(kept.rate, factor)) : kept.ceiling;
        // At the ceiling too: the database judges it (above the band is an outlier, exactly at it is not).
        return ceiling === null || compareDecimalStrings(rate, ceiling) >= 0;
      },
    };
  }

  /** The version a write's statement saw: reads the references again (in the background) when it is not the copy's. */
  seen(version: string | null, dataSource: DataSource, band: string): void {
    if (version === null) return;
    // A read in progress that ends with an older version is followed by another at the next write that sees this.
    const copy = this.copy;
    if ((copy?.version === version && copy.band === band && copy.source === dataSource) || this.loading !== null)
      return;
    this.loading = this.load(dataSource, band)
      .catch(() => {
        // The database did not answer: the copy stays as it was (its version still fences it, and the writes
        // probe every offer while it is not the stored one), and a later write starts another read.
      })
      .finally(() => {
        this.loading = null;
      });
  }

  /** For /metrics: the references the copy holds (0: none), and how many times this process read them. */
  get stats(): { references: number; reads: number } {
    return { references: this.copy?.references.size ?? 0, reads: this.reads };
  }

  /** Waits for a read in progress (tests). */
  async settled(): Promise<void> {
    while (this.loading !== null) await this.loading;
  }

  clear(): void {
    this.copy = null;
  }

  /**
   * Reads the version and every reference in one statement (one snapshot: the copy is exactly what that version
   * stands for), as one text value: much cheaper to ship and parse than a row per reference.
   */
  private async load(dataSource: DataSource, band: string): Promise<void> {
    // A band the ceilings cannot be exact for: no copy (every written offer is judged).
    const factor = bandFactor(band);
    if (factor === null) {
      this.copy = null;
      return;
    }
    const [row] = await dataSource.query<Array<{ version: string; rows: string | null }>>(
      `SELECT (SELECT version::text FROM direction_references_version) AS version,
              (SELECT string_agg(from_code || E'\\u001f' || to_code || E'\\u001f' || city || E'\\u001f' || rate::text, E'\\n')
               FROM (SELECT * FROM direction_references LIMIT $1) r) AS rows`,
      [this.limit + 1],
    );
    const lines = row?.rows ? row.rows.split('\n') : [];
    if (row === undefined || lines.length > this.limit) {
      this.copy = null;
      return;
    }
    // A reference that did not move keeps the ceiling made for it (a refresh writes only the moved ones).
    const before = this.copy?.source === dataSource && this.copy.band === band ? this.copy.references : null;
    const references = new Map<string, Kept>();
    // A worker's loop goes on polling meanwhile: 100,000 references are tens of milliseconds of work.
    const slicer = new TimeSlicer();
    for (const line of lines) {
      const cut = line.lastIndexOf('\u001f');
      const key = line.slice(0, cut);
      const rate = line.slice(cut + 1);
      const kept = before?.get(key);
      references.set(key, kept?.rate === rate ? kept : { rate });
      if (slicer.due()) await slicer.pause();
    }
    this.copy = { source: dataSource, version: row.version, references, band, factor };
    this.reads++;
  }
}

/** The process's copy of the references (ReferenceCache). */
export const referenceCache = new ReferenceCache();
