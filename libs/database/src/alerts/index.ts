// Alerts' storage (DESIGN.md §12): visitors' alerts, their evaluation by direction, and the notices sent.
export * from './alert-deliveries.repository';
export * from './alerts.repository';
export * from './operator-alerts.repository';
