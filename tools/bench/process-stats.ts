import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command (state first), or null when the process is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU seconds used so far by a process (user + system), from /proc. */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/** CPU seconds used so far by a process in its own code (user) and in the kernel for it (system); 0 when gone. */
export function cpuTimes(pid: number): { user: number; system: number } {
  const fields = statFields(pid);
  return fields
    ? { user: Number(fields[11]) / TICKS_PER_SECOND, system: Number(fields[12]) / TICKS_PER_SECOND }
    : { user: 0, system: 0 };
}

/**
 * CPU seconds used so far by a process and by its children that ended and were reaped (cutime + cstime): for
 * PostgreSQL's postmaster, every backend that has exited. Summed over a server's processes at two moments, the
 * difference is all the CPU the server used between them, including backends that ended in between (a pool
 * closes idle connections after 10 s: their CPU vanished from a sum over the processes alive at the end).
 */
export function cpuSecondsWithReaped(pid: number): number {
  const fields = statFields(pid);
  return fields
    ? (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND
    : 0;
}

/** The machine's busy CPU time so far in seconds, every core together (/proc/stat: all but idle and iowait). */
export function machineBusySeconds(): number {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  // user nice system idle iowait irq softirq steal
  const ticks = cpu!.trim().split(/\s+/).slice(1, 9).map(Number);
  return (ticks.reduce((sum, n) => sum + n, 0) - ticks[3]! - ticks[4]!) / TICKS_PER_SECOND;
}

/** A memory figure of a process in MB from /proc/<pid>/status (VmHWM: peak resident, VmRSS: resident now). */
function statusMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Peak resident memory of a process in MB. */
export const peakRssMb = (pid: number): number => statusMb(pid, 'VmHWM');

/** Current resident memory of a process in MB. */
export const rssMb = (pid: number): number => statusMb(pid, 'VmRSS');
