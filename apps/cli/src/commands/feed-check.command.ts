import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { AppConfig } from '@app/config';
import { CatalogRepository, readBundledCatalog } from '@app/database';
import { DEFAULT_CURRENCY_ALIASES, Fee, FEED_FORMAT_SETTINGS, FeedFormatSetting, NormalizedOffer } from '@app/domain';
import {
  buildContext,
  checkFeed,
  contextForExchanger,
  failedReport,
  FEED_DIALECTS,
  FeedReport,
  NormalizationContext,
} from '@app/feeds';
import { decompressBody, DEFAULT_MAX_BODY_BYTES, FetchError, SafeHttpClient } from '@app/http-client';
import { checkFeedUrl } from '@app/ingestion';
import { CliCommand, CliIo, UsageError } from '../cli-command';
import { withDataSource } from '../cli-database';

const SILENT: CliIo = { out: () => undefined, err: () => undefined };

/**
 * `feed:check <file-or-url> [--format auto|xml|json|txt] [--json]`: parse and normalize one feed and
 * print the report. Exit 0 for ok/empty, 1 for maintenance/error, 2 for a usage mistake.
 */
export const feedCheckCommand: CliCommand = {
  name: 'feed:check',
  summary: 'parse and normalize one feed (file or URL) and print its report',
  usage: 'feed:check <file-or-url> [--format auto|xml|json|txt] [--json]',
  async run(args, config, io) {
    const { source, format, json } = parseFeedCheckArgs(args);
    const report = await checkSource(source, format, config);
    io.out(json ? JSON.stringify(report) : summarize(report));
    return report.status === 'ok' || report.status === 'empty' ? 0 : 1;
  },
};

function parseFeedCheckArgs(args: string[]): { source: string; format: FeedFormatSetting; json: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { format: { type: 'string', default: 'auto' }, json: { type: 'boolean', default: false } },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const [source, ...rest] = parsed.positionals;
  if (!source || rest.length > 0) throw new UsageError('feed:check takes exactly one file or URL');
  const format = parsed.values.format;
  if (!(FEED_FORMAT_SETTINGS as readonly string[]).includes(format))
    throw new UsageError(`--format must be one of ${FEED_FORMAT_SETTINGS.join(', ')}, got "${format}"`);
  return { source, format: format as FeedFormatSetting, json: parsed.values.json };
}

async function checkSource(source: string, format: FeedFormatSetting, config: AppConfig): Promise<FeedReport> {
  const context = await normalizationContext(config);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    const fetcher = new SafeHttpClient({ allowPrivate: config.fetch.allowPrivate });
    try {
      return await checkFeedUrl(fetcher, source, format, context);
    } finally {
      await fetcher.close();
    }
  }
  let raw: Buffer;
  try {
    raw = await readFile(source);
  } catch (error) {
    throw new UsageError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return checkFeed(await decompressBody(raw, null, DEFAULT_MAX_BODY_BYTES), { format }, context);
  } catch (error) {
    if (error instanceof FetchError) return failedReport(null, { code: error.code, message: error.message });
    throw error;
  }
}

/** The built-in catalog and default aliases, or the database's when DATABASE_URL is configured. */
async function normalizationContext(config: AppConfig): Promise<NormalizationContext> {
  if (!config.database.url) {
    return buildContext(
      readBundledCatalog().map((c) => ({ ...c, enabled: true })),
      Object.entries(DEFAULT_CURRENCY_ALIASES),
    );
  }
  return withDataSource(config, SILENT, async (dataSource) => {
    const catalog = new CatalogRepository(dataSource);
    return contextForExchanger(await catalog.loadCurrencies(), await catalog.loadAliases(), null);
  });
}

/** `0.5 %`, `100 SBERRUB`: fee components as a visitor reads them, joined with `+`. */
function feesText(fees: readonly Fee[]): string {
  return fees
    .map((fee) => (fee.kind === 'percent' ? `${fee.value} %` : `${fee.value} ${fee.unit ?? ''}`.trim()))
    .join(' + ');
}

/** The terms beside the rate: limits, fees, flags, floating terms and delay. */
function termsOf(o: NormalizedOffer): string[] {
  const terms = [
    o.fromMin && `min ${o.fromMin} ${o.from}`,
    o.fromMax && `max ${o.fromMax} ${o.from}`,
    o.toMin && `min ${o.toMin} ${o.to}`,
    o.toMax && `max ${o.toMax} ${o.to}`,
  ];
  if (o.fromFee.length > 0) terms.push(`fee on ${o.from} ${feesText(o.fromFee)}`);
  if (o.toFee.length > 0) terms.push(`fee on ${o.to} ${feesText(o.toFee)}`);
  if (o.minFee.length > 0) terms.push(`min fee ${feesText(o.minFee)}`);
  if (o.flags.length > 0) terms.push(`flags ${o.flags.join(',')}`);
  if (o.floating) terms.push(`floating ${o.floating.percent ?? '?'} % within ${o.floating.minutes ?? '?'} min`);
  if (o.delayMinutes !== null) terms.push(`delay ${o.delayMinutes} min`);
  return terms.filter((term): term is string => Boolean(term));
}

/** The human-readable report. */
export function summarize(report: FeedReport): string {
  const { stats } = report;
  const read = report.dialect
    ? ` (${report.dialect}: ${FEED_DIALECTS[report.dialect]})`
    : report.format
      ? ` (${report.format})`
      : '';
  const lines = [
    `status: ${report.status}${read} — ${stats.items} items, ${stats.offers} offers, ${stats.rejected} rejected, ${stats.duplicates} duplicates`,
  ];
  if (report.error) lines.push(`error: ${report.error.code}: ${report.error.message}`);
  if (report.rejected.length > 0)
    lines.push('rejected:', ...report.rejected.map((r) => `  item ${r.index}: ${r.reason}`));
  if (report.warnings.length > 0) lines.push('warnings:', ...report.warnings.map((w) => `  ${w}`));
  if (report.offers.length > 0) {
    lines.push(`offers${report.offers.length > 20 ? ' (first 20)' : ''}:`);
    for (const o of report.offers.slice(0, 20)) {
      const terms = termsOf(o);
      lines.push(
        `  ${o.from} → ${o.to}${o.city ? ` [${o.city}]` : ''}: ${o.in} → ${o.out} (rate ${o.rate}), reserve ${o.reserve ?? 'unknown'}${terms.length ? `, ${terms.join(', ')}` : ''}`,
      );
    }
  }
  return lines.join('\n');
}
