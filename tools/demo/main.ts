import { isAbsolute, join, relative } from 'node:path';
import type { FeedFault } from '../feed-simulator/simulator';
import { Demo, DEMO_EXAMPLES, DEMO_TYPO, runDemo } from './demo';

/** `npm run demo`: a living ratewatch on loopback — standalone mode, 40 simulated exchangers. */
async function main(): Promise<void> {
  const demo = await runDemo({
    port: Number(process.env.PORT ?? 3000),
    dataDir: process.env.DATA_DIR ?? join(process.cwd(), 'data', 'demo'),
  });
  process.stdout.write(banner(demo));
  const stop = () => void demo.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function banner(demo: Demo): string {
  const url = demo.api.url;
  const { from, to } = DEMO_EXAMPLES.direction;
  const cash = DEMO_EXAMPLES.cash;
  // data/demo/demo-admin-key when it is under the working folder (as with npm run demo), else the full path.
  const near = relative(process.cwd(), demo.adminKeyFile);
  const keyFile = near.startsWith('..') || isAbsolute(near) ? demo.adminKeyFile : near;
  const auth = `-H "Authorization: Bearer $(cat ${keyFile})"`;
  const faulty = demo.simulator.exchangers
    .filter((e) => e.fault !== 'none')
    .map((e) => `${e.slug} (${FAULT_TEXT[e.fault]})`);
  const { created, repointed, disabled } = demo.registration;
  return [
    '',
    `ratewatch demo is running on ${url} with ${demo.simulator.exchangers.length} simulated exchangers (feeds on ${demo.simulator.base}/)`,
    `  registered ${created} new, pointed ${repointed} feeds at the simulator${disabled.length ? `, switched off ${disabled.length} of an older demo` : ''}`,
    '',
    `  monitoring:     ${url}/?from=${from}&to=${to}`,
    `  cash:           ${url}/?from=${cash.from}&to=${cash.to}&city=${cash.city}`,
    `  operator:       ${url}/admin (admin key in ${keyFile})`,
    `  OpenAPI:        ${url}/docs`,
    `  best rates:     ${url}/v1/rates?from=${from}&to=${to}`,
    `  calculator:     ${url}/v1/rates?from=${from}&to=${to}&amount=0.05`,
    `  cash in Moscow: ${url}/v1/rates?from=${cash.from}&to=${cash.to}&city=${cash.city}`,
    `  directions:     ${url}/v1/directions?from=${from}`,
    `  exchangers:     ${url}/v1/exchangers`,
    `  click-through:  ${url}/go/${DEMO_EXAMPLES.exchanger}?from=${from}&to=${to}`,
    `  feed health:    curl ${auth} ${url}/v1/admin/feeds/health`,
    '',
    `Misbehaving on purpose: ${faulty.join(', ')}.`,
    `${demo.simulator.typoExchanger} publishes a typo every ${DEMO_TYPO.everySeconds} s for ${DEMO_TYPO.forSeconds} s (one rate × ${DEMO_TYPO.factor}): the rate guard holds it back —`,
    `  held offers:    ${url}/admin (section "Held back by the rate guard"), or`,
    `                  curl ${auth} ${url}/v1/admin/quarantine`,
    '',
    'Ctrl-C stops; `npm run demo` again resumes on the same data (DATA_DIR, default data/demo).',
    '',
  ].join('\n');
}

const FAULT_TEXT: Readonly<Record<FeedFault, string>> = {
  none: 'healthy',
  slow: 'a slow body',
  http500: 'HTTP 500',
  maintenance: 'in maintenance',
  html: 'answers an HTML page',
  truncated: 'a truncated body',
  'unknown-codes': 'an unknown currency code',
};

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
