import { Client } from 'pg';
import { loadConfig } from '@app/config';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { ClickRecorder } from '../../apps/api/src/public/go/click-recorder.service';
import { http, HttpAnswer } from './http';
import { createTestDatabase, TestDatabase } from './services';

export const ADMIN_KEY = 'test-bootstrap-key-reputation-0123456789abcdefghij';

/** A visitor as the api tells them apart: the address a trusted proxy names, and a browser's user agent. */
export interface Visitor {
  ip: string;
  userAgent: string;
}

let visitors = 0;
/** A visitor no other call returns: its own address (unless given) and its own browser. */
export function visitor(ip?: string): Visitor {
  visitors++;
  return {
    ip: ip ?? `203.0.${Math.floor(visitors / 250) % 250}.${(visitors % 250) + 1}`,
    userAgent: `Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0 visitor-${visitors}`,
  };
}

/**
 * The api in standalone mode on a fresh database, behind a trusted proxy on loopback (each visitor's
 * X-Forwarded-For is its address), with callers for visitors and for the admin key.
 */
export class ReputationApi {
  api!: RunningApi;
  db!: TestDatabase;
  pg!: Client;

  async start(env: Record<string, string> = {}): Promise<void> {
    this.db = await createTestDatabase();
    this.api = await startApi(
      loadConfig({
        DATABASE_URL: this.db.url,
        ADMIN_API_KEY: ADMIN_KEY,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        TRUST_PROXY: 'loopback',
        PUBLIC_RATE_LIMIT: '0',
        ...env,
      }),
    );
    this.pg = new Client({ connectionString: this.db.url });
    await this.pg.connect();
  }

  async stop(): Promise<void> {
    await this.api?.close();
    await this.pg?.end();
    await this.db?.drop();
  }

  /** An exchanger (active unless told), returning its id. */
  async exchanger(slug: string, status: 'active' | 'disabled' = 'active'): Promise<number> {
    const { rows } = await this.pg.query<{ id: number }>(
      `INSERT INTO exchangers (slug, name, site_url, referral_url, status)
       VALUES ($1::text, initcap($1::text), 'https://' || $1 || '.example', 'https://' || $1 || '.example/?rid=7', $2)
       RETURNING id`,
      [slug, status],
    );
    return rows[0]!.id;
  }

  /** A visitor's request: a JSON body (or raw text sent as it is), from the visitor's address and browser. */
  send<T = Record<string, unknown>>(
    method: string,
    path: string,
    by: Visitor,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer<T>> {
    return http<T>(`${this.api.url}${path}`, {
      method,
      headers: {
        'x-forwarded-for': by.ip,
        'user-agent': by.userAgent,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  /** An admin's request with the bootstrap key. */
  admin<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<HttpAnswer<T>> {
    return http<T>(`${this.api.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_KEY}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** The visitor clicks through /go to the exchanger; the click is in the database when this returns. */
  async clickThrough(slug: string, by: Visitor): Promise<void> {
    const go = await this.send('GET', `/go/${slug}?from=BTC&to=SBERRUB`, by);
    if (go.status !== 302) throw new Error(`/go answered ${go.status}: ${go.text}`);
    await this.api.app.get(ClickRecorder).flush();
  }
}
