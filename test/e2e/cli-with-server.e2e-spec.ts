import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '../support/http';
import { AppProcess, waitFor } from '../support/processes';
import { createDataDir } from '../support/services';

const ROOT = join(__dirname, '../..');
/** The e2e project does not build first: the first run of this file compiles (a no-op when dist/ is fresh). */
const BUILD_TIMEOUT_MS = 300_000;

/** Standalone mode, whatever the environment the tests run in says. */
const STANDALONE = { DATABASE_URL: '', REDIS_URL: '', LOG_LEVEL: 'info' };

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string>, timeout = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout }, (error, stdout, stderr) => {
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/**
 * The CLI as `npm run -s cli -- <args>` runs it once the build is fresh (dist/ is built before the
 * tests, and not again mid-test when a source changes). stdout is what the command prints (the key).
 */
function cli(dataDir: string, ...args: string[]): Promise<Run> {
  return run(process.execPath, ['dist/apps/cli/src/main.js', ...args], { ...STANDALONE, DATA_DIR: dataDir });
}

/** The PostgreSQL server named by the cluster's postmaster.pid, while one runs. */
function postmasterPid(dataDir: string): number | null {
  const file = join(dataDir, 'postgres', 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : null;
}

/**
 * The CLI beside a running standalone server, all real processes from dist/ as `npm start` and
 * `npm run cli` run them: the server's embedded database refuses a second server, but the CLI uses it.
 * The built-in check (postmaster.pid names a server whose parent, the server, is alive) is the one
 * that made the CLI refuse before it could attach.
 */
describe('the CLI while the standalone server runs', () => {
  const dataDir = createDataDir();
  let server: AppProcess;

  beforeAll(async () => {
    const build = await run(process.execPath, ['tools/build/build-if-stale.mjs'], {}, BUILD_TIMEOUT_MS);
    if (build.status !== 0) throw new Error(`the build failed:\n${build.stderr}`);
    server = await AppProcess.start('api', 'api', { ...STANDALONE, DATA_DIR: dataDir });
  }, BUILD_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates an admin key on the running server’s database, and the server accepts it at once', async () => {
    const postgres = postmasterPid(dataDir);
    expect(postgres).toBeGreaterThan(0);

    const created = await cli(dataDir, 'admin:key', 'create', '--name', 'ops');
    expect(created.stderr).not.toMatch(/already running/);
    expect(created.status).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^rw_[\w-]{43}$/);
    expect(created.stderr).toMatch(/using the embedded database that ratewatch \(pid \d+\) runs/);

    const answer = await http(`${server.url}/v1/admin/exchangers`, { headers: { authorization: `Bearer ${key}` } });
    expect(answer.status).toBe(200);
    const listed = await cli(dataDir, 'admin:key', 'list');
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'ops' })]));

    // The CLI left the server's database running: same PostgreSQL, and the server still uses it.
    expect(postmasterPid(dataDir)).toBe(postgres);
    expect((await http(`${server.url}/health/ready`)).status).toBe(200);
    expect(server.alive).toBe(true);
  });

  it('still refuses a second server on the same folder, and the first one keeps serving', async () => {
    const second = spawn(process.execPath, [join(ROOT, 'dist/apps/api/src/main.js')], {
      cwd: ROOT,
      env: { ...process.env, ...STANDALONE, DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    second.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    second.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => second.once('exit', (status) => resolve(status)));

    expect(code).not.toBe(0);
    expect(output).toMatch(/another process \(pid \d+\) is already running the embedded database/);
    expect((await http(`${server.url}/health/ready`)).status).toBe(200);
  });

  it('fails at once, and leaves the server alone, when the password it finds is not the database’s', async () => {
    const credentials = join(dataDir, 'postgres.password');
    const password = readFileSync(credentials, 'utf8');
    writeFileSync(credentials, 'not-the-password\n');
    try {
      const started = Date.now();
      const refused = await cli(dataDir, 'admin:key', 'list');
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/password authentication failed/);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      writeFileSync(credentials, password);
    }
    expect((await http(`${server.url}/health/ready`)).status).toBe(200);
  });

  it('starts and stops the database itself once the server has stopped', async () => {
    await server.stop();
    await waitFor('the server’s PostgreSQL to stop', () => postmasterPid(dataDir) === null);

    const listed = await cli(dataDir, 'admin:key', 'list');
    expect(listed.status).toBe(0);
    expect(listed.stderr).not.toMatch(/using the embedded database that ratewatch/);
    expect(JSON.parse(listed.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'ops' })]));
    expect(postmasterPid(dataDir)).toBeNull();
  });
});
