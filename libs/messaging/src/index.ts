export * from './fail-open-throttler-storage';
export * from './redis.module';
export * from './snapshot-changes';
export * from './within-deadline';
export * from './live-members';
