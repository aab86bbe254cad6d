import { Controller, DynamicModule, Get, Header, Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** The process's Prometheus registry; other modules register their metrics on it. */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

@ApiExcludeController()
@Controller('metrics')
class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(): Promise<string> {
    return this.registry.metrics();
  }
}

type RequestLabel = 'method' | 'route' | 'status_code';

/**
 * The durations of one method, route template and status: prom-client's `labels(…)` child, whose `observe(seconds)`
 * counts into that label set (and still does after the registry's resetMetrics).
 */
export type DurationSeries = Histogram.Internal<RequestLabel>;

/**
 * HTTP request durations by route template (never by raw URL: that would explode the label set), as
 * `http_request_duration_seconds{method, route, status_code}`: prom-client's Histogram. Fastify's onResponse hook
 * records every routed request; a sender that answers before Fastify routes (the hot /v1/rates answers) records
 * its own through `series`, looked up once. Each label set's child is made once and kept in a Map, so a request
 * does not build a labels object; the child's observe still checks and hashes its labels on each call (≈ 1.5 µs a
 * request, the price of keeping the library's histogram rather than a hand-written one).
 */
@Injectable()
export class HttpMetrics implements OnModuleInit {
  private readonly duration: Histogram<RequestLabel>;
  /** The child of each label set seen, by `method status route` (neither a method nor a status has a space). */
  private readonly children = new Map<string, DurationSeries>();

  constructor(
    @Inject(METRICS_REGISTRY) registry: Registry,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }

  /** The durations of one method, route template and status: keep it and call its `observe(seconds)`. */
  series(method: string, route: string, statusCode: number): DurationSeries {
    const key = `${method} ${statusCode} ${route}`;
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.duration.labels({ method, route, status_code: String(statusCode) });
      this.children.set(key, child);
    }
    return child;
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      if (route !== '/metrics') this.series(request.method, route, reply.statusCode).observe(reply.elapsedTime / 1000);
      done();
    });
  }
}

/** `/metrics` in Prometheus text format: process metrics plus what each app registers. */
@Module({})
export class MetricsModule {
  static forRoot(app: 'api' | 'worker'): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [
        {
          provide: METRICS_REGISTRY,
          useFactory: () => {
            const registry = new Registry();
            registry.setDefaultLabels({ app });
            collectDefaultMetrics({ register: registry, prefix: 'ratewatch_' });
            return registry;
          },
        },
        HttpMetrics,
      ],
      exports: [METRICS_REGISTRY, HttpMetrics],
    };
  }
}
