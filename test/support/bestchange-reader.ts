import { inflateRawSync } from 'node:zlib';
import * as iconv from 'iconv-lite';

/**
 * A reader of BestChange's `info.zip` at least as strict as the public clients (Go `NovikovRoman/bc`,
 * `bulatok/bestchange-api`, PyPI `bestchange-api`, PHP, `node-bestchange`, CoinCatEx), written from their
 * test archives and parsers (the checklist of /tmp/bestchange-format.md §3). `readInfoZip` throws on the
 * first departure, naming the file, row and rule.
 */

export const INFO_FILES = [
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
] as const;

/** Fields per row of each file (B requires these exactly; D refuses a varying count). */
const FIELDS: Record<string, number> = {
  'bm_rates.dat': 11,
  'bm_cy.dat': 7,
  'bm_cycodes.dat': 2,
  'bm_exch.dat': 5,
  'bm_cities.dat': 2,
  'bm_top.dat': 3,
  'bm_bcodes.dat': 4,
  'bm_brates.dat': 3,
};

const INT = /^\d+$/;
const DECIMAL = /^\d+(\.\d+)?$/;
const MONTHS = 'января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря';

export interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  versionNeeded: number;
  bytes: Buffer;
}

export interface BcRate {
  from: number;
  to: number;
  exchanger: number;
  give: string;
  get: string;
  reserve: string;
  reviews: string;
  flag: string;
  min: string;
  max: string;
  city: number;
}

export interface BcCurrency {
  id: number;
  position: number;
  name: string;
  viewname: string;
  bcode: number;
  kind: number;
  mask: string;
}

export interface InfoZip {
  entries: ZipEntry[];
  /** Each file decoded from CP1251. */
  text: Map<string, string>;
  rates: BcRate[];
  currencies: BcCurrency[];
  codes: Map<number, string>;
  exchangers: Array<{ id: number; name: string; wmid: string; wmbl: string; reserve: string }>;
  cities: Map<number, string>;
  bcodes: Map<number, string>;
  brates: Array<[number, number, string]>;
  top: Array<[number, number, string]>;
  info: Map<string, string>;
}

/** The local entries of a zip, as a streaming reader sees them (flags, method, sizes from the local header). */
export function zipEntries(zip: Buffer): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let at = 0;
  while (zip.readUInt32LE(at) === 0x04034b50) {
    const versionNeeded = zip.readUInt16LE(at + 4);
    const flags = zip.readUInt16LE(at + 6);
    const method = zip.readUInt16LE(at + 8);
    const compressed = zip.readUInt32LE(at + 18);
    const size = zip.readUInt32LE(at + 22);
    const nameLength = zip.readUInt16LE(at + 26);
    const extraLength = zip.readUInt16LE(at + 28);
    const name = zip.subarray(at + 30, at + 30 + nameLength).toString('latin1');
    const start = at + 30 + nameLength + extraLength;
    const data = zip.subarray(start, start + compressed);
    const bytes = method === 8 ? inflateRawSync(data) : Buffer.from(data);
    if (bytes.length !== size) throw new Error(`${name}: local header says ${size} bytes, inflated ${bytes.length}`);
    entries.push({ name, flags, method, versionNeeded, bytes });
    at = start + compressed;
  }
  if (zip.readUInt32LE(at) !== 0x02014b50)
    throw new Error(`no central directory after the local entries (offset ${at})`);
  return entries;
}

function fail(file: string, row: number, rule: string, line: string): never {
  throw new Error(`${file} row ${row}: ${rule}: ${JSON.stringify(line.slice(0, 200))}`);
}

/** The rows of a `.dat` file, each split on `;` with its exact field count checked. */
function rowsOf(name: string, text: string): string[][] {
  if (text === '') throw new Error(`${name} is empty`);
  if (text.endsWith('\n')) throw new Error(`${name} ends with a newline (B and E read an empty last row)`);
  return text.split('\n').map((line, i) => {
    if (line === '') fail(name, i + 1, 'empty line', line);
    const fields = line.split(';');
    if (fields.length !== FIELDS[name]) fail(name, i + 1, `${fields.length} fields, not ${FIELDS[name]}`, line);
    if (fields.some((f) => f.includes('"'))) fail(name, i + 1, 'a field contains "', line);
    return fields;
  });
}

/** Reads and checks an info.zip; every rule of the checklist, throwing on the first one broken. */
export function readInfoZip(zip: Buffer): InfoZip {
  const entries = zipEntries(zip);
  const names = entries.map((e) => e.name);
  for (const file of INFO_FILES) if (!names.includes(file)) throw new Error(`${file} is missing`);
  for (const entry of entries) {
    if (entry.name.includes('/')) throw new Error(`${entry.name} is not at the root`);
    if (entry.flags !== 0) throw new Error(`${entry.name} has general-purpose flags ${entry.flags}, not 0`);
    if (entry.method !== 8) throw new Error(`${entry.name} is not deflated (method ${entry.method})`);
  }
  const text = new Map<string, string>();
  for (const entry of entries) {
    if (entry.bytes[0] === 0xef && entry.bytes[1] === 0xbb && entry.bytes[2] === 0xbf)
      throw new Error(`${entry.name} starts with a BOM`);
    if (entry.bytes.includes(0x0d)) throw new Error(`${entry.name} contains CR`);
    const decoded = iconv.decode(entry.bytes, 'win1251');
    if (!iconv.encode(decoded, 'win1251').equals(entry.bytes)) throw new Error(`${entry.name} is not CP1251`);
    text.set(entry.name, decoded);
  }

  const info = new Map<string, string>();
  const infoText = text.get('bm_info.dat')!;
  if (!infoText.endsWith('\n')) throw new Error('bm_info.dat does not end with a newline');
  const infoLines = infoText.slice(0, -1).split('\n');
  if (!new RegExp(`^last_update=\\d{2}:\\d{2}:\\d{2}, \\d{1,2} (${MONTHS})$`).test(infoLines[0] ?? ''))
    throw new Error(`bm_info.dat line 1 is not last_update=HH:MM:SS, D month: ${infoLines[0]}`);
  for (const line of infoLines) {
    const eq = line.indexOf('=');
    if (eq < 1) throw new Error(`bm_info.dat line is not key=value: ${line}`);
    info.set(line.slice(0, eq), line.slice(eq + 1));
  }
  if (info.get('current_version') !== '2.03' || info.get('compatible_version') !== '2.02')
    throw new Error('bm_info.dat versions are not 2.03 / 2.02');

  const cities = new Map<number, string>();
  rowsOf('bm_cities.dat', text.get('bm_cities.dat')!).forEach(([id, name], i) => {
    if (!INT.test(id!) || id === '0') fail('bm_cities.dat', i + 1, 'id', `${id}`);
    if (!name) fail('bm_cities.dat', i + 1, 'empty name', '');
    cities.set(Number(id), name);
  });

  const bcodes = new Map<number, string>();
  rowsOf('bm_bcodes.dat', text.get('bm_bcodes.dat')!).forEach(([id, code, name], i) => {
    if (!INT.test(id!) || !code || !name) fail('bm_bcodes.dat', i + 1, 'id;code;name;source', `${id};${code};${name}`);
    bcodes.set(Number(id), code);
  });

  const exchangers = rowsOf('bm_exch.dat', text.get('bm_exch.dat')!).map(([id, name, wmid, wmbl, reserve], i) => {
    const line = `${id};${name};${wmid};${wmbl};${reserve}`;
    if (!INT.test(id!) || !INT.test(wmbl!) || !INT.test(reserve!))
      fail('bm_exch.dat', i + 1, 'id, WMBL and reserve are integers', line);
    if (wmid !== '' && !/^\d{12}$/.test(wmid!)) fail('bm_exch.dat', i + 1, 'WMID is empty or 12 digits', line);
    if (!name) fail('bm_exch.dat', i + 1, 'empty name', line);
    return { id: Number(id), name: name, wmid: wmid!, wmbl: wmbl!, reserve: reserve! };
  });
  const exchangerIds = new Set(exchangers.map((e) => e.id));

  const currencies = rowsOf('bm_cy.dat', text.get('bm_cy.dat')!).map(
    ([id, position, name, viewname, bcode, kind, mask], i) => {
      const line = [id, position, name, viewname, bcode, kind, mask].join(';');
      if (![id, position, bcode, kind].every((f) => INT.test(f!))) fail('bm_cy.dat', i + 1, 'integers', line);
      if (Number(kind) > 5) fail('bm_cy.dat', i + 1, 'kind is 0..5', line);
      if (!bcodes.has(Number(bcode))) fail('bm_cy.dat', i + 1, 'money code not in bm_bcodes', line);
      if (!name || !viewname) fail('bm_cy.dat', i + 1, 'empty name', line);
      if (!/^[01]*$/.test(mask!)) fail('bm_cy.dat', i + 1, 'mask of 0 and 1', line);
      return {
        id: Number(id),
        position: Number(position),
        name: name,
        viewname: viewname,
        bcode: Number(bcode),
        kind: Number(kind),
        mask: mask!,
      };
    },
  );
  const n = currencies.length;
  const positions = currencies.map((c) => c.position).sort((a, b) => a - b);
  if (positions.some((p, i) => p !== i + 1)) throw new Error('bm_cy.dat positions are not exactly 1..N');
  if (currencies.some((c) => c.mask.length !== n)) throw new Error(`bm_cy.dat masks are not ${n} characters`);
  const byId = new Map(currencies.map((c) => [c.id, c]));
  if (byId.size !== n) throw new Error('bm_cy.dat ids repeat');

  const codes = new Map<number, string>();
  rowsOf('bm_cycodes.dat', text.get('bm_cycodes.dat')!).forEach(([id, code], i) => {
    if (!INT.test(id!) || !code) fail('bm_cycodes.dat', i + 1, 'id;code', `${id};${code}`);
    codes.set(Number(id), code);
  });
  if (codes.size !== n || currencies.some((c) => !codes.has(c.id)))
    throw new Error('bm_cycodes.dat ids are not the bm_cy.dat ids');

  const rates: BcRate[] = [];
  const keys = new Set<string>();
  const reviewsOf = new Map<number, string>();
  const pairs = new Set<string>();
  rowsOf('bm_rates.dat', text.get('bm_rates.dat')!).forEach((f, i) => {
    const line = f.join(';');
    const [from, to, exchanger, give, get, reserve, reviews, flag, min, max, city] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (![from, to, exchanger, city].every((v) => INT.test(v))) fail('bm_rates.dat', i + 1, 'ids are integers', line);
    if (![give, get, reserve, min, max].every((v) => DECIMAL.test(v)))
      fail('bm_rates.dat', i + 1, 'plain decimals', line);
    if (give !== '1' && get !== '1') fail('bm_rates.dat', i + 1, 'one of give/get is 1', line);
    if (Number(give) < 1 || Number(get) < 1) fail('bm_rates.dat', i + 1, 'give and get are at least 1', line);
    if (!/^\d+\.\d+$/.test(reviews)) fail('bm_rates.dat', i + 1, 'reviews are claims.positive', line);
    if (flag !== '1') fail('bm_rates.dat', i + 1, 'flag is 1', line);
    if (city !== '0' && !cities.has(Number(city))) fail('bm_rates.dat', i + 1, 'city not in bm_cities', line);
    if (!exchangerIds.has(Number(exchanger))) fail('bm_rates.dat', i + 1, 'exchanger not in bm_exch', line);
    if (!byId.has(Number(from)) || !byId.has(Number(to))) fail('bm_rates.dat', i + 1, 'currency not in bm_cy', line);
    const key = `${from};${to};${exchanger};${city}`;
    if (keys.has(key)) fail('bm_rates.dat', i + 1, '(give, get, exchanger, city) repeats', line);
    keys.add(key);
    const known = reviewsOf.get(Number(exchanger));
    if (known !== undefined && known !== reviews) fail('bm_rates.dat', i + 1, 'reviews differ on one exchanger', line);
    reviewsOf.set(Number(exchanger), reviews);
    pairs.add(`${from}-${to}`);
    rates.push({
      from: Number(from),
      to: Number(to),
      exchanger: Number(exchanger),
      give,
      get,
      reserve,
      reviews,
      flag,
      min,
      max,
      city: Number(city),
    });
  });
  const byPosition = new Map(currencies.map((c) => [c.position, c]));
  for (const c of currencies)
    for (let k = 0; k < n; k++) {
      const has = pairs.has(`${c.id}-${byPosition.get(k + 1)!.id}`);
      if ((c.mask[k] === '1') !== has)
        throw new Error(
          `bm_cy.dat mask of ${c.id} says ${c.mask[k]} at position ${k + 1}, bm_rates.dat ${has ? 'has' : 'has no'} such rows`,
        );
    }

  const brates = rowsOf('bm_brates.dat', text.get('bm_brates.dat')!).map(([a, b, x], i): [number, number, string] => {
    if (!INT.test(a!) || !INT.test(b!) || !/^\d+(\.\d+)?(E-?\d+)?$/.test(x!))
      fail('bm_brates.dat', i + 1, 'a;b;x', `${a};${b};${x}`);
    return [Number(a), Number(b), x!];
  });
  const top = rowsOf('bm_top.dat', text.get('bm_top.dat')!).map(([a, b, p], i): [number, number, string] => {
    if (!byId.has(Number(a)) || !byId.has(Number(b)) || !DECIMAL.test(p!))
      fail('bm_top.dat', i + 1, 'give;get;percent', `${a};${b};${p}`);
    return [Number(a), Number(b), p!];
  });

  const news = text.get('bm_news.dat')!;
  if (news === '' || news.includes('\n')) throw new Error('bm_news.dat is not one non-empty line');
  for (const entry of news.split('[entry_del]'))
    if (entry.split('[value_del]').length !== 3) throw new Error('a bm_news.dat entry has not 3 fields');

  return { entries, text, rates, currencies, codes, exchangers, cities, bcodes, brates, top, info };
}
