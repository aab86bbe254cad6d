import { createServer, Server } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { closeHttpGracefully, startHttpDrain } from './graceful-http-close';

/** A plain Node HTTP server dressed as the two methods of a Nest app that closeHttpGracefully uses. */
async function serve(handler: Parameters<typeof createServer>[1] = (_req, res) => res.end('ok')) {
  const server = createServer({ keepAlive: true }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let adapterClosed = false;
  const app = {
    getHttpServer: () => server,
    getHttpAdapter: () => adapter,
  } as unknown as INestApplication;
  const adapter = {
    close: () => {
      adapterClosed = true;
      return Promise.resolve();
    },
  };
  closeHttpGracefully(app);
  return {
    server,
    app,
    port: (server.address() as AddressInfo).port,
    close: () => adapter.close(),
    adapterClosed: () => adapterClosed,
  };
}

/** A raw client: what it receives, and how the connection ended. */
function rawClient(port: number) {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  const ended = new Promise<string>((resolve) => {
    socket.once('error', (error) => resolve(String(error)));
    socket.once('close', () => resolve('closed'));
  });
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, connected, ended, received: () => received };
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

describe('closeHttpGracefully', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(() => {
    sockets.splice(0).forEach((s) => s.destroy());
    servers.splice(0).forEach((s) => s.closeAllConnections());
  });

  it('answers a request that arrived but was not read yet when the close began, and closes its connection', async () => {
    const http = await serve();
    servers.push(http.server);
    const accepted = new Promise<void>((resolve) => http.server.once('connection', () => resolve()));
    const client = rawClient(http.port);
    sockets.push(client.socket);
    await Promise.all([client.connected, accepted]);
    // The request is in the kernel; the server reads it at the earliest in the next turn of the loop.
    client.socket.write(GET);
    const closing = http.close();
    expect(await client.ended).toBe('closed');
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(client.received()).toMatch(/\r\nConnection: close\r\n/i);
    await closing;
    expect(http.adapterClosed()).toBe(true);
  });

  it('says Connection: close from the start of the drain, even on a response begun before it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const http = await serve((_req, res) => void held.then(() => res.end('late')));
    servers.push(http.server);
    const client = rawClient(http.port);
    sockets.push(client.socket);
    await client.connected;
    const inHandler = new Promise<void>((resolve) => http.server.once('request', () => resolve()));
    client.socket.write(GET);
    await inHandler;
    startHttpDrain(http.app);
    release();
    expect(await client.ended).toBe('closed');
    expect(client.received()).toMatch(/\r\nConnection: close\r\n[\s\S]*late$/i);
    await http.close();
  });

  it('waits for a request in hand, closes an idle kept-alive connection at once, and refuses new connections', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const http = await serve((req, res) =>
      req.url === '/slow' ? void held.then(() => res.end('slow')) : res.end('ok'),
    );
    servers.push(http.server);
    const idle = rawClient(http.port);
    const busy = rawClient(http.port);
    sockets.push(idle.socket, busy.socket);
    await Promise.all([idle.connected, busy.connected]);
    const answered = new Promise<void>((resolve) => idle.socket.once('data', () => resolve()));
    idle.socket.write(GET);
    await answered;
    const inHandler = new Promise<void>((resolve) => http.server.once('request', () => resolve()));
    busy.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await inHandler;

    let closed = false;
    const closing = http.close().then(() => (closed = true));
    expect(await idle.ended).toBe('closed');
    const late = rawClient(http.port);
    expect(await late.ended).toMatch(/ECONNREFUSED/);
    expect(closed).toBe(false);
    release();
    await closing;
    // The server's side is closed; the client reads the answer and the end of its connection in a later turn.
    expect(await busy.ended).toBe('closed');
    expect(busy.received()).toMatch(/\r\nConnection: close\r\n[\s\S]*slow$/i);
  });

  it('gives a connection that has sent nothing a grace, then closes it', async () => {
    const http = await serve();
    servers.push(http.server);
    const silent = rawClient(http.port);
    sockets.push(silent.socket);
    const accepted = new Promise<void>((resolve) => http.server.once('connection', () => resolve()));
    await Promise.all([silent.connected, accepted]);
    const started = Date.now();
    await http.close();
    expect(await silent.ended).toBe('closed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(silent.received()).toBe('');
  });
});
