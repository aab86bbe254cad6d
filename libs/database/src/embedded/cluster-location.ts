import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

export interface Binaries {
  initdb: string;
  postgres: string;
}

export interface RunAs {
  uid: number;
  gid: number;
}

type Log = (level: 'info' | 'warn' | 'debug', message: string) => void;

/** Where the cluster goes when run as root and the `postgres` user cannot reach DATA_DIR. */
export const DEFAULT_FALLBACK_DIR = '/var/lib/ratewatch';

/** A file in DATA_DIR naming the cluster folder when it is not `<dataDir>/postgres`. */
export const LOCATION_FILE = 'postgres.location';

/** Thrown when the embedded database cannot start; the message says what to change. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

/**
 * The cluster folder for `dataDir`, created and (as root) owned by the database user, mode 700:
 *  - the folder named by `<dataDir>/postgres.location`, when there is one (a relocated cluster);
 *  - `<dataDir>/postgres` when the database user can reach it (always, when not root);
 *  - otherwise `<fallbackDir>/<hash of dataDir>/postgres`, named in `<dataDir>/postgres.location` so
 *    that every later start, the CLI and humans find it.
 */
export function locateCluster(dataDir: string, runAs: RunAs | null, fallbackDir: string, log: Log): string {
  mkdirSync(dataDir, { recursive: true });
  const pointer = join(dataDir, LOCATION_FILE);
  if (existsSync(pointer)) {
    const clusterDir = readFileSync(pointer, 'utf8').trim();
    if (!isAbsolute(clusterDir)) {
      throw new EmbeddedPostgresError(
        `${pointer} must hold the absolute path of the database folder, not "${clusterDir}"`,
      );
    }
    if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
      if (runAs) mkdirOpen(dirname(clusterDir));
      log(
        'warn',
        `the database folder ${clusterDir} named in ${pointer} holds no database; creating an empty one there`,
      );
    }
    log('info', `the database files are in ${clusterDir} (named in ${pointer})`);
    return ownedCluster(clusterDir, runAs);
  }

  const inside = join(dataDir, 'postgres');
  const blocked = runAs && unreachableAncestor(dataDir, runAs);
  if (!blocked) return ownedCluster(inside, runAs);
  if (existsSync(join(inside, 'PG_VERSION'))) {
    // A cluster made while the folder was reachable: moving it is the owner's call, not ours.
    throw new EmbeddedPostgresError(
      `PostgreSQL runs as the "postgres" user and cannot reach the database in ${inside}: ${blocked} is not traversable by other users. ` +
        `Run: chmod o+x ${blocked}, or move ${inside} elsewhere and write its path into ${pointer}`,
    );
  }

  const home = join(fallbackBase(fallbackDir, runAs, log), hashOf(dataDir));
  mkdirOpen(home);
  writeFileSync(join(home, 'data-dir'), `${dataDir}\n`);
  const clusterDir = ownedCluster(join(home, 'postgres'), runAs);
  writeFileSync(pointer, `${clusterDir}\n`, { mode: 0o644 });
  log(
    'info',
    `data folder ${dataDir} is not reachable by the postgres user (${blocked} is not traversable); the database files are in ${clusterDir}`,
  );
  return clusterDir;
}

/**
 * The binaries, or a copy of them the database user can run: a checkout in a private folder holds
 * them where that user cannot reach. The copy is made once per package version, under the fallback
 * folder, and reused by every later start (and by every data folder).
 */
export function runnableBinaries(bin: Binaries, runAs: RunAs | null, fallbackDir: string, log: Log): Binaries {
  if (!runAs) return bin;
  const problem = cannotRun(bin, runAs);
  if (!problem) return bin;

  const nativeRoot = resolve(dirname(bin.postgres), '..');
  const copy = join(fallbackBase(fallbackDir, runAs, log), 'binaries', binariesVersion(bin, nativeRoot));
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    log(
      'info',
      `the postgres user cannot run the PostgreSQL binaries in ${nativeRoot} (${problem}); copying them to ${copy}`,
    );
    mkdirOpen(dirname(copy));
    const partial = `${copy}.partial-${randomBytes(4).toString('hex')}`;
    try {
      cpSync(nativeRoot, partial, { recursive: true, verbatimSymlinks: true });
      makeReadableByAll(partial);
      renameSync(partial, copy);
    } catch (error) {
      // Another ratewatch copied the same version meanwhile: use its copy.
      if (!existsSync(join(copy, 'bin', 'postgres'))) throw error;
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
  }
  const copied = {
    initdb: join(copy, relative(nativeRoot, bin.initdb)),
    postgres: join(copy, relative(nativeRoot, bin.postgres)),
  };
  const still = cannotRun(copied, runAs);
  if (still) {
    throw new EmbeddedPostgresError(
      `the postgres user cannot run the PostgreSQL binaries copied to ${copy} either (${still}); remove that folder to copy them again`,
    );
  }
  log('info', `running the PostgreSQL binaries copied to ${copy} (the postgres user cannot reach ${nativeRoot})`);
  return copied;
}

/** The folder (and, as root, its owner and mode 700) PostgreSQL insists on for its cluster. */
function ownedCluster(clusterDir: string, runAs: RunAs | null): string {
  mkdirSync(clusterDir, { recursive: true });
  if (runAs) {
    chownSync(clusterDir, runAs.uid, runAs.gid);
    chmodSync(clusterDir, 0o700);
  }
  return clusterDir;
}

/**
 * `fallbackDir`, created traversable by everyone; a temporary folder (lost at reboot, so said in
 * the log) only when it cannot be created, for example on a read-only /var.
 */
function fallbackBase(fallbackDir: string, runAs: RunAs, log: Log): string {
  let base = fallbackDir;
  try {
    mkdirOpen(base);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw error;
    base = join(tmpdir(), 'ratewatch');
    log('warn', `${fallbackDir} cannot be created (${code}); using ${base}, which may not survive a reboot`);
    mkdirOpen(base);
  }
  const blocked = unreachableAncestor(base, runAs);
  if (blocked) {
    throw new EmbeddedPostgresError(
      `the postgres user cannot reach ${base} either: ${blocked} is not traversable by other users. ` +
        `Run: chmod o+x ${blocked}, or set DATABASE_FALLBACK_DIR (or DATA_DIR) to a folder it can reach`,
    );
  }
  return base;
}

/** Creates `dir` and missing parents traversable by everyone (mode 755 whatever the umask); leaves existing ones alone. */
function mkdirOpen(dir: string): void {
  const first = mkdirSync(dir, { recursive: true });
  if (!first) return;
  for (let current = resolve(dir); ; current = dirname(current)) {
    chmodSync(current, 0o755);
    if (current === resolve(first) || dirname(current) === current) return;
  }
}

/** The first folder from `dir` up to `/` that `runAs` may not enter (search permission), if any. */
export function unreachableAncestor(dir: string, runAs: RunAs): string | null {
  for (let current = resolve(dir); ; current = dirname(current)) {
    const stat = statSync(current);
    // Children spawned with a uid drop supplementary groups, so only the primary group counts.
    const shift = stat.uid === runAs.uid ? 6 : stat.gid === runAs.gid ? 3 : 0;
    if (((stat.mode >> shift) & 0o1) === 0) return current;
    if (dirname(current) === current) return null;
  }
}

/** Why `runAs` cannot start the binaries (executable, shared libraries), or null when it can. */
function cannotRun(bin: Binaries, runAs: RunAs): string | null {
  for (const path of [bin.postgres, bin.initdb]) {
    try {
      execFileSync(path, ['--version'], { ...runAs, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
      return `${basename(path)}: ${stderr || (error as Error).message}`;
    }
  }
  return null;
}

/** The npm package's version names the copy, so an upgrade copies afresh and a restart reuses. */
function binariesVersion(bin: Binaries, nativeRoot: string): string {
  const platform = basename(dirname(nativeRoot));
  try {
    const pkg = JSON.parse(readFileSync(join(nativeRoot, '..', 'package.json'), 'utf8')) as { version?: string };
    if (pkg.version) return `${platform}-${pkg.version}`;
  } catch {
    // no package.json beside the binaries: name the copy after the executable instead
  }
  const stat = statSync(bin.postgres);
  return `${platform}-${hashOf(`${stat.size}:${stat.mtimeMs}`)}`;
}

/** Folders 755, files 644 or 755 (root installing with umask 077 leaves them closed to others). */
function makeReadableByAll(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    chmodSync(path, 0o755);
    for (const entry of readdirSync(path)) makeReadableByAll(join(path, entry));
    return;
  }
  chmodSync(path, stat.mode & 0o100 ? 0o755 : 0o644);
}

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
