import type { HttpAdapterHost } from '@nestjs/core';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HttpMetrics } from './metrics.module';

type Hook = (
  request: { method: string; routeOptions: { url?: string } },
  reply: { statusCode: number; elapsedTime: number },
  done: () => void,
) => void;

/** HttpMetrics on its own registry (labelled as the api's), with the onResponse hook it adds to Fastify. */
function httpMetrics() {
  const registry = new Registry();
  registry.setDefaultLabels({ app: 'api' });
  let onResponse: Hook | undefined;
  const fastify = {
    addHook: (name: string, hook: Hook) => {
      if (name === 'onResponse') onResponse = hook;
    },
  };
  const metrics = new HttpMetrics(registry, {
    httpAdapter: { getInstance: () => fastify },
  } as unknown as HttpAdapterHost);
  metrics.onModuleInit();
  const respond = (method: string, route: string | undefined, statusCode: number, milliseconds: number) =>
    onResponse!({ method, routeOptions: { url: route } }, { statusCode, elapsedTime: milliseconds }, () => {});
  return { registry, metrics, respond };
}

const RATES_200 = 'method="GET",route="/v1/rates",status_code="200"';

describe('HttpMetrics', () => {
  it('shows http_request_duration_seconds by method, route template and status on /metrics', async () => {
    const { registry, respond } = httpMetrics();
    respond('GET', '/v1/rates', 200, 0.4);
    respond('GET', '/v1/currencies', 200, 3);
    respond('GET', '/v1/rates', 200, 1); // on a bound: counted in it (≤)
    respond('HEAD', '/v1/rates', 304, 20);
    respond('GET', '/v1/rates', 200, 7000); // past the last bound: +Inf only
    respond('POST', undefined, 404, 10.1);
    respond('GET', '/metrics', 200, 1); // the scrape itself is not counted
    const text = await registry.metrics();
    expect(text).toContain(
      '# HELP http_request_duration_seconds HTTP request duration by method, route template and status code\n' +
        '# TYPE http_request_duration_seconds histogram\n' +
        `http_request_duration_seconds_bucket{le="0.001",app="api",${RATES_200}} 2\n` +
        `http_request_duration_seconds_bucket{le="0.0025",app="api",${RATES_200}} 2\n`,
    );
    expect(text).toContain(`http_request_duration_seconds_bucket{le="5",app="api",${RATES_200}} 2\n`);
    expect(text).toContain(`http_request_duration_seconds_bucket{le="+Inf",app="api",${RATES_200}} 3\n`);
    expect(text).toContain(`http_request_duration_seconds_sum{app="api",${RATES_200}} 7.0014\n`);
    expect(text).toContain(`http_request_duration_seconds_count{app="api",${RATES_200}} 3\n`);
    expect(text).toContain(
      'http_request_duration_seconds_count{app="api",method="HEAD",route="/v1/rates",status_code="304"} 1\n',
    );
    expect(text).toContain(
      'http_request_duration_seconds_bucket{le="0.025",app="api",method="POST",route="unmatched",status_code="404"} 1\n',
    );
    expect(text).not.toContain('route="/metrics"');
    // Twelve bounds and +Inf for each of the four label sets seen.
    expect(text.match(/^http_request_duration_seconds_bucket\{/gm)).toHaveLength(4 * 13);
  });

  it('shows a label set only once observed, and counts into a series kept by its holder', async () => {
    const { registry, metrics, respond } = httpMetrics();
    const series = metrics.series('GET', '/v1/rates', 200);
    expect(await registry.metrics()).not.toContain('_count');
    series.observe(0.002);
    series.observe(0.0005);
    expect(metrics.series('GET', '/v1/rates', 200)).toBe(series);
    expect(metrics.series('GET', '/v1/rates', 304)).not.toBe(series);
    respond('GET', '/v1/rates', 200, 0.1); // Fastify's hook counts into the same label set
    const text = await registry.metrics();
    expect(text).toContain(`http_request_duration_seconds_count{app="api",${RATES_200}} 3\n`);
    expect(text).toContain(`http_request_duration_seconds_bucket{le="0.001",app="api",${RATES_200}} 2\n`);
    expect(text).toContain(`http_request_duration_seconds_bucket{le="0.0025",app="api",${RATES_200}} 3\n`);
    expect(text).not.toContain('status_code="304"');
  });

  it('empties on the registry reset, and a kept series counts again from zero', async () => {
    const { registry, metrics } = httpMetrics();
    const series = metrics.series('GET', '/v1/rates', 200);
    series.observe(0.01);
    series.observe(0.02);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('_count');
    series.observe(0.3);
    expect(await registry.metrics()).toContain(`http_request_duration_seconds_count{app="api",${RATES_200}} 1\n`);
  });
});
