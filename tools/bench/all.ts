/**
 * npm run bench [-- --quick] — bench:ingest, bench:read, bench:scale, bench:history, bench:stream and
 * bench:alerts one after the other, then one table of every figure with its same-run baseline; everything
 * also in bench-results/all.json. `--quick` runs a short read benchmark (100,000 offers, 5 s),
 * `bench:scale --quick` and the history bench without its storage part.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchRow, printTable, writeResults } from './bench-kit';

const quick = process.argv.includes('--quick');
const root = join(__dirname, '../../..');
const run = (script: string, args: string[], env: Record<string, string> = {}) => {
  const result = spawnSync(process.execPath, [join(__dirname, script), ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) throw new Error(`${script} failed with status ${result.status}`);
};
const read = <T>(name: string): T => JSON.parse(readFileSync(join(root, 'bench-results', `${name}.json`), 'utf8')) as T;

run('ingest.bench.js', []);
run('read.bench.js', [], quick ? { BENCH_OFFERS: '100000', BENCH_SECONDS: '5' } : {});
run('scale.bench.js', quick ? ['--quick'] : []);
run('history.bench.js', [], quick ? { BENCH_HISTORY_ONLY: 'write,series,big' } : {});
run('stream.bench.js', []);
run('alerts.bench.js', []);

const ingest = read<{ parse: BenchRow[]; write: BenchRow[] }>('ingest');
const readPath = read<{ rows: BenchRow[] }>('read');
const scale = read<{
  completedShare: number;
  stalenessSeconds: { p99: number };
  parameters: { interval: number };
  met: boolean;
}>('scale');
const scaleRows: BenchRow[] = [
  {
    figure: 'scale: polls completed / scheduled',
    value: 100 * scale.completedShare,
    unit: '%',
    baseline: 'scheduled polls',
    baselineValue: 100,
    ratio: scale.completedShare,
    target: '100 %',
    met: scale.completedShare >= 0.99,
  },
  {
    figure: 'scale: p99 staleness',
    value: scale.stalenessSeconds.p99,
    unit: 's',
    baseline: 'poll interval',
    baselineValue: scale.parameters.interval,
    ratio: scale.stalenessSeconds.p99 / scale.parameters.interval,
    target: `≤ ${scale.parameters.interval + 5} s`,
    met: scale.stalenessSeconds.p99 <= scale.parameters.interval + 5,
  },
];
const history = read<Record<'write' | 'big' | 'storage' | 'series', BenchRow[]>>('history');
const stream = read<{ rows: BenchRow[] }>('stream');
const alerts = read<{ rows: BenchRow[] }>('alerts');
const rows = [
  ...ingest.parse,
  ...ingest.write,
  ...readPath.rows,
  ...scaleRows,
  ...history.write,
  ...history.storage,
  ...history.series,
  ...history.big,
  ...stream.rows,
  ...alerts.rows,
];
printTable('All benchmarks', rows);
console.log(`\nresults written to ${writeResults('all', { quick, rows })}`);
