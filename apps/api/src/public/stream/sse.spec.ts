import { describe, expect, it } from 'vitest';
import { ratesEvent, tableVersion } from './sse';

describe('live-stream events', () => {
  const table = (generatedAt: string, rate: string) =>
    JSON.stringify({
      from: 'BTC',
      to: 'SBERRUB',
      city: null,
      amount: null,
      side: 'give',
      generatedAt,
      items: [{ rate }],
    });

  it('gives two renders of the same offers one version, whatever their generatedAt', () => {
    const first = tableVersion(table('2026-12-03T07:00:00.000Z', '6850000'));
    expect(tableVersion(table('2026-12-03T07:00:05.123Z', '6850000'))).toBe(first);
    expect(tableVersion(table('2026-12-03T07:00:05.123Z', '6850001'))).not.toBe(first);
  });

  it('versions a body without generatedAt by all of it', () => {
    expect(tableVersion('{"a":1}')).not.toBe(tableVersion('{"a":2}'));
  });

  it('writes an event with its id, its name and the body as data', () => {
    expect(ratesEvent('v1', '{"items":[]}').toString()).toBe('id: v1\nevent: table\ndata: {"items":[]}\n\n');
  });

  it('cannot be cut short by a line break in the data', () => {
    expect(ratesEvent('v1', 'a\n\nevent: evil\r\nb').toString()).toBe(
      'id: v1\nevent: table\ndata: a\ndata: \ndata: event: evil\ndata: b\n\n',
    );
  });
});
