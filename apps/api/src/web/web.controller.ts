import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

/** The folder of the reference pages (apps/api/web), found from the source or from dist/. */
function webDir(): string {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const candidate = join(dir, 'apps', 'api', 'web');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  throw new Error(`apps/api/web not found above ${__dirname}`);
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};
/** Same-origin scripts and styles only: feed data shown on these pages can never run as code. */
const CSP =
  "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/**
 * The reference monitoring page (`/`) and the operator's page (`/admin`): static files read once at
 * start, no framework, no CDN — they work offline on loopback. Both talk to the public and admin API
 * like any frontend would.
 */
@ApiExcludeController()
@Controller()
export class WebController {
  private readonly files = new Map<string, { body: Buffer; type: string }>();

  constructor() {
    const dir = webDir();
    for (const name of ['index.html', 'admin.html', 'dom.js', 'rates.js', 'admin.js', 'style.css', 'admin.css']) {
      this.files.set(name, { body: readFileSync(join(dir, name)), type: TYPES[name.split('.').pop()!]! });
    }
  }

  @Get()
  @Header('cache-control', 'no-cache')
  index(@Res() reply: FastifyReply): FastifyReply {
    return this.send(reply, 'index.html');
  }

  @Get('admin')
  @Header('cache-control', 'no-store')
  admin(@Res() reply: FastifyReply): FastifyReply {
    return this.send(reply, 'admin.html');
  }

  @Get('web/:file')
  @Header('cache-control', 'public, max-age=300')
  asset(@Param('file') file: string, @Res() reply: FastifyReply): FastifyReply {
    if (file.endsWith('.html') || !this.files.has(file)) throw new NotFoundException(`no such file: ${file}`);
    return this.send(reply, file);
  }

  private send(reply: FastifyReply, name: string): FastifyReply {
    const file = this.files.get(name)!;
    return reply
      .header('content-type', file.type)
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .send(file.body);
  }
}
