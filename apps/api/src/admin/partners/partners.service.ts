import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Actor, ExchangersRepository, PartnersRepository } from '@app/database';
import { InvalidFieldError, NotFoundError } from '@app/domain';
import { PartnerScheduler, PartnerSyncRequester, sealSecret } from '@app/partners';
import { followSchedule } from '../follow-schedule';
import { requirePublicAddress } from '../outbound-address';
import { timeWindow } from '../../common/validation';
import type { PartnerAccountDto, ReportQuery } from './partners.dto';

/** Partner accounts of exchangers (the key sealed under SECRET_KEY, never returned) and the referral-earnings report. */
@Injectable()
export class PartnerAdminService {
  constructor(
    private readonly exchangers: ExchangersRepository,
    private readonly partners: PartnersRepository,
    private readonly scheduler: PartnerScheduler,
    private readonly syncer: PartnerSyncRequester,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Connects (or changes) an exchanger's partner account; its sync schedule follows at once. */
  async putAccount(actor: Actor, exchangerId: number, dto: PartnerAccountDto): Promise<unknown> {
    requirePublicAddress('apiUrl', dto.apiUrl, this.config.fetch.allowPrivate);
    if (!(await this.exchangers.find(exchangerId))) throw new NotFoundError(`no exchanger ${exchangerId}`);
    if (!this.config.secretKey)
      throw new InvalidFieldError('SECRET_KEY must be set on the api before a partner API key can be stored');
    const account = await this.partners.upsertAccount(actor, exchangerId, {
      apiUrl: dto.apiUrl,
      apiKeyEncrypted: sealSecret(dto.apiKey, this.config.secretKey),
      requestStyle: dto.requestStyle ?? 'both',
      syncIntervalSeconds: dto.syncIntervalSeconds ?? 900,
      enabled: dto.enabled ?? true,
    });
    await followSchedule(`partner account of exchanger ${exchangerId}`, () => this.scheduler.sync(exchangerId));
    return account;
  }

  async deleteAccount(actor: Actor, exchangerId: number): Promise<void> {
    if (!(await this.partners.deleteAccount(actor, exchangerId)))
      throw new NotFoundError(`exchanger ${exchangerId} has no partner account`);
    await followSchedule(`partner account of exchanger ${exchangerId} removed`, () => this.scheduler.sync(exchangerId));
  }

  /** Syncs now (fleet mode: through the queue, like a feed refresh) and answers with the outcome. */
  async syncNow(exchangerId: number): Promise<unknown> {
    const outcome = await this.syncer.syncNow(exchangerId);
    if (outcome.status === 'skipped') throw new NotFoundError(outcome.reason);
    return outcome;
  }

  /** Per exchanger: balance, referred and successful exchanges, reward, partner visits vs our clicks; the last 30 days unless a window is given. */
  async report(window: ReportQuery) {
    const { since, until } = timeWindow(window, 30 * 86_400_000);
    return { since: since.toISOString(), until: until.toISOString(), items: await this.partners.report(since, until) };
  }
}
