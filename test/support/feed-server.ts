import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface ServedFeed {
  body: string | Buffer;
  status?: number;
  contentType?: string;
  etag?: string;
  /** Delay before answering, ms. */
  delayMs?: number;
  /** Answers only once this has settled (a test's step that must happen while the client waits). */
  after?: Promise<unknown>;
}

/** A local HTTP server whose answers tests change at will: path → answer (or a function of the request). */
export class FeedServer {
  readonly routes = new Map<string, ServedFeed | ((req: IncomingMessage) => ServedFeed)>();
  readonly hits = new Map<string, number>();
  private server: Server | null = null;
  base = '';

  async start(host = '127.0.0.1'): Promise<this> {
    this.server = createServer((req, res) => this.answer(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, host, resolve));
    this.base = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  url(path: string): string {
    return this.base + path;
  }

  serve(path: string, answer: ServedFeed | ((req: IncomingMessage) => ServedFeed)): void {
    this.routes.set(path, answer);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
    const route = this.routes.get(path);
    if (!route) return void res.writeHead(404).end('not found');
    if (typeof route === 'function' && (req.method === 'POST' || req.method === 'PUT')) {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        (req as IncomingMessage & { rawBody?: string }).rawBody = body;
        this.send(req, res, route(req));
      });
      return;
    }
    this.send(req, res, typeof route === 'function' ? route(req) : route);
  }

  private send(req: IncomingMessage, res: ServerResponse, feed: ServedFeed): void {
    const send = () => {
      if (feed.etag && req.headers['if-none-match'] === feed.etag) return void res.writeHead(304).end();
      res.writeHead(feed.status ?? 200, {
        'content-type': feed.contentType ?? 'text/xml; charset=utf-8',
        ...(feed.etag ? { etag: feed.etag } : {}),
      });
      res.end(feed.body);
    };
    const answer = () => (feed.delayMs ? setTimeout(send, feed.delayMs) : send());
    if (feed.after) void feed.after.then(answer, answer);
    else answer();
  }
}
