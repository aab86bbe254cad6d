import { describe, expect, it } from 'vitest';
import { decodeBody } from './decode-body';

const cp1251 = (text: string): Buffer => {
  // "Техническое обслуживание" in windows-1251, built from the code page: А..я = 0xC0..0xFF.
  return Buffer.from(
    [...text].map((ch) => (ch >= 'А' && ch <= 'я' ? ch.charCodeAt(0) - 0x410 + 0xc0 : ch.charCodeAt(0))),
  );
};

describe('decodeBody', () => {
  it('strips a UTF-8 BOM', () => {
    const decoded = decodeBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<rates/>')]));
    expect(decoded.text).toBe('<rates/>');
    expect(decoded.encoding).toBe('utf-8');
  });

  it('reads UTF-16 with a BOM', () => {
    const decoded = decodeBody(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<rates/>', 'utf16le')]));
    expect(decoded.text).toBe('<rates/>');
  });

  it('follows the encoding the XML prolog declares', () => {
    const body = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="windows-1251"?><error>'),
      cp1251('Техническое'),
      Buffer.from('</error>'),
    ]);
    const decoded = decodeBody(body);
    expect(decoded.text).toContain('<error>Техническое</error>');
    expect(decoded.warnings).toEqual([]);
  });

  it('follows the Content-Type charset', () => {
    expect(decodeBody(cp1251('обслуживание'), 'text/plain; charset=windows-1251').text).toBe('обслуживание');
  });

  it('reads a windows-1251 body mislabeled as UTF-8, with a warning', () => {
    const body = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="utf-8"?><error>'),
      cp1251('Техническое обслуживание'),
      Buffer.from('</error>'),
    ]);
    const decoded = decodeBody(body);
    expect(decoded.text).toContain('Техническое обслуживание');
    expect(decoded.encoding).toBe('windows-1251');
    expect(decoded.warnings[0]).toMatch(/not valid UTF-8 \(declared utf-8\); read as windows-1251/);
  });

  it('keeps valid UTF-8 as it is', () => {
    expect(decodeBody(Buffer.from('<error>Техническое обслуживание</error>')).text).toBe(
      '<error>Техническое обслуживание</error>',
    );
  });
});
