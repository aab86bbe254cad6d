import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { RunningApi, startApi } from '../../apps/api/src/bootstrap';
import { http } from '../support/http';
import { createTestDatabase, TestDatabase } from '../support/services';

interface Operation {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  requestBody?: { content: Record<string, { schema?: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
}
interface Document {
  servers?: Array<{ url: string }>;
  info: { license?: { name: string } };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, unknown>>; schemas: Record<string, unknown> };
}

const ERROR_SCHEMA = { $ref: '#/components/schemas/ApiErrorDto' };

/** The admin half of /docs-json, as a client generator reads it: every operation typed, its errors listed. */
describe('admin OpenAPI', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let spec: Document;
  let admin: Array<[string, string, Operation]>;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startApi(loadConfig({ DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }));
    const answer = await http<Document>(`${api.url}/docs-json`);
    expect(answer.status).toBe(200);
    spec = answer.body;
    if (process.env.OPENAPI_DUMP) writeFileSync(process.env.OPENAPI_DUMP, JSON.stringify(spec, null, 2));
    admin = Object.entries(spec.paths)
      .filter(([path]) => path.startsWith('/v1/admin'))
      .flatMap(([path, operations]) =>
        Object.entries(operations).map(([method, operation]): [string, string, Operation] => [path, method, operation]),
      );
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('gives every admin operation a summary, an admin tag and the bearer scheme', () => {
    expect(admin.length).toBeGreaterThanOrEqual(30);
    for (const [path, method, operation] of admin) {
      expect(operation.summary, `${method} ${path}`).toMatch(/\S/);
      expect(operation.tags, `${method} ${path}`).toEqual([expect.stringMatching(/^admin: /)]);
      expect(operation.security, `${method} ${path}`).toEqual([{ admin: [] }]);
    }
  });

  it('types every success answer with its real status: a schema, or 204 with no body', () => {
    for (const [path, method, operation] of admin) {
      const success = Object.keys(operation.responses).filter((status) => status.startsWith('2'));
      expect(success.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const status of success) {
        const content = operation.responses[status]!.content;
        if (status === '204') expect(content, `${method} ${path} ${status}`).toBeUndefined();
        else expect(content?.['application/json']?.schema, `${method} ${path} ${status}`).toBeDefined();
      }
      if (method === 'delete') expect(success).toEqual(['204']);
    }
    const refresh = spec.paths['/v1/admin/feeds/{id}/refresh']!.post!;
    expect(
      Object.keys(refresh.responses)
        .filter((s) => s.startsWith('2'))
        .sort(),
    ).toEqual(['200', '202']);
    expect(refresh.responses['202']!.content!['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/FeedRefreshAcceptedDto',
    });
    expect(spec.paths['/v1/admin/exchangers']!.post!.responses['201']).toBeDefined();
  });

  it('lists the shared error schema for 401, 403 and 503 everywhere, and 400/404/409 where they can happen', () => {
    for (const [path, method, operation] of admin) {
      for (const status of ['401', '403', '503'])
        expect(
          operation.responses[status]?.content?.['application/json']?.schema,
          `${method} ${path} ${status}`,
        ).toEqual(ERROR_SCHEMA);
      if (path.includes('{id}'))
        expect(operation.responses['400']?.content?.['application/json']?.schema, `${method} ${path}`).toEqual(
          ERROR_SCHEMA,
        );
    }
    expect(spec.paths['/v1/admin/exchangers']!.post!.responses['409']).toBeDefined();
    expect(spec.paths['/v1/admin/feeds/{id}']!.get!.responses['404']).toBeDefined();
  });

  it("documents feed-check's body: JSON {url}, a JSON feed, or the raw feed as text", () => {
    const body = spec.paths['/v1/admin/feed-check']!.post!.requestBody!;
    expect(Object.keys(body.content).sort()).toEqual(['application/json', 'application/xml', 'text/plain', 'text/xml']);
    for (const type of Object.keys(body.content)) {
      const choices = (body.content[type]!.schema as { anyOf: Array<Record<string, unknown>> }).anyOf;
      expect(choices).toContainEqual({ $ref: '#/components/schemas/FeedCheckUrlDto' });
      expect(choices).toContainEqual(expect.objectContaining({ type: 'string' }));
    }
    expect(spec.components.schemas.FeedCheckUrlDto).toMatchObject({ required: ['url'] });
  });

  it('describes the admin key honestly (no JWT), with servers and a license', () => {
    expect(spec.components.securitySchemes.admin).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(JSON.stringify(spec.components.securitySchemes)).not.toContain('JWT');
    expect(spec.servers?.length).toBeGreaterThan(0);
    expect(spec.info.license?.name).toBe('MIT');
  });
});
