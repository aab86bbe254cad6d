import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a V8 `.cpuprofile` (written by `node --cpu-prof`) that a summary needs. */
interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  samples: number[];
  timeDeltas: number[];
  /** When sampling began, in µs of the monotonic clock (CLOCK_MONOTONIC: `process.hrtime`'s, in every process). */
  startTime: number;
}

/**
 * Spans of time (µs of the monotonic clock, as `monotonicMicros()` reads it in any process of the machine) a summary
 * keeps the samples of: a bench's measured windows, without the warm-up before them (at 500 exchangers the first
 * snapshots normalize a million items, more than a two-minute window's polls).
 */
export type ProfileWindows = ReadonlyArray<readonly [fromUs: number, toUs: number]>;

/** Now, in µs of the monotonic clock V8's profiles time their samples by. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by area: a ratewatch library or app, a package, node internals, GC, idle. */
  byArea: Array<{ area: string; ms: number; share: number }>;
  /** Self time by function, the heaviest first. */
  topFunctions: Array<{ fn: string; area: string; ms: number; share: number }>;
}

/** Where a frame's code lives, in words a reader of the profile can act on. */
export function areaOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return 'garbage collection';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return `native ${functionName || '(anonymous)'}`;
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `npm ${pkg[1]}`;
  if (url.startsWith('node:')) return `node ${url.slice(5).split('/')[0]}`;
  const own = /\/dist\/((?:libs|apps|tools)\/[^/]+)(?:\/src)?\/(?:([^/]+)\/)?/.exec(url);
  if (own) return own[2] && !own[2].endsWith('.js') ? `${own[1]}/${own[2]}` : own[1]!;
  return url;
}

/** Self time by area and by function of one profile. */
export function summarizeProfile(profile: CpuProfile, top = 15, windows: ProfileWindows | null = null): ProfileSummary {
  const selfUs = new Map<number, number>();
  // A sample's time is the profile's start plus every delta up to its own; its delta is the time it stands for.
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (windows !== null && !windows.some(([from, to]) => at >= from && at <= to)) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, { area: string; us: number }>();
  let totalUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    totalUs += us;
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const key =
      `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}` : ''}`.trim();
    const entry = byFunction.get(key) ?? { area, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  const share = (us: number) => us / Math.max(1, totalUs);
  return {
    totalMs: totalUs / 1000,
    byArea: [...byArea].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, ms: us / 1000, share: share(us) })),
    topFunctions: [...byFunction]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([fn, { area, us }]) => ({ fn, area, ms: us / 1000, share: share(us) })),
  };
}

/** Summaries of every `.cpuprofile` in a folder, keyed by file name (of the samples in `windows`, when given). */
export function summarizeProfiles(dir: string, windows: ProfileWindows | null = null): Record<string, ProfileSummary> {
  const out: Record<string, ProfileSummary> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    out[file] = summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, 15, windows);
  }
  return out;
}

export function printProfileSummary(label: string, summary: ProfileSummary): void {
  const pct = (s: number) => `${(100 * s).toFixed(1).padStart(5)} %`;
  console.log(`\nCPU profile: ${label} (${(summary.totalMs / 1000).toFixed(1)} s sampled)`);
  console.log('  by area (self time)');
  for (const a of summary.byArea.slice(0, 14)) console.log(`    ${pct(a.share)}  ${a.area}`);
  console.log('  heaviest functions (self time)');
  for (const f of summary.topFunctions) console.log(`    ${pct(f.share)}  ${f.fn}`);
}
