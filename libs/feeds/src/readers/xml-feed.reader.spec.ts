import { describe, expect, it } from 'vitest';
import { readFeed } from './pick-reader';
import { XmlFeedReader } from './xml-feed.reader';

const reader = new XmlFeedReader();
const items = (xml: string) => {
  const result = reader.read(xml);
  if (result.kind !== 'items') throw new Error(`expected items, got ${JSON.stringify(result)}`);
  return result.items;
};

describe('XmlFeedReader', () => {
  it('reads a single item, repeated limits and camelCase limits', () => {
    const [item] = items('<rates><item><from>BTC</from><to>ETH</to><in>1</in><out>20</out><minamount>1 BTC</minamount><minAmount>2 BTC</minAmount><maxAmount>5</maxAmount></item></rates>');
    expect(item).toMatchObject({ from: 'BTC', to: 'ETH', in: '1', out: '20', minamount: ['1 BTC', '2 BTC'], maxamount: ['5'] });
  });

  it('reads <rates/> as an empty feed', () => {
    expect(items('<?xml version="1.0"?><rates/>')).toEqual([]);
  });

  it('reads CDATA, entities, and newlines inside codes', () => {
    const [item] = items('<rates><item><from><![CDATA[ BTC ]]></from><to>\n  ETH\n</to><in>1</in><out>20</out><param>manual &amp; verifying</param></item></rates>');
    expect(item).toMatchObject({ from: 'BTC', to: 'ETH', param: 'manual & verifying' });
  });

  it('tolerates a raw & in free text', () => {
    const [item] = items('<rates><item><from>BTC</from><to>ETH</to><in>1</in><out>20</out><fromname>Bits & Bytes</fromname></item></rates>');
    expect(item?.from).toBe('BTC');
  });

  it('ignores root attributes, namespaces and unknown elements', () => {
    const [item] = items('<rates xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="2"><item><from>BTC</from><method>card</method><to>ETH</to><in>1</in><out>2</out></item></rates>');
    expect(item).toEqual({ from: 'BTC', to: 'ETH', in: '1', out: '2', minamount: [], maxamount: [] });
  });

  it('refuses a DOCTYPE (billion laughs, external entities)', () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><rates><item><from>&lol2;</from></item></rates>';
    expect(reader.read(bomb)).toMatchObject({ kind: 'error', code: 'xml_doctype' });
    const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rates><item><from>&x;</from></item></rates>';
    expect(reader.read(xxe)).toMatchObject({ kind: 'error', code: 'xml_doctype' });
  });

  it('calls a truncated body malformed, never half a snapshot', () => {
    expect(reader.read('<rates><item><from>BTC</from><to>ETH</to><in>1</in><out>20</out></item><item><from>E')).toMatchObject({
      kind: 'error',
      code: 'xml_malformed',
      message: 'malformed XML: the body ends inside <rates><item><from> (truncated?)',
    });
  });

  it('reports where a malformed body breaks', () => {
    const result = reader.read('<rates>\n<item><from>BTC</to></item>\n</rates>');
    expect(result).toMatchObject({ kind: 'error', code: 'xml_malformed' });
    expect(result.kind === 'error' && result.message).toMatch(/line 2/);
  });

  it('treats an <error> root with a maintenance text as maintenance, other texts as an error answer', () => {
    expect(reader.read('<error>Maintenance</error>')).toMatchObject({ kind: 'maintenance', message: 'Maintenance' });
    expect(reader.read('<error>Access denied for your IP</error>')).toMatchObject({ kind: 'error', code: 'feed_error_answer' });
  });

  it('refuses another root element without items', () => {
    expect(reader.read('<exchange><offer/></exchange>')).toMatchObject({ kind: 'error', code: 'xml_unexpected_root', message: 'expected a <rates> root element, found <exchange>' });
  });

  it('survives deep nesting without a stack overflow', () => {
    const deep = '<rates>' + '<a>'.repeat(20000) + '</a>'.repeat(20000) + '</rates>';
    const result = reader.read(deep);
    expect(['items', 'error']).toContain(result.kind);
  });

  it('is reached through readFeed with whitespace and a BOM-less prolog after blank lines', () => {
    expect(readFeed('\n\n   <?xml version="1.0"?><rates><item><from>BTC</from></item></rates>', 'auto')).toMatchObject({ kind: 'items', format: 'xml' });
  });
});
