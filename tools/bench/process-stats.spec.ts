import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpuSeconds, cpuSecondsWithReaped, machineBusySeconds } from './process-stats';

describe('process CPU for bench:scale', () => {
  it("keeps the CPU of children that ended: a server's backends closed within the window still count", () => {
    const before = cpuSecondsWithReaped(process.pid) - cpuSeconds(process.pid);
    // A child that burns 0.3 s of its own CPU (its clock, not the wall's), then exits and is reaped.
    const child = spawnSync(process.execPath, [
      '-e',
      'const s = process.cpuUsage(); while ((process.cpuUsage(s).user + process.cpuUsage(s).system) < 300000);',
    ]);
    expect(child.status).toBe(0);
    const after = cpuSecondsWithReaped(process.pid) - cpuSeconds(process.pid);
    expect(after - before).toBeGreaterThanOrEqual(0.25);
  });

  it('reads the machine busy time as growing, and a gone process as 0', () => {
    const first = machineBusySeconds();
    const child = spawnSync(process.execPath, [
      '-e',
      'const s = process.cpuUsage(); while (process.cpuUsage(s).user < 100000);',
    ]);
    expect(child.status).toBe(0);
    expect(machineBusySeconds()).toBeGreaterThan(first);
    expect(cpuSecondsWithReaped(2 ** 22 + 1)).toBe(0);
  });
});
