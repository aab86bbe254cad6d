// `node tools/build/build-if-stale.mjs [root]`: runs `npm run -s build` only when the build's inputs
// changed since the last successful build, so `npm start`, the CLI and the tools skip the TypeScript
// build (about a minute the first time, 5-10 s to find nothing to do) when nothing changed.
// Plain JavaScript, no dependencies: it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** What tsconfig.build.json compiles: its `include` folders, less its `exclude` (tests and fixtures). */
const SOURCE_FOLDERS = ['apps', 'libs', 'tools'];
const NOT_BUILT = /\.(spec|medium-spec|e2e-spec|faults-spec|fixture)\.ts$/;
/** Files at the root that change the output without touching a source: compiler options, dependencies. */
const ROOT_INPUTS = /^(tsconfig.*\.json|package-lock\.json)$/;

/** Written into dist/ after a successful build, so removing dist/ forces the next build. */
export const STAMP = 'dist/.build-stamp';
const LOCK = 'dist/.build-lock';
const LOCK_POLL_MS = 200;

/**
 * A hash of every input's path and content, and of the build command. Contents, not mtimes: a
 * checkout or a `touch` that leaves a file as it was does not force a build, and a deleted file does.
 * @param {string} root
 * @returns {string}
 */
export function fingerprint(root) {
  const hash = createHash('sha256');
  hash.update(`build: ${buildScript(root)}\n`);
  for (const path of inputs(root)) {
    hash.update(`${path}\n`);
    hash.update(readFileSync(join(root, path)));
  }
  return hash.digest('hex');
}

/**
 * @param {string} root
 * @returns {boolean} whether dist/ was built from the inputs as they are now
 */
export function isFresh(root) {
  const stamp = join(root, STAMP);
  return existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === fingerprint(root);
}

/**
 * Builds when stale; one build at a time (an api and a worker started together build once).
 * @param {string} root
 * @returns {number} the exit status: 0 when fresh or built, the build's status when it failed
 */
export function buildIfStale(root) {
  root = resolve(root);
  if (isFresh(root)) return 0;
  return withLock(root, () => {
    // Another process may have built while we waited for the lock.
    if (isFresh(root)) return 0;
    // Taken before the build: a file edited while the compiler runs makes the next start build again.
    const before = fingerprint(root);
    const started = Date.now();
    const first = !existsSync(join(root, 'dist', '.tsbuildinfo'));
    log(
      first
        ? 'compiling the TypeScript sources into dist/ (first build: about a minute on a small machine)'
        : 'sources changed since the last build: compiling into dist/',
    );
    // The compiler's output goes to stderr, so what a CLI command prints on stdout stays clean.
    const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
    const status = build.status ?? 1;
    if (status !== 0) {
      log(`the build failed (exit status ${status}); fix the errors above and start again`);
      return status;
    }
    writeFileSync(join(root, STAMP), `${before}\n`);
    log(`compiled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  });
}

/**
 * The inputs, as sorted paths relative to `root`.
 * @param {string} root
 * @returns {string[]}
 */
function inputs(root) {
  const found = readdirSync(root).filter((name) => ROOT_INPUTS.test(name));
  for (const folder of SOURCE_FOLDERS) {
    if (!existsSync(join(root, folder))) continue;
    for (const entry of readdirSync(join(root, folder), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || NOT_BUILT.test(entry.name)) continue;
      const path = relative(root, join(entry.parentPath, entry.name));
      if (!path.split('/').includes('node_modules')) found.push(path);
    }
  }
  return found.sort();
}

/**
 * @param {string} root
 * @returns {string}
 */
function buildScript(root) {
  const text = readFileSync(join(root, 'package.json'), 'utf8');
  // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- the rule does not see JSDoc casts
  const pkg = /** @type {{ scripts?: { build?: string } }} */ (JSON.parse(text));
  return pkg.scripts?.build ?? '';
}

/**
 * Runs `work` holding dist/.build-lock: a folder holding the holder's pid, renamed into place in one
 * step (rename fails onto a non-empty folder). A lock whose holder died is taken over.
 * @template T
 * @param {string} root
 * @param {() => T} work
 * @returns {T}
 */
function withLock(root, work) {
  const lock = join(root, LOCK);
  mkdirSync(dirname(lock), { recursive: true });
  const mine = mkdtempSync(`${lock}-`);
  writeFileSync(join(mine, 'pid'), String(process.pid));
  for (let waited = false; ;) {
    try {
      renameSync(mine, lock);
      break;
    } catch (error) {
      const code = /** @type {NodeJS.ErrnoException} */ (error).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') {
        rmSync(mine, { recursive: true, force: true });
        throw error;
      }
    }
    const holder = Number(readFileOr(join(lock, 'pid'), ''));
    if (holder > 0 && !isAlive(holder)) {
      release(lock);
      continue;
    }
    if (!waited) log(`waiting for the build another process (pid ${holder || '?'}) is running`);
    waited = true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, LOCK_POLL_MS);
  }
  try {
    return work();
  } finally {
    release(lock);
  }
}

/**
 * Removes the lock folder by renaming it away first, in one step, then deleting the renamed copy: deleting it
 * in place empties it before removing it, and a waiting process's rename lands on the empty folder in between
 * (rename replaces an empty folder) — the delete then failed on the newcomer's lock (a start exited 1 when
 * three started at once). A lock already gone (another process took a dead holder's over) is left alone.
 * @param {string} lock
 */
function release(lock) {
  const away = `${lock}-released-${process.pid}-${Date.now()}`;
  try {
    renameSync(lock, away);
  } catch {
    return;
  }
  rmSync(away, { recursive: true, force: true });
}

/**
 * @param {string} path
 * @param {string} otherwise
 * @returns {string}
 */
function readFileOr(path, otherwise) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return otherwise;
  }
}

/**
 * @param {number} pid
 * @returns {boolean}
 */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

/** @param {string} message */
function log(message) {
  process.stderr.write(`ratewatch build: ${message}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..'));
  process.exitCode = buildIfStale(root);
}
