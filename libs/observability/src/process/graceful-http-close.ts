import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, Socket } from 'node:net';
import type { INestApplication } from '@nestjs/common';

/** A client that connected before the listener closed has this long to send its request. */
const FRESH_CONNECTION_GRACE_MS = 1000;
/**
 * Event-loop turns let run before the listener closes: the first accepts what waits in the kernel's
 * backlog, the next reads what those connections already sent (a request read is a request in hand).
 * Counted in turns, not milliseconds, so a starved process (busy machine) still takes them all.
 */
const TURNS_BEFORE_CLOSE = 3;
const CHECK_EVERY_MS = 20;

interface ConnectionState {
  /**
   * Responses on this connection not closed yet, oldest first (a pipelined request's response waits for the
   * one before it). Usually none or one.
   */
  readonly open: ServerResponse[];
  /** Requests seen on this connection. */
  requests: number;
  /** socket.bytesRead when the last response closed: more read since is a request on its way. */
  bytesReadWhenIdle: number;
}

const drains = new WeakMap<object, HttpDrain>();

/**
 * The HTTP side of a graceful stop. Fastify's `close()` alone loses requests on a busy machine: from its
 * first moment it answers 503 to every request it reads (one sent before SIGTERM but not read yet included),
 * closing the listener resets the connections still waiting in the kernel's backlog (ECONNRESET for a
 * request the client did send), and idle keep-alive connections are cut while a client may be sending on
 * them. This stops in the right order instead:
 *  1. from `draining()` on, every answer says `Connection: close` (no keep-alive reuse during the drain);
 *  2. at `stop()` it lets the backlog be accepted and what arrived be read, then closes the listener;
 *  3. it answers every request in hand; an idle keep-alive connection is closed at once, a connection that
 *     has sent nothing yet gets FRESH_CONNECTION_GRACE_MS to do so;
 *  4. only then does Fastify close (nothing left for its 503s) and the shutdown hooks run (flushes, pools).
 * What it does per request is kept small (it runs before every answer, the hot cached ones included): the
 * response joins its connection's list and gets one shared close listener — no closure, no set of all responses.
 */
class HttpDrain {
  private readonly connections = new Map<Socket, ConnectionState>();
  /** Responses not finished yet whose connection was not seen connecting (not expected): a drain still closes them. */
  private readonly untracked = new Set<ServerResponse>();
  private isDraining = false;
  private stopped: Promise<void> | null = null;

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.connections.set(socket, { open: [], requests: 0, bytesReadWhenIdle: 0 });
      socket.once('close', () => this.connections.delete(socket));
    });
    const connections = this.connections;
    const untracked = this.untracked;
    // One listener for every response (`this` is the response): its request's socket finds its connection.
    function responseClosed(this: ServerResponse): void {
      const socket = this.req.socket;
      const state = connections.get(socket);
      if (state === undefined) return void untracked.delete(this);
      const open = state.open;
      // Responses on a connection finish in order: the oldest, unless the connection broke off.
      if (open[0] === this) open.shift();
      else {
        const index = open.indexOf(this);
        if (index >= 0) open.splice(index, 1);
      }
      state.bytesReadWhenIdle = socket.bytesRead;
    }
    // First in line, so the header is there before any handler writes the answer.
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
      const state = this.connections.get(request.socket);
      if (state !== undefined) {
        state.open.push(response);
        state.requests++;
      } else this.untracked.add(response);
      response.on('close', responseClosed);
      if (this.isDraining) response.setHeader('connection', 'close');
    });
  }

  draining(): void {
    this.isDraining = true;
    const close = (response: ServerResponse) => {
      if (!response.headersSent) response.setHeader('connection', 'close');
    };
    for (const state of this.connections.values()) state.open.forEach(close);
    this.untracked.forEach(close);
  }

  stop(): Promise<void> {
    this.stopped ??= this.stopServing();
    return this.stopped;
  }

  private async stopServing(): Promise<void> {
    this.draining();
    for (let i = 0; i < TURNS_BEFORE_CLOSE; i++) await new Promise((resolve) => setImmediate(resolve));
    // net's close, not http's: http's would also cut the idle keep-alive connections at once (step 3 does).
    const closed = new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      NetServer.prototype.close.call(this.server, () => resolve());
    });
    const freshUntil = Date.now() + FRESH_CONNECTION_GRACE_MS;
    while (this.connections.size > 0) {
      for (const [socket, state] of this.connections) {
        const idle = state.open.length === 0 && socket.bytesRead === state.bytesReadWhenIdle;
        if (idle && (state.requests > 0 || Date.now() >= freshUntil)) this.end(socket);
      }
      if (this.connections.size > 0) await new Promise((resolve) => setTimeout(resolve, CHECK_EVERY_MS));
    }
    await closed;
  }

  private end(socket: Socket): void {
    this.connections.delete(socket);
    // After what is written has left (a response may just have finished), never with it unsent.
    socket.end(() => socket.destroy());
  }
}

/**
 * Makes `app.close()` stop the HTTP server gently (see HttpDrain): call it once, before `listen`. `closeApp`
 * switches to `Connection: close` the moment a shutdown starts; the listener closes when Nest closes the
 * HTTP adapter — after the SIGTERM drain (Terminus' readiness 503) and before the shutdown hooks, which
 * may then flush buffers and close pools knowing that no request is still running.
 */
export function closeHttpGracefully(app: INestApplication): void {
  const drain = new HttpDrain(app.getHttpServer() as Server);
  drains.set(app, drain);
  const adapter = app.getHttpAdapter();
  const closeAdapter = adapter.close.bind(adapter);
  adapter.close = async () => {
    await drain.stop();
    await closeAdapter();
  };
}

/** From now on no answer keeps its connection alive (no-op for an app without closeHttpGracefully). */
export function startHttpDrain(app: object): void {
  drains.get(app)?.draining();
}
