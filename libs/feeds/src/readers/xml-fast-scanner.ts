import {
  emptyRawItem,
  FIELD_NAMES,
  FieldRole,
  fieldRole,
  RawFeedItem,
  resetRawItem,
  setRawFieldOfRole,
} from '../raw-item';
import { MAX_FEED_ITEMS } from './feed-reader';

/** Fields only the newer BestChange spec (EREF 1.1) has (as XmlFeedReader knows them). */
const EREF_11_FIELDS = new Set(['frommin', 'frommax', 'tomin', 'tomax']);
/** The XML declaration the scanner accepts: version, then optionally encoding and standalone. */
const PROLOG =
  /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.[0-9]\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])[A-Za-z][A-Za-z0-9._-]{0,39}\2)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\3)?[ \t\r\n]*\?>$/;
const EREF_11_SCHEMA = /1\.1\.xsd$/;

const LT = 60;
const GT = 62;
const SLASH = 47;
const AMP = 38;
const EQUALS = 61;
const DQUOTE = 34;
const SQUOTE = 39;
const CLOSE_BRACKET = 93;

/**
 * What a reader of a body answers when the fast path refused (a part of) it: the body goes to the reference
 * reader alone, not to another fast pass over the same bytes (they all refuse what one refuses — scanXmlFeed,
 * scanXmlPiecesEach — and a hostile feed would pay for each).
 */
export const FAST_PATH_REFUSED = 'refused by the fast path';

/** Thrown inside the scanner when a document is not one it is sure of; caught at its entry. */
const REFUSED = new Error('refused by the XML fast path');

/** One pass over an XML feed of the common shape: its dialect and its items. */
export interface XmlScan {
  dialect: 'xml' | 'xml-eref-1.1';
  items: RawFeedItem[];
}

/**
 * The one-pass reader of the XML feeds ratewatch sees almost always: an optional XML declaration, a
 * `<rates>` root (attributes allowed), `<item>` children without attributes, and inside them elements of
 * plain text (the five predefined entities and character references decoded), with simple attributes on
 * the fields. Anything else — comments, CDATA, processing instructions, a DOCTYPE, other entities, a raw
 * `&`, markup inside a field, an `<item>` inside an item, namespace prefixes, capitals in `rates`/`item`,
 * text between items, an `<error>` root, an unclosed or mismatched tag, trailing content — makes it
 * answer null, and the reference path (fast-xml-parser's validator, then htmlparser2) reads the body
 * instead: the fast path never decides anything it is not sure the reference would decide the same way.
 *
 * The pass is a sequence of independent parts — the opening (`scanXmlOpening`), each `<item>` to its first
 * `</item>` (`scanXmlItem`), XML whitespace between them, `</rates>` and whitespace to the end — so a
 * reader that has already read an item's exact text (FeedMemo) may skip it: the whole is accepted exactly
 * when every part is.
 */
export function scanXmlFeed(text: string): XmlScan | null {
  try {
    return new Scanner(text).scan();
  } catch {
    // REFUSED, or a RangeError (a stack overflow, an allocation limit): no reason to fail a feed the
    // reference can read.
    return null;
  }
}

/**
 * `scanXmlFeed` handing each item to `onItem` as it is read, in one object reused for every item (it is
 * not kept: whatever `onItem` keeps must be its own). Null when the fast path refuses the text — maybe
 * after some items were handed over: the caller then discards what it made of them.
 */
export function scanXmlFeedEach(text: string, onItem: (item: RawFeedItem) => void): XmlScan['dialect'] | null {
  const items = reusedItem(onItem);
  try {
    const dialect = new Scanner(text).scanEach(items.next);
    items.flush();
    return dialect;
  } catch {
    return null;
  }
}

/**
 * One item object read into again and again: `next()` hands the item read last (if any) to `onItem` and gives
 * the object back emptied; `flush()` hands over the last one.
 */
function reusedItem(onItem: (item: RawFeedItem) => void): { next: () => RawFeedItem; flush: () => void } {
  const item = emptyRawItem();
  let pending = false;
  return {
    next: () => {
      if (pending) onItem(item);
      resetRawItem(item);
      pending = true;
      return item;
    },
    flush: () => {
      if (pending) onItem(item);
    },
  };
}

/** What a piece of the body holds at least before it is cut after an `</item>` (scanXmlPiecesEach). */
export const PIECE_BYTES = 64 * 1024;

const ITEM_CLOSE = Buffer.from('</item>');

/**
 * `scanXmlFeedEach` over a body in pieces: each piece of the bytes from `from` on ends right after the first
 * `</item>` at least `pieceBytes` into it (or at the body's end), is made text by `text(start, end)` and scanned
 * on from where the last one left off, between two items. A text of a whole large feed is a string of its own
 * size, which V8 allocates outside its young generation, fresh for every read: 3 ms for a 945 KB feed on this
 * project's VMs, a fifth of reading and normalizing it without the memo, where pieces of 64 KB cost next to nothing.
 *
 * It answers exactly what scanXmlFeedEach answers for the whole text, items and all: in a document the fast path
 * accepts, `</item>` occurs nowhere but where an item ends (a field named `item`, a `<` in a value or an
 * attribute, comments and CDATA are all refused), so every cut falls between two items, where the whole-text
 * pass is too; and where the bytes of an `</item>` are anything else, the whole-text pass refuses the document
 * at those very bytes — as does the piece that ends with them. The text must be one character a byte up to each
 * cut (ASCII, or any encoding whose `</item>` is those bytes and never part of another character).
 */
export function scanXmlPiecesEach(
  bytes: Uint8Array,
  from: number,
  text: (start: number, end: number) => string,
  onItem: (item: RawFeedItem) => void,
  pieceBytes = PIECE_BYTES,
): XmlScan['dialect'] | null {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const items = reusedItem(onItem);
  try {
    let eref11 = false;
    let count = 0;
    for (let start = from; ;) {
      const close = body.indexOf(ITEM_CLOSE, start + pieceBytes);
      const end = close === -1 ? body.length : close + ITEM_CLOSE.length;
      const last = end === body.length;
      const scanner = new Scanner(text(start, end));
      if (start === from && scanner.opening()) eref11 = true;
      const read = scanner.items(items.next, count, last);
      count = read.count;
      if (read.eref11) eref11 = true;
      if (last) {
        scanner.end();
        break;
      }
      start = end;
    }
    items.flush();
    return eref11 ? 'xml-eref-1.1' : 'xml';
  } catch {
    return null;
  }
}

/**
 * The opening of a feed up to its first `<item>`: the XML declaration, `<rates …>` and whitespace, and
 * nothing else. Null when the fast path would refuse it; else whether the root's attributes mark EREF 1.1.
 */
export function scanXmlOpening(text: string): { eref11: boolean } | null {
  try {
    const scanner = new Scanner(text);
    const eref11 = scanner.opening();
    scanner.end();
    return { eref11 };
  } catch {
    return null;
  }
}

/**
 * One item, `<item>` to its first `</item>` exactly, as the whole-feed pass reads it: null when it would
 * refuse the item (and so the feed); else the item and whether it marks the feed EREF 1.1.
 */
export function scanXmlItem(text: string): { item: RawFeedItem; eref11: boolean } | null {
  try {
    if (!matchesAt(text, 0, '<item>')) return null;
    const scanner = new Scanner(text);
    const item = emptyRawItem();
    scanner.p = 6;
    const eref11 = scanner.item(item);
    if (scanner.p !== text.length) return null;
    return { item, eref11 };
  } catch {
    return null;
  }
}

class Scanner {
  p = 0;
  private readonly len: number;

  constructor(private readonly t: string) {
    this.len = t.length;
  }

  /** The XML declaration and the root's open tag (left after its `>`); true when its attributes mark EREF 1.1. */
  opening(): boolean {
    const t = this.t;
    if (t.startsWith('<?xml')) {
      const end = t.indexOf('?>', 5);
      if (end === -1 || end > 300 || !PROLOG.test(t.slice(0, end + 2))) throw REFUSED;
      this.p = end + 2;
    }
    this.skipWhitespace();
    if (!t.startsWith('<rates', this.p)) throw REFUSED;
    this.p += 6;
    let eref11 = false;
    const rootAttributes = this.attributes(true);
    if (rootAttributes !== undefined) {
      for (const name in rootAttributes) if (EREF_11_SCHEMA.test(rootAttributes[name]!)) eref11 = true;
    }
    // `<rates/>`: XmlFeedReader reads it as an empty feed; it is rare enough to leave to it.
    if (t.charCodeAt(this.p) !== GT) throw REFUSED;
    this.p++;
    return eref11;
  }

  /** Whitespace, then the end of the text. */
  end(): void {
    this.skipWhitespace();
    if (this.p !== this.len) throw REFUSED;
  }

  scan(): XmlScan {
    const items: RawFeedItem[] = [];
    const dialect = this.scanEach(() => {
      const item = emptyRawItem();
      items.push(item);
      return item;
    });
    return { dialect, items };
  }

  /** The pass: `next()` gives the object each item is read into (empty), in order. */
  scanEach(next: () => RawFeedItem): XmlScan['dialect'] {
    const eref11 = this.opening();
    const read = this.items(next, 0, true);
    this.end();
    return eref11 || read.eref11 ? 'xml-eref-1.1' : 'xml';
  }

  /**
   * The items from the scanner's position on, each read into `next()`, up to `</rates>` (left after it) — or, in
   * a piece of the text that is not its last (`last` false: see scanXmlPiecesEach), up to the piece's end after
   * an item. Answers how many items were read, with the `count` read before, and whether one marks EREF 1.1.
   */
  items(next: () => RawFeedItem, count: number, last: boolean): { count: number; eref11: boolean } {
    const t = this.t;
    let eref11 = false;
    for (;;) {
      this.skipWhitespace();
      const start = this.p;
      if (!last && start === this.len) break;
      if (t.charCodeAt(start) !== LT) throw REFUSED;
      if (matchesAt(t, start, '<item>')) {
        if (count >= MAX_FEED_ITEMS) throw REFUSED;
        count++;
        this.p = start + 6;
        if (this.item(next())) eref11 = true;
        continue;
      }
      if (last && matchesAt(t, start, '</rates>')) {
        this.p = start + 8;
        break;
      }
      throw REFUSED;
    }
    return { count, eref11 };
  }

  /** Reads one item after its `<item>` up to and including `</item>`; true when it marks EREF 1.1. */
  item(item: RawFeedItem): boolean {
    const t = this.t;
    let eref11 = false;
    for (;;) {
      this.skipWhitespace();
      let p = this.p;
      if (t.charCodeAt(p) !== LT) throw REFUSED;
      p++;
      if (t.charCodeAt(p) === SLASH) {
        if (!matchesAt(t, p + 1, 'item>')) throw REFUSED;
        this.p = p + 6;
        break;
      }
      // A name as the spec writes it is recognised in place; any other is scanned and sliced.
      const known = knownFieldAt(t, p);
      let nameEnd: number;
      let name: string;
      if (known !== undefined) {
        name = known.name;
        nameEnd = p + name.length;
      } else {
        nameEnd = nameEndAt(t, p);
        if (nameEnd === p) throw REFUSED;
        name = t.slice(p, nameEnd);
      }
      this.p = nameEnd;
      // Most fields have no attributes: `>` right after the name.
      const attributes = t.charCodeAt(nameEnd) === GT ? undefined : this.attributes(false);
      let value: string;
      if (t.charCodeAt(this.p) === SLASH) {
        if (t.charCodeAt(this.p + 1) !== GT) throw REFUSED;
        this.p += 2;
        value = '';
      } else {
        // attributes() leaves the scanner on `>` or `/`.
        const from = this.p + 1;
        const lt = t.indexOf('<', from);
        if (
          lt === -1 ||
          t.charCodeAt(lt + 1) !== SLASH ||
          !matchesAt(t, lt + 2, name) ||
          t.charCodeAt(lt + 2 + name.length) !== GT
        )
          throw REFUSED;
        value = trimmedTextValue(t, from, lt);
        this.p = lt + 3 + name.length;
      }
      let role: FieldRole | undefined;
      let erefField: boolean;
      if (known !== undefined) {
        // A name as the spec writes it (never `item`): its role and mark looked up once, at start.
        role = known.role;
        erefField = known.eref11;
      } else {
        if (name.length === 4 && name.toLowerCase() === 'item') throw REFUSED;
        role = fieldRole(name);
        erefField = role !== undefined && role.role === 'scalar' && EREF_11_FIELDS.has(name.toLowerCase());
      }
      if (role !== undefined) {
        setRawFieldOfRole(item, role, value, attributes);
        if (attributes !== undefined || erefField) eref11 = true;
      }
    }
    if (item.flags !== undefined) eref11 = true;
    return eref11;
  }

  /**
   * The attributes of the open tag the scanner is in, up to `>` or `/>` (left there): undefined when there
   * are none. Names lower-cased (as XmlFeedReader keys them); a prefix only on the root's.
   */
  private attributes(root: boolean): Record<string, string> | undefined {
    const t = this.t;
    let attributes: Record<string, string> | undefined;
    for (;;) {
      const before = this.p;
      this.skipWhitespace();
      const c = t.charCodeAt(this.p);
      if (c === GT || c === SLASH) return attributes;
      if (this.p === before) throw REFUSED;
      const start = this.p;
      const end = root ? prefixedNameEndAt(t, start) : nameEndAt(t, start);
      if (end === start) throw REFUSED;
      const name = t.slice(start, end).toLowerCase();
      this.p = end;
      this.skipWhitespace();
      if (t.charCodeAt(this.p) !== EQUALS) throw REFUSED;
      this.p++;
      this.skipWhitespace();
      const quote = t.charCodeAt(this.p);
      if (quote !== DQUOTE && quote !== SQUOTE) throw REFUSED;
      const valueEnd = t.indexOf(quote === DQUOTE ? '"' : "'", this.p + 1);
      if (valueEnd === -1 || valueEnd - this.p > 1024) throw REFUSED;
      for (let i = this.p + 1; i < valueEnd; i++) {
        const v = t.charCodeAt(i);
        if (v === LT || v === GT || v === AMP || v < 32 || (v >= 0x7f && v <= 0x9f)) throw REFUSED;
      }
      attributes ??= {};
      if (Object.prototype.hasOwnProperty.call(attributes, name)) throw REFUSED;
      attributes[name] = t.slice(this.p + 1, valueEnd);
      this.p = valueEnd + 1;
    }
  }

  private skipWhitespace(): void {
    const t = this.t;
    let p = this.p;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === 32 || c === 10 || c === 13 || c === 9) p++;
      else break;
    }
    this.p = p;
  }
}

/** A field name as the spec writes it, with its role and whether a scalar of that name marks EREF 1.1. */
interface KnownField {
  name: string;
  role: FieldRole;
  eref11: boolean;
}

/**
 * Field names by first character: a name the scanner meets is compared in place, not scanned and sliced
 * (7 strings an item less). Names the spec's items use most come first.
 */
const FIELDS_BY_FIRST: Array<KnownField[] | undefined> = [];
for (const name of FIELD_NAMES) {
  const role = fieldRole(name)!;
  (FIELDS_BY_FIRST[name.charCodeAt(0)] ??= []).push({
    name,
    role,
    eref11: role.role === 'scalar' && EREF_11_FIELDS.has(name),
  });
}

/** The known field whose name is the whole name at `p` (the character after it ends a name), if any. */
function knownFieldAt(t: string, p: number): KnownField | undefined {
  const candidates = FIELDS_BY_FIRST[t.charCodeAt(p)];
  if (candidates === undefined) return undefined;
  for (let i = 0; i < candidates.length; i++) {
    const field = candidates[i]!;
    const end = p + field.name.length;
    if (matchesAt(t, p, field.name) && !(NAME_CHARACTER[t.charCodeAt(end)]! > 0)) return field;
  }
  return undefined;
}

/** True when `text` holds `name` at `p`: a few characters compared in place (startsWith is a call into the runtime). */
function matchesAt(text: string, p: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) if (text.charCodeAt(p + i) !== name.charCodeAt(i)) return false;
  return true;
}

/** 1: may start a name (`[A-Za-z_]`), 2: may continue one (`[0-9.-]`), by ASCII code. */
const NAME_CHARACTER = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_]/.test(ch)) NAME_CHARACTER[c] = 1;
  else if (/[0-9.-]/.test(ch)) NAME_CHARACTER[c] = 2;
}

/** The end of an ASCII XML name starting at `p` (`[A-Za-z_][A-Za-z0-9_.-]*`); `p` when there is none. */
function nameEndAt(t: string, p: number): number {
  // charCodeAt past the end is NaN, and a code past 127 is outside the table: both end the name.
  if (NAME_CHARACTER[t.charCodeAt(p)] !== 1) return p;
  let i = p + 1;
  while (NAME_CHARACTER[t.charCodeAt(i)]! > 0) i++;
  return i;
}

/** A name with at most one namespace prefix (`xmlns:xsi`, `xsi:noNamespaceSchemaLocation`). */
function prefixedNameEndAt(t: string, p: number): number {
  const end = nameEndAt(t, p);
  if (end === p || t.charCodeAt(end) !== 58) return end;
  const local = nameEndAt(t, end + 1);
  return local === end + 1 ? p : local;
}

/**
 * `textValue(t, from, to).trim()`, without the two searches, the slice and the trim when the text is
 * plain (no `&`, no `]`, ASCII at both trimmed ends): the usual value is sliced once, already trimmed.
 */
function trimmedTextValue(t: string, from: number, to: number): string {
  let start = from;
  while (start < to && isAsciiTrimmed(t.charCodeAt(start))) start++;
  let end = to;
  while (end > start && isAsciiTrimmed(t.charCodeAt(end - 1))) end--;
  // Only ASCII whitespace: it trims to nothing.
  if (end === start) return '';
  if (t.charCodeAt(start) >= 0x80 || t.charCodeAt(end - 1) >= 0x80) return textValue(t, from, to).trim();
  for (let i = start; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c === AMP || c === CLOSE_BRACKET) return textValue(t, from, to).trim();
  }
  return t.slice(start, end);
}

/** The ASCII characters String.prototype.trim removes: tab, line feed, vertical tab, form feed, return, space. */
function isAsciiTrimmed(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * The text from `from` to `to` (no `<` inside), its entities decoded: the five predefined ones and
 * character references to characters a feed may hold. Anything else refuses the document.
 */
function textValue(t: string, from: number, to: number): string {
  // Searches stay inside the value: a search of the whole body per value would be quadratic.
  const raw = t.slice(from, to);
  if (raw.includes(']]>')) throw REFUSED;
  if (!raw.includes('&')) return raw;
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const a = raw.indexOf('&', i);
    if (a === -1) {
      out += raw.slice(i);
      break;
    }
    out += raw.slice(i, a);
    const semi = raw.indexOf(';', a + 1);
    if (semi === -1 || semi - a > 10) throw REFUSED;
    out += entity(raw.slice(a + 1, semi));
    i = semi + 1;
  }
  return out;
}

function entity(name: string): string {
  switch (name) {
    case 'lt':
      return '<';
    case 'gt':
      return '>';
    case 'amp':
      return '&';
    case 'quot':
      return '"';
    case 'apos':
      return "'";
  }
  let code: number;
  if (/^#[0-9]{1,7}$/.test(name)) code = Number(name.slice(1));
  else if (/^#x[0-9a-fA-F]{1,6}$/.test(name)) code = Number.parseInt(name.slice(2), 16);
  else throw REFUSED;
  const plain =
    code === 9 ||
    code === 10 ||
    code === 13 ||
    (code >= 0x20 && code < 0x7f) ||
    (code >= 0xa0 && code < 0xd800) ||
    (code >= 0xe000 && code < 0xfffe) ||
    (code >= 0x10000 && code <= 0x10ffff);
  if (!plain) throw REFUSED;
  return String.fromCodePoint(code);
}
