import { parseArgs } from 'node:util';
import { FeedSimulator } from './simulator';

/**
 * `npm run simulator -- --exchangers 20 --port 4000 --change 0.1 --tick 15 [--min-items 200 --max-items 6000]
 * [--typo-exchanger 5] [--market]`: the random catalog (sim-1, sim-2, …; the 6th publishes one rate × 1000
 * every 30 s for 15 s with --typo-exchanger 5), or with --market the demo's market (aurora, baikal, …).
 */
const { values } = parseArgs({
  options: {
    exchangers: { type: 'string', default: '20' },
    port: { type: 'string', default: '4000' },
    change: { type: 'string', default: '0.1' },
    tick: { type: 'string', default: '15' },
    seed: { type: 'string', default: '42' },
    'min-items': { type: 'string', default: '200' },
    'max-items': { type: 'string', default: '6000' },
    'typo-exchanger': { type: 'string' },
    market: { type: 'boolean', default: false },
  },
});
const simulator = new FeedSimulator({
  exchangers: Number(values.exchangers),
  changeShare: Number(values.change),
  tickSeconds: Number(values.tick),
  seed: Number(values.seed),
  minItems: Number(values['min-items']),
  maxItems: Number(values['max-items']),
  market: values.market,
  ...(values['typo-exchanger'] === undefined ? {} : { typo: { exchanger: Number(values['typo-exchanger']) } }),
});
void simulator.start(Number(values.port)).then(() => {
  process.stdout.write(
    `feed simulator: ${simulator.exchangers.length} exchangers on ${simulator.base} (list: ${simulator.base}/)\n`,
  );
});
process.once('SIGINT', () => void simulator.stop().then(() => process.exit(0)));
process.once('SIGTERM', () => void simulator.stop().then(() => process.exit(0)));
