import { join } from 'node:path';
import { DEMO_TYPO, runDemo } from './demo';

/** `npm run demo`: a living ratewatch on loopback — standalone mode, ~20 simulated exchangers. */
async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const demo = await runDemo({
    exchangers: 20,
    port,
    dataDir: process.env.DATA_DIR ?? join(process.cwd(), 'data', 'demo'),
  });
  // The example direction: the one most simulated exchangers offer (healthy ones first), so the pages show a ranking.
  const healthy = demo.simulator.exchangers.filter((e) => e.fault === 'none');
  const offeredBy = new Map<string, number>();
  for (const e of healthy)
    for (const i of e.items)
      if (i.city === null) offeredBy.set(`${i.from}|${i.to}`, (offeredBy.get(`${i.from}|${i.to}`) ?? 0) + 1);
  const [busiest] = [...offeredBy].sort((a, b) => b[1] - a[1])[0]!;
  const exchanger = healthy.find((e) => e.items.some((i) => `${i.from}|${i.to}` === busiest))!;
  const item = exchanger.items.find((i) => `${i.from}|${i.to}` === busiest)!;
  const url = demo.api.url;
  process.stdout.write(
    [
      '',
      `ratewatch demo is running on ${url} with ${demo.simulator.exchangers.length} simulated exchangers (feeds on ${demo.simulator.base}/)`,
      '',
      `  monitoring:     ${url}/?from=${item.from}&to=${item.to}`,
      `  operator:       ${url}/admin (admin key: ${demo.adminKey})`,
      `  OpenAPI:        ${url}/docs`,
      `  best rates:     ${url}/v1/rates?from=${item.from}&to=${item.to}`,
      `  calculator:     ${url}/v1/rates?from=${item.from}&to=${item.to}&amount=100`,
      `  directions:     ${url}/v1/directions?from=${item.from}`,
      `  exchangers:     ${url}/v1/exchangers`,
      `  click-through:  ${url}/go/${exchanger.slug}?from=${item.from}&to=${item.to}`,
      `  feed health:    curl -H 'Authorization: Bearer ${demo.adminKey}' ${url}/v1/admin/feeds/health`,
      '',
      'sim-4 is in maintenance, sim-8 answers an HTML page, sim-12 a truncated body, sim-16 an unknown code.',
      `${demo.simulator.typoExchanger} publishes a typo every ${DEMO_TYPO.everySeconds} s for ${DEMO_TYPO.forSeconds} s (one rate × ${DEMO_TYPO.factor}): the rate guard holds it back —`,
      `  held offers:    ${url}/admin (section "Held back by the rate guard"), or`,
      `                  curl -H 'Authorization: Bearer ${demo.adminKey}' ${url}/v1/admin/quarantine`,
      '',
      'Ctrl-C stops.',
      '',
    ].join('\n'),
  );
  const stop = () => void demo.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
