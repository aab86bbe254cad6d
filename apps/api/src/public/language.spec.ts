import { describe, expect, it } from 'vitest';
import { languageOf } from './language';

describe('languageOf', () => {
  it('takes ?lang= over the header', () => {
    expect(languageOf('en', 'ru-RU,ru;q=0.9')).toBe('en');
    expect(languageOf('ru', undefined)).toBe('ru');
  });

  it('takes the best of en and ru that Accept-Language accepts', () => {
    expect(languageOf(undefined, 'ru-RU,ru;q=0.9,en-US;q=0.8')).toBe('ru');
    expect(languageOf(undefined, 'de-DE,de;q=0.9,en;q=0.5,ru;q=0.4')).toBe('en');
    expect(languageOf(undefined, 'en;q=0.2, ru;q=0.7')).toBe('ru');
    expect(languageOf(undefined, 'ru;q=0, en;q=0.1')).toBe('en');
  });

  it('answers in English without a usable header', () => {
    expect(languageOf(undefined, undefined)).toBe('en');
    expect(languageOf(undefined, '')).toBe('en');
    expect(languageOf(undefined, 'fr, de;q=0.5')).toBe('en');
    expect(languageOf(undefined, ';;;q=,,,')).toBe('en');
  });
});
