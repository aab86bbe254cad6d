import { XMLValidator } from 'fast-xml-parser';
import { Parser } from 'htmlparser2';
import { emptyRawItem, fieldRole, isValueField, RawFeedItem, setRawField } from '../raw-item';
import { errorAnswer, FeedReader, MAX_FEED_ITEMS, ReadResult, readError, tooManyItems } from './feed-reader';
import { scanXmlFeed } from './xml-fast-scanner';

/** `&` that does not start an entity: exchangers write it raw in free text. */
const RAW_AMPERSAND = /&(?![a-zA-Z][\w.-]*;|#\d+;|#x[0-9a-fA-F]+;)/g;
const DTD = /<!DOCTYPE|<!ENTITY/i;
/** Fields only the newer BestChange spec (EREF 1.1) has. */
const EREF_11_FIELDS = new Set(['frommin', 'frommax', 'tomin', 'tomax']);

/**
 * XML feeds (`<rates><item>…</item></rates>`), in BestChange's first spec and in EREF 1.1 as the
 * dominant engine (Premium Exchanger) writes it: fees with a `type` attribute, repeated once per
 * component; flags as boolean elements; `<floating percent minutes/>`; `<delay>`.
 *
 * fast-xml-parser's validator guards the door: a truncated or malformed body is an error with its line
 * and column, never half a snapshot. Items are then read by htmlparser2's streaming tokenizer: on a
 * 6,000-item feed fast-xml-parser's own tree building runs at about a third of the speed we need
 * (see `npm run bench:ingest`). No DTD is ever processed: a DOCTYPE or ENTITY declaration is refused
 * (billion laughs, external entities), and only the five predefined entities and character references
 * are decoded.
 *
 * Forgiven, as a careful reader would: comments before the root, namespace prefixes (`<r:rates>`), and
 * `<item>`s under another root (with a warning). Not forgiven, item by item: a field that may hold one
 * value written twice, or markup inside a value — the item is marked defective and rejected with the
 * reason, the others stand.
 */
export class XmlFeedReader implements FeedReader {
  readonly format = 'xml' as const;

  read(input: string): ReadResult {
    // The common shape in one pass; anything the fast path is not sure of is read below.
    const fast = scanXmlFeed(input);
    if (fast !== null) return { kind: 'items', format: 'xml', dialect: fast.dialect, items: fast.items, warnings: [] };
    return this.readFully(input);
  }

  /** The reference path: fast-xml-parser's validator guards the door, htmlparser2 reads the items. */
  readFully(input: string): ReadResult {
    if (DTD.test(input.slice(0, 4096)) || DTD.test(input)) {
      return readError('xml', 'xml_doctype', 'DOCTYPE and ENTITY declarations are not accepted in a feed');
    }
    const text = input.replace(RAW_AMPERSAND, '&amp;');
    const valid = XMLValidator.validate(text, { allowBooleanAttributes: true });
    if (valid !== true) {
      const { line, col, msg } = valid.err;
      const unclosed = /^Invalid '\[([\s\S]*)\]' found/.exec(msg);
      if (unclosed) {
        const open = unclosed[1]!
          .split(',')
          .map((name) => `<${name.trim().replace(/^"|"$/g, '')}>`)
          .join('');
        return readError('xml', 'xml_malformed', `malformed XML: the body ends inside ${open} (truncated?)`);
      }
      return readError('xml', 'xml_malformed', `malformed XML at line ${line}, column ${col}: ${msg}`);
    }
    return extractItems(text);
  }
}

/** `r:rates` → `rates`: namespace prefixes carry nothing a feed reader needs. */
function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

function extractItems(text: string): ReadResult {
  const items: RawFeedItem[] = [];
  let depth = 0;
  let root = '';
  /** Where `<item>`s sit: under the root, or under a `<rates>` one level down (`<response><rates>`). */
  let itemDepth = 2;
  let rootText = '';
  let eref11 = false;
  let item: RawFeedItem | null = null;
  /** The depth-3 element being read inside an item, when it is one ratewatch reads. */
  let field: string | null = null;
  let attributes: Record<string, string> | undefined;
  let value = '';
  let overflow = false;

  const parser = new Parser(
    {
      onopentagname(name) {
        depth++;
        if (depth === 1) {
          root = localName(name).toLowerCase();
        } else if (depth === itemDepth) {
          const local = localName(name).toLowerCase();
          if (local === 'item') {
            if (items.length >= MAX_FEED_ITEMS) overflow = true;
            item = emptyRawItem();
          } else if (local === 'rates' && root !== 'rates' && itemDepth === 2 && items.length === 0) {
            itemDepth = 3;
          }
        } else if (item !== null) {
          if (depth === itemDepth + 1) {
            const local = localName(name);
            attributes = undefined;
            if (local.toLowerCase() === 'item') {
              item.defect ??= 'an <item> inside an <item>';
              field = null;
            } else if (fieldRole(local) !== undefined) {
              field = local;
              value = '';
            } else {
              field = null;
            }
          } else if (depth === itemDepth + 2 && field !== null && isValueField(field)) {
            item.defect ??= `markup <${localName(name)}> inside <${field}>`;
          }
        }
      },
      onattribute(name, attributeValue) {
        if (depth === itemDepth + 1 && field !== null)
          (attributes ??= {})[localName(name).toLowerCase()] = attributeValue;
        else if (depth === 1 && /1\.1\.xsd$/.test(attributeValue)) eref11 = true;
      },
      ontext(chunk) {
        if (field !== null) value += chunk;
        else if (depth === 1) rootText += chunk;
      },
      onclosetag() {
        if (depth === itemDepth + 1 && item !== null && field !== null) {
          setRawField(item, field, value.trim(), attributes);
          if (!eref11 && (attributes !== undefined || EREF_11_FIELDS.has(field.toLowerCase()))) eref11 = true;
          field = null;
        } else if (depth === itemDepth && item !== null) {
          if (!overflow) items.push(item);
          if (!eref11 && item.flags !== undefined) eref11 = true;
          item = null;
        }
        depth--;
      },
    },
    { xmlMode: true, decodeEntities: true, recognizeCDATA: true },
  );
  parser.end(text);

  if (root === 'error') return errorAnswer('xml', rootText);
  const warnings: string[] = [];
  if (root !== 'rates') {
    if (items.length === 0)
      return readError('xml', 'xml_unexpected_root', `expected a <rates> root element, found <${root || 'nothing'}>`);
    warnings.push(
      itemDepth === 3
        ? `the <rates> are wrapped in <${root}>; read anyway`
        : `the <item>s are under <${root}>, not <rates>; read anyway`,
    );
  }
  if (overflow) return tooManyItems('xml');
  return { kind: 'items', format: 'xml', dialect: eref11 ? 'xml-eref-1.1' : 'xml', items, warnings };
}
