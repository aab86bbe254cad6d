import { emptyRawItem, RawFeedItem } from '../raw-item';
import { FeedReader, MAX_FEED_ITEMS, ReadResult, readError, tooManyItems } from './feed-reader';

/** CRLF, LF, or the old Mac CR alone. */
export const LINE_END = /\r\n?|\n/;

/**
 * TXT feeds: one direction a line, `from;to;in;out;amount` with an optional trailing `;`, and in the
 * dialect of the dominant engine a sixth field, the cash city (`…;amount;MSK;`, a comma list allowed;
 * non-cash lines end in `;;`). No limits, fees or flags. A line that does not split into at least
 * four fields becomes an item the normalizer rejects with its index, so one bad line never hides the
 * rest.
 */
export class TxtFeedReader implements FeedReader {
  readonly format = 'txt' as const;

  read(input: string): ReadResult {
    if (!input.includes(';')) return readError('txt', 'txt_malformed', 'expected lines of from;to;in;out;amount');
    const items: RawFeedItem[] = [];
    let cities = false;
    for (const raw of input.split(LINE_END)) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const fields = line.split(';');
      if (items.length === 0 && fields[2]?.trim().toLowerCase() === 'in') continue; // a header line
      if (items.length >= MAX_FEED_ITEMS) return tooManyItems('txt');
      const item = emptyRawItem();
      if (fields.length >= 4) {
        item.from = fields[0]!.trim();
        item.to = fields[1]!.trim();
        item.in = fields[2]!.trim();
        item.out = fields[3]!.trim();
        const amount = fields[4]?.trim();
        if (amount) item.amount = amount;
        const city = fields[5]?.trim();
        if (city) {
          item.city = city;
          cities = true;
        }
      }
      items.push(item);
    }
    return { kind: 'items', format: 'txt', dialect: cities ? 'txt-cities' : 'txt', items, warnings: [] };
  }
}
