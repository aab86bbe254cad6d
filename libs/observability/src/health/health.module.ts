import { Controller, DynamicModule, Get, Inject, Injectable, Module, Optional } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
  TerminusModule,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { REDIS_CLIENT, withinDeadline } from '@app/messaging';
import { HealthLiveDto, HealthReportDto } from './health.dto';

const CHECK_TIMEOUT_MS = 1500;

@Injectable()
class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Optional() @Inject(REDIS_CLIENT) private readonly redis?: Redis,
  ) {}

  async ping(): Promise<HealthIndicatorResult> {
    const check = this.indicators.check('redis');
    if (!this.redis) return check.down({ message: 'no Redis client' });
    if (this.redis.status !== 'ready') return check.down({ message: `connection ${this.redis.status}` });
    try {
      const answer = await withinDeadline(this.redis.ping(), CHECK_TIMEOUT_MS);
      if (!answer.done) return check.down({ message: 'timeout' });
      return answer.value === 'PONG'
        ? check.up()
        : check.down({ message: `unexpected answer ${String(answer.value)}` });
    } catch (error) {
      return check.down({ message: error instanceof Error ? error.message : 'unreachable' });
    }
  }
}

const CHECK_REDIS = Symbol('CHECK_REDIS');

@ApiTags('health')
@ApiSecurity({}) // no credentials: probes call it
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    @Inject(CHECK_REDIS) private readonly checkRedis: boolean,
  ) {}

  /** The process is up (no dependency checked). */
  @Get('live')
  @ApiOperation({
    summary: 'Liveness: the process is up',
    description: 'Always 200 while the process serves; no dependency is checked (restart the process if it fails).',
  })
  @ApiOkResponse({ type: HealthLiveDto, description: 'the process is up' })
  live(): HealthLiveDto {
    return { status: 'ok' };
  }

  /** The process can serve: the database answers, and Redis in fleet mode. 503 otherwise. */
  @Get('ready')
  // Terminus's own OpenAPI schema is anonymous; the named one below gives generated clients one type.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({
    summary: 'Readiness: the process can serve',
    description:
      'Checks the database (and Redis in fleet mode), each within 1.5 s. 503 when one is down, and during the ' +
      'drain after SIGTERM so a load balancer moves traffic away before the process stops.',
  })
  @ApiOkResponse({ type: HealthReportDto, description: 'every dependency answers' })
  @ApiServiceUnavailableResponse({
    type: HealthReportDto,
    description: 'a dependency is down (named in `error`), or the process is draining',
  })
  ready() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: CHECK_TIMEOUT_MS }),
      ...(this.checkRedis ? [() => this.redis.ping()] : []),
    ]);
  }
}

/** `/health/live` and `/health/ready` for the api and the worker. */
@Module({})
export class HealthModule {
  /** `drainMs`: on SIGTERM, /health/ready answers 503 this long before the process stops serving. */
  static forRoot(options: { redis: boolean; drainMs: number }): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false, gracefulShutdownTimeoutMs: options.drainMs })],
      controllers: [HealthController],
      providers: [RedisHealthIndicator, { provide: CHECK_REDIS, useValue: options.redis }],
    };
  }
}
