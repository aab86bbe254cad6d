import { isAscii } from 'node:buffer';
import { TextDecoder } from 'node:util';

export interface DecodedBody {
  text: string;
  /** The encoding the text was read in. */
  encoding: string;
  warnings: string[];
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * Bytes to text the way exchangers' bodies need it: a BOM wins; then the encoding the XML prolog or
 * the Content-Type declares; a body that is not valid UTF-8 (declared so or not) is read as
 * windows-1251, the usual culprit, with a warning.
 */
export function decodeBody(bytes: Uint8Array, contentType?: string | null): DecodedBody {
  const warnings: string[] = [];
  if (bytes.length >= 3 && UTF8_BOM.every((b, i) => bytes[i] === b)) {
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8', warnings };
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le', warnings };
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be', warnings };
  }

  const declared = declaredEncoding(bytes, contentType);
  if (declared && !isUtf8Label(declared)) {
    const decoder = decoderFor(declared);
    if (decoder) return { text: decoder.decode(bytes), encoding: decoder.encoding, warnings };
    warnings.push(`unknown declared encoding "${declared}"; read as UTF-8`);
  }
  // Most feeds are ASCII: checked by simdutf and copied as one-byte text, several times a fatal TextDecoder.
  if (isAscii(bytes)) {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    return { text, encoding: 'utf-8', warnings };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8', warnings };
  } catch {
    warnings.push(`body is not valid UTF-8${declared ? ` (declared ${declared})` : ''}; read as windows-1251`);
    return { text: new TextDecoder('windows-1251').decode(bytes), encoding: 'windows-1251', warnings };
  }
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
