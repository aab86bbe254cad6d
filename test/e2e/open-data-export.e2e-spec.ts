import { Writable } from 'node:stream';
import Decimal from 'decimal.js';
import { Client } from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { OpenDataRepository } from '@app/database';
import { CatalogSnapshots, FeedPollService } from '@app/ingestion';
import { SnapshotChanges } from '@app/messaging';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { OpenDataSnapshots, USD_VALUER, UsdValuer } from '../../apps/api/src/open-data/open-data-snapshots.service';
import { BcRate, InfoZip, readInfoZip } from '../support/bestchange-reader';
import { FeedServer } from '../support/feed-server';
import { http } from '../support/http';
import { feedPublisher } from '../support/ingestion';
import { createTestDatabase, TestDatabase } from '../support/services';

interface RatesItem {
  exchanger: { slug: string; reviews: { positive: number; claimsOpen: number } };
  in: string;
  out: string;
  rate: string;
  reserve: string | null;
  fromMin: string | null;
  fromMax: string | null;
  toMin: string | null;
  toMax: string | null;
  city: string | null;
}

const D = Decimal.clone({ precision: 50 });
const rates = (...items: string[]) => `<rates>${items.join('')}</rates>`;
const item = (from: string, to: string, inAmount: string, out: string, extra = '') =>
  `<item><from>${from}</from><to>${to}</to><in>${inAmount}</in><out>${out}</out>${extra}</item>`;

/** BestChange's sides of in → out, computed here from the /v1/rates row (one is 1, the other ≥ 1, 8 decimals). */
function sides(inAmount: string, out: string): [string, string] {
  const [i, o] = [new D(inAmount), new D(out)];
  const plain = (d: Decimal) => d.toDecimalPlaces(8, Decimal.ROUND_HALF_UP).toFixed();
  return i.gte(o) ? [plain(i.div(o)), '1'] : ['1', plain(o.div(i))];
}

/** min/max on the give side, from the /v1/rates row: fromMin or toMin at the rate; fromMax, toMax or reserve at the rate. */
function limits(r: RatesItem): [string, string] {
  const per = new D(r.in).div(new D(r.out));
  const plain = (d: Decimal | null) => (d === null ? '0' : d.toDecimalPlaces(8, Decimal.ROUND_HALF_UP).toFixed());
  const at = (v: string | null) => (v === null ? null : new D(v).mul(per));
  const min = r.fromMin !== null ? new D(r.fromMin) : at(r.toMin);
  const max = r.fromMax !== null ? new D(r.fromMax) : (at(r.toMax) ?? at(r.reserve));
  return [plain(min), plain(max)];
}

/**
 * GET /v1/export/info.zip (issue 22): read with a reader as strict as BestChange's public clients, and every
 * bm_rates.dat row checked against /v1/rates of its direction — same offers, rates, reserves and limits,
 * quarantined offers left out; names round-trip through CP1251; ETag, Last-Modified and 304s.
 */
describe('the BestChange-compatible export', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let client: Client;
  const feeds = new FeedServer();
  const logs: string[] = [];
  const publish = feedPublisher(feeds, () => ({ database: client, poller: api.app.get(FeedPollService) }));

  const fetchZip = async (headers: Record<string, string> = {}) => {
    const response = await fetch(`${api.url}/v1/export/info.zip`, { headers });
    return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
  };
  /**
   * The export once it satisfies `ready` (it is rebuilt at most every second here; on a loaded CI machine a
   * rebuild after a change took longer than 15 s once (so: 45 s, and these tests have time for three waits), and the next test then saw that late rebuild).
   */
  const exportWhen = async (ready: (zip: InfoZip) => boolean): Promise<InfoZip> => {
    const deadline = Date.now() + 45_000;
    for (;;) {
      const answer = await fetchZip();
      expect(answer.status).toBe(200);
      const zip = readInfoZip(answer.bytes);
      if (ready(zip)) return zip;
      if (Date.now() > deadline) throw new Error('the export never showed what was expected');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const ids = async (kind: string) =>
    new Map(
      (
        await client.query<{ code: string; id: number }>(`SELECT code, id FROM open_data_ids WHERE kind = $1`, [kind])
      ).rows.map((r) => [r.code, r.id]),
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    api = await startApi(
      loadConfig({
        DATABASE_URL: db.url,
        PORT: '0',
        HOST: '127.0.0.1',
        FETCH_ALLOW_PRIVATE: 'true',
        PUBLIC_CACHE_SECONDS: '0',
        PUBLIC_RATE_LIMIT: '0',
        OPEN_DATA_REFRESH_SECONDS: '1',
        // The tests hold offers back by hand: the guard's sweep (every 20 s in this standalone api) would free
        // them again (their directions have no reference) before the export is rebuilt on a slow machine.
        RATE_GUARD: 'false',
      }),
      pino({ level: 'info' }, sink),
    );
    client = new Client({ connectionString: db.url });
    await client.connect();
    // Offers of every kind of term: limits on either side, a reserve or none, cash in two cities, rates both ways.
    for (const [slug, body] of [
      [
        'aura',
        rates(
          item(
            'BTC',
            'SBERRUB',
            '1',
            '6900000.5',
            '<amount>25000000</amount><minamount>0.001 BTC</minamount><maxamount>2 BTC</maxamount><param>manual</param>',
          ),
          item('SBERRUB', 'BTC', '7000000', '1', '<amount>3.5</amount><minamount>5000 RUB</minamount>'),
          item('USDTTRC20', 'CASHUSD', '1', '0.985', '<amount>100000</amount><city>MSK</city>'),
          item('USDTTRC20', 'CASHUSD', '1', '0.99', '<amount>50000</amount><city>SPB</city>'),
        ),
      ],
      [
        'bitok',
        rates(
          item('BTC', 'SBERRUB', '1', '6800000', '<amount>12345.678</amount><tomin>10000</tomin><tomax>900000</tomax>'),
          item('SBERRUB', 'BTC', '6950000', '1'),
          item('USDTTRC20', 'SBERRUB', '1', '95.123456789'),
        ),
      ],
      [
        'cobra',
        rates(
          item('BTC', 'SBERRUB', '1', '6850000', '<amount>1000000</amount>'),
          item('SBERRUB', 'USDTTRC20', '96.5', '1'),
        ),
      ],
    ] as const)
      expect((await publish(slug, body)).status).toBe('ok');
    await client.query(
      `UPDATE exchangers SET name = 'Обмен; "Тест"' || chr(10) || 'Линия ₽ şeker' WHERE slug = 'cobra'`,
    );
    await client.query(`UPDATE currencies SET name_ru = 'Сбер;банк "RUB"' WHERE code = 'SBERRUB'`);
    api.app.get(SnapshotChanges).publish({ all: true });
  });

  afterAll(async () => {
    await client?.end();
    await api?.close();
    await feeds.stop();
    await db?.drop();
  });

  it('is an archive the strictest public client reads: 10 files, CP1251, fixed fields, no trailing newline, flags 0', async () => {
    const answer = await fetchZip();
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/zip');
    const zip = readInfoZip(answer.bytes);
    expect(zip.entries.map((e) => e.name)).toEqual([
      'bm_rates.dat',
      'bm_cy.dat',
      'bm_cycodes.dat',
      'bm_exch.dat',
      'bm_bcodes.dat',
      'bm_brates.dat',
      'bm_top.dat',
      'bm_cities.dat',
      'bm_news.dat',
      'bm_info.dat',
    ]);
    expect(zip.entries.every((e) => e.flags === 0 && e.method === 8 && e.versionNeeded <= 20)).toBe(true);
    // bm_cy ids are the catalog's bestchange_id, codes its codes; all 322 seeded currencies.
    const seeded = await client.query<{ code: string; bestchange_id: number }>(
      `SELECT code, bestchange_id FROM currencies WHERE enabled`,
    );
    expect(zip.currencies).toHaveLength(seeded.rows.length);
    for (const row of seeded.rows) expect(zip.codes.get(row.bestchange_id)).toBe(row.code);
    expect(zip.codes.get(93)).toBe('BTC');
    expect(zip.currencies.find((c) => c.id === 93)).toMatchObject({ kind: 0, bcode: 1050 });
    expect(zip.cities.get(1)).toBe('Москва');
    expect(zip.cities.get(2)).toBe('Санкт-Петербург');
    expect(zip.info.get('current_version')).toBe('2.03');
  });

  it('has exactly the offers /v1/rates shows, row for row: rates, reserves, limits, reviews, cities', async () => {
    const zip = await exportWhen((z) => z.rates.length === 9);
    const exchangers = new Map(
      (await client.query<{ slug: string; id: number }>(`SELECT slug, id FROM exchangers`)).rows.map((r) => [
        r.slug,
        r.id,
      ]),
    );
    const cityIds = await ids('city');
    const byKey = new Map<string, BcRate>(zip.rates.map((r) => [`${r.from};${r.to};${r.exchanger};${r.city}`, r]));
    let checked = 0;
    const directions = new Set(zip.rates.map((r) => `${zip.codes.get(r.from)}>${zip.codes.get(r.to)}`));
    expect(directions).toEqual(
      new Set(['BTC>SBERRUB', 'SBERRUB>BTC', 'USDTTRC20>CASHUSD', 'USDTTRC20>SBERRUB', 'SBERRUB>USDTTRC20']),
    );
    const idOf = new Map([...zip.codes].map(([id, code]) => [code, id]));
    for (const direction of directions) {
      const [from, to] = direction.split('>') as [string, string];
      const table = await http<{ items: RatesItem[] }>(`${api.url}/v1/rates?from=${from}&to=${to}&limit=500`);
      expect(table.status).toBe(200);
      for (const r of table.body.items) {
        const city = r.city === null ? 0 : cityIds.get(r.city)!;
        const row = byKey.get(`${idOf.get(from)};${idOf.get(to)};${exchangers.get(r.exchanger.slug)};${city}`);
        expect(row, `${direction} ${r.exchanger.slug} ${r.city}`).toBeDefined();
        const [give, get] = sides(r.in, r.out);
        const [min, max] = limits(r);
        expect(row).toMatchObject({
          give,
          get,
          reserve: r.reserve === null ? '0' : new D(r.reserve).toDecimalPlaces(8, Decimal.ROUND_DOWN).toFixed(),
          reviews: `${r.exchanger.reviews.claimsOpen}.${r.exchanger.reviews.positive}`,
          flag: '1',
          min,
          max,
        });
        checked++;
      }
    }
    expect(checked).toBe(zip.rates.length);
    // Spot values worked out by hand: 1 BTC → 6900000.5 RUB; 7000000 RUB → 1 BTC; a reserve-capped max.
    const aura = exchangers.get('aura')!;
    expect(byKey.get(`93;${idOf.get('SBERRUB')};${aura};0`)).toMatchObject({
      give: '1',
      get: '6900000.5',
      min: '0.001',
      max: '2',
    });
    expect(byKey.get(`${idOf.get('SBERRUB')};93;${aura};0`)).toMatchObject({
      give: '7000000',
      get: '1',
      min: '5000',
      max: '24500000',
      reserve: '3.5',
    });
    const bitok = exchangers.get('bitok')!;
    // toMin 10000 RUB and toMax 900000 RUB at 1/6800000 BTC per RUB.
    expect(byKey.get(`93;${idOf.get('SBERRUB')};${bitok};0`)).toMatchObject({
      min: '0.00147059',
      max: '0.13235294',
      reserve: '12345.678',
    });
    expect(
      zip.rates
        .filter((r) => r.city !== 0)
        .map((r) => r.city)
        .sort(),
    ).toEqual([1, 2]);
  });

  it('leaves out a quarantined offer and a stale feed, as /v1/rates does', async () => {
    await client.query(
      `UPDATE offers SET quarantine = '{"reason":"test"}' WHERE from_code = 'BTC' AND to_code = 'SBERRUB'
         AND exchanger_id = (SELECT id FROM exchangers WHERE slug = 'bitok')`,
    );
    api.app.get(SnapshotChanges).publish({ all: true });
    const zip = await exportWhen((z) => z.rates.length === 8);
    const bitok = (await client.query<{ id: number }>(`SELECT id FROM exchangers WHERE slug = 'bitok'`)).rows[0]!.id;
    expect(zip.rates.some((r) => r.exchanger === bitok && r.from === 93)).toBe(false);
    const table = await http<{ items: RatesItem[] }>(`${api.url}/v1/rates?from=BTC&to=SBERRUB`);
    expect(table.body.items.map((i) => i.exchanger.slug).sort()).toEqual(['aura', 'cobra']);
    // cobra's feed is confirmed one hour less 3 seconds ago (its stale limit is an hour): shown now, and left out
    // when the limit passes although nothing is written or announced then.
    await client.query(
      `UPDATE feeds SET last_success_at = now() - interval '3597 seconds' WHERE exchanger_id = (SELECT id FROM exchangers WHERE slug = 'cobra')`,
    );
    api.app.get(SnapshotChanges).publish({ all: true });
    const withoutCobra = await exportWhen((z) => z.rates.length === 6);
    // An exchanger without shown offers is still listed in bm_exch.dat (BestChange lists them too).
    expect(withoutCobra.exchangers.map((e) => e.name)).toContain("Обмен, 'Тест' Линия RUB seker");
    await client.query(
      `UPDATE feeds SET last_success_at = now() WHERE exchanger_id = (SELECT id FROM exchangers WHERE slug = 'cobra')`,
    );
    await client.query(`UPDATE offers SET quarantine = NULL`);
    api.app.get(SnapshotChanges).publish({ all: true });
    await exportWhen((z) => z.rates.length === 9);
  }, 150_000);

  it('writes names in CP1251 and never lets ; " or a newline break a row', async () => {
    const zip = await exportWhen((z) => z.exchangers.some((e) => e.name.startsWith('Обмен')));
    const cobra = zip.exchangers.find((e) => e.name.startsWith('Обмен'))!;
    expect(cobra.name).toBe("Обмен, 'Тест' Линия RUB seker");
    const sber = zip.currencies.find((c) => zip.codes.get(c.id) === 'SBERRUB')!;
    expect(sber.name).toBe("Сбер,банк 'RUB'");
    // The bytes are CP1251: Москва is cc ee f1 ea e2 e0.
    const cities = zip.entries.find((e) => e.name === 'bm_cities.dat')!.bytes;
    expect(cities.includes(Buffer.from([0xcc, 0xee, 0xf1, 0xea, 0xe2, 0xe0]))).toBe(true);
    // Every Cyrillic city name of the catalog comes back as it is stored.
    const stored = await client.query<{ code: string; name_ru: string }>(`SELECT code, name_ru FROM cities`);
    const cityIds = await ids('city');
    for (const row of stored.rows) expect(zip.cities.get(cityIds.get(row.code)!)).toBe(row.name_ru);
  });

  it('is served as cached bytes: the same ETag and Last-Modified until something changes, 304 for both validators', async () => {
    const first = await fetchZip();
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    // Weak: the bytes carry the time they were read at (bm_info.dat), the same data the same ETag.
    expect(etag).toMatch(/^W\/"[\w-]+"$/);
    expect(new Date(lastModified).getTime()).toBeGreaterThan(0);
    expect((await fetchZip({ 'if-none-match': etag })).status).toBe(304);
    expect((await fetchZip({ 'if-none-match': etag.slice(2) })).status).toBe(304);
    expect((await fetchZip({ 'if-modified-since': lastModified })).status).toBe(304);
    expect(
      (await fetchZip({ 'if-modified-since': new Date(Date.parse(lastModified) - 1000).toUTCString() })).status,
    ).toBe(200);
    expect((await fetchZip({ 'if-none-match': '"other"' })).status).toBe(200);
    // An announcement without a real change rebuilds to the same content: still 304.
    const snapshots = api.app.get(OpenDataSnapshots);
    const before = (await snapshots.snapshot()).builtAt;
    api.app.get(SnapshotChanges).publish({ all: true });
    while ((await snapshots.snapshot()).builtAt === before) await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await fetchZip({ 'if-none-match': etag });
    expect(again.status).toBe(304);
    // A real change: a new ETag.
    expect(
      (await publish('cobra', rates(item('BTC', 'SBERRUB', '1', '6860000', '<amount>1000000</amount>')))).status,
    ).toBe('ok');
    const changed = await exportWhen((z) => z.rates.some((r) => r.get === '6860000'));
    expect(changed.rates.length).toBe(8);
    expect((await fetchZip()).headers.get('etag')).not.toBe(etag);
  }, 150_000);

  it('answers the ETag another replica answers for the same data, though it reads it at another time', async () => {
    const first = await fetchZip();
    const config = loadConfig({ DATABASE_URL: db.url, OPEN_DATA_REFRESH_SECONDS: '1' });
    // A second api replica's export over the same database (its own build, its own moment).
    const other = new OpenDataSnapshots(
      api.app.get(OpenDataRepository),
      api.app.get(CatalogSnapshots),
      config,
      new SnapshotChanges(config),
      api.app.get<UsdValuer>(USD_VALUER),
    );
    // Read in a later second than ours was (its Last-Modified), on the database's clock.
    const later = async () =>
      (
        await client.query<{ later: boolean }>(`SELECT now() >= $1::timestamptz + interval '1 second' AS later`, [
          new Date(first.headers.get('last-modified')!),
        ])
      ).rows[0]!.later;
    while (!(await later())) await new Promise((resolve) => setTimeout(resolve, 50));
    const theirs = await other.snapshot();
    other.onApplicationShutdown();
    // The api's own build (it follows the last change within a refresh, USD values included) answers the same.
    let ours = await fetchZip();
    for (const deadline = Date.now() + 15_000; ours.headers.get('etag') !== theirs.etag && Date.now() < deadline;)
      ours = await new Promise((resolve) => setTimeout(resolve, 100)).then(() => fetchZip());
    expect(ours.headers.get('etag')).toBe(theirs.etag);
    expect((await fetchZip({ 'if-none-match': theirs.etag })).status).toBe(304);
    // The same files, but the two stamped with the time of the read.
    const [mine, their] = [readInfoZip(ours.bytes), readInfoZip(theirs.zip)];
    for (const [name, text] of mine.text)
      if (name !== 'bm_info.dat' && name !== 'bm_news.dat') expect(their.text.get(name), name).toBe(text);
  });

  it('never logs a key of the keyed API', async () => {
    // An unknown key in the path must not reach the request log either.
    {
      const secret = 'rwo_00112233445566778899aabbccddeeff';
      expect((await http(`${api.url}/v1/open/${secret}/currencies/en`)).status).toBe(401);
      const deadline = Date.now() + 5000;
      while (!logs.some((l) => l.includes('/v1/open/***/currencies/en')) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(logs.some((l) => l.includes('/v1/open/***/currencies/en'))).toBe(true);
      expect(logs.some((l) => l.includes(secret))).toBe(false);
    }
  });
});
