import type { INestApplicationContext } from '@nestjs/common';
import type { NestApplicationContext } from '@nestjs/core';
import { startHttpDrain } from './graceful-http-close';

/**
 * Closes a Nest application passing the signal on to the lifecycle hooks (Terminus drains only for
 * SIGTERM). Nest's implementation takes it; the public INestApplication type leaves it out. Nest closes
 * the HTTP server before the shutdown hooks run; with `closeHttpGracefully` every answer from now on
 * says `Connection: close`, and the requests in hand are answered before the hooks flush and close pools.
 */
export function closeApp(app: INestApplicationContext, signal?: string): Promise<void> {
  startHttpDrain(app);
  return (app as unknown as NestApplicationContext).close(signal);
}
