import { Client } from 'pg';
import { cpuSeconds } from './process-stats';

/** What bench:scale prints of PostgreSQL's CPU: the labels that used the most, with their seconds and share. */
export interface CpuByLabel {
  label: string;
  seconds: number;
  /** Of all the CPU the sampled processes used. */
  share: number;
}

/**
 * What a PostgreSQL process was doing, as a label: for a client backend the statement it runs — or, idle, the
 * one it ran last — with its whitespace folded; for any other process its kind (autovacuum worker, checkpointer…).
 */
export function workLabel(backendType: string | null, query: string | null): string {
  if (backendType !== 'client backend') return backendType || 'other process';
  return (query ?? '').replace(/\s+/g, ' ').trim().slice(0, 110) || '(no statement yet)';
}

/**
 * CPU charged to labels: each reading of a process's CPU time charges what it used since its last reading to the
 * label it has now. A process's first reading only notes where it stands: what it used before is not the window's.
 */
export class CpuLedger {
  private readonly last = new Map<number, number>();
  private readonly byLabel = new Map<string, number>();
  private total = 0;

  read(pid: number, seconds: number, label: string): void {
    const before = this.last.get(pid);
    this.last.set(pid, seconds);
    // A pid seen again after its process ended and another took it reads lower: a new start, not negative CPU.
    if (before === undefined || seconds <= before) return;
    this.byLabel.set(label, (this.byLabel.get(label) ?? 0) + (seconds - before));
    this.total += seconds - before;
  }

  /** All the CPU charged so far, in seconds. */
  get seconds(): number {
    return this.total;
  }

  /** The `n` labels charged the most. */
  top(n: number): CpuByLabel[] {
    return [...this.byLabel]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([label, seconds]) => ({ label, seconds, share: this.total > 0 ? seconds / this.total : 0 }));
  }
}

/**
 * PostgreSQL's CPU by statement over a window: every `everyMs` the server's processes (pg_stat_activity) and
 * their CPU time (/proc: the server must run on this machine), charged by CpuLedger. pg_stat_statements' times are
 * wall-clock: on a saturated machine every statement's grow with the wait for a core, and a long one that waited
 * looks as costly as a short one that ran — CPU time does not. A statement shorter than the period is blurred into
 * the ones its backend ran around it (it is charged to whatever the backend shows at the next reading); the
 * whole-market passes, seconds long, are not. The sampler's own backend is charged as such (its overhead).
 */
export class PgCpuSampler {
  readonly ledger = new CpuLedger();
  private client: Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private self = 0;

  constructor(
    private readonly url: string,
    private readonly everyMs = 200,
  ) {}

  async start(): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: 'bench pg-cpu sampler' });
    await client.connect();
    this.client = client;
    try {
      this.self = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await this.readOnce();
    } catch (error) {
      // Not sampled: the connection is not left open for the rest of the run.
      await client.end().catch(() => undefined);
      throw error;
    }
    this.timer = setInterval(() => {
      // A reading that takes longer than the period (a loaded machine) is not stacked with the next.
      this.reading ??= this.readOnce()
        .catch(() => undefined)
        .finally(() => (this.reading = null));
    }, this.everyMs);
  }

  /** The last reading, then the labels that used the most CPU in the window. */
  async stop(n = 10): Promise<{ seconds: number; top: CpuByLabel[] }> {
    if (this.timer) clearInterval(this.timer);
    await this.reading;
    await this.readOnce().catch(() => undefined);
    await this.client?.end().catch(() => undefined);
    return { seconds: this.ledger.seconds, top: this.ledger.top(n) };
  }

  private async readOnce(): Promise<void> {
    const { rows } = await this.client!.query<{ pid: number; backend_type: string | null; query: string | null }>(
      'SELECT pid, backend_type, query FROM pg_stat_activity',
    );
    for (const row of rows) {
      const label = row.pid === this.self ? 'this sampler' : workLabel(row.backend_type, row.query);
      this.ledger.read(row.pid, cpuSeconds(row.pid), label);
    }
  }
}
