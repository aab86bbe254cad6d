import { describe, expect, it } from 'vitest';
import { readFeed, sniffFormat } from './pick-reader';

describe('readFeed: answers that are not a feed', () => {
  it.each([
    ['', 'empty_body'],
    ['   \n\t ', 'empty_body'],
    ['<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>', 'html_page'],
    ['<html><body>404 Not Found</body></html>', 'html_page'],
    ['<br />\n<b>Fatal error</b>:  Uncaught Error: Call to undefined function mysql_connect() in /var/www/export.php:12', 'php_error'],
    ['PHP Warning: file_get_contents(): failed', 'php_error'],
    ['\u0000\u0001\u0002binary garbage\u00ff', 'not_a_feed'],
  ])('classifies %j as %s whatever the configured format', (body, code) => {
    expect(readFeed(body, 'xml')).toMatchObject({ kind: 'error', code });
  });

  it('reads a plain-text maintenance notice as maintenance', () => {
    expect(readFeed('Техническое обслуживание', 'txt')).toMatchObject({ kind: 'maintenance', message: 'Техническое обслуживание' });
  });

  it('refuses a body of the wrong format with the reader’s error', () => {
    expect(readFeed('{"rates":[]}', 'xml')).toMatchObject({ kind: 'error', code: 'xml_malformed' });
  });
});

describe('sniffFormat', () => {
  it('recognises each format by its first character or line', () => {
    expect(sniffFormat('<rates/>')).toBe('xml');
    expect(sniffFormat('{"rates":[]}')).toBe('json');
    expect(sniffFormat('[{"from":"BTC"}]')).toBe('json');
    expect(sniffFormat('BTC;ETH;1;20;5')).toBe('txt');
    expect(sniffFormat('hello')).toBeNull();
  });
});
