import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafeHttpClient } from '@app/http-client';
import { FakePartnerApi } from '../../../test/support/fake-partner-api';
import { itemsOf, parseEnvelope, PartnerApiClient } from './partner-api.client';

describe('PartnerApiClient against a fake partner API', () => {
  const api = new FakePartnerApi();
  const fetcher = new SafeHttpClient({ allowPrivate: true });
  const client = new PartnerApiClient(fetcher);
  const access = () => ({ apiUrl: api.url, apiKey: api.apiKey, requestStyle: 'both' as const });

  beforeAll(async () => {
    await api.start();
  });

  afterAll(async () => {
    await api.stop();
    await fetcher.close();
  });

  it('reads get_info: balance and items keyed by id', async () => {
    const answer = await client.call(access(), 'get_info');
    expect(answer).toMatchObject({ ok: true, data: { balance: '15.37', min_payout: '10.00' } });
    expect(answer.ok && itemsOf(answer.data).map((i) => i.id)).toEqual(['3', '12']);
  });

  it('sends the filters in the query and the POST body by default, only in the query for get', async () => {
    api.requests.length = 0;
    await client.call(access(), 'get_exchanges', { start_time: '100', end_time: '200' });
    expect(api.requests[0]).toMatchObject({ method: 'POST', apiMethod: 'get_exchanges' });
    expect(api.requests[0]!.query.get('start_time')).toBe('100');
    expect(api.requests[0]!.body).toBe('start_time=100&end_time=200');
    await client.call({ ...access(), requestStyle: 'get' }, 'get_links', { start_time: '100', end_time: '200' });
    expect(api.requests[1]).toMatchObject({ method: 'GET' });
    await client.call({ ...access(), requestStyle: 'post' }, 'get_links', { start_time: '100', end_time: '200' });
    expect(api.requests[2]!.query.get('start_time')).toBeNull();
  });

  it('turns every failure into a coded answer without the key in it', async () => {
    const wrong = await client.call({ ...access(), apiKey: 'nope-wrong-key' }, 'get_info');
    expect(wrong).toEqual({
      ok: false,
      code: 'auth_failed',
      message: 'the partner API refused the key: REST API key error',
    });
    api.disabled = true;
    expect(await client.call(access(), 'get_info')).toMatchObject({ ok: false, code: 'api_disabled' });
    api.disabled = false;
    const html = await client.call({ ...access(), apiUrl: api.server.url('/html') }, 'get_info');
    expect(html).toMatchObject({ ok: false, code: 'not_json' });
    const missing = await client.call({ ...access(), apiUrl: api.server.url('/nothing-here') }, 'get_info');
    expect(missing).toMatchObject({ ok: false, code: 'http_error' });
    const down = await client.call({ ...access(), apiUrl: 'http://127.0.0.1:9/api.php' }, 'get_info');
    expect(down).toMatchObject({ ok: false, code: 'http_error' });
    for (const answer of [wrong, html, missing, down]) expect(JSON.stringify(answer)).not.toContain(api.apiKey);
  });

  it('refuses private addresses unless allowed (same SSRF guard as feeds)', async () => {
    const guarded = new PartnerApiClient(new SafeHttpClient({ allowPrivate: false }));
    expect(await guarded.call(access(), 'get_info')).toMatchObject({
      ok: false,
      code: 'http_error',
      message: expect.stringMatching(/private, loopback or reserved/) as unknown,
    });
  });
});

describe('the partner envelope', () => {
  it('treats a missing data key as nothing matched', () => {
    expect(parseEnvelope('{"error":0,"error_text":""}')).toEqual({ ok: true, data: {} });
    expect(itemsOf({ items: {} })).toEqual([]);
    expect(itemsOf({})).toEqual([]);
  });

  it('reads error as a number or a string', () => {
    expect(parseEnvelope('{"error":"1","error_text":"Api disabled"}')).toMatchObject({
      ok: false,
      code: 'api_disabled',
    });
  });
});
