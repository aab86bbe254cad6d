import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@app/observability';

/**
 * Why a stream was refused: the address holds STREAM_MAX_PER_IP, the process STREAM_MAX_CONNECTIONS, or its
 * query would make one more distinct table of a direction past MAX_CHANNELS_PER_DIRECTION.
 */
export type StreamRefusal = 'per_ip' | 'capacity' | 'channels';

/** What a render of a streamed table found: a new table (sent), the same one (not sent), or an error. */
export type StreamRender = 'changed' | 'unchanged' | 'failed';

/** The live stream's metrics on the api's `/metrics` (GET /v1/rates/stream). */
@Injectable()
export class RateStreamMetrics {
  /** Open streams: raised when one is admitted, lowered when its connection closes (one place each). */
  readonly open: Gauge;
  readonly eventsSent: Counter;
  readonly renders: Counter<'result'>;
  readonly refused: Counter<'reason'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.open = new Gauge({
      name: 'ratewatch_stream_open',
      help: 'Live-stream connections open in this api process',
      registers: [registry],
    });
    this.eventsSent = new Counter({
      name: 'ratewatch_stream_events_sent_total',
      help: 'Rate-table events written to live-stream subscribers (one per subscriber per table)',
      registers: [registry],
    });
    this.renders = new Counter({
      name: 'ratewatch_stream_renders_total',
      help: 'Tables rendered for live streams after a change, by result (changed: sent to its subscribers)',
      labelNames: ['result'],
      registers: [registry],
    });
    this.refused = new Counter({
      name: 'ratewatch_stream_refused_total',
      help: 'Live-stream connections refused with 429, by reason (per_ip: STREAM_MAX_PER_IP, capacity: STREAM_MAX_CONNECTIONS, channels: too many distinct tables of one direction)',
      labelNames: ['reason'],
      registers: [registry],
    });
  }
}
