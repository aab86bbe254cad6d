// Alerts (DESIGN.md §12): evaluation on changed directions, signed webhook delivery, operators' alerts.
export * from './alert-deliverer.service';
export * from './alert-delivery-queue';
export * from './alert-evaluator.service';
export * from './alerts.metrics';
export * from './alerts.module';
export * from './operator-alerts.service';
export * from './webhook-poster';
