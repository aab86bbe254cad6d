export * from './market-values.repository';
