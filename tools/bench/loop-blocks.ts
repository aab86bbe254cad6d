/**
 * What held a process's event loop, from a V8 `.cpuprofile`: the busy stretches (consecutive samples not
 * idle) longer than a threshold — a request waits for the whole stretch — each named by the ratewatch
 * functions on its stacks (the outermost first: the job or listener that ran, not the leaf it spent time in),
 * and the ratewatch functions' inclusive time over the whole profile. Self time (cpu-profile.ts) says what
 * is expensive; this says who ran it and for how long in one go.
 */
import { readFileSync } from 'node:fs';
import { areaOf } from './cpu-profile';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

export interface BusyStretch {
  /** Ms since the profile began. */
  atMs: number;
  ms: number;
  /** Own (dist/apps, dist/libs) functions seen on the stretch's stacks, outermost first, with their time in it. */
  by: Array<{ fn: string; ms: number }>;
}

export interface LoopBlocks {
  stretches: BusyStretch[];
  /** Inclusive time of own functions over the whole profile, heaviest first. */
  inclusive: Array<{ fn: string; ms: number }>;
  /** Busy time in stretches over the threshold, and in all. */
  blockedMs: number;
  busyMs: number;
}

const OWN = /\/dist\/((?:apps|libs)\/.*)\.js$/;
const IDLE = new Set(['(idle)', '(program)']);

/** Busy stretches over `thresholdMs` and own functions' inclusive time in the profile at `file`. */
export function loopBlocks(file: string, thresholdMs = 10, top = 20): LoopBlocks {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const label = (node: ProfileNode): string | null => {
    const own = OWN.exec(node.callFrame.url);
    return own ? `${node.callFrame.functionName || '(anonymous)'} ${own[1]}:${node.callFrame.lineNumber + 1}` : null;
  };
  // Own functions on a node's stack, outermost first (memoized per node).
  const stacks = new Map<number, string[]>();
  const ownStack = (id: number): string[] => {
    const known = stacks.get(id);
    if (known) return known;
    const up = parent.get(id);
    const above = up === undefined ? [] : ownStack(up);
    const own = label(byId.get(id)!);
    const stack = own && !above.includes(own) ? [...above, own] : above;
    stacks.set(id, stack);
    return stack;
  };
  const inclusive = new Map<string, number>();
  const stretches: BusyStretch[] = [];
  let current: { atMs: number; ms: number; by: Map<string, number> } | null = null;
  let clockUs = 0;
  let busyUs = 0;
  const close = () => {
    if (current && current.ms >= thresholdMs)
      stretches.push({
        atMs: Math.round(current.atMs),
        ms: Math.round(current.ms * 10) / 10,
        by: [...current.by]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 4)
          .map(([fn, us]) => ({ fn, ms: Math.round(us / 100) / 10 })),
      });
    current = null;
  };
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    clockUs += us;
    const node = byId.get(id)!;
    if (IDLE.has(node.callFrame.functionName) && !node.callFrame.url) return close();
    busyUs += us;
    current ??= { atMs: (clockUs - us) / 1000, ms: 0, by: new Map() };
    current.ms += us / 1000;
    const stack = ownStack(id);
    // The outermost own function names the work in the stretch; without one, the package or native leaf.
    const name = stack[0] ?? `[${areaOf(node.callFrame.url, node.callFrame.functionName)}]`;
    current.by.set(name, (current.by.get(name) ?? 0) + us);
    for (const fn of stack) inclusive.set(fn, (inclusive.get(fn) ?? 0) + us);
  });
  close();
  return {
    stretches: stretches.sort((a, b) => b.ms - a.ms),
    inclusive: [...inclusive]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, ms: Math.round(us / 1000) })),
    blockedMs: Math.round(stretches.reduce((sum, s) => sum + s.ms, 0)),
    busyMs: Math.round(busyUs / 1000),
  };
}

export function printLoopBlocks(label: string, blocks: LoopBlocks, show = 15): void {
  console.log(
    `\nLoop blocks: ${label} — ${blocks.stretches.length} busy stretches ≥ threshold, ${blocks.blockedMs} ms of ` +
      `${blocks.busyMs} ms busy`,
  );
  for (const s of blocks.stretches.slice(0, show))
    console.log(
      `  ${String(s.ms).padStart(7)} ms at ${(s.atMs / 1000).toFixed(1)} s: ` +
        s.by.map((b) => `${b.fn} (${b.ms})`).join('; '),
    );
  console.log('  inclusive time of ratewatch functions');
  for (const f of blocks.inclusive) console.log(`  ${String(f.ms).padStart(7)} ms  ${f.fn}`);
}

if (require.main === module) {
  const [file, threshold] = process.argv.slice(2);
  if (!file) throw new Error('usage: node dist/tools/bench/loop-blocks.js <file.cpuprofile> [threshold ms]');
  printLoopBlocks(file, loopBlocks(file, Number(threshold ?? 10)));
}
