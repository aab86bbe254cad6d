import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { maskSecretsInUrl, REDACTED_PATHS } from './logger';

describe('maskSecretsInUrl', () => {
  it('masks the password and key-like query parameters', () => {
    expect(maskSecretsInUrl('postgres://rw:s3cret@db:5432/rw')).toBe('postgres://rw:***@db:5432/rw');
    expect(maskSecretsInUrl('https://x.example/api.php?api_action=pp&api_key=ABC123&method=get_info')).toBe(
      'https://x.example/api.php?api_action=pp&api_key=***&method=get_info',
    );
  });

  it("masks a partner key in the keyed open-data API's path, not the routes that take it in a header", () => {
    expect(maskSecretsInUrl('/v1/open/rwo_3f9a0c1234/rates/93-42+10-89?x=1')).toBe(
      '/v1/open/***/rates/93-42+10-89?x=1',
    );
    expect(maskSecretsInUrl('/v1/open/rwo_3f9a0c1234')).toBe('/v1/open/***');
    expect(maskSecretsInUrl('/v1/open/currencies/en')).toBe('/v1/open/currencies/en');
    expect(maskSecretsInUrl('/v1/open/rates/93-42')).toBe('/v1/open/rates/93-42');
    expect(maskSecretsInUrl('/v1/open/ratesX/93-42')).toBe('/v1/open/***/93-42');
    expect(maskSecretsInUrl('/v1/open//rwo_3f9a0c1234/rates/1-2')).toBe('/v1/open/***/rates/1-2');
    expect(maskSecretsInUrl('//v1/open/rwo_3f9a0c1234/rates/1-2')).toBe('/v1/open/***/rates/1-2');
  });

  it('masks credentials in a request path and keeps the rest of it exactly as it came', () => {
    expect(maskSecretsInUrl('/v1/admin/feeds?access_token=rk_live_0123456789&limit=5')).toBe(
      '/v1/admin/feeds?access_token=***&limit=5',
    );
    expect(maskSecretsInUrl('/v1/../admin?x=1&%61ccess_token=abc&token&sig=zz')).toBe(
      '/v1/../admin?x=1&%61ccess_token=***&token&sig=***',
    );
    expect(maskSecretsInUrl('/health/ready')).toBe('/health/ready');
  });

  it('masks every credential-named parameter of a partner or redirect URL, and the userinfo password', () => {
    expect(maskSecretsInUrl('https://ex.example/go?ref=42&token=T0K3N&Authorization=Bearer%20x&password=p#top')).toBe(
      'https://ex.example/go?ref=42&token=***&Authorization=***&password=***#top',
    );
    expect(maskSecretsInUrl('https://u:p@ex.example/?apikey=1')).toBe('https://u:***@ex.example/?apikey=***');
  });

  it('masks keys in text that is not a URL', () => {
    expect(maskSecretsInUrl('not a url api_key=ABC123')).toBe('not a url api_key=***');
  });
});

describe('log redaction', () => {
  it('never writes an authorization header or an api key', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
    log.info({ req: { headers: { authorization: 'Bearer topsecret' } }, account: { apiKey: 'k-123' } }, 'request');
    expect(lines.join('')).not.toMatch(/topsecret|k-123/);
    expect(lines.join('')).toMatch(/\[redacted\]/);
  });
});
