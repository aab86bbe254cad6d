import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXCHANGER_NAMES } from '../../tools/feed-simulator/market';
import { DEMO_EXCHANGERS, DEMO_FAULTS, DEMO_FILES } from '../../tools/demo/demo';
import { http } from '../support/http';
import { freePort, waitFor } from '../support/processes';
import { createDataDir } from '../support/services';

const ROOT = join(__dirname, '../..');
/** Issue 18's bar: on a re-run, at least 15 of 20 healthy feeds (75 %) are fresh within 30 s of the banner. */
const FRESH_SHARE = 0.75;
const FRESH_WITHIN_MS = 30_000;

/** `npm run demo` as a user runs it (the built `node dist/tools/demo/main.js`), with its output kept. */
class DemoRun {
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => (this.output += chunk.toString('utf8'));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static start(env: Record<string, string>): DemoRun {
    return new DemoRun(
      spawn(process.execPath, [join(ROOT, 'dist/tools/demo/main.js')], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  }

  get log(): string {
    return this.output;
  }

  /** The banner, once the demo has printed it all (its last line is the Ctrl-C hint). */
  async banner(): Promise<string> {
    return waitFor(
      'the demo banner',
      () => {
        if (this.child.exitCode !== null) throw new Error(`the demo exited early:\n${this.output}`);
        return this.output.includes('Ctrl-C stops') && this.output;
      },
      110_000,
      100,
    );
  }

  /** Ctrl-C, as a user stops it; the exit code. */
  async interrupt(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGINT');
    return this.exited;
  }
}

interface FeedHealth {
  exchangerSlug: string;
  url: string;
  fresh: boolean;
  lastSuccessAt: string | null;
}

/** The simulator's port a banner names (`feeds on http://127.0.0.1:PORT/`). */
const simulatorPort = (banner: string) => Number(/feeds on http:\/\/127\.0\.0\.1:(\d+)\//.exec(banner)?.[1]);

/**
 * Issue 18: `npm run demo` twice on one data folder. The second run's simulator cannot have the first
 * run's port (something else took it), so the demo must point every registered feed at its new port —
 * and the healthy feeds are fresh again within 30 s of the banner, with the admin key of the first run.
 */
describe('npm run demo, run again on the same data folder', () => {
  const dataDir = createDataDir();
  const runs: DemoRun[] = [];
  let squatter: Server | null = null;

  afterAll(async () => {
    await Promise.all(runs.map((r) => r.interrupt()));
    await new Promise((resolve) => (squatter ? squatter.close(resolve) : resolve(undefined)));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps its admin key, moves its feeds to the new simulator port, and its healthy feeds are fresh within 30 s', async () => {
    const env = { DATA_DIR: dataDir, PORT: String(await freePort()) };
    const first = DemoRun.start(env);
    runs.push(first);
    const firstBanner = await first.banner();
    const keyFile = join(dataDir, DEMO_FILES.adminKey);
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(firstBanner).toContain(keyFile);
    expect(firstBanner).not.toContain(key); // the banner names the file, never the secret
    const oldPort = simulatorPort(firstBanner);
    expect(oldPort).toBeGreaterThan(0);
    expect(await first.interrupt()).toBe(0);

    // Something else now listens on the first run's simulator port.
    squatter = createServer((_req, res) => res.writeHead(404).end('not the simulator'));
    await new Promise<void>((resolve, reject) => {
      squatter!.once('error', reject);
      squatter!.listen(oldPort, '127.0.0.1', resolve);
    });

    const restartedAt = Date.now();
    const second = DemoRun.start(env);
    runs.push(second);
    const banner = await second.banner();
    const bannerAt = Date.now();
    const newPort = simulatorPort(banner);
    expect(newPort).not.toBe(oldPort);
    expect(banner).toContain(`registered 0 new, pointed ${DEMO_EXCHANGERS} feeds at the simulator`);
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(key);
    expect(Number(readFileSync(join(dataDir, DEMO_FILES.simulatorPort), 'utf8').trim())).toBe(newPort);

    const apiUrl = /running on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)![1]!;
    const healthy = EXCHANGER_NAMES.slice(0, DEMO_EXCHANGERS)
      .map(([slug]) => slug)
      .filter((_slug, index) => DEMO_FAULTS[index] === undefined);
    const health = async () =>
      (
        await http<{ items: FeedHealth[] }>(`${apiUrl}/v1/admin/feeds/health`, {
          headers: { authorization: `Bearer ${key}` },
        })
      ).body.items;
    /** Healthy feeds polled successfully by this run (a success of the first run may still count as fresh). */
    const freshAgain = (items: FeedHealth[]) =>
      items.filter(
        (f) =>
          healthy.includes(f.exchangerSlug) &&
          f.fresh &&
          f.lastSuccessAt !== null &&
          Date.parse(f.lastSuccessAt) >= restartedAt,
      ).length;
    const all = await waitFor(
      'every healthy demo feed fresh again',
      async () => {
        const items = await health();
        return freshAgain(items) === healthy.length && items;
      },
      Math.max(0, bannerAt + FRESH_WITHIN_MS - Date.now()),
      250,
    ).catch(() => null);
    const items = all ?? (await health());
    const fresh = freshAgain(items);
    expect(items.length, second.log).toBe(DEMO_EXCHANGERS);
    expect(fresh, `${fresh} of ${healthy.length} healthy feeds fresh\n${second.log}`).toBeGreaterThanOrEqual(
      Math.ceil(healthy.length * FRESH_SHARE),
    );
    // Every demo feed now names the new port; none is left on the squatter's.
    expect(items.filter((f) => !f.url.startsWith(`http://127.0.0.1:${newPort}/`)).map((f) => f.url)).toEqual([]);
    expect(await second.interrupt()).toBe(0);
  }, 300_000);
});
