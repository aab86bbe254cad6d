import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SCRIPT = join(__dirname, 'build-if-stale.mjs');

/**
 * A project of its own in a temporary folder whose `build` script only counts its runs (one line per
 * build in builds.log, outside dist/), and fails while a file named FAIL exists.
 */
const FAKE_BUILD = `
const fs = require('node:fs');
if (fs.existsSync('FAIL')) { console.error('type error'); process.exit(3); }
fs.appendFileSync('builds.log', 'built\\n');
fs.mkdirSync('dist', { recursive: true });
fs.writeFileSync('dist/.tsbuildinfo', '{}');
console.log('compiler output');
`;

let root: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function builds(): number {
  try {
    return readFileSync(join(root, 'builds.log'), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

function check(): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, root], (error, stdout, stderr) => {
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ratewatch-build-check-'));
  write('package.json', JSON.stringify({ name: 'fake', private: true, scripts: { build: 'node build.js' } }));
  write('build.js', FAKE_BUILD);
  write('tsconfig.json', '{}');
  write('package-lock.json', '{}');
  write('apps/api/src/main.ts', 'export const a = 1;\n');
  write('libs/domain/src/rate.ts', 'export const b = 2;\n');
  write('libs/domain/src/rate.spec.ts', 'it("x", () => undefined);\n');
  write('tools/demo/main.ts', 'export const c = 3;\n');
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('build-if-stale', () => {
  it('builds when nothing was built yet, and not again while the inputs stay the same', async () => {
    expect((await check()).status).toBe(0);
    expect(builds()).toBe(1);
    const again = await check();
    expect(again.status).toBe(0);
    expect(again.stderr).toBe('');
    expect(builds()).toBe(1);
  });

  it('keeps stdout clean: the compiler and its own messages go to stderr', async () => {
    const first = await check();
    expect(first.stdout).toBe('');
    expect(first.stderr).toContain('compiler output');
    expect(first.stderr).toContain('first build');
  });

  it.each([
    ['a source in apps', 'apps/api/src/main.ts'],
    ['a source in libs', 'libs/domain/src/rate.ts'],
    ['a source in tools', 'tools/demo/main.ts'],
    ['the compiler options', 'tsconfig.json'],
    ['the installed dependencies', 'package-lock.json'],
  ])('builds again when %s changes', async (_what, path) => {
    await check();
    appendFileSync(join(root, path), '\n// changed\n');
    await check();
    expect(builds()).toBe(2);
  });

  it('builds again when a source is added or removed', async () => {
    await check();
    write('libs/domain/src/new.ts', 'export const d = 4;\n');
    await check();
    rmSync(join(root, 'libs/domain/src/new.ts'));
    await check();
    expect(builds()).toBe(3);
  });

  it('builds again when dist/ was removed, or when the build command changed', async () => {
    await check();
    rmSync(join(root, 'dist'), { recursive: true });
    await check();
    write('package.json', JSON.stringify({ name: 'fake', private: true, scripts: { build: 'node build.js && true' } }));
    await check();
    expect(builds()).toBe(3);
  });

  it('does not build for what the build does not compile: tests, or a touch that leaves the content as it was', async () => {
    await check();
    appendFileSync(join(root, 'libs/domain/src/rate.spec.ts'), '// another test\n');
    write('README.md', 'docs\n');
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'libs/domain/src/rate.ts'), future, future);
    await check();
    expect(builds()).toBe(1);
  });

  it('fails with the build, and tries again at the next start', async () => {
    write('FAIL', '');
    const failed = await check();
    expect(failed.status).toBe(3);
    expect(failed.stderr).toContain('the build failed');
    rmSync(join(root, 'FAIL'));
    expect((await check()).status).toBe(0);
    expect((await check()).status).toBe(0);
    expect(builds()).toBe(1);
  });

  it("builds once when several starts check at the same time, and none fails on another one's lock", async () => {
    // Six at once: a waiter's lock once landed on the holder's lock folder while it was being deleted.
    const results = await Promise.all(Array.from({ length: 6 }, () => check()));
    expect(results.map((r) => [r.status, r.stderr.includes('Error')])).toEqual(results.map(() => [0, false]));
    expect(builds()).toBe(1);
  });

  it('takes over the lock of a build whose process died', async () => {
    write('dist/.build-lock/pid', '999999999');
    expect((await check()).status).toBe(0);
    expect(builds()).toBe(1);
  });
});
