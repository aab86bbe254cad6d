import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Median wall time (ms) of `fn` over `runs` runs, after `warmup` unmeasured ones. */
export async function medianMs(fn: () => unknown, runs: number, warmup = 2, between?: () => unknown): Promise<number> {
  for (let i = 0; i < warmup; i++) {
    await fn();
    if (between) await between();
  }
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (between) await between();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export interface BenchRow {
  figure: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number;
  /** value / baseline (for times: how many baselines it takes; for rates: the share of the baseline's speed). */
  ratio: number;
  target: string;
  met: boolean | null;
}

/** A row of milliseconds against a baseline in milliseconds (ratio: how many baselines it takes). */
export function msRow(
  figure: string,
  value: number,
  baselineValue: number,
  baseline: string,
  target = '',
  met: boolean | null = null,
): BenchRow {
  return { figure, value, unit: 'ms', baseline, baselineValue, ratio: value / baselineValue, target, met };
}

export function printTable(title: string, rows: BenchRow[]): void {
  const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
  const lines = rows.map((r) => [
    r.figure,
    `${fmt(r.value)} ${r.unit}`,
    `${r.baseline}: ${fmt(r.baselineValue)} ${r.unit}`,
    `${r.ratio.toFixed(2)}×`,
    r.target,
    r.met === null ? '' : r.met ? 'met' : 'MISSED',
  ]);
  const header = ['figure', 'value', 'same-run baseline', 'ratio', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(
    `\n${title}\n${row(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${lines.map(row).join('\n')}`,
  );
}

export function writeResults(name: string, payload: unknown): string {
  const dir = join(process.cwd(), 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(payload, null, 2) + '\n');
  return file;
}

/** Polls a URL until it answers 2xx (for at most 60 s) and returns its JSON. */
export async function waitForJson<T>(url: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    try {
      const response = await fetch(url);
      if (response.ok) return (await response.json()) as T;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up`);
}
