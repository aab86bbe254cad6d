export * from './background.module';
export * from './housekeeping.service';
export * from './in-process-jobs';
export * from './schedule-planner.service';
