import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { cpuSeconds, cpuSecondsWithReaped, cpuTimes, machineBusySeconds } from './process-stats';

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

  it("reads a process's own code's CPU (user) apart from the kernel's for it (system)", async () => {
    // A child that burns 0.3 s of arithmetic (user time; the clock asked every 100,000 steps only, as asking is a
    // system call), says so, and waits to be read until its stdin closes.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const s = process.cpuUsage(); let x = 0;
         while (process.cpuUsage(s).user < 300000) for (let i = 0; i < 100000; i++) x += Math.sqrt(x + i);
         process.stdout.write('burnt ' + (x > 0) + '\\n'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      expect(line.toString()).toContain('burnt true');
      const { user, system } = cpuTimes(child.pid!);
      expect(user).toBeGreaterThanOrEqual(0.25);
      expect(system).toBeLessThan(user);
      expect(user + system).toBeCloseTo(cpuSeconds(child.pid!), 1);
    } finally {
      child.stdin.end();
      await once(child, 'exit');
    }
    expect(cpuTimes(2 ** 22 + 1)).toEqual({ user: 0, system: 0 });
  });
});
