import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loopBlocks } from './loop-blocks';
import { loopDelayOver } from './loop-probe';

const dir = mkdtempSync(join(tmpdir(), 'ratewatch-loop-blocks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

/** A profile: a job (own code) calling a package, a request handler, idle between them. */
function profileFile(): string {
  const nodes = [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 5, 7] },
    { id: 2, callFrame: frame('(idle)') },
    {
      id: 3,
      callFrame: frame('refreshReferences', 'file:///w/dist/libs/background/src/housekeeping.service.js'),
      children: [4],
    },
    { id: 4, callFrame: frame('parseRow', 'file:///w/node_modules/pg/lib/result.js') },
    {
      id: 5,
      callFrame: frame('(anonymous)', 'file:///w/dist/apps/api/src/public/rates/rates-fast-path.js'),
      children: [6],
    },
    { id: 6, callFrame: frame('writev') },
    { id: 7, callFrame: frame('(garbage collector)') },
  ];
  // 1 ms per sample: 3 ms idle, a 12 ms stretch (job 4 ms + its pg parsing 8 ms), 2 ms idle, a 4 ms request
  // stretch, 1 ms idle, 11 ms of GC.
  const samples = [
    2,
    2,
    2,
    ...Array(4).fill(3),
    ...Array(8).fill(4),
    2,
    2,
    ...Array(4).fill(6),
    2,
    ...Array(11).fill(7),
  ];
  const file = join(dir, 'api.cpuprofile');
  writeFileSync(file, JSON.stringify({ nodes, samples, timeDeltas: samples.map(() => 1000), startTime: 0 }));
  return file;
}

describe('loopBlocks', () => {
  it('finds the busy stretches over the threshold and names each by the outermost ratewatch function in it', () => {
    const blocks = loopBlocks(profileFile(), 10);
    expect(blocks.stretches).toEqual([
      { atMs: 3, ms: 12, by: [{ fn: 'refreshReferences libs/background/src/housekeeping.service:1', ms: 12 }] },
      { atMs: 22, ms: 11, by: [{ fn: '[garbage collection]', ms: 11 }] },
    ]);
    expect(blocks).toMatchObject({ blockedMs: 23, busyMs: 27 });
    expect(blocks.inclusive).toEqual([
      { fn: 'refreshReferences libs/background/src/housekeeping.service:1', ms: 12 },
      { fn: '(anonymous) apps/api/src/public/rates/rates-fast-path:1', ms: 4 },
    ]);
  });
});

describe('loopDelayOver', () => {
  it('reads the worst delays, the utilization and the GC of the probe intervals inside the window', () => {
    const file = join(dir, 'loop.jsonl');
    const line = (t: number, p99: number, max: number, elu: number, gc: number) =>
      `${JSON.stringify({ t, p50: 1, p99, max, elu, gc })}\n`;
    writeFileSync(file, line(1000, 90, 95, 1, 50) + line(1500, 3, 4, 0.2, 0) + line(2000, 7, 30, 0.6, 12));
    expect(loopDelayOver(file, 1000, 2000)).toEqual({ p99: 7, max: 30, elu: 0.4, eluMax: 0.6, gcMs: 12, samples: 2 });
    expect(loopDelayOver(join(dir, 'missing.jsonl'), 0, 1)).toMatchObject({ samples: 0 });
  });
});
