export * from './queue.module';
export * from './queues';
export * from './schedules/bull-recurring-schedules';
export * from './schedules/in-process-recurring-schedules';
export * from './schedules/recurring-schedules';
export * from './schedules/recurring-schedules.module';
export * from './job-requests';
