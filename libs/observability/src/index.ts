export * from './health/health.module';
export * from './logging/logger';
export * from './logging/logging.module';
export * from './metrics/batch.metrics';
export * from './metrics/metrics.module';
export * from './process/close-app';
export * from './process/graceful-http-close';
export * from './process/run-process';
