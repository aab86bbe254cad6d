import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Demo, runDemo } from '../../tools/demo/demo';
import { http, HttpAnswer } from '../support/http';
import { waitFor } from '../support/processes';
import { CurlExample, parseCurlLine, readmeCurlLines, shellWords } from '../support/readme-examples';
import { createDataDir } from '../support/services';

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Lists a newcomer expects to be non-empty in the demo (an empty one means the example shows nothing). */
const LISTS = /^\/v1\/(rates|directions|currencies|exchangers|cities)\b/;

function expectation(example: CurlExample, answer: HttpAnswer): string | null {
  if (answer.status >= 400) return `answered ${answer.status}: ${answer.text.slice(0, 300)}`;
  const body = answer.body as { items?: unknown[]; points?: unknown[] } | string;
  if (typeof body !== 'object' || body === null) return null;
  const wantsItems = LISTS.test(example.path) || /\.items\b/.test(example.jq ?? '');
  if (wantsItems && Array.isArray(body.items) && body.items.length === 0) return 'answered an empty items list';
  if (/\.points\b/.test(example.jq ?? '') && Array.isArray(body.points) && body.points.length === 0)
    return 'answered no history points';
  return null;
}

/**
 * A live-stream example (`curl -N …/v1/rates/stream`): it must answer 200 `text/event-stream` and send a
 * `table` event with rows (the demo's first polls may come after it opens: the stream sends them as they
 * land); read up to that event, then hung up. Null when it does.
 */
async function streamProblem(url: string, headers: Array<[string, string]>): Promise<string | null> {
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(), 45_000);
  try {
    const response = await fetch(url, { headers, signal: controller.signal });
    if (response.status !== 200) return `answered ${response.status}: ${(await response.text()).slice(0, 300)}`;
    if (!response.headers.get('content-type')?.startsWith('text/event-stream')) return 'answered no event stream';
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!/event: table\ndata: \{.*"items":\[\{/.test(text)) {
      const { value, done } = await reader.read();
      if (done) return 'the stream ended before a table with rows';
      text += decoder.decode(value, { stream: true });
    }
    return null;
  } catch (error) {
    return `sent no table with rows: ${String(error)}`;
  } finally {
    clearTimeout(deadline);
    controller.abort();
  }
}

describe("the README's shell words", () => {
  it('reads quotes, variables and pipes the way the shell does', () => {
    expect(shellWords(`curl -s -H "$H" 'localhost:3000/v1/rates?from=A&to=B' | jq '.items[]'`, { H: 'X: 1' })).toEqual({
      words: ['curl', '-s', '-H', 'X: 1', 'localhost:3000/v1/rates?from=A&to=B'],
      rest: `| jq '.items[]'`,
    });
    expect(shellWords(`curl '$H' "a\\"b" c#d # comment`, { H: 'x' }).words).toEqual(['curl', '$H', 'a"b', 'c#d']);
    expect(() => shellWords('curl "$NOPE"', {})).toThrow(/NOPE/);
  });
});

/**
 * Every `curl` example of the README, run verbatim against `npm run demo` (the same runDemo, on a data folder
 * of its own): each must answer 2xx or 3xx, and the lists a newcomer looks at must not be empty.
 */
describe('the README examples against the demo', () => {
  const dataDir = createDataDir();
  let demo: Demo;

  beforeAll(async () => {
    demo = await runDemo({ exchangers: 40, port: 0, dataDir });
  }, 180_000);

  afterAll(async () => {
    await demo?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers every curl line of the README with 2xx/3xx and items where items are expected', async () => {
    const key = demo.adminKey;
    const variables: Record<string, string> = { KEY: key, ADMIN_KEY: key, H: `Authorization: Bearer ${key}` };
    const lines = readmeCurlLines(README);
    expect(lines.length).toBeGreaterThanOrEqual(20);
    const failures: string[] = [];
    for (const line of lines) {
      const example = parseCurlLine(line, variables, ROOT);
      if (!example) continue;
      const send = () =>
        http(`${demo.api.url}${example.path}`, {
          method: example.method,
          headers: example.headers,
          ...(example.body === undefined
            ? {}
            : { body: typeof example.body === 'string' ? example.body : new Uint8Array(example.body) }),
        });
      let problem: string | null = null;
      if (example.path.startsWith('/v1/rates/stream')) {
        problem = await streamProblem(`${demo.api.url}${example.path}`, example.headers);
      } else if (example.method !== 'GET') {
        const answer = await send();
        problem = expectation(example, answer);
        if (!problem && example.assign) {
          const value = (answer.body as Record<string, unknown>)[example.assign.field];
          if (typeof value !== 'string' && typeof value !== 'number')
            problem = `the answer has no ${example.assign.field}`;
          else variables[example.assign.name] = String(value);
        }
      } else {
        // The demo's feeds are polled in its first seconds: a read waits for its data to arrive.
        await waitFor(
          line,
          async () => {
            problem = expectation(example, await send());
            return problem === null;
          },
          45_000,
          500,
        ).catch(() => undefined);
      }
      if (problem) failures.push(`${line}\n  → ${problem}`);
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
