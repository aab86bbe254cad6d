import { Inject, Injectable, Optional } from '@nestjs/common';
import { Dec, InvalidFieldError, InvalidRequestError, toPlain } from '@app/domain';
import { giveRateOf } from '../bestchange/model';
import type { ExportRate, OpenDataModel } from '../bestchange/model';
import { OpenDataSnapshots } from '../open-data-snapshots.service';

/** Pairs one `rates` call may ask for, as BestChange's API v2. */
export const MAX_PAIRS = 500;

export type OpenLang = 'en' | 'ru';

/** Who computes rankrate (the rankrate service): each offer's rate at the reference amount, get ÷ give, or null. */
export interface RankrateSource {
  rankrates(from: string, to: string, offers: readonly ExportRate['offer'][]): Promise<Array<string | null>>;
}
export const RANKRATE_SOURCE = Symbol('RANKRATE_SOURCE');

export interface OpenCurrencyView {
  id: number;
  code: string;
  name: string;
  viewname: string;
  crypto: boolean;
  cash: boolean;
  group: number;
}

export interface OpenChangerView {
  id: number;
  name: string;
  active: boolean;
  reserve: string;
  reviews: { claim: number; positive: number; neutral: number; negative: number };
}

export interface OpenRateView {
  changer: number;
  rate: string;
  rankrate: string;
  reserve: string;
  inmin: string;
  inmax: string;
  extra: never[];
  marks: string[];
  /** Present on cash offers: the `bm_cities.dat` id. */
  city?: number;
}

const PAIR = /^(\d{1,9})-(\d{1,9})$/;

/**
 * `a-b+c-d…` as pairs of ids: 400 naming the first malformed one, or past MAX_PAIRS. Duplicates are asked once,
 * compared as numbers (leading zeros do not make another pair).
 */
export function parsePairs(text: string): Array<[number, number]> {
  const parts = text.split('+');
  if (parts.length > MAX_PAIRS)
    throw new InvalidRequestError(`at most ${MAX_PAIRS} pairs per call (got ${parts.length}): split the list`);
  const seen = new Set<string>();
  const pairs: Array<[number, number]> = [];
  for (const part of parts) {
    const match = PAIR.exec(part);
    if (!match)
      throw new InvalidFieldError(
        `pair "${part.slice(0, 40)}" is not from-to with currency ids (e.g. 93-10; several joined by +)`,
      );
    // By the ids' values: 01-02 and 1-2 are one pair (one answer, keyed 1-2), not two.
    const pair: [number, number] = [Number(match[1]), Number(match[2])];
    const key = `${pair[0]}-${pair[1]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push(pair);
  }
  return pairs;
}

/**
 * The keyed JSON API, shaped like BestChange's API v2 so its clients work by changing only the base URL:
 * `{"currencies": […]}`, `{"changers": […]}`, `{"presences": […]}`, `{"rates": {"a-b": […]}}` — the one
 * top-level key each, decimals as strings, ids as numbers. Answered from the export's snapshot (the same
 * offers, ids and names as info.zip).
 */
@Injectable()
export class OpenApiService {
  constructor(
    private readonly snapshots: OpenDataSnapshots,
    @Optional() @Inject(RANKRATE_SOURCE) private readonly rankrates?: RankrateSource,
  ) {}

  async currencies(lang: OpenLang): Promise<{ currencies: OpenCurrencyView[] }> {
    const { model } = await this.snapshots.snapshot();
    return {
      currencies: model.currencies.map((c) => ({
        id: c.id,
        code: c.code,
        name: lang === 'ru' ? c.nameRu : c.nameEn,
        viewname: c.viewname,
        crypto: c.kindCode === 0,
        cash: c.kindCode === 5,
        group: c.kindCode,
      })),
    };
  }

  async changers(): Promise<{ changers: OpenChangerView[] }> {
    const { model } = await this.snapshots.snapshot();
    return {
      changers: model.exchangers.map((e) => ({
        id: e.id,
        name: e.name,
        active: true,
        reserve: e.reserveUsd,
        reviews: { claim: e.claims, positive: e.positive, neutral: e.neutral, negative: e.negative },
      })),
    };
  }

  /** Directions with shown offers, `0` on a side matching any currency. */
  async presences(pair: string): Promise<{ presences: Array<{ pair: string }> }> {
    const match = PAIR.exec(pair);
    if (!match)
      throw new InvalidFieldError(`"${pair.slice(0, 40)}" is not from-to with currency ids, 0 for any (e.g. 93-0)`);
    const [from, to] = [Number(match[1]), Number(match[2])];
    const { model } = await this.snapshots.snapshot();
    this.requireIds(
      model,
      [from, to].filter((id) => id !== 0),
    );
    const presences: Array<{ pair: string }> = [];
    for (const key of model.rates.keys()) {
      const [f, t] = key.split('-').map(Number) as [number, number];
      if ((from === 0 || f === from) && (to === 0 || t === to)) presences.push({ pair: key });
    }
    return { presences };
  }

  /** The shown offers of each pair, best first (an empty list for a pair nobody offers). */
  async rates(text: string): Promise<{ rates: Record<string, OpenRateView[]> }> {
    const pairs = parsePairs(text);
    const { model } = await this.snapshots.snapshot();
    this.requireIds(model, pairs.flat());
    const rates: Record<string, OpenRateView[]> = {};
    for (const [from, to] of pairs) {
      const key = `${from}-${to}`;
      const rows = model.rates.get(key) ?? [];
      const ranks = await this.rankratesOf(model, from, to, rows);
      rates[key] = rows.map((r, i) => {
        const rate = giveRateOf(r.offer.in, r.offer.out);
        return {
          changer: r.exchangerId,
          rate,
          rankrate: ranks[i] ?? rate,
          reserve: r.reserve,
          inmin: r.min,
          inmax: r.max,
          extra: [],
          marks: [
            ...r.offer.flags,
            ...(r.offer.delayMinutes !== null && !r.offer.flags.includes('delay') ? ['delay'] : []),
          ],
          ...(r.cityId !== 0 ? { city: r.cityId } : {}),
        };
      });
    }
    return { rates };
  }

  /** rankrate in BestChange's orientation (given per 1 received); null where there is none (then `rate` stands). */
  private async rankratesOf(
    model: OpenDataModel,
    from: number,
    to: number,
    rows: ExportRate[],
  ): Promise<Array<string | null>> {
    if (!this.rankrates || rows.length === 0) return rows.map(() => null);
    const [fromCode, toCode] = [model.byId.get(from)!.code, model.byId.get(to)!.code];
    const ours = await this.rankrates.rankrates(
      fromCode,
      toCode,
      rows.map((r) => r.offer),
    );
    return ours.map((value) => {
      if (value === null) return null;
      const rate = new Dec(value);
      return rate.lte(0) ? null : toPlain(new Dec(1).div(rate).toSignificantDigits(16, Dec.ROUND_HALF_UP));
    });
  }

  private requireIds(model: OpenDataModel, ids: number[]): void {
    const unknown = ids.find((id) => !model.byId.has(id));
    if (unknown !== undefined)
      throw new InvalidFieldError(`unknown currency id ${unknown}: /v1/open/{key}/currencies/en lists the ids`);
  }
}
