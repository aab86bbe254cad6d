import { describe, expect, it } from 'vitest';
import { openSecret, sealSecret, SecretKeyError } from './secret-box';

const KEY = 'k'.repeat(32);

describe('secret box', () => {
  it('round-trips a key and never stores it in clear', () => {
    const sealed = sealSecret('partner-key-123', KEY);
    expect(sealed).not.toContain('partner-key-123');
    expect(openSecret(sealed, KEY)).toBe('partner-key-123');
    expect(sealSecret('partner-key-123', KEY)).not.toBe(sealed); // a fresh IV each time
  });

  it('fails loudly with a wrong or missing SECRET_KEY', () => {
    const sealed = sealSecret('partner-key-123', KEY);
    expect(() => openSecret(sealed, 'x'.repeat(32))).toThrow(SecretKeyError);
    expect(() => openSecret(sealed, 'x'.repeat(32))).toThrow(/SECRET_KEY is not the key it was stored with/);
    expect(() => openSecret(sealed, null)).toThrow(/SECRET_KEY is not set/);
    expect(() => sealSecret('x', null)).toThrow(/SECRET_KEY is not set/);
  });

  it('refuses tampered ciphertext', () => {
    const parts = sealSecret('partner-key-123', KEY).split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => openSecret(parts.join('.'), KEY)).toThrow(SecretKeyError);
  });
});
