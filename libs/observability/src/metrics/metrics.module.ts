import { Controller, DynamicModule, Get, Header, Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DurationSeries, RequestDurations } from './request-durations';

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

/**
 * HTTP request durations by route template (never by raw URL: that would explode the label set), as
 * `http_request_duration_seconds{method, route, status_code}`. Fastify's onResponse hook records every routed
 * request; a sender that answers before Fastify routes (the hot /v1/rates answers) records its own through
 * `series`, looked up once.
 */
@Injectable()
export class HttpMetrics implements OnModuleInit {
  private readonly duration: RequestDurations;

  constructor(
    @Inject(METRICS_REGISTRY) registry: Registry,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.duration = new RequestDurations(
      'http_request_duration_seconds',
      'HTTP request duration by method, route template and status code',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registry,
    );
  }

  /** The durations of one method, route template and status: keep it and call its `observe(seconds)`. */
  series(method: string, route: string, statusCode: number): DurationSeries {
    return this.duration.series(method, route, statusCode);
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      if (route !== '/metrics')
        this.duration.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
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
