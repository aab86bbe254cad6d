import { Injectable } from '@nestjs/common';
import { DirectionOffer, RateHistoryRepository } from '@app/database';
import { Dec, toPlain } from '@app/domain';
import { CatalogSnapshots } from '@app/ingestion';
import { CachedAnswer, PublicCache } from '../public-cache.service';
import { BestRateRecorder } from './best-rate-recorder.service';
import { DirectionBooks } from './direction-books.service';
import type { RateHistoryDto, RateHistoryQuery, RateItemDto, RatesQuery, RatesTableDto } from './rates.dto';

/** The best-rate table of a direction (API.md `GET /v1/rates`) and its best rate over the last hours. */
@Injectable()
export class RatesService {
  constructor(
    private readonly books: DirectionBooks,
    private readonly catalogs: CatalogSnapshots,
    private readonly history: RateHistoryRepository,
    private readonly cache: PublicCache,
    private readonly recorder: BestRateRecorder,
  ) {}

  /**
   * The table of `query`, from the answer cache (shared per direction, also kept under the raw URL for
   * the controller's fast path) or made now; a fresh table's best rate is noted for the history.
   */
  cachedTable(query: RatesQuery, rawUrl: string): Promise<CachedAnswer> {
    const key = JSON.stringify([
      query.city ?? null,
      query.amount ?? null,
      query.side ?? 'give',
      query.exclude ?? '',
      query.limit ?? 100,
    ]);
    return this.cache.get(
      `${query.from}|${query.to}`,
      key,
      () => this.table(query).then((table) => this.noteBest(query, table)),
      rawUrl,
    );
  }

  /** A fresh table without amount or exclusions is ranked by rate: its first row is the direction's best. */
  private noteBest(query: RatesQuery, table: RatesTableDto): RatesTableDto {
    const best = table.items[0];
    if (best && !query.amount && !query.exclude)
      this.recorder.note(query.from, query.to, query.city ?? null, best.rate);
    return table;
  }

  async historyOf(query: RateHistoryQuery): Promise<RateHistoryDto> {
    const catalog = await this.catalogs.current();
    catalog.require(query.from);
    catalog.require(query.to);
    const city = query.city === undefined ? null : catalog.requireCity(query.city);
    const hours = query.hours ?? 6;
    const points = await this.history.history(
      query.from,
      query.to,
      city ?? '',
      new Date(Date.now() - hours * 3_600_000),
    );
    return { from: query.from, to: query.to, city, hours, points };
  }

  async table(query: RatesQuery): Promise<RatesTableDto> {
    const catalog = await this.catalogs.current();
    const [from, to] = [catalog.require(query.from), catalog.require(query.to)];
    const side = query.side ?? 'give';
    const amount = query.amount === undefined ? null : new Dec(query.amount);
    const exclude = new Set(
      (query.exclude ?? '')
        .split(',')
        .map((f) => f.trim().toLowerCase())
        .filter(Boolean),
    );
    // A city is a code of the city catalog: `Moscow` is a 400 naming MSK, not an empty table.
    const city = query.city === undefined ? null : catalog.requireCity(query.city);
    const limit = query.limit ?? 100;
    const rows = await this.books.rank(from, to, catalog.version, { city, exclude, amount, side, limit });
    return {
      from: from.code,
      to: to.code,
      city,
      amount: amount === null ? null : toPlain(amount),
      side,
      generatedAt: new Date().toISOString(),
      items: rows.map((row) => item(row.offer, from.code, to.code, row.give, row.get)),
    };
  }
}

function item(o: DirectionOffer, from: string, to: string, give: Dec | null, get: Dec | null): RateItemDto {
  const go = new URLSearchParams({ from, to, ...(o.city ? { city: o.city } : {}) });
  return {
    exchanger: {
      slug: o.slug,
      name: o.name,
      status: o.exchanger.status,
      listedSince: new Date(o.exchanger.listedSince).toISOString(),
      reviews: o.exchanger.reviews,
    },
    in: o.in,
    out: o.out,
    rate: o.rate,
    reserve: o.reserve,
    fromMin: o.fromMin,
    fromMax: o.fromMax,
    toMin: o.toMin,
    toMax: o.toMax,
    fromFee: o.fromFee,
    toFee: o.toFee,
    minFee: o.minFee,
    flags: o.flags,
    floating: o.floating,
    delayMinutes: o.delayMinutes,
    city: o.city,
    give: give === null ? null : toPlain(give),
    get: get === null ? null : toPlain(get),
    updatedAt: new Date(o.updatedAt).toISOString(),
    goUrl: `/go/${o.slug}?${go.toString()}`,
  };
}
