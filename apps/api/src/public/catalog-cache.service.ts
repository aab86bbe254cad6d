import { Injectable } from '@nestjs/common';
import { CatalogRepository } from '@app/database';
import { CatalogEntry, NotFoundError } from '@app/domain';

const TTL_MS = 10_000;

/** The currency catalog for request validation, reloaded every 10 s. */
@Injectable()
export class CatalogCache {
  private loaded: { at: number; byCode: Map<string, CatalogEntry> } | null = null;
  private loading: Promise<Map<string, CatalogEntry>> | null = null;

  constructor(private readonly catalog: CatalogRepository) {}

  /** The enabled currency with this code, or 404 with a message that names it. */
  async require(code: string): Promise<CatalogEntry> {
    const currency = (await this.byCode()).get(code.toUpperCase());
    if (!currency || !currency.enabled) throw new NotFoundError(`unknown currency code ${code.toUpperCase()}`);
    return currency;
  }

  async has(code: string): Promise<boolean> {
    return (await this.byCode()).get(code.toUpperCase())?.enabled === true;
  }

  private async byCode(): Promise<Map<string, CatalogEntry>> {
    if (this.loaded && Date.now() - this.loaded.at < TTL_MS) return this.loaded.byCode;
    this.loading ??= this.catalog
      .loadCurrencies()
      .then((rows) => {
        const byCode = new Map(rows.map((c) => [c.code, c]));
        this.loaded = { at: Date.now(), byCode };
        return byCode;
      })
      .finally(() => (this.loading = null));
    return this.loading;
  }
}
