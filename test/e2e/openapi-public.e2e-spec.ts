import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { FeedPollService } from '@app/ingestion';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { FeedServer } from '../support/feed-server';
import { http } from '../support/http';
import { mismatches, OpenApiDocument, OpenApiOperation, Schema } from '../support/openapi-conformance';
import { createTestDatabase, TestDatabase } from '../support/services';

type Document = OpenApiDocument;
type Operation = OpenApiOperation;

/** Public operations: not the admin API, not the exchangers' cabinet (`/v1/exchanger/…`), not the partners' keyed API (`/v1/open/…`). */
const PUBLIC = /^\/(v1\/(?!admin|exchanger\/|exchanger$|open\/)|go\/|health\/)/;

/** The properties of a schema, following $ref and allOf (a DTO that extends another). */
function propertiesOf(doc: Document, schema: Schema | undefined): string[] {
  if (!schema) return [];
  if (schema.$ref) return propertiesOf(doc, doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')]);
  return [...Object.keys(schema.properties ?? {}), ...(schema.allOf ?? []).flatMap((s) => propertiesOf(doc, s))];
}

/** Every property of every schema the document names, with the ones that say nothing about their type. */
function untyped(doc: Document): string[] {
  return Object.entries(doc.components.schemas).flatMap(([name, schema]) =>
    Object.entries(schema.properties ?? {})
      .filter(([, p]) => !p.type && !p.$ref && !p.allOf && !(p as { enum?: unknown }).enum)
      .map(([field]) => `${name}.${field}`),
  );
}

describe('the OpenAPI document of the public API', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let doc: Document;
  const feeds = new FeedServer();

  beforeAll(async () => {
    db = await createTestDatabase();
    await feeds.start();
    api = await startApi(
      loadConfig({
        HISTORY_RECORDING: 'true',
        DATABASE_URL: db.url,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        FETCH_ALLOW_PRIVATE: 'true',
        PUBLIC_RATE_LIMIT: '0',
      }),
    );
    doc = (await http<Document>(`${api.url}/docs-json`)).body;
    // One exchanger whose feed has fees, limits, flags, a floating rate and a cash city: answers with every field.
    feeds.serve('/aura.xml', { body: readFileSync(join(__dirname, '../fixtures/feeds/standard.xml'), 'utf8') });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: number }>(
        `WITH e AS (INSERT INTO exchangers (slug, name, site_url, referral_url) VALUES ('aura', 'Aura', 'https://aura.example', 'https://aura.example/?rid=1') RETURNING id)
         INSERT INTO feeds (exchanger_id, url, interval_s, stale_after_s) SELECT id, $1, 30, 300 FROM e RETURNING id`,
        [feeds.url('/aura.xml')],
      );
      expect((await api.app.get(FeedPollService).poll(rows[0]!.id, 'manual')).status).toBe('ok');
    } finally {
      await client.end();
    }
  });

  afterAll(async () => {
    await api?.close();
    await feeds.stop();
    await db?.drop();
  });

  const operations = (): Array<[string, Operation]> =>
    Object.entries(doc.paths)
      .filter(([path]) => PUBLIC.test(path))
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([m, op]): [string, Operation] => [`${m} ${path}`, op]),
      );

  it('lists every public operation, and no HTML page or metrics scrape', () => {
    expect(
      operations()
        .map(([name]) => name)
        .sort(),
    ).toEqual([
      'delete /v1/alerts/{id}',
      'get /go/{slug}',
      'get /health/live',
      'get /health/ready',
      'get /v1/alerts/{id}',
      'get /v1/cities',
      'get /v1/currencies',
      'get /v1/currencies/{code}',
      'get /v1/directions',
      'get /v1/exchangers',
      'get /v1/exchangers/{slug}',
      'get /v1/exchangers/{slug}/claims',
      'get /v1/exchangers/{slug}/reviews',
      'get /v1/export/info.zip',
      'get /v1/rates',
      'get /v1/rates/history',
      'get /v1/rates/stream',
      'get /v1/routes',
      'post /v1/alerts',
      'post /v1/exchangers/{slug}/claims',
      'post /v1/exchangers/{slug}/reviews',
    ]);
    for (const path of ['/', '/admin', '/web/{file}', '/metrics']) expect(doc.paths[path]).toBeUndefined();
  });

  it('gives each a summary and one tag of its resource', () => {
    for (const [name, op] of operations()) {
      expect(op.summary, name).toMatch(/\w/);
      expect(op.tags, name).toHaveLength(1);
      expect(op.tags![0], name).not.toBe('public');
    }
  });

  it('types each success answer with a schema of named properties (the redirect excepted)', () => {
    for (const [name, op] of operations()) {
      if (name === 'get /go/{slug}') {
        expect(Object.keys(op.responses)).toContain('302');
        continue;
      }
      if (op.responses['204']) {
        // Nothing to type: a deletion answers no body.
        expect(op.responses['204'].content, name).toBeUndefined();
        continue;
      }
      if (name === 'get /v1/export/info.zip') {
        // BestChange's archive: bytes, read by the format's own clients (test/support/bestchange-reader.ts).
        expect(op.responses['200']?.content?.['application/zip']?.schema.format, name).toBe('binary');
        continue;
      }
      if (name === 'get /v1/rates/stream') {
        // Server-Sent Events: a stream of text whose `table` events carry GET /v1/rates's body (checked below).
        expect(op.responses['200']?.content?.['text/event-stream']?.schema.type, name).toBe('string');
        continue;
      }
      const ok = (op.responses['200'] ?? op.responses['201'])?.content?.['application/json']?.schema;
      expect(propertiesOf(doc, ok).length, name).toBeGreaterThan(0);
    }
  });

  it('describes each success answer and gives every parameter a type', () => {
    for (const [name, op] of operations()) {
      for (const [status, response] of Object.entries(op.responses).filter(([s]) => Number(s) < 400))
        expect((response as { description?: string }).description, `${name} ${status}`).toMatch(/\w/);
      for (const parameter of op.parameters ?? [])
        expect(parameter.schema?.type, `${name} ${parameter.name}`).toMatch(/^(string|number|integer|boolean)$/);
    }
  });

  it('gives every property of every schema a type', () => {
    expect(untyped(doc).filter((p) => !p.startsWith('Admin'))).toEqual([]);
  });

  it('documents the errors each can answer with the shared error schema', () => {
    for (const [name, op] of operations()) {
      if (name.startsWith('get /health/')) continue;
      expect(op.responses['429'], name).toBeDefined();
      expect(op.responses['503'], name).toBeDefined();
      for (const [status, response] of Object.entries(op.responses).filter(([s]) => Number(s) >= 400))
        expect(response.content?.['application/json']?.schema, `${name} ${status}`).toEqual({
          $ref: '#/components/schemas/ApiErrorDto',
        });
    }
    const errorsOf = (path: string) => Object.keys(doc.paths[path]!.get!.responses).filter((s) => Number(s) >= 400);
    expect(errorsOf('/v1/rates').sort()).toEqual(['400', '404', '429', '503']);
    expect(errorsOf('/v1/exchangers/{slug}').sort()).toEqual(['404', '429', '503']);
    expect(errorsOf('/go/{slug}').sort()).toEqual(['400', '404', '429', '503']);
    expect(errorsOf('/health/ready')).toEqual(['503']);
  });

  it('documents 304 where an answer carries an ETag', () => {
    for (const path of ['/v1/rates', '/v1/directions', '/v1/exchangers', '/v1/exchangers/{slug}'])
      expect(Object.keys(doc.paths[path]!.get!.responses), path).toContain('304');
  });

  it('describes what each operation really answers, field for field', async () => {
    const calls: Array<[string, string]> = [
      ['/v1/rates', '/v1/rates?from=BTC&to=SBERRUB&amount=0.5'],
      ['/v1/rates', '/v1/rates?from=USDTTRC20&to=TCSBRUB'],
      ['/v1/rates', '/v1/rates?from=PMUSD&to=BTC'],
      ['/v1/rates', '/v1/rates?from=ETH&to=USDTERC20'],
      ['/v1/rates/history', '/v1/rates/history?from=BTC&to=SBERRUB'],
      ['/v1/directions', '/v1/directions?limit=3'],
      ['/v1/exchangers', '/v1/exchangers'],
      ['/v1/exchangers/{slug}', '/v1/exchangers/aura'],
      ['/v1/currencies', '/v1/currencies?withOffers=true'],
      ['/v1/currencies/{code}', '/v1/currencies/BTC'],
      ['/v1/cities', '/v1/cities?lang=ru'],
      ['/health/live', '/health/live'],
      ['/health/ready', '/health/ready'],
    ];
    for (const [path, url] of calls) {
      const answer = await http<Record<string, unknown>>(`${api.url}${url}`);
      expect(answer.status, url).toBe(200);
      const schema = doc.paths[path]!.get!.responses['200']!.content!['application/json']!.schema;
      expect(mismatches(doc, schema, answer.body), url).toEqual([]);
    }
    // The live stream's `table` events carry exactly GET /v1/rates's body: its schema, field for field.
    const controller = new AbortController();
    const stream = await fetch(`${api.url}/v1/rates/stream?from=BTC&to=SBERRUB`, { signal: controller.signal });
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let events = '';
    while (!/\ndata: .*\n\n/.test(events)) events += decoder.decode((await reader.read()).value, { stream: true });
    controller.abort();
    const streamed = JSON.parse(/\ndata: (.*)\n/.exec(events)![1]!) as unknown;
    const tableSchema = doc.paths['/v1/rates']!.get!.responses['200']!.content!['application/json']!.schema;
    expect(mismatches(doc, tableSchema, streamed)).toEqual([]);
    // The answers had something in them to check.
    const table = await http<{ items: Array<{ fromFee: unknown[]; flags: string[] }> }>(
      `${api.url}/v1/rates?from=PMUSD&to=BTC`,
    );
    expect(table.body.items[0]!.fromFee.length).toBeGreaterThan(0);
    for (const url of ['/v1/rates?from=BTC&to=BTC', '/v1/rates?from=BTC&to=NOPE', '/v1/exchangers/nope']) {
      const answer = await http<Record<string, unknown>>(`${api.url}${url}`);
      expect(mismatches(doc, { $ref: '#/components/schemas/ApiErrorDto' }, answer.body), url).toEqual([]);
    }
  });
});
