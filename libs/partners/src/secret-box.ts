import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Thrown when a stored secret cannot be opened: SECRET_KEY is missing or not the one it was sealed with. */
export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
}

const VERSION = 'v1';

function keyOf(secretKey: string | null): Buffer {
  if (!secretKey) throw new SecretKeyError('SECRET_KEY is not set: it is required to store or use partner API keys');
  return createHash('sha256').update(secretKey).digest();
}

/** AES-256-GCM under SECRET_KEY: `v1.<iv>.<tag>.<ciphertext>` (base64url). */
export function sealSecret(plain: string, secretKey: string | null): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secretKey), iv);
  const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [
    VERSION,
    iv.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
    sealed.toString('base64url'),
  ].join('.');
}

export function openSecret(sealed: string, secretKey: string | null): string {
  const [version, iv, tag, data] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || data === undefined)
    throw new SecretKeyError('a stored partner API key is not in a format ratewatch knows');
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(secretKey), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  } catch (error) {
    if (error instanceof SecretKeyError) throw error;
    throw new SecretKeyError('cannot decrypt a partner API key: SECRET_KEY is not the key it was stored with');
  }
}
