import { Injectable } from '@nestjs/common';
import { CatalogRepository } from '@app/database';
import { CatalogEntry, CityDirectory, CurrencyAlias, InvalidRequestError, NotFoundError } from '@app/domain';
import { contextForExchanger, NormalizationContext } from '@app/feeds';

/** How often a request path checks whether the catalog changed (one indexed single-row query). */
export const CATALOG_VERSION_CHECK_MS = 1000;

/** The currency catalog and its aliases, and the city catalog, at one catalog version. */
export class CatalogSnapshot {
  private readonly byCode: ReadonlyMap<string, CatalogEntry>;
  private readonly contexts = new Map<number | null, NormalizationContext>();

  constructor(
    readonly version: string,
    private readonly currencies: readonly CatalogEntry[],
    private readonly aliases: readonly CurrencyAlias[],
    readonly cities: CityDirectory = new CityDirectory([], []),
  ) {
    this.byCode = new Map(currencies.map((c) => [c.code, c]));
  }

  /** True when the code (any case) is an enabled currency. */
  has(code: string): boolean {
    return this.byCode.get(code.toUpperCase())?.enabled === true;
  }

  /** The enabled currency with this code (any case); NotFoundError naming it otherwise. */
  require(code: string): CatalogEntry {
    const currency = this.byCode.get(code.toUpperCase());
    if (!currency || !currency.enabled) throw new NotFoundError(`unknown currency code ${code.toUpperCase()}`);
    return currency;
  }

  /**
   * The city code a request's `city` names (any case). Another name of a city (`Moscow`, `ST.PETERSBURG`)
   * is refused naming the code to use, anything else pointing at the list: a city nobody knows would
   * otherwise answer an empty table, as if no exchanger served it.
   */
  requireCity(city: string): string {
    const resolution = this.cities.resolve(city);
    if (resolution.kind === 'code') return resolution.code;
    const shown = city.replace(/[\p{C}]/gu, '').slice(0, 64);
    if (resolution.kind === 'alias')
      throw new InvalidRequestError(
        `city ${shown} is not a city code: did you mean ${resolution.code}? GET /v1/cities lists them`,
      );
    throw new InvalidRequestError(`unknown city ${shown}: GET /v1/cities lists the city codes`);
  }

  /** What the normalizer needs for one exchanger's feeds (null: global aliases only), built once. */
  contextFor(exchangerId: number | null): NormalizationContext {
    let context = this.contexts.get(exchangerId);
    if (!context) {
      context = { ...contextForExchanger(this.currencies, this.aliases, exchangerId), cities: this.cities };
      this.contexts.set(exchangerId, context);
    }
    return context;
  }
}

/**
 * The one catalog cache of a process, loaded once per catalog version (a trigger bumps the version on
 * every change to currencies, cities or their aliases). A poll knows the version from its feed row, so it costs no
 * catalog query while nothing changed and sees an admin's alias from the next poll; a request path asks
 * `current()`, which checks the version at most every CATALOG_VERSION_CHECK_MS — so an admin's change
 * reaches every api replica within a second.
 */
@Injectable()
export class CatalogSnapshots {
  private loaded: Promise<CatalogSnapshot> | null = null;
  private loadedVersion: string | null = null;
  private checked: { at: number; version: Promise<string> } | null = null;

  constructor(private readonly catalog: CatalogRepository) {}

  /** The catalog at `version` (the newest one asked for is kept). */
  at(version: string): Promise<CatalogSnapshot> {
    if (this.loaded === null || this.loadedVersion !== version) {
      this.loadedVersion = version;
      this.loaded = Promise.all([
        this.catalog.loadCurrencies(),
        this.catalog.loadAliases(),
        this.catalog.loadCities(),
      ]).then(
        ([currencies, aliases, cities]) =>
          new CatalogSnapshot(version, currencies, aliases, new CityDirectory(cities.codes, cities.aliases)),
      );
      this.loaded.catch(() => {
        if (this.loadedVersion === version) this.loaded = null;
      });
    }
    return this.loaded;
  }

  /** The current catalog (its version checked at most every CATALOG_VERSION_CHECK_MS). */
  async current(): Promise<CatalogSnapshot> {
    if (this.checked === null || Date.now() - this.checked.at >= CATALOG_VERSION_CHECK_MS) {
      const version = this.catalog.version();
      this.checked = { at: Date.now(), version };
      version.catch(() => (this.checked = null));
    }
    return this.at(await this.checked.version);
  }
}
