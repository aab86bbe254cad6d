import type { DataSource } from 'typeorm';
import { compareDecimalStrings, Dec } from '@app/domain';
import { offerKey } from '../offer-key';

/** Exact products for the ceilings: wide enough for any stored rate times a band factor, rounded down. */
const Exact = Dec.clone({ precision: 120, rounding: Dec.ROUND_DOWN });

/**
 * A ceiling a hair below the exact one: a rate within this fraction of it is asked about anyway (judged by the
 * database, exactly), so the database's own rounding of the band's factor can never make it an outlier this
 * copy let through.
 */
const MARGIN = new Exact('0.999999999');

/** More references than this are not kept (about 100 bytes each): the writes probe every offer, as without a copy. */
export const MAX_CACHED_REFERENCES = 2_000_000;

/** What a write asks of the copy: its version, and whether an offer's rate needs the guard's judgement. */
export interface ReferenceView {
  /** `direction_references_version` when the copy was read. */
  readonly version: string;
  /**
   * Whether `rate` in the direction may be above its reference by more than the narrowest band: a direction
   * without a reference is never judged (the guard has nothing to judge it by).
   */
  suspect(from: string, to: string, city: string, rate: string): boolean;
}

interface Kept {
  readonly rate: string;
  /** rate × (1 + band / 100) × MARGIN, plain, made on the first question. */
  ceiling?: string;
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
    factor: Dec;
    band: string;
  } | null = null;
  private loading: Promise<void> | null = null;

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
      suspect(from, to, city, rate) {
        const kept = references.get(offerKey(from, to, city));
        if (kept === undefined) return false;
        const ceiling = (kept.ceiling ??= new Exact(kept.rate).times(factor).toFixed());
        return compareDecimalStrings(rate, ceiling) > 0;
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
        // No copy: the writes probe every offer until a later write starts another read.
        this.copy = null;
      })
      .finally(() => {
        this.loading = null;
      });
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
    const references = new Map<string, Kept>();
    for (const line of lines) {
      const cut = line.lastIndexOf('\u001f');
      references.set(line.slice(0, cut), { rate: line.slice(cut + 1) });
    }
    const factor = new Exact(1).plus(new Exact(band).div(100)).times(MARGIN);
    this.copy = { source: dataSource, version: row.version, references, factor, band };
  }
}

/** The process's copy of the references (ReferenceCache). */
export const referenceCache = new ReferenceCache();
