/**
 * Preloaded into a bench's child process (`node -r dist/tools/bench/loop-probe.js …`, LOOP_PROBE_FILE set):
 * every LOOP_PROBE_MS (default 500) it appends one line to LOOP_PROBE_FILE — the time, the event loop's
 * delay over that interval (p50, p99, max in ms, perf_hooks' monitorEventLoopDelay), the event loop's
 * utilization and the GC pause time. A bench reads the lines of its load windows back with
 * `loopDelayOver`: what the process's own loop did while it was being measured, beside the client's latency.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';

export interface LoopSample {
  /** Date.now() at the end of the interval. */
  t: number;
  p50: number;
  p99: number;
  max: number;
  /** Share of the interval the loop was busy (0..1). */
  elu: number;
  /** GC pause time in the interval, ms. */
  gc: number;
}

/**
 * The loop's figures over [from, to] (epoch ms): the worst interval's delays, the mean and the worst interval's
 * utilization, GC in all.
 */
export function loopDelayOver(
  file: string,
  from: number,
  to: number,
): { p99: number; max: number; elu: number; eluMax: number; gcMs: number; samples: number } {
  let lines: string[];
  try {
    lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return { p99: 0, max: 0, elu: 0, eluMax: 0, gcMs: 0, samples: 0 };
  }
  const inside = lines.map((l) => JSON.parse(l) as LoopSample).filter((s) => s.t > from && s.t <= to);
  const worst = (pick: (s: LoopSample) => number) => inside.reduce((m, s) => Math.max(m, pick(s)), 0);
  return {
    p99: worst((s) => s.p99),
    max: worst((s) => s.max),
    elu: inside.reduce((sum, s) => sum + s.elu, 0) / Math.max(1, inside.length),
    eluMax: worst((s) => s.elu),
    gcMs: inside.reduce((sum, s) => sum + s.gc, 0),
    samples: inside.length,
  };
}

function start(file: string, everyMs: number): void {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  }).observe({ entryTypes: ['gc'] });
  let lastElu = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const elu = performance.eventLoopUtilization(lastElu);
    lastElu = performance.eventLoopUtilization();
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const sample: LoopSample = {
      t: Date.now(),
      p50: ms(histogram.percentile(50)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
      elu: Math.round(elu.utilization * 1000) / 1000,
      gc: Math.round(gcMs * 100) / 100,
    };
    histogram.reset();
    gcMs = 0;
    appendFileSync(file, `${JSON.stringify(sample)}\n`);
  }, everyMs);
  timer.unref();
}

if (process.env.LOOP_PROBE_FILE && require.main !== module) {
  start(process.env.LOOP_PROBE_FILE, Number(process.env.LOOP_PROBE_MS ?? 500));
}
