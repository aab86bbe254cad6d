import type { INestApplicationContext } from '@nestjs/common';
import type { NestApplicationContext } from '@nestjs/core';

/**
 * Closes a Nest application passing the signal on to the lifecycle hooks (Terminus drains only for
 * SIGTERM). Nest's implementation takes it; the public INestApplication type leaves it out.
 */
export function closeApp(app: INestApplicationContext, signal?: string): Promise<void> {
  return (app as unknown as NestApplicationContext).close(signal);
}
