import 'reflect-metadata';
import { runProcess } from '@app/observability';
import { startApi } from './bootstrap';

runProcess('ratewatch-api', startApi);
