import { gunzipSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import * as iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { zipEntries } from '../../../../../test/support/bestchange-reader';
import { DatFile, infoZip } from './archive';

const at = new Date('2026-12-03T09:00:58Z');

/** 200,000 rows of a rates file (~7 MB, many chunks), a Cyrillic name now and then. */
function* manyRows(): Generator<string> {
  for (let i = 0; i < 200_000; i++) yield `${i === 0 ? '' : '\n'}93;42;${i};1;6900000.5;${i % 97 === 0 ? 'Сбер' : '0'}`;
}
const expectedRows = () => [...manyRows()].join('');

describe('infoZip', () => {
  it('writes each file whole, in order, in CP1251, readable by a central-directory reader and a streaming one', async () => {
    const files: DatFile[] = [
      ['bm_rates.dat', { [Symbol.iterator]: manyRows }],
      ['bm_cy.dat', ['93;1;Bitcoin (BTC)', '\n42;2;Сбербанк RUB']],
      ['bm_top.dat', ['']],
    ];
    const zip = await infoZip(files, at);
    // Central directory (fflate): every file and its bytes.
    const byDirectory = unzipSync(zip);
    expect(Object.keys(byDirectory)).toEqual(['bm_rates.dat', 'bm_cy.dat', 'bm_top.dat']);
    expect(iconv.decode(Buffer.from(byDirectory['bm_rates.dat']!), 'win1251')).toBe(expectedRows());
    expect(iconv.decode(Buffer.from(byDirectory['bm_cy.dat']!), 'win1251')).toBe(
      '93;1;Bitcoin (BTC)\n42;2;Сбербанк RUB',
    );
    expect(byDirectory['bm_top.dat']).toHaveLength(0);
    // Local headers (as node-bestchange streams them): deflate, flags 0, sizes there, version 2.0.
    const entries = zipEntries(zip);
    expect(entries.map((e) => [e.name, e.method, e.flags, e.versionNeeded])).toEqual([
      ['bm_rates.dat', 8, 0, 20],
      ['bm_cy.dat', 8, 0, 20],
      ['bm_top.dat', 8, 0, 20],
    ]);
  });

  it('stores the true CRC-32 and size of each file (gunzip checks both when the entry is framed as gzip)', async () => {
    const zip = await infoZip([['bm_rates.dat', { [Symbol.iterator]: manyRows }]], at);
    const compressed = zip.readUInt32LE(18);
    const crcAndSize = Buffer.concat([zip.subarray(14, 18), zip.subarray(22, 26)]);
    const data = zip.subarray(30 + 'bm_rates.dat'.length, 30 + 'bm_rates.dat'.length + compressed);
    const member = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), data, crcAndSize]);
    expect(gunzipSync(member).equals(iconv.encode(expectedRows(), 'win1251'))).toBe(true);
    // A wrong CRC is caught by the same check.
    member[member.length - 8]! ^= 1;
    expect(() => gunzipSync(member)).toThrow();
  });

  it('shows every encoded byte to onBytes, file by file, and stamps the same bytes for the same data and time', async () => {
    const seen = new Map<string, Buffer[]>();
    const files: DatFile[] = [
      ['bm_rates.dat', { [Symbol.iterator]: manyRows }],
      ['bm_info.dat', ['last_update=12:00:58, 3 декабря\n']],
    ];
    const zip = await infoZip(files, at, {
      onBytes: (name, bytes) => seen.set(name, [...(seen.get(name) ?? []), bytes]),
    });
    expect(seen.get('bm_rates.dat')!.length).toBeGreaterThan(10);
    expect(Buffer.concat(seen.get('bm_rates.dat')!).equals(iconv.encode(expectedRows(), 'win1251'))).toBe(true);
    expect(Buffer.concat(seen.get('bm_info.dat')!).toString('latin1')).toContain('last_update=12:00:58, 3 ');
    expect((await infoZip(files, at)).equals(zip)).toBe(true);
    // MS-DOS time of the UTC fields: 09:00:58 on 2026-12-03.
    expect(zip.readUInt16LE(10)).toBe((9 << 11) | (0 << 5) | 29);
    expect(zip.readUInt16LE(12)).toBe(((2026 - 1980) << 9) | (12 << 5) | 3);
  });
});
