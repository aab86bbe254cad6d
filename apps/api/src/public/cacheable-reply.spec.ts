import { describe, expect, it } from 'vitest';
import { noneMatchHits } from './cacheable-reply';

describe('noneMatchHits (If-None-Match, weak comparison)', () => {
  const etag = '"abc123"';

  it('matches the ETag itself, its weak form from a compressing proxy, one of a list, and *', () => {
    expect(noneMatchHits('"abc123"', etag)).toBe(true);
    expect(noneMatchHits('W/"abc123"', etag)).toBe(true);
    expect(noneMatchHits('"old", W/"abc123" ,"older"', etag)).toBe(true);
    expect(noneMatchHits('*', etag)).toBe(true);
    expect(noneMatchHits(' * ', etag)).toBe(true);
  });

  it('does not match another tag, a tag without quotes, a prefix or a missing header', () => {
    expect(noneMatchHits('"abc12"', etag)).toBe(false);
    expect(noneMatchHits('abc123', etag)).toBe(false);
    expect(noneMatchHits('W/abc123', etag)).toBe(false);
    expect(noneMatchHits('"abc123x"', etag)).toBe(false);
    expect(noneMatchHits('', etag)).toBe(false);
    expect(noneMatchHits(undefined, etag)).toBe(false);
    expect(noneMatchHits('w/"abc123"', etag)).toBe(false);
  });
});
