import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { http } from '../support/http';
import { createTestDatabase, TestDatabase } from '../support/services';

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  allOf?: Schema[];
}
interface Operation {
  summary?: string;
  parameters?: Array<{ name: string; schema?: Schema }>;
  tags?: string[];
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** The public, non-admin operations a frontend client is generated from. */
const PUBLIC = /^\/(v1\/(?!admin)|go\/|health\/)/;

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

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startApi(loadConfig({ DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }));
    doc = (await http<Document>(`${api.url}/docs-json`)).body;
  });

  afterAll(async () => {
    await api?.close();
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
      'get /go/{slug}',
      'get /health/live',
      'get /health/ready',
      'get /v1/cities',
      'get /v1/currencies',
      'get /v1/currencies/{code}',
      'get /v1/directions',
      'get /v1/exchangers',
      'get /v1/exchangers/{slug}',
      'get /v1/rates',
      'get /v1/rates/history',
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
      const ok = op.responses['200']?.content?.['application/json']?.schema;
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
});
