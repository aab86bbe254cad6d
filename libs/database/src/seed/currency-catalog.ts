import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CURRENCY_CODE_PATTERN, CURRENCY_KINDS, CurrencyKind } from '@app/domain';

export interface CatalogCurrency {
  bestchangeId: number;
  code: string;
  name: string;
  ticker: string;
  iso: string;
  kind: CurrencyKind;
}

const KINDS: ReadonlySet<string> = new Set(CURRENCY_KINDS);
const HEADER = 'bestchange_id,code,name,ticker,iso,kind';

/** Parses the standard currency list (`bestchange_id,code,name,ticker,iso,kind`, no quoting). */
export function parseCurrencyCsv(text: string): CatalogCurrency[] {
  const lines = text
    .replace(/^\ufeff/, '')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  if (lines[0]?.trim() !== HEADER) throw new Error(`currency catalog must start with the header "${HEADER}"`);
  return lines.slice(1).map((line, i) => {
    const fields = line.split(',');
    const [id, code, name, ticker, iso, kind] = fields.map((f) => f.trim());
    if (fields.length !== 6 || !id || !code || !name || !ticker || !iso || !kind) {
      throw new Error(`currency catalog line ${i + 2}: expected 6 non-empty fields, got "${line}"`);
    }
    if (!/^\d+$/.test(id)) throw new Error(`currency catalog line ${i + 2}: bestchange_id "${id}" is not a number`);
    if (!CURRENCY_CODE_PATTERN.test(code)) throw new Error(`currency catalog line ${i + 2}: bad code "${code}"`);
    if (!KINDS.has(kind)) throw new Error(`currency catalog line ${i + 2}: unknown kind "${kind}"`);
    return { bestchangeId: Number(id), code, name, ticker, iso, kind: kind as CurrencyKind };
  });
}

/** The catalog shipped with ratewatch, read from the project (never from outside it). */
export function readBundledCatalog(): CatalogCurrency[] {
  return parseCurrencyCsv(readFileSync(bundledCatalogPath(), 'utf8'));
}

function bundledCatalogPath(): string {
  // From sources (libs/database/src/seed) and from dist (dist/libs/database/src/seed) alike:
  // walk up to the project root and take the file from the sources.
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'libs', 'database', 'src', 'seed', 'currencies.csv');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('currencies.csv not found above ' + __dirname);
    dir = parent;
  }
}
