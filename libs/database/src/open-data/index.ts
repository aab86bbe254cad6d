export * from './open-data.repository';
export * from './open-keys.repository';
