import { describe, expect, it } from 'vitest';
import { CpuLedger, workLabel } from './pg-cpu-by-statement';

describe("PostgreSQL's CPU by statement (bench:scale)", () => {
  it('charges what a process used since its last reading to the label it has now, nothing before its first', () => {
    const ledger = new CpuLedger();
    ledger.read(101, 50, 'SELECT 1'); // where it stood when the window opened
    ledger.read(102, 7, 'autovacuum worker');
    ledger.read(101, 52.5, 'WITH shown AS (…)');
    ledger.read(102, 7, 'autovacuum worker');
    ledger.read(101, 53, 'COPY stage');
    ledger.read(102, 8, 'autovacuum worker');
    expect(ledger.seconds).toBeCloseTo(4);
    expect(ledger.top(2)).toEqual([
      { label: 'WITH shown AS (…)', seconds: 2.5, share: 2.5 / 4 },
      { label: 'autovacuum worker', seconds: 1, share: 1 / 4 },
    ]);
    expect(ledger.top(10).map((t) => t.label)).toEqual(['WITH shown AS (…)', 'autovacuum worker', 'COPY stage']);
  });

  it('takes a pid that reads lower than before for a new process, not negative CPU', () => {
    const ledger = new CpuLedger();
    ledger.read(7, 30, 'a');
    ledger.read(7, 2, 'b'); // the process ended; a new one has its pid
    ledger.read(7, 3, 'b');
    expect(ledger.top(5)).toEqual([{ label: 'b', seconds: 1, share: 1 }]);
  });

  it('labels client backends by their statement, folded, and other processes by their kind', () => {
    expect(workLabel('client backend', '  WITH own AS (\n    SELECT *\tFROM x')).toBe('WITH own AS ( SELECT * FROM x');
    expect(workLabel('client backend', 'x'.repeat(300))).toHaveLength(110);
    expect(workLabel('client backend', '')).toBe('(no statement yet)');
    expect(workLabel('checkpointer', null)).toBe('checkpointer');
    expect(workLabel(null, null)).toBe('other process');
  });
});
