export * from './best-changes';
export * from './history.repository';
