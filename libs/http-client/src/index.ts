export * from './address-policy';
export * from './http-client.module';
export * from './safe-http-client';
export * from './guarded-lookup';
