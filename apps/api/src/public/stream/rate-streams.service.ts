import type { ServerResponse } from 'node:http';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BusyError } from '@app/domain';
import { SnapshotChanges, SnapshotChangeEvent } from '@app/messaging';
import { canonicalQuery, type RatesQuery } from '../rates/rates.dto';
import { RatesService } from '../rates/rates.service';
import { RateStreamMetrics } from './rate-stream.metrics';
import { HEARTBEAT, OPENING, ratesEvent, RETRY_MS, tableVersion } from './sse';

/** Changes of one direction within this window make one render (a poll writes several snapshots in a burst). */
export const COALESCE_MS = 250;
/** Renders running at once: an `{all: true}` change re-renders every streamed table, this many at a time. */
const RENDER_CONCURRENCY = 4;
/** A table not rendered for this long is rendered again at a heartbeat: a lost change announcement heals. */
const RESYNC_MS = 60_000;
/**
 * Distinct tables (channels: one per canonical query) streamed at once for one direction, plain tables aside. Every channel is
 * rendered again on each change of its direction, on `{all: true}` and every RESYNC_MS, so without a bound
 * one attacker with many addresses could open up to STREAM_MAX_CONNECTIONS streams, each with its own
 * `amount` or `limit`, and make every poll queue thousands of cache-missing renders. Past it, a stream whose
 * query would make a new channel is refused (429, reason `channels`); streams of an existing channel still join,
 * and the plain table (no amount, exclude, side or limit: one per city at most) is never refused, so filling a
 * direction's channels cannot lock everyone out of it.
 */
export const MAX_CHANNELS_PER_DIRECTION = 32;
/** Bytes a subscriber may leave unread; past them it is cut (it reconnects with Last-Event-ID and catches up). */
const MAX_UNREAD_BYTES = 1024 * 1024;

/** One streamed query (direction and the table's options) and its subscribers: rendered once per change for all. */
interface Channel {
  readonly key: string;
  readonly group: string;
  readonly query: RatesQuery;
  /** The same query at GET /v1/rates (the cache's alias for it). */
  readonly url: string;
  readonly subscribers: Set<ServerResponse>;
  /** The first render: connections wait for it (and get its error: 404, 400). */
  ready: Promise<void>;
  version: string | null;
  etag: string | null;
  /** The current table as one `table` event: the same bytes for every subscriber. */
  event: Buffer | null;
  renderedAt: number;
  state: 'idle' | 'waiting' | 'rendering';
  timer: NodeJS.Timeout | null;
  /** A change arrived while rendering: render once more after. */
  again: boolean;
}

const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

/**
 * The live stream of rate tables (GET /v1/rates/stream, DESIGN.md §12): Server-Sent Events fed by the change
 * events that invalidate the caches (in-process in standalone mode, through Redis from the workers in fleet
 * mode). Subscribers of one query share a channel: after a change of its direction the table is rendered once
 * (through the public cache, so also shared with GET /v1/rates), and the same bytes are written to every
 * subscriber — only when the table really differs from the last one sent. Writes go to the raw socket: no
 * per-push cost of Nest's or Fastify's pipeline.
 */
@Injectable()
export class RateStreams implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RateStreams.name);
  private readonly channels = new Map<string, Channel>();
  /** Channels by direction group (`FROM|TO`), for the change events. */
  private readonly groups = new Map<string, Set<Channel>>();
  private readonly perIp = new Map<string, number>();
  private readonly queue = new Set<Channel>();
  private rendering = 0;
  private streams = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private closing = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly rates: RatesService,
    private readonly metrics: RateStreamMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    changes: SnapshotChanges,
  ) {
    this.unsubscribe = changes.subscribe((event) => this.changed(event));
  }

  /** Streams open in this process. */
  get size(): number {
    return this.streams;
  }

  /**
   * Opens a stream of `query` on `reply`: refused with 429 past the per-address or per-process limit, with the
   * table's own 400/404 when the query cannot be answered; otherwise hijacked, the current table sent (unless
   * Last-Event-ID names it) and every new one after.
   */
  async open(query: RatesQuery, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const ip = normalizeIp(request.ip);
    this.admit(ip);
    let channel: Channel;
    try {
      // Its last subscriber may leave while this one waits: then a new channel, rendered from the cache.
      do {
        channel = this.channelOf(query, request.url);
        await channel.ready;
      } while (this.channels.get(channel.key) !== channel);
    } catch (error) {
      this.release(ip);
      throw error;
    }
    reply.hijack();
    const raw = reply.raw;
    // A write the socket refuses (reset, or one racing the end) is an 'error' event: with no listener it
    // would be an uncaught exception that kills the process. The 'close' that follows lets the stream go.
    raw.on('error', (error: Error) => this.logger.debug(`a live stream's connection failed: ${error.message}`));
    /** Gives the slot back (and the channel up when nobody else streams it). */
    const leave = () => {
      this.release(ip);
      if (channel.subscribers.size === 0) this.drop(channel);
    };
    // Gone while its table was made.
    if (!raw.socket || raw.socket.destroyed) return leave();
    raw.writeHead(200, STREAM_HEADERS);
    const lastEventId = request.headers['last-event-id'];
    const current = lastEventId !== undefined && lastEventId === channel.version;
    if (request.method === 'HEAD') {
      // The headers a GET would have, and no stream to hold.
      raw.end();
      return leave();
    }
    this.write(raw, OPENING);
    if (!current && channel.event) this.send(raw, channel.event);
    if (this.closing) {
      // Shutting down: the table now, then the end; the client reconnects after `retry`, to another replica.
      raw.end();
      return leave();
    }
    channel.subscribers.add(raw);
    this.metrics.open.inc();
    this.startHeartbeat();
    raw.once('close', () => {
      channel.subscribers.delete(raw);
      this.metrics.open.dec();
      leave();
      if (this.streams === 0) this.stopHeartbeat();
    });
  }

  /** Ends every stream (clients reconnect elsewhere) so the HTTP drain is not held by them. */
  beforeApplicationShutdown(): void {
    this.closing = true;
    this.unsubscribe();
    this.stopHeartbeat();
    this.queue.clear();
    for (const channel of [...this.channels.values()]) {
      for (const raw of channel.subscribers) if (!raw.writableEnded) raw.end();
      // Ended: nothing may be written to them any more (a render still running finds the channel dropped).
      channel.subscribers.clear();
      this.drop(channel);
    }
  }

  /** Takes a slot for `ip`, or refuses (429) with what to do instead. */
  private admit(ip: string): void {
    const { maxPerIp, maxConnections } = this.config.stream;
    if (this.streams >= maxConnections) {
      this.metrics.refused.inc({ reason: 'capacity' });
      throw new BusyError(
        `this server holds as many live streams as it can (${maxConnections}); retry in a few seconds, or poll ` +
          'GET /v1/rates with If-None-Match meanwhile',
        5,
      );
    }
    const held = this.perIp.get(ip) ?? 0;
    if (held >= maxPerIp) {
      this.metrics.refused.inc({ reason: 'per_ip' });
      throw new BusyError(
        `this address already holds ${held} live streams, the most allowed (STREAM_MAX_PER_IP); close one ` +
          '(one stream per table is enough) or poll GET /v1/rates with If-None-Match instead',
        RETRY_MS / 1000,
      );
    }
    this.perIp.set(ip, held + 1);
    this.streams++;
  }

  private release(ip: string): void {
    this.streams--;
    const held = (this.perIp.get(ip) ?? 1) - 1;
    if (held > 0) this.perIp.set(ip, held);
    else this.perIp.delete(ip);
  }

  /**
   * The channel of `raw` (canonical: `amount=1.0` and `amount=1` are one table), made (and its first render
   * started) when nobody streams it yet — refused past MAX_CHANNELS_PER_DIRECTION.
   */
  private channelOf(raw: RatesQuery, streamUrl: string): Channel {
    const query = canonicalQuery(raw);
    const key = JSON.stringify([
      query.from,
      query.to,
      query.city ?? null,
      query.amount ?? null,
      query.side ?? 'give',
      query.exclude ?? '',
      query.limit ?? 100,
    ]);
    const existing = this.channels.get(key);
    if (existing) return existing;
    const group = `${query.from}|${query.to}`;
    if (!isPlainTable(query) && this.cappedChannels(group) >= MAX_CHANNELS_PER_DIRECTION) {
      this.metrics.refused.inc({ reason: 'channels' });
      throw new BusyError(
        `this server already streams ${MAX_CHANNELS_PER_DIRECTION} different tables of ${query.from} to ` +
          `${query.to}, the most it streams of one direction; stream the table without amount, exclude, side ` +
          'and limit (never refused), or poll GET /v1/rates with this query and If-None-Match instead',
        RESYNC_MS / 1000,
      );
    }
    const channel: Channel = {
      key,
      group,
      query,
      url: streamUrl.replace(/^\/v1\/rates\/stream(?=\?|$)/, '/v1/rates'),
      subscribers: new Set(),
      ready: Promise.resolve(),
      version: null,
      etag: null,
      event: null,
      renderedAt: 0,
      state: 'rendering',
      timer: null,
      again: false,
    };
    this.channels.set(key, channel);
    let inGroup = this.groups.get(group);
    if (!inGroup) this.groups.set(group, (inGroup = new Set()));
    inGroup.add(channel);
    channel.ready = this.render(channel).then(
      () => this.rendered(channel),
      (error: unknown) => {
        this.drop(channel);
        throw error;
      },
    );
    return channel;
  }

  /** The direction's channels that count against MAX_CHANNELS_PER_DIRECTION (all but plain tables). */
  private cappedChannels(group: string): number {
    let count = 0;
    for (const channel of this.groups.get(group) ?? []) if (!isPlainTable(channel.query)) count++;
    return count;
  }

  /** Forgets a channel nobody streams any more (a pending render finds it gone and sends nothing). */
  private drop(channel: Channel): void {
    if (this.channels.get(channel.key) !== channel) return;
    this.channels.delete(channel.key);
    const inGroup = this.groups.get(channel.group);
    inGroup?.delete(channel);
    if (inGroup?.size === 0) this.groups.delete(channel.group);
    if (channel.timer) clearTimeout(channel.timer);
    channel.timer = null;
    this.queue.delete(channel);
  }

  private changed(event: SnapshotChangeEvent): void {
    if ('all' in event) {
      for (const channel of this.channels.values()) this.mark(channel);
      return;
    }
    for (const [from, to] of event.directions)
      for (const channel of this.groups.get(`${from}|${to}`) ?? []) this.mark(channel);
  }

  /** A change touched the channel's direction: render it once the burst is over. */
  private mark(channel: Channel): void {
    if (channel.state === 'rendering') channel.again = true;
    if (channel.state !== 'idle') return;
    channel.state = 'waiting';
    channel.timer = setTimeout(() => {
      channel.timer = null;
      this.queue.add(channel);
      this.pump();
    }, COALESCE_MS);
  }

  /** Runs queued renders, RENDER_CONCURRENCY at a time. */
  private pump(): void {
    if (this.closing) return void this.queue.clear();
    for (const channel of this.queue) {
      if (this.rendering >= RENDER_CONCURRENCY) return;
      this.queue.delete(channel);
      channel.state = 'rendering';
      this.rendering++;
      void this.render(channel)
        .catch((error: unknown) => {
          this.metrics.renders.inc({ result: 'failed' });
          this.logger.warn(`could not render a streamed table (${channel.group}): ${String(error)}`);
        })
        .finally(() => {
          this.rendering--;
          this.rendered(channel);
          this.pump();
        });
    }
  }

  private rendered(channel: Channel): void {
    channel.state = 'idle';
    if (!channel.again) return;
    channel.again = false;
    if (this.channels.get(channel.key) === channel) this.mark(channel);
  }

  /**
   * Renders the channel's table (through the public cache) and sends it to all its subscribers if it changed —
   * nothing when the channel was dropped meanwhile (its last subscriber left, or shutdown ended its streams and
   * dropped every channel). A channel made while closing has no subscribers: its first render is the table a
   * connection arriving then gets before its end.
   */
  private async render(channel: Channel): Promise<void> {
    const answer = await this.rates.cachedTable(channel.query, channel.url);
    if (this.channels.get(channel.key) !== channel) return;
    channel.renderedAt = Date.now();
    if (answer.etag === channel.etag) return void this.metrics.renders.inc({ result: 'unchanged' });
    channel.etag = answer.etag;
    const body = answer.body; // decoded once per change per query, written to every subscriber
    const version = tableVersion(body);
    if (version === channel.version) return void this.metrics.renders.inc({ result: 'unchanged' });
    this.metrics.renders.inc({ result: 'changed' });
    channel.version = version;
    channel.event = ratesEvent(version, body);
    for (const raw of channel.subscribers) this.write(raw, channel.event);
    this.metrics.eventsSent.inc(channel.subscribers.size);
  }

  private send(raw: ServerResponse, event: Buffer): void {
    this.write(raw, event);
    this.metrics.eventsSent.inc();
  }

  /**
   * Writes to a subscriber (never to one ended or destroyed: that write would fail); one that leaves too much
   * unread is cut (it catches up by reconnecting).
   */
  private write(raw: ServerResponse, bytes: Buffer): void {
    if (raw.writableEnded || raw.destroyed) return;
    raw.write(bytes);
    if (raw.writableLength > MAX_UNREAD_BYTES) raw.destroy();
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => this.beat(), this.config.stream.heartbeatSeconds * 1000);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** A heartbeat to every subscriber; tables not rendered for RESYNC_MS are rendered again (a lost change heals). */
  private beat(): void {
    const stale = Date.now() - RESYNC_MS;
    for (const channel of this.channels.values()) {
      for (const raw of channel.subscribers) this.write(raw, HEARTBEAT);
      if (channel.renderedAt < stale) this.mark(channel);
    }
  }
}

/** The direction's table as most clients stream it (no calculator, no filter, the default length): never capped. */
function isPlainTable(query: RatesQuery): boolean {
  return (
    query.amount === undefined &&
    query.exclude === undefined &&
    (query.side ?? 'give') === 'give' &&
    (query.limit ?? 100) === 100
  );
}
