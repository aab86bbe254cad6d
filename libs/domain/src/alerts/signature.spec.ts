import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  alertTokenMatches,
  hashAlertToken,
  newAlertCredential,
  signWebhook,
  verifyWebhookSignature,
} from './signature';

describe('webhook signatures', () => {
  const at = new Date('2026-12-03T10:00:00Z');
  const body = '{"event":"alert.fired"}';

  it('is sha256=<hex HMAC-SHA256 of "<t>.<body>"> with t in its own header, as a receiver recomputes it', () => {
    const signed = signWebhook('s3cret', body, at);
    const t = String(Math.floor(at.getTime() / 1000));
    expect(signed).toEqual({
      signature: `sha256=${createHmac('sha256', 's3cret').update(`${t}.${body}`).digest('hex')}`,
      timestamp: t,
    });
    expect(verifyWebhookSignature('s3cret', signed, body, at)).toBe(true);
  });

  it('refuses another secret, another body, an old signature and garbage', () => {
    const header = signWebhook('s3cret', body, at);
    expect(verifyWebhookSignature('other', header, body, at)).toBe(false);
    expect(verifyWebhookSignature('s3cret', header, `${body} `, at)).toBe(false);
    expect(verifyWebhookSignature('s3cret', header, body, new Date(at.getTime() + 301_000))).toBe(false);
    expect(
      verifyWebhookSignature('s3cret', { ...header, timestamp: String(Number(header.timestamp) + 1) }, body, at),
    ).toBe(false);
    expect(verifyWebhookSignature('s3cret', { signature: 'sha256=zz', timestamp: '' }, body, at)).toBe(false);
    expect(verifyWebhookSignature('s3cret', { ...header, signature: header.signature.slice(7) }, body, at)).toBe(false);
  });
});

describe('alert tokens', () => {
  it('are random, and only their hash is needed to check one', () => {
    const token = newAlertCredential('rwa');
    expect(token).toMatch(/^rwa_[A-Za-z0-9_-]{43}$/);
    expect(newAlertCredential('rwa')).not.toBe(token);
    expect(alertTokenMatches(token, hashAlertToken(token))).toBe(true);
    expect(alertTokenMatches(`${token}x`, hashAlertToken(token))).toBe(false);
  });
});
