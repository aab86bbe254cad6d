import { zip, Zippable } from 'fflate';
import { cp1251 } from './text';

/**
 * `info.zip`: each file CP1251-encoded (no BOM) at the root, deflated, with its sizes and CRC in the local
 * header (flags 0, no data descriptor: streaming readers such as node-bestchange's need them there).
 * Compressed off the event loop (fflate's worker).
 */
export function infoZip(files: ReadonlyArray<[string, string]>, at: Date): Promise<Buffer> {
  const entries: Zippable = {};
  for (const [name, text] of files) entries[name] = [cp1251(text), { level: 6, mtime: at }];
  return new Promise((resolve, reject) =>
    zip(entries, { level: 6, mtime: at }, (error, data) => (error ? reject(error) : resolve(Buffer.from(data)))),
  );
}
