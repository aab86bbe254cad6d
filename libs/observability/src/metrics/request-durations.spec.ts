import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestDurations } from './request-durations';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The same observations through prom-client's Histogram and through RequestDurations, each on its own registry. */
function both(observations: Array<[method: string, route: string, status: number, seconds: number]>) {
  const promRegistry = new Registry();
  promRegistry.setDefaultLabels({ app: 'api' });
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: BUCKETS,
    registers: [promRegistry],
  });
  const ownRegistry = new Registry();
  ownRegistry.setDefaultLabels({ app: 'api' });
  const durations = new RequestDurations(
    'http_request_duration_seconds',
    'HTTP request duration by method, route template and status code',
    BUCKETS,
    ownRegistry,
  );
  for (const [method, route, status, seconds] of observations) {
    histogram.observe({ method, route, status_code: String(status) }, seconds);
    durations.observe(method, route, status, seconds);
  }
  return { promRegistry, ownRegistry, durations };
}

const OBSERVATIONS: Array<[string, string, number, number]> = [
  ['GET', '/v1/rates', 200, 0.0004],
  ['GET', '/v1/currencies', 200, 0.003],
  ['GET', '/v1/rates', 200, 0.001], // on a bound: counted in it (≤)
  ['HEAD', '/v1/rates', 304, 0.02],
  ['GET', '/v1/rates', 200, 7], // past the last bound: +Inf only
  ['POST', 'unmatched', 404, 0.0101],
  ['GET', '/v1/rates', 304, 0.26],
];

describe('RequestDurations', () => {
  it("shows on /metrics exactly what prom-client's Histogram shows for the same observations", async () => {
    const { promRegistry, ownRegistry } = both(OBSERVATIONS);
    const own = await ownRegistry.metrics();
    expect(own).toBe(await promRegistry.metrics());
    expect(own).toContain(
      'http_request_duration_seconds_count{app="api",method="GET",route="/v1/rates",status_code="200"} 3',
    );
    expect(own).toContain(
      'http_request_duration_seconds_bucket{le="0.001",app="api",method="GET",route="/v1/rates",status_code="200"} 2',
    );
  });

  it('reads as JSON as prom-client reads it', async () => {
    const { promRegistry, ownRegistry } = both(OBSERVATIONS);
    expect(await ownRegistry.getMetricsAsJSON()).toEqual(await promRegistry.getMetricsAsJSON());
  });

  it('shows a label set only once observed, and counts into a series kept by its holder', async () => {
    const { ownRegistry, durations } = both([]);
    const series = durations.series('GET', '/v1/rates', 200);
    expect(await ownRegistry.metrics()).not.toContain('_count');
    series.observe(0.002);
    series.observe(0.0005);
    expect(durations.series('GET', '/v1/rates', 200)).toBe(series);
    const text = await ownRegistry.metrics();
    expect(text).toContain(
      'http_request_duration_seconds_count{app="api",method="GET",route="/v1/rates",status_code="200"} 2',
    );
    expect(text).toContain(
      'http_request_duration_seconds_bucket{le="0.0025",app="api",method="GET",route="/v1/rates",status_code="200"} 2',
    );
    expect(text).toContain(
      'http_request_duration_seconds_bucket{le="0.001",app="api",method="GET",route="/v1/rates",status_code="200"} 1',
    );
  });

  it('empties on the registry reset, and a kept series counts again from zero', async () => {
    const { ownRegistry, durations } = both(OBSERVATIONS);
    const series = durations.series('GET', '/v1/rates', 200);
    ownRegistry.resetMetrics();
    expect(await ownRegistry.metrics()).not.toContain('_count');
    series.observe(0.3);
    expect(await ownRegistry.metrics()).toContain(
      'http_request_duration_seconds_count{app="api",method="GET",route="/v1/rates",status_code="200"} 1',
    );
  });
});
