import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// SWC compiles the tests so Nest's decorator metadata is emitted (esbuild/oxc would drop it).
const swcPlugin = swc.vite({
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2023',
  },
  module: { type: 'es6' },
});

const shared = {
  plugins: [swcPlugin],
  resolve: { tsconfigPaths: true },
};

/**
 * Three tiers, told apart by suffix (STYLE.md rule 9):
 *  - unit:   *.spec.ts beside the code, pure logic;
 *  - medium: *.medium-spec.ts, services and repositories against the real Postgres and Redis on 127.0.0.1;
 *  - e2e:    *.e2e-spec.ts, whole apps over HTTP (standalone with its embedded database, fleet mode);
 *  - faults: *.faults-spec.ts, the built apps as real processes under restarts, kills and hanging feeds
 *            (`npm run test:faults` builds first; run alone, one file at a time, as they time recoveries).
 */
export default defineConfig({
  test: {
    projects: [
      { ...shared, test: { name: 'unit', include: ['{apps,libs,tools}/**/*.spec.ts'], environment: 'node' } },
      {
        ...shared,
        test: {
          name: 'medium',
          include: ['{apps,libs,test}/**/*.medium-spec.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'e2e',
          include: ['{apps,test,tools}/**/*.e2e-spec.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'faults',
          include: ['test/**/*.faults-spec.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
