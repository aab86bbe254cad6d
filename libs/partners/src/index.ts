export * from './partner-api.client';
export * from './partner-scheduler';
export * from './partner-sync-requester';
export * from './partner-sync.service';
export * from './partners.module';
export * from './secret-box';
