import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { OpenDataRepository } from '@app/database';
import { CatalogSnapshots } from '@app/ingestion';
import { SnapshotChanges } from '@app/messaging';
import { TimeSlicer } from '@app/domain';
import { infoZip } from './bestchange/archive';
import { buildModel, datFiles, OpenDataModel, unitsWithoutCode } from './bestchange/model';

/** Who values currencies in US dollars (the rankrate service): code → USD per unit. */
export interface UsdValuer {
  usdValues(): Promise<Map<string, { usd: string }>>;
  /** Moves whenever the values may have changed. */
  valuesVersion(): number;
}
export const USD_VALUER = Symbol('USD_VALUER');

/** One build of the open data: the model, and the archive made of it. */
export interface OpenDataSnapshot {
  readonly model: OpenDataModel;
  readonly zip: Buffer;
  /**
   * Weak validator of the content: a hash of the files but bm_info.dat's time and bm_news.dat's date. Weak
   * because the bytes carry the time they were read at: two replicas serving the same data answer the same
   * ETag for archives that differ in those dates (a strong ETag promises the same bytes).
   */
  readonly etag: string;
  /**
   * When this content was first read (the database's clock, second precision, for Last-Modified): a replica
   * never stamps content it read after a change earlier than that change.
   */
  readonly lastModified: Date;
  readonly builtAt: number;
}

/** The files left out of the ETag: they carry the read's time. */
const UNHASHED = new Set(['bm_info.dat', 'bm_news.dat']);

/** However quiet the changes, the data is read again at least this often (names, standing, exchangers' status). */
const MAX_AGE_MS = 60_000;

/**
 * The open data of this api replica (each builds its own from the database; in a fleet they agree within
 * a refresh): built on demand, at most every OPEN_DATA_REFRESH_SECONDS, and again only when something
 * changed — a snapshot change announced (SnapshotChanges: this process's writes in standalone, every
 * worker's through Redis in a fleet), the catalog's version, a shown feed going stale, the market's USD
 * values (they follow the snapshots a few seconds behind) — or a minute passed.
 * A build whose content equals the last one keeps the last one (same bytes, ETag and Last-Modified), so
 * clients polling with If-None-Match get 304 until the rates really change. While a build runs the last
 * snapshot is served (stale while revalidating), and when one fails it stays.
 */
@Injectable()
export class OpenDataSnapshots implements OnApplicationShutdown {
  private readonly logger = new Logger(OpenDataSnapshots.name);
  private current: OpenDataSnapshot | null = null;
  private building: Promise<OpenDataSnapshot> | null = null;
  private changed = true;
  private catalogVersion: string | null = null;
  private usdVersion: number | null = null;
  private nextExpiry: number | null = null;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly repository: OpenDataRepository,
    private readonly catalogs: CatalogSnapshots,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    changes: SnapshotChanges,
    @Optional() @Inject(USD_VALUER) private readonly valuer?: UsdValuer,
  ) {
    this.unsubscribe = changes.subscribe(() => {
      this.changed = true;
    });
  }

  onApplicationShutdown(): void {
    this.unsubscribe();
  }

  /**
   * The current snapshot. When it is due, a build starts and the current one is answered meanwhile (a build of
   * a big market takes seconds: no request waits for it); only the first build is waited for.
   */
  async snapshot(): Promise<OpenDataSnapshot> {
    const current = this.current;
    if (current && !(await this.due(current))) return current;
    if (!this.building) {
      this.building = this.build().finally(() => (this.building = null));
      // Failures are logged here; the next due check tries again.
      this.building.catch((error: unknown) => this.logger.warn(`open data not rebuilt: ${String(error)}`));
    }
    return current ?? this.building;
  }

  private async due(last: OpenDataSnapshot): Promise<boolean> {
    const age = Date.now() - last.builtAt;
    if (age < this.config.openData.refreshSeconds * 1000) return false;
    if (this.changed || age >= MAX_AGE_MS) return true;
    if (this.nextExpiry !== null && Date.now() >= this.nextExpiry) return true;
    // USD values follow the snapshots a few seconds behind (MarketValues): bm_exch's and bm_brates' dollars too.
    if (this.valuer && this.valuer.valuesVersion() !== this.usdVersion) return true;
    return (await this.catalogs.current()).version !== this.catalogVersion;
  }

  private async build(): Promise<OpenDataSnapshot> {
    this.changed = false;
    const catalogVersion = (await this.catalogs.current()).version;
    try {
      const read = await this.repository.read();
      const [currency, city, bcode] = await Promise.all([
        this.repository.ensureIds(
          'currency',
          read.currencies.filter((c) => c.bestchangeId === null).map((c) => c.code),
        ),
        this.repository.ensureIds(
          'city',
          read.cities.map((c) => c.code),
        ),
        this.repository.ensureIds('bcode', unitsWithoutCode(read)),
      ]);
      const usd = new Map<string, string>();
      if (this.valuer) {
        try {
          const values = await this.valuer.usdValues();
          this.usdVersion = this.valuer.valuesVersion();
          for (const [code, value] of values) usd.set(code, value.usd);
        } catch (error) {
          this.logger.warn(`open data built without USD values: ${String(error)}`);
        }
      }
      const slicer = new TimeSlicer();
      const model = await buildModel(read, { currency, city, bcode }, usd, slicer);
      // The archive is made as it is hashed: a row at a time, in chunks (see infoZip).
      const hash = createHash('sha256');
      let hashing = '';
      const zip = await infoZip(datFiles(model, read, usd, read.at), read.at, {
        slicer,
        onBytes: (name, bytes) => {
          if (UNHASHED.has(name)) return;
          if (name !== hashing) hash.update(`${hashing === '' ? '' : '\n'}${name}\n`);
          hashing = name;
          hash.update(bytes);
        },
      });
      const etag = `W/"${hash.digest('base64url').slice(0, 32)}"`;
      this.catalogVersion = catalogVersion;
      this.nextExpiry = read.nextExpiry === null ? null : new Date(read.nextExpiry).getTime();
      const last = this.current;
      // The same files: the same archive, ETag and Last-Modified; the model (what the keyed API shows, fees
      // and full-precision rates included) is the new one.
      if (last && last.etag === etag) {
        this.current = { ...last, model, builtAt: Date.now() };
        return this.current;
      }
      const lastModified = new Date(Math.floor(read.at.getTime() / 1000) * 1000);
      this.current = { model, zip, etag, lastModified, builtAt: Date.now() };
      return this.current;
    } catch (error) {
      this.changed = true;
      throw error;
    }
  }
}
