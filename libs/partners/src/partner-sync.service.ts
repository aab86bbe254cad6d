import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import {
  isDatabaseUnavailable,
  PartnerAccountRow,
  PartnerExchange,
  PartnersRepository,
  PartnerVisit,
} from '@app/database';
import { canonicalDecimal, CURRENCY_CODE_PATTERN } from '@app/domain';
import { maskSecretsInUrl } from '@app/observability';
import { itemsOf, PartnerAccountAccess, PartnerApiClient, PartnerMethod } from './partner-api.client';
import { openSecret, SecretKeyError } from './secret-box';

/** How far back a first sync reads, how much each sync re-reads (late entries), and window sizes. */
export const FIRST_SYNC_DAYS = 30;
export const OVERLAP_MS = 60 * 60 * 1000;
export const WINDOW_MS = 24 * 60 * 60 * 1000;
/** An answer with this many items may be truncated by the exchanger: the window is halved and re-read. */
export const PAGE_LIMIT = 500;
const MIN_WINDOW_MS = 60 * 1000;
const MAX_CALLS = 400;

export type SyncOutcome =
  | { status: 'skipped'; reason: string }
  | { status: 'ok'; balanceChanged: boolean; exchanges: number; visits: number }
  | { status: 'error'; code: string; message: string };

class SyncFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads one exchanger's partner API: `get_info` → a balance row when the balance changed;
 * `get_exchanges` and `get_links` → idempotent upserts, read in windows from the last synced time (with
 * an overlap), a window halved when its answer may be truncated. Every failure is stored on the
 * account; nothing throws past the caller — except a database that cannot take the work (down, or no
 * connection free in time): that is not the account's failure, nothing is stored, and the error goes to
 * the caller (an operator's "sync now" answers 503; the schedule's next tick syncs again, from the last
 * synced time, so nothing is missed).
 */
@Injectable()
export class PartnerSyncService {
  private readonly logger = new Logger(PartnerSyncService.name);

  constructor(
    private readonly partners: PartnersRepository,
    private readonly client: PartnerApiClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async sync(exchangerId: number, now = new Date()): Promise<SyncOutcome> {
    const account = await this.partners.findAccount(exchangerId);
    if (!account) return { status: 'skipped', reason: `exchanger ${exchangerId} has no partner account` };
    if (!account.enabled)
      return {
        status: 'skipped',
        reason: `the partner account of exchanger ${exchangerId} is disabled or its exchanger is not active`,
      };
    try {
      const access = this.access(account);
      const balanceChanged = await this.syncBalance(exchangerId, access);
      const exchanges = await this.readWindows(access, 'get_exchanges', account.exchangesSyncedTo, now, toExchange);
      await this.partners.upsertExchanges(exchangerId, exchanges);
      const visits = await this.readWindows(access, 'get_links', account.visitsSyncedTo, now, toVisit);
      await this.partners.upsertVisits(exchangerId, visits);
      await this.partners.recordSync(exchangerId, { error: null, exchangesTo: now, visitsTo: now });
      return { status: 'ok', balanceChanged, exchanges: exchanges.length, visits: visits.length };
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        this.logger.warn(
          `partner sync of exchanger ${exchangerId} not stored: the database is unavailable (${maskSecretsInUrl(String(error))})`,
        );
        throw error;
      }
      const failure =
        error instanceof SyncFailure
          ? error
          : error instanceof SecretKeyError
            ? new SyncFailure('secret_key', error.message)
            : null;
      if (!failure) {
        this.logger.error(`partner sync of exchanger ${exchangerId} failed: ${maskSecretsInUrl(String(error))}`);
        await this.partners
          .recordSync(exchangerId, {
            error: { code: 'internal_error', message: 'ratewatch failed while syncing; see the log' },
          })
          .catch(() => undefined);
        return { status: 'error', code: 'internal_error', message: 'ratewatch failed while syncing' };
      }
      await this.partners.recordSync(exchangerId, { error: { code: failure.code, message: failure.message } });
      return { status: 'error', code: failure.code, message: failure.message };
    }
  }

  private access(account: PartnerAccountRow): PartnerAccountAccess {
    return {
      apiUrl: account.apiUrl,
      apiKey: openSecret(account.apiKeyEncrypted, this.config.secretKey),
      requestStyle: account.requestStyle,
    };
  }

  private async syncBalance(exchangerId: number, access: PartnerAccountAccess): Promise<boolean> {
    const answer = await this.client.call(access, 'get_info');
    if (!answer.ok) throw new SyncFailure(answer.code, answer.message);
    const balance = canonicalDecimal(text(answer.data.balance));
    if (balance === null) return false;
    const minPayout = canonicalDecimal(text(answer.data.min_payout));
    return this.partners.addBalanceIfChanged(exchangerId, balance, minPayout);
  }

  /** Reads [from − overlap, now) in windows of a day, halving any window whose answer may be truncated. */
  private async readWindows<T>(
    access: PartnerAccountAccess,
    method: PartnerMethod,
    syncedTo: Date | null,
    now: Date,
    map: (item: Record<string, unknown>) => T | null,
  ): Promise<T[]> {
    const start = (syncedTo ? syncedTo.getTime() : now.getTime() - FIRST_SYNC_DAYS * WINDOW_MS) - OVERLAP_MS;
    const pending: Array<[number, number]> = [];
    for (let from = start; from < now.getTime(); from += WINDOW_MS)
      pending.push([from, Math.min(from + WINDOW_MS, now.getTime())]);
    const results = new Map<string, T>();
    let calls = 0;
    while (pending.length > 0) {
      const [from, to] = pending.shift()!;
      if (++calls > MAX_CALLS)
        throw new SyncFailure('too_many_calls', `${method} needed more than ${MAX_CALLS} calls; try again later`);
      const answer = await this.client.call(access, method, {
        start_time: String(Math.floor(from / 1000)),
        end_time: String(Math.floor(to / 1000)),
      });
      if (!answer.ok) throw new SyncFailure(answer.code, answer.message);
      const items = itemsOf(answer.data);
      if (items.length >= PAGE_LIMIT && to - from > MIN_WINDOW_MS) {
        const middle = Math.floor((from + to) / 2);
        pending.unshift([from, middle], [middle, to]);
        continue;
      }
      for (const item of items) {
        const row = map(item);
        if (row !== null) results.set(String((row as { remoteId: string }).remoteId), row);
      }
    }
    return [...results.values()];
  }
}

const text = (value: unknown): string | null =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : null;

function timeOf(item: Record<string, unknown>): Date | null {
  const seconds = Number(item.time);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : null;
}

export function toExchange(item: Record<string, unknown>): PartnerExchange | null {
  const remoteId = text(item.id);
  const at = timeOf(item);
  if (!remoteId || !at) return null;
  return {
    remoteId,
    at,
    giveCode: text(item.currency_code_give),
    getCode: text(item.currency_code_get),
    amountGive: canonicalDecimal(text(item.amount_give)),
    amountGet: canonicalDecimal(text(item.amount_get)),
    success: String(item.exchange_success) === '1',
    reward: canonicalDecimal(text(item.partner_reward)) ?? '0',
    userHash: text(item.user_hash),
  };
}

export function toVisit(item: Record<string, unknown>): PartnerVisit | null {
  const remoteId = text(item.id);
  const at = timeOf(item);
  if (!remoteId || !at) return null;
  const query = new URLSearchParams(text(item.query_string) ?? '');
  const code = (name: string) => {
    const value = query.get(name)?.toUpperCase() ?? null;
    return value && CURRENCY_CODE_PATTERN.test(value) ? value : null;
  };
  return {
    remoteId,
    at,
    referrer: text(item.referrer)?.slice(0, 1000) ?? null,
    curFrom: code('cur_from'),
    curTo: code('cur_to'),
    userHash: text(item.user_hash),
  };
}
