import 'reflect-metadata';
import { runProcess } from '@app/observability';
import { startWorker } from './bootstrap';

runProcess('ratewatch-worker', startWorker);
