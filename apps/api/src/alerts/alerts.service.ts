import { Inject, Injectable } from '@nestjs/common';
import { WebhookPoster } from '@app/alerts';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AlertRecord, AlertsRepository, ClicksRepository } from '@app/database';
import {
  ALERT_DEFAULT_DAYS,
  ALERT_MAX_DAYS,
  alertTokenMatches,
  BusyError,
  Dec,
  hashAlertToken,
  InvalidFieldError,
  ipHash,
  newAlertCredential,
  NotFoundError,
} from '@app/domain';
import { CatalogSnapshots } from '@app/ingestion';
import type { AlertDto, CreateAlertDto, CreatedAlertDto } from './alerts.dto';

const DAY_MS = 86_400_000;
/** A `moves` alert's percent is at most this (a move of more than 1000 % is not a move, it is a mistake). */
const MAX_MOVE_PERCENT = 1000;

/** Visitors' alerts (DESIGN.md §12): created under a per-address limit, read and deleted with their token. */
@Injectable()
export class AlertsService {
  private visitorSecret: Promise<string> | null = null;

  constructor(
    private readonly alerts: AlertsRepository,
    private readonly catalogs: CatalogSnapshots,
    private readonly clicks: ClicksRepository,
    private readonly poster: WebhookPoster,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(dto: CreateAlertDto, ip: string, now = new Date()): Promise<CreatedAlertDto> {
    const catalog = await this.catalogs.current();
    const [from, to] = [catalog.require(dto.from).code, catalog.require(dto.to).code];
    const city = dto.city === undefined ? null : catalog.requireCity(dto.city);
    if (dto.condition.kind === 'moves' && new Dec(dto.condition.value).gt(MAX_MOVE_PERCENT))
      throw new InvalidFieldError(`condition.value of a moves alert is a percent: at most ${MAX_MOVE_PERCENT}`);
    const expiresAt = expiryOf(dto.expiresAt, now);
    const problem = await this.poster.problemWith(dto.webhookUrl);
    if (problem) throw new InvalidFieldError(`webhookUrl ${problem}`);
    const max = this.config.alerts.maxPerCreator;
    if (max === 0) throw new BusyError('alerts are turned off on this server (ALERTS_MAX_PER_CREATOR=0)', 3600);
    const token = newAlertCredential('rwa');
    const secret = newAlertCredential('rws');
    const created = await this.alerts.create(
      {
        from,
        to,
        city,
        condition: { kind: dto.condition.kind, value: new Dec(dto.condition.value).toFixed() },
        webhookUrl: dto.webhookUrl,
        tokenHash: hashAlertToken(token),
        secret,
        creator: ipHash(await this.secret(), ip),
        expiresAt,
      },
      max,
    );
    if (!created)
      throw new BusyError(
        `at most ${max} active alerts per address: delete one (DELETE /v1/alerts/{id}) or wait for one to expire`,
        3600,
      );
    return { ...toDto(created), token, secret };
  }

  async get(id: string, token: string): Promise<AlertDto> {
    return toDto(await this.owned(id, token));
  }

  async delete(id: string, token: string): Promise<void> {
    await this.owned(id, token);
    await this.alerts.delete(id);
  }

  /** The alert `token` opens: an unknown id and another alert's token are the same 404. */
  private async owned(id: string, token: string): Promise<AlertRecord> {
    const alert = await this.alerts.findById(id);
    if (!alert || !alertTokenMatches(token, alert.tokenHash)) throw new NotFoundError('no alert of this id and token');
    return alert;
  }

  private secret(): Promise<string> {
    this.visitorSecret ??= this.clicks.visitorSecret().catch((error: unknown) => {
      this.visitorSecret = null;
      throw error;
    });
    return this.visitorSecret;
  }
}

/** When an alert ends: as asked (in the future, at most ALERT_MAX_DAYS away), or ALERT_DEFAULT_DAYS from now. */
function expiryOf(asked: string | undefined, now: Date): Date {
  if (asked === undefined) return new Date(now.getTime() + ALERT_DEFAULT_DAYS * DAY_MS);
  const at = new Date(asked);
  if (Number.isNaN(at.getTime())) throw new InvalidFieldError('expiresAt must be a date-time');
  if (at.getTime() <= now.getTime()) throw new InvalidFieldError('expiresAt must be in the future');
  if (at.getTime() > now.getTime() + ALERT_MAX_DAYS * DAY_MS)
    throw new InvalidFieldError(`expiresAt must be at most ${ALERT_MAX_DAYS} days from now`);
  return at;
}

function toDto(alert: AlertRecord): AlertDto {
  const expired = alert.status === 'active' && alert.expiresAt.getTime() <= Date.now();
  return {
    id: alert.id,
    from: alert.from,
    to: alert.to,
    city: alert.city,
    condition: { kind: alert.kind, value: alert.value },
    webhookUrl: alert.webhookUrl,
    status: expired ? 'expired' : (alert.status as AlertDto['status']),
    disabledReason: alert.disabledReason,
    notices: alert.notices,
    consecutiveFailures: alert.consecutiveFailures,
    lastFiredAt: alert.lastFiredAt?.toISOString() ?? null,
    expiresAt: alert.expiresAt.toISOString(),
    createdAt: alert.createdAt.toISOString(),
  };
}
