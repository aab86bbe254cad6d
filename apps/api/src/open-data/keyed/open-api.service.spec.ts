import { describe, expect, it } from 'vitest';
import { InvalidFieldError, InvalidRequestError } from '@app/domain';
import { MAX_PAIRS, parsePairs } from './open-api.service';

describe('parsePairs', () => {
  it('reads pairs of ids joined by +, in the order asked', () => {
    expect(parsePairs('93-42+10-42')).toEqual([
      [93, 42],
      [10, 42],
    ]);
  });

  it('asks a pair once however its ids are written: leading zeros name the same currency', () => {
    expect(parsePairs('01-02+1-2+001-0002+2-1+93-42+093-42')).toEqual([
      [1, 2],
      [2, 1],
      [93, 42],
    ]);
    // The cap counts what is sent (a list of 501 spellings of one pair is still too long to read).
    expect(parsePairs(Array.from({ length: MAX_PAIRS }, (_, i) => `${'0'.repeat(i % 5)}7-8`).join('+'))).toEqual([
      [7, 8],
    ]);
  });

  it('refuses a malformed pair by name, and more than 500', () => {
    expect(() => parsePairs('93-42+93_42')).toThrow(InvalidFieldError);
    expect(() => parsePairs('93-42+93_42')).toThrow('pair "93_42"');
    expect(() => parsePairs('-1-2')).toThrow(InvalidFieldError);
    expect(() => parsePairs('1-2-3')).toThrow(InvalidFieldError);
    expect(() => parsePairs('1234567890-1')).toThrow(InvalidFieldError);
    expect(() => parsePairs(Array.from({ length: MAX_PAIRS + 1 }, () => '1-2').join('+'))).toThrow(InvalidRequestError);
  });
});
