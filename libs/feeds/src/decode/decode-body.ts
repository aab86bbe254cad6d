import { isAscii, isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';

export interface DecodedBody {
  text: string;
  /** The encoding the text was read in. */
  encoding: string;
  warnings: string[];
}

/**
 * How a body's bytes become text (`decodeBody` decodes by it): the bytes to skip (a BOM), the decoder,
 * and the warnings the choice gives. Decided without decoding, so that a reader of unchanged items can
 * decode only the parts of a body it needs.
 */
export interface BodyEncoding {
  /** Bytes before the text: a BOM. */
  offset: number;
  /** The encoding the text is read in (as DecodedBody names it). */
  encoding: string;
  /** ASCII bytes only: each byte is its own character (read as latin1, the fastest copy). */
  ascii: boolean;
  decoder: TextDecoder | null;
  /**
   * True when the bytes can be decoded piece by piece: any range that starts and ends at an ASCII byte
   * decodes to exactly the text the whole body gives there, and an ASCII byte is always its own
   * character (never part of another). True for ASCII, UTF-8 and the single-byte code pages; false for
   * UTF-16 and the multi-byte East Asian encodings (an ASCII byte may be the second byte of a pair).
   */
  splittable: boolean;
  warnings: string[];
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];
/** WHATWG's single-byte encodings (canonical names): ASCII is ASCII, every other byte one character. */
const SINGLE_BYTE = /^(windows-125\d|windows-874|iso-8859-(?:[2-9]|1[0-6])|koi8-[ru]|ibm866|macintosh|x-mac-cyrillic)$/;

/**
 * Bytes to text the way exchangers' bodies need it: a BOM wins; then the encoding the XML prolog or
 * the Content-Type declares; a body that is not valid UTF-8 (declared so or not) is read as
 * windows-1251, the usual culprit, with a warning.
 */
export function decodeBody(bytes: Uint8Array, contentType?: string | null): DecodedBody {
  const chosen = bodyEncoding(bytes, contentType);
  return {
    text: decodeRange(bytes, chosen, chosen.offset, bytes.length),
    encoding: chosen.encoding,
    warnings: chosen.warnings,
  };
}

/** The text of `bytes[start, end)` in the body's encoding (for a splittable one, any range between ASCII bytes). */
export function decodeRange(bytes: Uint8Array, chosen: BodyEncoding, start: number, end: number): string {
  // Most feeds are ASCII: checked by simdutf and copied as one-byte text, several times a TextDecoder.
  if (chosen.ascii) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1', start, end);
  return chosen.decoder!.decode(bytes.subarray(start, end));
}

export function bodyEncoding(bytes: Uint8Array, contentType?: string | null): BodyEncoding {
  const warnings: string[] = [];
  const text = (encoding: string, offset: number, splittable: boolean): BodyEncoding => ({
    offset,
    encoding,
    ascii: false,
    decoder: new TextDecoder(encoding),
    splittable,
    warnings,
  });
  if (bytes.length >= 3 && UTF8_BOM.every((b, i) => bytes[i] === b)) return text('utf-8', 3, true);
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return text('utf-16le', 2, false);
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return text('utf-16be', 2, false);

  const declared = declaredEncoding(bytes, contentType);
  if (declared && !isUtf8Label(declared)) {
    const decoder = decoderFor(declared);
    if (decoder) {
      return { ...text(decoder.encoding, 0, SINGLE_BYTE.test(decoder.encoding)), decoder };
    }
    warnings.push(`unknown declared encoding "${declared}"; read as UTF-8`);
  }
  if (isAscii(bytes)) return { offset: 0, encoding: 'utf-8', ascii: true, decoder: null, splittable: true, warnings };
  // Valid UTF-8 (simdutf's check, the same the decoder applies) decodes the same with or without `fatal`.
  if (isUtf8(bytes)) return text('utf-8', 0, true);
  warnings.push(`body is not valid UTF-8${declared ? ` (declared ${declared})` : ''}; read as windows-1251`);
  return text('windows-1251', 0, true);
}

function declaredEncoding(bytes: Uint8Array, contentType?: string | null): string | null {
  // The XML prolog is ASCII: look at the first bytes only.
  const head = Buffer.from(bytes.subarray(0, 256)).toString('latin1');
  const prolog = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head);
  if (prolog?.[1]) return prolog[1].toLowerCase();
  const header = contentType ? /charset\s*=\s*"?([A-Za-z0-9._:-]+)/i.exec(contentType) : null;
  return header?.[1] ? header[1].toLowerCase() : null;
}

function isUtf8Label(label: string): boolean {
  return label === 'utf-8' || label === 'utf8' || label === 'unicode-1-1-utf-8';
}

function decoderFor(label: string): TextDecoder | null {
  try {
    return new TextDecoder(label);
  } catch {
    return null;
  }
}
