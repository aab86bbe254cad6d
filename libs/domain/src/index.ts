export * from './currency-code';
export * from './decimal';
