import { Injectable } from '@nestjs/common';
import { CatalogRepository } from '@app/database';
import type { CatalogEntry, CurrencyAlias } from '@app/domain';
import { contextForExchanger, NormalizationContext } from '@app/feeds';

interface Loaded {
  version: string;
  currencies: CatalogEntry[];
  aliases: CurrencyAlias[];
  contexts: Map<number, NormalizationContext>;
}

/**
 * The catalog and aliases, loaded once per catalog version (a trigger bumps it on every change), so a
 * poll costs no catalog queries while nothing changed and sees an admin's alias from the next poll.
 */
@Injectable()
export class NormalizationContextCache {
  private loaded: Promise<Loaded> | null = null;
  private loadedVersion: string | null = null;

  constructor(private readonly catalog: CatalogRepository) {}

  async forExchanger(exchangerId: number, version: string): Promise<NormalizationContext> {
    if (this.loaded === null || this.loadedVersion !== version) {
      this.loadedVersion = version;
      this.loaded = this.load(version).catch((error: unknown) => {
        this.loaded = null;
        throw error;
      });
    }
    const loaded = await this.loaded;
    let context = loaded.contexts.get(exchangerId);
    if (!context) {
      context = contextForExchanger(loaded.currencies, loaded.aliases, exchangerId);
      loaded.contexts.set(exchangerId, context);
    }
    return context;
  }

  private async load(version: string): Promise<Loaded> {
    const [currencies, aliases] = await Promise.all([this.catalog.loadCurrencies(), this.catalog.loadAliases()]);
    return { version, currencies, aliases, contexts: new Map() };
  }
}
