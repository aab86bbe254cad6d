import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { http } from '../support/http';
import { createTestDatabase, TestDatabase } from '../support/services';

const run = promisify(execFile);
/** The document the typed client (`test/client/generated`, `npm run openapi:client`) was generated from. */
const SNAPSHOT = join(__dirname, '../client/openapi.json');

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: Array<{ pointer: string }>;
}

/** The OpenAPI document a client is generated from, checked by Redocly's recommended rules. */
describe('the OpenAPI document', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const dir = mkdtempSync(join(tmpdir(), 'ratewatch-openapi-'));

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startApi(loadConfig({ DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }));
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes the Redocly linter (recommended rules) with no error', async () => {
    const spec = await http<Record<string, unknown>>(`${api.url}/docs-json`);
    expect(spec.status).toBe(200);
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(spec.body));
    const cli = join(__dirname, '../../node_modules/@redocly/cli/bin/cli.js');
    const output = await run(process.execPath, [cli, 'lint', file, '--format=json', '--extends=recommended'], {
      maxBuffer: 64 * 1024 * 1024,
    }).then(
      (done) => done.stdout,
      (failed: { stdout?: string }) => failed.stdout ?? '',
    );
    const problems = (JSON.parse(output) as { problems: LintProblem[] }).problems;
    const errors = problems
      .filter((p) => p.severity === 'error')
      .map((p) => `${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`);
    expect(errors).toEqual([]);
  });

  it('is the document the typed client was generated from (regenerate with npm run openapi:client)', async () => {
    const served = `${JSON.stringify((await http<unknown>(`${api.url}/docs-json`)).body, null, 2)}\n`;
    if (process.env.OPENAPI_WRITE === '1') writeFileSync(SNAPSHOT, served);
    expect(served).toBe(readFileSync(SNAPSHOT, 'utf8'));
  });
});
