import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One `curl` command of the README, read the way the shell would read it. */
export interface CurlExample {
  /** The command as the README writes it (continuation lines joined), for failure messages. */
  line: string;
  method: string;
  /** The path and query after `localhost:3000`. */
  path: string;
  headers: Array<[string, string]>;
  /** `-d` text, or `--data-binary @file` read from the repository. */
  body?: string | Buffer;
  /** The `jq` filter the README pipes the answer into, if any. */
  jq?: string;
}

const SHELL_VARIABLE = /\$(\w+)|\$\{(\w+)\}/g;

/**
 * The `curl` commands of every ```sh block of a Markdown file (continuation lines joined), as written:
 * `curl …` lines and `NAME=$(curl … | jq -r .field)` assignments, which later lines use as `$NAME`.
 */
export function readmeCurlLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g))
    for (const raw of block[1]!.replace(/\\\n\s*/g, ' ').split('\n')) {
      const line = raw.trim();
      if (line.startsWith('curl ') || /^\w+=\$\(curl /.test(line)) lines.push(line);
    }
  return lines;
}

/**
 * One README line read with the variables known so far (`$VARIABLES` replaced inside double quotes and
 * bare words; single quotes keep them, as the shell does). Null for a URL that is not on `localhost:3000`
 * (it talks about an exchanger's site, not ratewatch).
 */
export function parseCurlLine(
  line: string,
  variables: Record<string, string>,
  root: string,
): (CurlExample & { assign?: { name: string; field: string } }) | null {
  const assignment = /^(\w+)=\$\((curl .*)\|\s*jq -r \.(\w+)\)$/.exec(line);
  if (assignment) {
    const example = parseCurl(assignment[2]!, variables, root);
    return example && { ...example, line, assign: { name: assignment[1]!, field: assignment[3]! } };
  }
  return parseCurl(line, variables, root);
}

function parseCurl(line: string, variables: Record<string, string>, root: string): CurlExample | null {
  const { words, rest } = shellWords(line, variables);
  let method: string | undefined;
  let path: string | undefined;
  let body: string | Buffer | undefined;
  const headers: Array<[string, string]> = [];
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (word === '-X') method = words[++i];
    else if (word === '-H') {
      const header = words[++i]!;
      const colon = header.indexOf(':');
      headers.push([header.slice(0, colon).trim(), header.slice(colon + 1).trim()]);
    } else if (word === '-d' || word === '--data') body = words[++i];
    else if (word === '--data-binary') {
      const value = words[++i]!;
      body = value.startsWith('@') ? readFileSync(join(root, value.slice(1))) : value;
    } else if (/^(https?:\/\/)?localhost:3000(\/|$)/.test(word))
      path = word.replace(/^(https?:\/\/)?localhost:3000/, '');
    else if (!word.startsWith('-')) return null; // a URL elsewhere
  }
  if (path === undefined) return null;
  const jq = /\|\s*jq\s+(?:-\w+\s+)*'([^']*)'/.exec(rest)?.[1] ?? /\|\s*jq\s+(\.\S*)/.exec(rest)?.[1];
  return { line, method: method ?? (body === undefined ? 'GET' : 'POST'), path: path || '/', headers, body, jq };
}

/**
 * Splits a command into words as a POSIX shell would (quotes, backslash escapes, `$VAR` expansion outside
 * single quotes), up to the first unquoted `|`, `#`, `>` or `;`; `rest` is what follows.
 */
export function shellWords(line: string, variables: Record<string, string>): { words: string[]; rest: string } {
  const words: string[] = [];
  let word: string | null = null;
  const expand = (text: string) =>
    text.replace(SHELL_VARIABLE, (_, a?: string, b?: string) => {
      const name = (a ?? b)!;
      if (!(name in variables)) throw new Error(`the README uses $${name}, which the test does not define`);
      return variables[name]!;
    });
  let i = 0;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let end = i + 1;
      while (line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
      word = (word ?? '') + expand(line.slice(i + 1, end).replace(/\\(["\\$`])/g, '$1'));
      i = end;
    } else if (c === '\\') {
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if ('|#>;'.includes(c) && (c !== '#' || word === null)) {
      break;
    } else if (c === '$') {
      const match = /^\$(\w+)|^\$\{(\w+)\}/.exec(line.slice(i))!;
      word = (word ?? '') + expand(match[0]);
      i += match[0].length - 1;
    } else word = (word ?? '') + c;
  }
  if (word !== null) words.push(word);
  return { words, rest: line.slice(i) };
}
