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
    const [item] = items(
      '<rates><item><from>BTC</from><to>ETH</to><in>1</in><out>20</out><minamount>1 BTC</minamount><minAmount>2 BTC</minAmount><maxAmount>5</maxAmount></item></rates>',
    );
    expect(item).toMatchObject({
      from: 'BTC',
      to: 'ETH',
      in: '1',
      out: '20',
      minamount: ['1 BTC', '2 BTC'],
      maxamount: ['5'],
    });
  });

  it('reads <rates/> as an empty feed', () => {
    expect(items('<?xml version="1.0"?><rates/>')).toEqual([]);
  });

  it('reads CDATA, entities, and newlines inside codes', () => {
    const [item] = items(
      '<rates><item><from><![CDATA[ BTC ]]></from><to>\n  ETH\n</to><in>1</in><out>20</out><param>manual &amp; verifying</param></item></rates>',
    );
    expect(item).toMatchObject({ from: 'BTC', to: 'ETH', param: 'manual & verifying' });
  });

  it('tolerates a raw & in free text', () => {
    const [item] = items(
      '<rates><item><from>BTC</from><to>ETH</to><in>1</in><out>20</out><fromname>Bits & Bytes</fromname></item></rates>',
    );
    expect(item?.from).toBe('BTC');
  });

  it('ignores root attributes, namespaces and unknown elements', () => {
    const [item] = items(
      '<rates xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="2"><item><from>BTC</from><method>card</method><to>ETH</to><in>1</in><out>2</out></item></rates>',
    );
    expect(item).toEqual({ from: 'BTC', to: 'ETH', in: '1', out: '2', minamount: [], maxamount: [] });
  });

  it('refuses a DOCTYPE (billion laughs, external entities)', () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><rates><item><from>&lol2;</from></item></rates>';
    expect(reader.read(bomb)).toMatchObject({ kind: 'error', code: 'xml_doctype' });
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rates><item><from>&x;</from></item></rates>';
    expect(reader.read(xxe)).toMatchObject({ kind: 'error', code: 'xml_doctype' });
  });

  it('calls a truncated body malformed, never half a snapshot', () => {
    expect(
      reader.read('<rates><item><from>BTC</from><to>ETH</to><in>1</in><out>20</out></item><item><from>E'),
    ).toMatchObject({
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
    expect(reader.read('<error>Access denied for your IP</error>')).toMatchObject({
      kind: 'error',
      code: 'feed_error_answer',
    });
  });

  it('refuses another root element without items', () => {
    expect(reader.read('<exchange><offer/></exchange>')).toMatchObject({
      kind: 'error',
      code: 'xml_unexpected_root',
      message: 'expected a <rates> root element, found <exchange>',
    });
  });

  it('survives deep nesting without a stack overflow', () => {
    const deep = '<rates>' + '<a>'.repeat(20000) + '</a>'.repeat(20000) + '</rates>';
    const result = reader.read(deep);
    expect(['items', 'error']).toContain(result.kind);
  });

  it('is reached through readFeed with whitespace and a BOM-less prolog after blank lines', () => {
    expect(readFeed('\n\n   <?xml version="1.0"?><rates><item><from>BTC</from></item></rates>', 'auto')).toMatchObject({
      kind: 'items',
      format: 'xml',
    });
  });

  describe('EREF 1.1 as the dominant engine writes it', () => {
    it('keeps each fee element with its type attribute, repeated elements as separate components', () => {
      const [item] = items(
        '<rates><item><from>BTC</from><fromfee type="%">0.5</fromfee><tofee type="abs">1</tofee><tofee type="%">0.2</tofee><minfee>2 USD</minfee></item></rates>',
      );
      expect(item).toMatchObject({
        fromfee: [{ text: '0.5', type: '%' }],
        tofee: [
          { text: '1', type: 'abs' },
          { text: '0.2', type: '%' },
        ],
        minfee: [{ text: '2 USD' }],
      });
    });

    it('reads boolean flag elements: true, 1, yes or present and empty set them; false and 0 mean absent', () => {
      const [item] = items(
        '<rates><item><manual>true</manual><Verifying>1</Verifying><juridical>false</juridical><reg>0</reg><otherin/><cardverify>yes</cardverify><otherout>nope</otherout></item></rates>',
      );
      expect(item?.flags).toEqual(['manual', 'verifying', 'otherin', 'cardverify']);
    });

    it('keeps floating terms from attributes or the older text, and the delay', () => {
      const [a, b] = items(
        '<rates><item><floating percent="1" minutes="30" /><delay>15</delay></item><item><floating>1%,30</floating></item></rates>',
      );
      expect(a).toMatchObject({ floating: { percent: '1', minutes: '30' }, delay: '15' });
      expect(b?.floating).toEqual({ percent: undefined, minutes: undefined, text: '1%,30' });
    });

    it('names the dialect: EREF 1.1 by its schema, its fields or its element flags; BestChange XML otherwise', () => {
      const dialect = (xml: string) => (reader.read(xml) as { dialect?: string }).dialect;
      expect(dialect('<rates xsi:noNamespaceSchemaLocation="https://docs.bestchange.biz/schema/1.1.xsd"/>')).toBe(
        'xml-eref-1.1',
      );
      expect(dialect('<rates><item><frommin>1</frommin></item></rates>')).toBe('xml-eref-1.1');
      expect(dialect('<rates><item><manual>true</manual></item></rates>')).toBe('xml-eref-1.1');
      expect(dialect('<rates><item><param>manual</param></item></rates>')).toBe('xml');
    });
  });

  describe('one item’s defect never hides the others', () => {
    it('marks a value field written twice, naming it', () => {
      const list = items(
        '<rates><item><from>A</from><from>B</from></item><item><from>BTC</from><minamount>1</minamount><minamount>2</minamount></item></rates>',
      );
      expect(list.map((i) => i.defect)).toEqual(['the field from appears twice', undefined]);
      expect(list[1]?.minamount).toEqual(['1', '2']);
    });

    it('marks markup inside a value and an item inside an item, and reads the next item', () => {
      const list = items(
        '<rates><item><from>B<i>T</i>C</from></item><item><in>1</in><item><from>X</from></item></item><item><from>ETH</from></item></rates>',
      );
      expect(list.map((i) => i.defect)).toEqual(['markup <i> inside <from>', 'an <item> inside an <item>', undefined]);
      expect(list[2]?.from).toBe('ETH');
    });

    it('ignores markup inside elements it does not read', () => {
      const [item] = items(
        '<rates><item><from>BTC</from><fromname><ru>Биткоин</ru><en>Bitcoin</en></fromname></item></rates>',
      );
      expect(item).toEqual({ from: 'BTC', minamount: [], maxamount: [] });
    });
  });

  it('ignores namespace prefixes on every element', () => {
    const [item] = items(
      '<x:rates xmlns:x="urn:r"><x:item><x:from>BTC</x:from><x:to>ETH</x:to><x:fromfee x:type="%">1</x:fromfee></x:item></x:rates>',
    );
    expect(item).toMatchObject({ from: 'BTC', to: 'ETH', fromfee: [{ text: '1', type: '%' }] });
  });

  it('reads <item>s under another root with a warning', () => {
    expect(reader.read('<exchange><item><from>BTC</from></item></exchange>')).toMatchObject({
      kind: 'items',
      warnings: ['the <item>s are under <exchange>, not <rates>; read anyway'],
    });
  });
});
