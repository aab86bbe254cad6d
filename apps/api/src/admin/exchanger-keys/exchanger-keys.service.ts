import { Injectable } from '@nestjs/common';
import { Actor, ApiKeyInfo, ApiKeysRepository, ExchangersRepository } from '@app/database';
import { NotFoundError } from '@app/domain';

/** Keys scoped to one exchanger, made and listed by an admin (revoked like any key: `admin:key revoke`). */
@Injectable()
export class ExchangerKeysService {
  constructor(
    private readonly exchangers: ExchangersRepository,
    private readonly keys: ApiKeysRepository,
  ) {}

  /** A new key of the exchanger, audited (its info, never its text); the text is returned this once. */
  async create(actor: Actor, exchangerId: number, name: string): Promise<{ key: string; info: ApiKeyInfo }> {
    await this.requireExchanger(exchangerId);
    return this.keys.create(name.trim(), exchangerId, actor);
  }

  async list(exchangerId: number): Promise<ApiKeyInfo[]> {
    await this.requireExchanger(exchangerId);
    return this.keys.list(exchangerId);
  }

  private async requireExchanger(id: number): Promise<void> {
    if (!(await this.exchangers.find(id))) throw new NotFoundError(`no exchanger ${id}`);
  }
}
