import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_FLAGS } from './fleet';

const ROOT = join(__dirname, '../..');

describe('the services run with the same V8 flags everywhere', () => {
  it('the start scripts, the image and bench:scale', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const flags = SERVICE_NODE_FLAGS.join(' ');
    for (const name of ['start', 'start:api', 'start:worker'])
      expect(scripts[name]).toContain(`exec node ${flags} dist/`);
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(new RegExp(`^ENV NODE_OPTIONS=${flags}$`, 'm'));
  });
});
