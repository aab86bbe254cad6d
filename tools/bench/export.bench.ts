/**
 * bench:export — what one build of `GET /v1/export/info.zip` costs an api replica at 1,000,000 offers
 * (BENCH_EXPORT_OFFERS): the market of bench:read (tools/bench/read-market.ts), read and packed by the
 * export's own service (OpenDataSnapshots), each run in a fresh child process so its memory is its own.
 *
 * Figures per run: wall time, the longest event-loop block (perf_hooks.monitorEventLoopDelay: how long a
 * request arriving meanwhile could wait), the peak of heap + Buffers (sampled every 10 ms) and of RSS (VmHWM),
 * and what stays held after the build (after a full GC: the snapshot kept between builds). The same-run
 * baselines read the same rows with the same repository and nothing else (`select`), then JSON.stringify them
 * (`stringify`: one synchronous pass over a million rows, what packing them without pauses costs).
 *
 * `npm run bench:export` (BENCH_EXPORT_RUNS runs of each, alternating; 3 by default; BENCH_EXPORT_DATABASE_URL
 * reuses a market seeded before instead of seeding one). Results also go to bench-results/export.json.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { Client } from 'pg';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '@app/config';
import { CatalogRepository, createDataSource, OpenDataRepository } from '@app/database';
import { CatalogSnapshots } from '@app/ingestion';
import { SnapshotChanges } from '@app/messaging';
import { OpenDataSnapshots } from '../../apps/api/src/open-data/open-data-snapshots.service';
import { BenchRow, printTable, writeResults } from './bench-kit';
import { peakRssMb } from './process-stats';
import { seedReadMarket } from './read-market';
import { createScratchDatabase } from './scratch-database';

const OFFERS = Number(process.env.BENCH_EXPORT_OFFERS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_EXPORT_RUNS ?? 3);
const MODES = ['select', 'stringify', 'build'] as const;
type Mode = (typeof MODES)[number];

/** What one child run reports. */
interface RunFigures {
  mode: Mode;
  rows: number;
  ms: number;
  readMs: number;
  maxBlockMs: number;
  p99BlockMs: number;
  peakHeapMb: number;
  peakRssMb: number;
  heldMb: number;
  bytes: number;
}

const mb = (bytes: number) => bytes / 1024 / 1024;
/** Heap and Buffers (a zip or an encoded file is Buffer memory, outside the JS heap). */
const heapAndBuffers = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

async function child(mode: Mode, url: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const dataSource = createDataSource({ url, poolSize: 4 });
  await dataSource.initialize();
  const repository = new OpenDataRepository(dataSource);
  let readMs = 0;
  const read = repository.read.bind(repository);
  repository.read = async () => {
    const started = performance.now();
    const result = await read();
    readMs = performance.now() - started;
    return result;
  };
  const config = loadConfig({ DATABASE_URL: url });
  const changes = new SnapshotChanges(config);
  const snapshots = new OpenDataSnapshots(
    repository,
    new CatalogSnapshots(new CatalogRepository(dataSource)),
    config,
    changes,
  );
  gc();
  const base = heapAndBuffers();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, heapAndBuffers())), 10);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  let rows = 0;
  let bytes = 0;
  let held: unknown;
  if (mode === 'build') {
    const snapshot = await snapshots.snapshot();
    rows = [...snapshot.model.rates.values()].reduce((n, list) => n + list.length, 0);
    bytes = snapshot.zip.length;
    held = snapshot;
  } else {
    const result = await repository.read();
    rows = result.offers.length;
    if (mode === 'stringify') bytes = Buffer.byteLength(JSON.stringify(result.offers));
    held = result;
  }
  const ms = performance.now() - started;
  delay.disable();
  clearInterval(sampler);
  peak = Math.max(peak, heapAndBuffers());
  gc();
  const heldMb = mb(heapAndBuffers() - base);
  const figures: RunFigures = {
    mode,
    rows,
    ms,
    readMs,
    maxBlockMs: delay.max / 1e6,
    p99BlockMs: delay.percentile(99) / 1e6,
    peakHeapMb: mb(peak - base),
    peakRssMb: peakRssMb(process.pid),
    heldMb,
    bytes,
  };
  if (held === undefined) throw new Error('nothing held');
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  snapshots.onApplicationShutdown();
  await dataSource.destroy();
}

function runChild(mode: Mode, url: string): Promise<RunFigures> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...process.execArgv, '--expose-gc', __filename, '--child', mode, url], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`${mode} run failed (exit ${code}): ${out}`));
      else resolve(JSON.parse(line) as RunFigures);
    });
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** A database seeded by an earlier run (BENCH_EXPORT_DATABASE_URL): kept, to compare two builds on one market. */
async function market(): Promise<{ url: string; drop(): Promise<void> }> {
  const given = process.env.BENCH_EXPORT_DATABASE_URL;
  if (given) return { url: given, drop: () => Promise.resolve() };
  const db = await createScratchDatabase('bench_export');
  const seedMs = await seedReadMarket(db.url, OFFERS);
  // Every table's statistics, as autovacuum would have them by now (the seed analyzes the offers only: the
  // planner then takes 500 exchangers for one and plans joins over the market as nested loops).
  const client = new Client({ connectionString: db.url });
  await client.connect();
  await client.query('ANALYZE');
  await client.end();
  console.log(`seeded ${OFFERS.toLocaleString('en-US')} offers in ${(seedMs / 1000).toFixed(1)} s into ${db.name}`);
  return db;
}

async function main(): Promise<void> {
  const db = await market();
  try {
    const runs: RunFigures[] = [];
    for (let i = 0; i < RUNS; i++)
      for (const mode of MODES) {
        const figures = await runChild(mode, db.url);
        const load = loadavg()
          .map((l) => l.toFixed(2))
          .join(' ');
        console.log(
          `${mode.padEnd(9)} ${figures.rows} rows  ${figures.ms.toFixed(0)} ms (read ${figures.readMs.toFixed(0)})  ` +
            `longest block ${figures.maxBlockMs.toFixed(0)} ms  p99 ${figures.p99BlockMs.toFixed(0)} ms  ` +
            `peak heap+buffers ${figures.peakHeapMb.toFixed(0)} MB  peak RSS ${figures.peakRssMb.toFixed(0)} MB  ` +
            `held ${figures.heldMb.toFixed(0)} MB  ${(figures.bytes / 1e6).toFixed(1)} MB out  (load ${load})`,
        );
        runs.push(figures);
      }
    const of = (mode: Mode, figure: keyof RunFigures) =>
      median(runs.filter((r) => r.mode === mode).map((r) => r[figure] as number));
    const row = (figure: string, key: keyof RunFigures, unit: string, baseline: Mode): BenchRow => ({
      figure,
      value: of('build', key),
      unit,
      baseline: `${baseline} of the same rows`,
      baselineValue: of(baseline, key),
      ratio: of('build', key) / of(baseline, key),
      target: '',
      met: null,
    });
    const rows = [
      row('build time (read + model + archive)', 'ms', 'ms', 'select'),
      row('longest event-loop block', 'maxBlockMs', 'ms', 'stringify'),
      row('event-loop delay p99', 'p99BlockMs', 'ms', 'stringify'),
      row('peak heap + Buffers over start', 'peakHeapMb', 'MB', 'stringify'),
      row('peak RSS (VmHWM)', 'peakRssMb', 'MB', 'stringify'),
      row('held after the build (after GC)', 'heldMb', 'MB', 'select'),
    ];
    printTable(
      `bench:export — ${OFFERS.toLocaleString('en-US')} offers seeded, ${of('build', 'rows').toLocaleString('en-US')} shown; median of ${RUNS} runs; load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
      rows,
    );
    console.log(`results: ${writeResults('export', { offers: OFFERS, runs, rows, load: loadavg() })}`);
  } finally {
    await db.drop();
  }
}

if (process.argv[2] === '--child') {
  child(process.argv[3] as Mode, process.argv[4]!).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
