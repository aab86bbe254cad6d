/**
 * npm run test:load [-- --seconds 60 --connections 200]
 *
 * The public API under load while feeds are being written (fleet mode on the local PostgreSQL and
 * Redis: simulator, api, one worker). 200 connections for 60 s spread over many directions, most
 * requests from 2,000 visitor addresses (X-Forwarded-For) and a tenth from one greedy address that
 * the per-IP limit must answer with 429. Passes when every answer is a 200, 304 or one of those 429s,
 * and the api's memory is flat (RSS sampled every 5 s: the second half of the run peaks at most 10 %
 * above the first half; V8 sizes its heap to the load once, a leak keeps climbing). Prints p50/p99.
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { writeResults } from '../bench/bench-kit';
import { startFleet } from '../bench/fleet';
import { cpuSeconds, rssMb } from '../bench/process-stats';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '60' }, connections: { type: 'string', default: '200' } },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const GREEDY = '198.51.100.77';
const RATE_LIMIT = 600;

async function main(): Promise<void> {
  const fleet = await startFleet({
    exchangers: 60,
    offers: 1000,
    interval: 10,
    change: 0.2,
    workers: 1,
    env: { PUBLIC_RATE_LIMIT: String(RATE_LIMIT), PUBLIC_CACHE_SECONDS: '2' },
  });
  let failed = false;
  try {
    const api = fleet.processes.find((p) => p.name === 'api')!.child.pid!;
    // Directions that exist, from the simulator's own feeds.
    const directions = (
      await fleet.db.query<{ from_code: string; to_code: string }>(
        `SELECT DISTINCT from_code, to_code FROM offers WHERE city = '' LIMIT 400`,
      )
    ).rows;
    for (let i = 0; directions.length === 0 && i < 60; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      directions.push(
        ...(
          await fleet.db.query<{ from_code: string; to_code: string }>(
            `SELECT DISTINCT from_code, to_code FROM offers WHERE city = '' LIMIT 400`,
          )
        ).rows,
      );
    }
    if (directions.length === 0) throw new Error('no offers were written: the fleet is not polling');
    let n = 0;
    const paths = directions
      .flatMap((d) => [
        `/v1/rates?from=${d.from_code}&to=${d.to_code}`,
        `/v1/rates?from=${d.from_code}&to=${d.to_code}&amount=100`,
      ])
      .concat(['/v1/directions', '/v1/exchangers', '/v1/currencies']);
    const requests = [
      {
        setupRequest: (request: autocannon.Request) => {
          n++;
          const ip = n % 10 === 0 ? GREEDY : `10.${(n >> 8) % 8}.${n % 250}.${(n % 7) + 1}`;
          return { ...request, path: paths[n % paths.length]!, headers: { ...request.headers, 'x-forwarded-for': ip } };
        },
      },
    ];

    // Warm-up at full load: caches, JIT, pools, and V8 growing its heap to the load (about 15 s here).
    await autocannon({ url: fleet.api, connections: CONNECTIONS, duration: 15, requests });
    const rssStart = rssMb(api);
    const cpuStart = cpuSeconds(api);
    const runsBefore = Number(
      (await fleet.db.query<{ n: string }>(`SELECT count(*) AS n FROM feed_runs WHERE status = 'ok'`)).rows[0]!.n,
    );
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rssMb(api)), 5000);
    const result = await autocannon({ url: fleet.api, connections: CONNECTIONS, duration: SECONDS, requests });
    clearInterval(sampler);
    const rssEnd = rssMb(api);
    // Flat: the second half of the run peaks no more than 10 % above the first half's peak (V8 sizes its
    // heap to the load once; a leak keeps climbing). Judged on 6 samples or more (a run of 30 s or longer).
    const half = Math.floor(samples.length / 2);
    const firstPeak = Math.max(rssStart, ...samples.slice(0, half));
    const secondPeak = Math.max(...samples.slice(half));
    const judgeMemory = samples.length >= 6;
    const cpu = (100 * (cpuSeconds(api) - cpuStart)) / SECONDS;
    const runsDuring =
      Number(
        (await fleet.db.query<{ n: string }>(`SELECT count(*) AS n FROM feed_runs WHERE status = 'ok'`)).rows[0]!.n,
      ) - runsBefore;

    const ok = result['2xx'];
    const tooMany = result.statusCodeStats?.['429']?.count ?? 0;
    const otherNon2xx = result.non2xx - tooMany;
    const summary = {
      seconds: SECONDS,
      connections: CONNECTIONS,
      requests: result.requests.total,
      requestsPerSecond: result.requests.average,
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      status: { ok, '429': tooMany, other: otherNon2xx },
      errors: result.errors,
      timeouts: result.timeouts,
      apiRssMb: {
        start: rssStart,
        end: rssEnd,
        firstHalfPeak: firstPeak,
        secondHalfPeak: secondPeak,
        every5s: samples,
      },
      apiCpuPercent: cpu,
      snapshotsWrittenDuringLoad: runsDuring,
    };
    console.log(
      `\nLoad: ${CONNECTIONS} connections for ${SECONDS} s on the public API while the worker writes snapshots`,
    );
    console.log(
      `  requests            ${result.requests.total.toLocaleString('en-US')} (${Math.round(result.requests.average).toLocaleString('en-US')}/s)`,
    );
    console.log(
      `  latency p50 / p99   ${result.latency.p50} / ${result.latency.p99} ms (max ${result.latency.max} ms)`,
    );
    console.log(
      `  answers             ${ok} 2xx, ${tooMany} 429 (the greedy visitor), ${otherNon2xx} other, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
    console.log(
      `  api RSS             ${rssStart.toFixed(0)} MB after warm-up → ${rssEnd.toFixed(0)} MB at the end; peak ${firstPeak.toFixed(0)} MB in the first half, ${secondPeak.toFixed(0)} MB in the second (every 5 s: ${samples.map((m) => m.toFixed(0)).join(' ')})${judgeMemory ? '' : ' — run 30 s or more to judge memory'}; api CPU ${cpu.toFixed(0)} %`,
    );
    console.log(`  snapshots written   ${runsDuring} during the load`);
    const problems = [
      otherNon2xx > 0 && `${otherNon2xx} answers were neither 2xx nor 429`,
      result.errors > 0 && `${result.errors} connection errors`,
      result.timeouts > 0 && `${result.timeouts} timeouts`,
      tooMany === 0 && 'the greedy visitor was never limited (429)',
      judgeMemory &&
        secondPeak > firstPeak * 1.1 &&
        `api memory kept growing: peak ${firstPeak.toFixed(0)} MB in the first half, ${secondPeak.toFixed(0)} MB in the second`,
      runsDuring === 0 && 'no snapshot was written during the load',
    ].filter(Boolean);
    console.log(problems.length === 0 ? '  PASSED' : `  FAILED: ${problems.join('; ')}`);
    console.log(`results written to ${writeResults('load', { ...summary, passed: problems.length === 0, problems })}`);
    failed = problems.length > 0;
  } finally {
    await fleet.stop();
  }
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
