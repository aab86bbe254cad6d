import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { monotonicMicros, summarizeProfile } from './cpu-profile';

/** A profile of two functions, 100 µs a sample: `warmUp` sampled at 1,100–1,400 µs, `poll` at 1,500 and 1,600 µs. */
function twoPhases() {
  const frame = (id: number, functionName: string) => ({
    id,
    callFrame: { functionName, url: 'file:///work/dist/libs/feeds/src/normalize/x.js', lineNumber: 1 },
  });
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  for (const id of [2, 2, 2, 2, 3, 3]) {
    samples.push(id);
    timeDeltas.push(100);
  }
  return {
    nodes: [{ ...frame(1, '(root)'), children: [2, 3] }, frame(2, 'warmUp'), frame(3, 'poll')],
    samples,
    timeDeltas,
    startTime: 1_000,
  };
}

describe('CPU profile summaries', () => {
  it('keeps only the samples taken in the windows given, each by its own time', () => {
    const profile = twoPhases();
    const whole = summarizeProfile(profile);
    expect(whole.totalMs).toBeCloseTo(0.6);
    const window = summarizeProfile(profile, 15, [[1_450, 1_700]]);
    expect(window.totalMs).toBeCloseTo(0.2);
    expect(window.topFunctions.map((f) => f.fn.split(' ')[0])).toEqual(['poll']);
    const two = summarizeProfile(profile, 15, [
      [1_050, 1_150],
      [1_550, 1_650],
    ]);
    expect(two.topFunctions.map((f) => [f.fn.split(' ')[0], f.ms])).toEqual([
      ['warmUp', 0.1],
      ['poll', 0.1],
    ]);
    expect(summarizeProfile(profile, 15, []).totalMs).toBe(0);
  });

  it("reads the windows on the clock a child's V8 profile is stamped by", () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-cpu-profile-'));
    try {
      const before = monotonicMicros();
      const child = spawnSync(process.execPath, [
        '--cpu-prof',
        `--cpu-prof-dir=${dir}`,
        '-e',
        'const s = process.cpuUsage(); while (process.cpuUsage(s).user < 50000);',
      ]);
      const after = monotonicMicros();
      expect(child.status).toBe(0);
      const [file] = readdirSync(dir);
      const profile = JSON.parse(readFileSync(join(dir, file!), 'utf8')) as ReturnType<typeof twoPhases> & {
        endTime: number;
      };
      expect(profile.startTime).toBeGreaterThanOrEqual(before);
      expect(profile.endTime).toBeLessThanOrEqual(after);
      // Every sample lies in the child's life as this process saw it: a window around it keeps them all.
      expect(summarizeProfile(profile, 15, [[before, after]]).totalMs).toBeCloseTo(
        summarizeProfile(profile).totalMs,
        6,
      );
      expect(summarizeProfile(profile, 15, [[after, after + 1e9]]).totalMs).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
