export * from './fetch/address-policy';
export * from './fetch/feed-fetcher';
