// Alerts' rules (DESIGN.md §12): conditions and their crossings, signatures, tokens and limits.
export * from './condition';
export * from './limits';
export * from './signature';
