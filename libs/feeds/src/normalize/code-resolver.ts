import { cleanCode, stripCodeSeparators } from '@app/domain';
import { shown } from './amounts';
import type { CatalogEntry, NormalizationContext } from './normalization-context';

export type CodeResolution = { ok: true; currency: CatalogEntry } | { ok: false; reason: string };

/** Tickers that name a token on several networks: without an alias they cannot be placed. */
const AMBIGUOUS = new Set(['USDT', 'USDC', 'DAI', 'BUSD']);

/**
 * Turns a code as an exchanger wrote it into a catalog currency (DESIGN.md §3): trim and upper-case,
 * this exchanger's aliases, then global ones, then the catalog; if still unknown, the same again
 * with separators removed (`USDT_TRC20` → `USDTTRC20`). Results are memoised per raw spelling.
 */
export class CodeResolver {
  private readonly memo = new Map<string, CodeResolution>();

  constructor(readonly context: NormalizationContext) {}

  /** Spellings resolved so far. */
  get size(): number {
    return this.memo.size;
  }

  resolve(raw: string | undefined, side: 'from' | 'to'): CodeResolution {
    if (raw === undefined) return { ok: false, reason: `missing ${side} currency code` };
    // A spelling seen before is never blank (blank ones are not kept): no trim for the usual lookup.
    let resolution = this.memo.get(raw);
    if (resolution === undefined) {
      if (raw.trim() === '') return { ok: false, reason: `missing ${side} currency code` };
      resolution = this.lookup(raw);
      this.memo.set(raw, resolution);
    }
    return resolution;
  }

  private lookup(raw: string): CodeResolution {
    const cleaned = cleanCode(raw);
    const stripped = stripCodeSeparators(cleaned);
    const found = this.find(cleaned) ?? this.find(stripped);
    if (!found) {
      const asCode = (code: string) => JSON.stringify(code.slice(0, 40)).slice(1, -1);
      const written = raw === cleaned ? asCode(raw) : shown(raw);
      if (AMBIGUOUS.has(cleaned))
        return { ok: false, reason: `ambiguous currency code ${written} (no network suffix): add an alias` };
      // The code as the feed wrote it, then the forms that were looked up (when they differ from it).
      const tried = [...new Set([cleaned, stripped])].filter((form) => form !== raw).map(asCode);
      return {
        ok: false,
        reason:
          tried.length === 0
            ? `unknown currency code ${written}`
            : `unknown currency code ${written} (tried ${tried.join(', ')})`,
      };
    }
    if (!found.enabled) return { ok: false, reason: `currency ${found.code} is disabled` };
    return { ok: true, currency: found };
  }

  private find(code: string): CatalogEntry | undefined {
    const aliased = this.context.exchangerAliases.get(code) ?? this.context.globalAliases.get(code) ?? code;
    return this.context.currencies.get(aliased);
  }
}
