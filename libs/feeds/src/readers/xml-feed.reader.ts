import { XMLValidator } from 'fast-xml-parser';
import { Parser } from 'htmlparser2';
import { emptyRawItem, RawFeedItem, setRawField } from '../raw-item';
import { errorAnswer, FeedReader, MAX_FEED_ITEMS, ReadResult, readError, tooManyItems } from './feed-reader';

/** `&` that does not start an entity: exchangers write it raw in free text. */
const RAW_AMPERSAND = /&(?![a-zA-Z][\w.-]*;|#\d+;|#x[0-9a-fA-F]+;)/g;
const DTD = /<!DOCTYPE|<!ENTITY/i;

/**
 * XML feeds (`<rates><item>…</item></rates>`).
 *
 * fast-xml-parser's validator guards the door: a truncated or malformed body is an error with its line
 * and column, never half a snapshot. Items are then read by htmlparser2's streaming tokenizer: on a
 * 6,000-item feed fast-xml-parser's own tree building runs at about a third of the speed we need
 * (see `npm run bench:ingest`). No DTD is ever processed: a DOCTYPE or ENTITY declaration is refused
 * (billion laughs, external entities), and only the five predefined entities and character references
 * are decoded.
 */
export class XmlFeedReader implements FeedReader {
  readonly format = 'xml' as const;

  read(input: string): ReadResult {
    if (DTD.test(input.slice(0, 4096)) || DTD.test(input)) {
      return readError('xml', 'xml_doctype', 'DOCTYPE and ENTITY declarations are not accepted in a feed');
    }
    const text = input.replace(RAW_AMPERSAND, '&amp;');
    const valid = XMLValidator.validate(text, { allowBooleanAttributes: true });
    if (valid !== true) {
      const { line, col, msg } = valid.err;
      const unclosed = /^Invalid '\[([\s\S]*)\]' found/.exec(msg);
      if (unclosed) {
        const open = unclosed[1]!.split(',').map((name) => `<${name.trim().replace(/^"|"$/g, '')}>`).join('');
        return readError('xml', 'xml_malformed', `malformed XML: the body ends inside ${open} (truncated?)`);
      }
      return readError('xml', 'xml_malformed', `malformed XML at line ${line}, column ${col}: ${msg}`);
    }
    return extractItems(text);
  }
}

function extractItems(text: string): ReadResult {
  const items: RawFeedItem[] = [];
  let depth = 0;
  let root = '';
  let rootText = '';
  let item: RawFeedItem | null = null;
  let field: string | null = null;
  let value = '';
  let overflow = false;

  const parser = new Parser(
    {
      onopentagname(name) {
        depth++;
        if (depth === 1) root = name.toLowerCase();
        else if (depth === 2 && root === 'rates' && name.toLowerCase() === 'item') {
          if (items.length >= MAX_FEED_ITEMS) overflow = true;
          item = emptyRawItem();
        } else if (depth === 3 && item) {
          field = name;
          value = '';
        }
      },
      ontext(chunk) {
        if (field !== null) value += chunk;
        else if (depth === 1) rootText += chunk;
      },
      onclosetag() {
        if (depth === 3 && item && field !== null) {
          setRawField(item, field, value.trim());
          field = null;
        } else if (depth === 2 && item) {
          if (!overflow) items.push(item);
          item = null;
        }
        depth--;
      },
    },
    { xmlMode: true, decodeEntities: true, recognizeCDATA: true },
  );
  parser.end(text);

  if (root === 'error') return errorAnswer('xml', rootText);
  if (root !== 'rates') return readError('xml', 'xml_unexpected_root', `expected a <rates> root element, found <${root || 'nothing'}>`);
  if (overflow) return tooManyItems('xml');
  return { kind: 'items', format: 'xml', items };
}
