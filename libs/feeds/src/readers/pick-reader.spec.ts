import { describe, expect, it } from 'vitest';
import { maintenanceNotice, readFeed, sniffFormat } from './pick-reader';

describe('readFeed: answers that are not a feed', () => {
  it.each([
    ['', 'empty_body'],
    ['   \n\t ', 'empty_body'],
    ['<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>', 'html_page'],
    ['<html><body>404 Not Found</body></html>', 'html_page'],
    [
      '<br />\n<b>Fatal error</b>:  Uncaught Error: Call to undefined function mysql_connect() in /var/www/export.php:12',
      'php_error',
    ],
    ['PHP Warning: file_get_contents(): failed', 'php_error'],
    ['\u0000\u0001\u0002binary garbage\u00ff', 'not_a_feed'],
  ])('classifies %j as %s whatever the configured format', (body, code) => {
    expect(readFeed(body, 'xml')).toMatchObject({ kind: 'error', code });
  });

  it('reads a plain-text maintenance notice as maintenance', () => {
    expect(readFeed('Техническое обслуживание', 'txt')).toMatchObject({
      kind: 'maintenance',
      message: 'Техническое обслуживание',
    });
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

describe('readFeed: what may come before an XML root', () => {
  it('reads a feed that starts with comments and processing instructions', () => {
    expect(
      readFeed(
        '<!-- cache 12:00 --><?xml-stylesheet href="x"?>\n<!-- -->\n<rates><item><from>BTC</from></item></rates>',
        'auto',
      ),
    ).toMatchObject({ kind: 'items', format: 'xml' });
  });

  it('still calls an HTML page behind a comment an HTML page', () => {
    expect(
      readFeed('<!-- cached by WP Super Cache -->\n<!DOCTYPE html><html><title>Just a moment...</title></html>', 'xml'),
    ).toMatchObject({ kind: 'error', code: 'html_page' });
  });

  it('tells a stray NUL in a text feed from binary data', () => {
    const good = `<rates>${'<item><from>BTC</from><to>ETH</to><in>1</in><out>20</out></item>'.repeat(20)}</rates>`;
    expect(readFeed(good.replace('<out>20', '<out>2\u00000'), 'auto')).toMatchObject({ kind: 'items' });
    expect(readFeed(Buffer.from(good, 'utf16le').toString('latin1'), 'auto')).toMatchObject({
      kind: 'error',
      code: 'not_a_feed',
    });
  });
});

describe('maintenanceNotice: the body of a 503', () => {
  it.each([
    ['<error>Техническое обслуживание</error>', 'Техническое обслуживание'],
    ['["error","Maintenance"]', 'Maintenance'],
    ['Maintenance', 'Maintenance'],
    [
      '<!DOCTYPE html><html><head><title>Site under maintenance</title></head><body>Back soon</body></html>',
      'Site under maintenance',
    ],
    [
      '<html><head><title>Exchange</title><script>var maintenance = 0;</script></head><body><h1>Технические работы</h1><p>Скоро вернёмся</p></body></html>',
      'Exchange Технические работы Скоро вернёмся',
    ],
  ])('finds maintenance in %j', (body, notice) => {
    expect(maintenanceNotice(body)).toBe(notice);
  });

  it.each([
    '<html><title>503 Service Temporarily Unavailable</title><body>nginx</body></html>',
    // Apache's stock text names maintenance and overload alike: an overloaded server is not in maintenance.
    '<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request due to maintenance downtime or capacity problems. Please try again later.</p></body></html>',
    'Bad gateway',
    '<error>Access denied</error>',
    '',
  ])('finds none in %j', (body) => {
    expect(maintenanceNotice(body)).toBeNull();
  });
});
