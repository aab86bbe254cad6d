import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { TimeSlicer } from '@app/domain';
import { cp1251 } from './text';

/** A `.dat` file: its name and its text in pieces, joined as they are (the pieces carry their own LFs). */
export type DatFile = readonly [name: string, pieces: Iterable<string>];

/** Characters of text encoded, hashed and compressed at a time: a few hundred microseconds of work each. */
const CHUNK_CHARS = 64 * 1024;
/** Deflate's level (zlib's default, as BestChange's own archive). */
const LEVEL = 6;

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
/** Version 2.0: deflate, no ZIP64. */
const VERSION = 20;
const DEFLATE = 8;

interface Entry {
  name: Buffer;
  crc: number;
  size: number;
  data: Buffer;
  offset: number;
}

/**
 * The fields a local header (from byte 6) and a central directory header (from byte 8) share, in the same
 * order: flags (none), method, DOS time and date, CRC-32, compressed and uncompressed sizes, name length.
 */
function writeEntryFields(header: Buffer, at: number, e: Entry, time: number, date: number): void {
  header.writeUInt16LE(0, at);
  header.writeUInt16LE(DEFLATE, at + 2);
  header.writeUInt16LE(time, at + 4);
  header.writeUInt16LE(date, at + 6);
  header.writeUInt32LE(e.crc, at + 8);
  header.writeUInt32LE(e.data.length, at + 12);
  header.writeUInt32LE(e.size, at + 16);
  header.writeUInt16LE(e.name.length, at + 20);
}

/**
 * `info.zip`, built in pieces so that a million offers never hold the event loop: each file's text is taken
 * CHUNK_CHARS at a time, CP1251-encoded (no BOM), shown to `onBytes` (the caller's hash) and written to a gzip
 * stream, which deflates and sums its CRC-32 on libuv's thread pool. A gzip member (RFC 1952) is a 10-byte
 * header, the raw deflate data, then the CRC-32 and the size: exactly what a zip entry stores, so each file's
 * member is unwrapped into the archive. Every file sits at the root, deflated, with its CRC and sizes in the
 * local header (flags 0, no data descriptor: streaming readers such as node-bestchange's need them there),
 * stamped `at` as UTC (the same bytes whatever a replica's time zone). The slicer pauses between chunks.
 */
export async function infoZip(
  files: readonly DatFile[],
  at: Date,
  options: { slicer?: TimeSlicer; onBytes?: (name: string, bytes: Buffer) => void } = {},
): Promise<Buffer> {
  const slicer = options.slicer ?? new TimeSlicer();
  const entries: Entry[] = [];
  let offset = 0;
  for (const [name, pieces] of files) {
    const { crc, size, data } = await deflated(name, pieces, slicer, options.onBytes);
    const entry = { name: Buffer.from(name, 'latin1'), crc, size, data, offset };
    entries.push(entry);
    offset += 30 + entry.name.length + data.length;
  }
  const [time, date] = dosTime(at);
  const parts: Buffer[] = [];
  for (const e of entries) {
    const header = Buffer.alloc(30);
    header.writeUInt32LE(LOCAL_HEADER, 0);
    header.writeUInt16LE(VERSION, 4);
    writeEntryFields(header, 6, e, time, date);
    header.writeUInt16LE(0, 28);
    parts.push(header, e.name, e.data);
  }
  let directory = 0;
  for (const e of entries) {
    const header = Buffer.alloc(46);
    header.writeUInt32LE(CENTRAL_HEADER, 0);
    header.writeUInt16LE(VERSION, 4);
    header.writeUInt16LE(VERSION, 6);
    writeEntryFields(header, 8, e, time, date);
    // Extra and comment lengths, disk number, attributes: 0.
    header.writeUInt32LE(e.offset, 42);
    parts.push(header, e.name);
    directory += 46 + e.name.length;
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory, 12);
  end.writeUInt32LE(offset, 16);
  parts.push(end);
  return Buffer.concat(parts);
}

/** One file's raw deflate data, CRC-32 and size, from its gzip member. */
async function deflated(
  name: string,
  pieces: Iterable<string>,
  slicer: TimeSlicer,
  onBytes?: (name: string, bytes: Buffer) => void,
): Promise<{ crc: number; size: number; data: Buffer }> {
  const gzip = createGzip({ level: LEVEL });
  const out: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = once(gzip, 'end');
  let size = 0;
  let text = '';
  const write = async () => {
    const bytes = cp1251(text);
    text = '';
    size += bytes.length;
    onBytes?.(name, bytes);
    if (!gzip.write(bytes)) await once(gzip, 'drain');
  };
  for (const piece of pieces) {
    text += piece;
    if (text.length >= CHUNK_CHARS) await write();
    if (slicer.due()) await slicer.pause();
  }
  if (text !== '') await write();
  gzip.end();
  await ended;
  const member = Buffer.concat(out);
  // RFC 1952: ID1 ID2, CM 8 (deflate), FLG 0 (no name, comment or extra field), so the header is 10 bytes.
  if (member[0] !== 0x1f || member[1] !== 0x8b || member[2] !== 8 || member[3] !== 0)
    throw new Error(`zlib wrote an unexpected gzip header for ${name}`);
  const crc = member.readUInt32LE(member.length - 8);
  if (member.readUInt32LE(member.length - 4) !== size % 2 ** 32 || size >= 2 ** 32)
    throw new Error(`${name} is ${size} bytes: past what a zip without ZIP64 holds`);
  return { crc, size, data: member.subarray(10, member.length - 8) };
}

/** MS-DOS time and date of `at`'s UTC fields (2-second precision, years 1980–2107). */
function dosTime(at: Date): [number, number] {
  const time = (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | (at.getUTCSeconds() >> 1);
  const date = ((at.getUTCFullYear() - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate();
  return [time, date];
}
