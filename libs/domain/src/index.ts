export * from './currency-code';
export * from './decimal';
export * from './rates/calculator';
export * from './rates/ranking';
export * from './rates/referral-url';
export * from './offer-terms';
