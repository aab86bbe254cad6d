import { Injectable } from '@nestjs/common';
import { Actor, CatalogRepository, ExchangersRepository } from '@app/database';
import { cleanCode, InvalidFieldError, NotFoundError } from '@app/domain';
import type { CreateAliasDto, CreateCurrencyDto, UpdateCurrencyDto } from './catalog.dto';

/** The catalog as the admin manages it: currencies and aliases (an alias applies from the next poll: the catalog version changes with it). */
@Injectable()
export class CatalogAdminService {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly exchangers: ExchangersRepository,
  ) {}

  currencies(): Promise<unknown[]> {
    return this.catalog.listCurrencies();
  }

  createCurrency(actor: Actor, dto: CreateCurrencyDto): Promise<unknown> {
    return this.catalog.createCurrency(actor, { ...dto, enabled: dto.enabled ?? true });
  }

  async updateCurrency(actor: Actor, code: string, dto: UpdateCurrencyDto): Promise<unknown> {
    const row = await this.catalog.updateCurrency(actor, code.toUpperCase(), dto);
    if (!row) throw new NotFoundError(`no currency ${code.slice(0, 16)}`);
    return row;
  }

  aliases(): Promise<unknown[]> {
    return this.catalog.listAliases();
  }

  async createAlias(actor: Actor, dto: CreateAliasDto): Promise<unknown> {
    const currencies = (await this.catalog.listCurrencies()) as Array<{ code: string }>;
    if (!currencies.some((c) => c.code === dto.code))
      throw new InvalidFieldError(`code ${dto.code} is not in the catalog`);
    // A global alias that is itself a catalog code would republish every exchanger's offers of it as another currency.
    if (dto.exchangerId == null && dto.alias !== dto.code && currencies.some((c) => c.code === cleanCode(dto.alias))) {
      throw new InvalidFieldError(
        `alias ${dto.alias} is a currency of the catalog: a global alias would publish every exchanger's ${dto.alias} offers as ${dto.code}`,
      );
    }
    if (dto.exchangerId != null && !(await this.exchangers.find(dto.exchangerId)))
      throw new InvalidFieldError(`exchangerId ${dto.exchangerId} is not an exchanger`);
    return this.catalog.createAlias(actor, { alias: dto.alias, code: dto.code, exchangerId: dto.exchangerId ?? null });
  }

  async deleteAlias(actor: Actor, id: number): Promise<void> {
    if (!(await this.catalog.deleteAlias(actor, id))) throw new NotFoundError(`no alias ${id}`);
  }
}
