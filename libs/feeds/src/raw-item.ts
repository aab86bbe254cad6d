/**
 * One direction of a feed as its reader found it: every value still the text the exchanger wrote
 * (numbers too — a JSON number keeps its exact value; see JsonFeedReader).
 */
export interface RawFeedItem {
  from?: string;
  to?: string;
  in?: string;
  out?: string;
  /** Reserve, in the `to` currency. */
  amount?: string;
  /** `minamount`/`maxamount` may repeat inside one item; a unit suffix may say which side they limit. */
  minamount: string[];
  maxamount: string[];
  frommin?: string;
  frommax?: string;
  tomin?: string;
  tomax?: string;
  fromfee?: string;
  tofee?: string;
  minfee?: string;
  /** Comma-separated flags. */
  param?: string;
  /** A city code or a comma list of them (one offer per city). */
  city?: string;
}

export function emptyRawItem(): RawFeedItem {
  return { minamount: [], maxamount: [] };
}

/** The scalar fields of RawFeedItem, as element names map to them (case-insensitive, camelCase aliases). */
const FIELD_BY_NAME: Readonly<Record<string, keyof RawFeedItem>> = {
  from: 'from',
  to: 'to',
  in: 'in',
  out: 'out',
  amount: 'amount',
  reserve: 'amount',
  minamount: 'minamount',
  maxamount: 'maxamount',
  frommin: 'frommin',
  frommax: 'frommax',
  tomin: 'tomin',
  tomax: 'tomax',
  fromfee: 'fromfee',
  tofee: 'tofee',
  minfee: 'minfee',
  param: 'param',
  city: 'city',
  // the older JSON dialect
  in_min_amount: 'frommin',
  in_max_amount: 'frommax',
  in_min_fee: 'minfee',
  in_fee: 'fromfee',
  out_fee: 'tofee',
  options: 'param',
};

/** Sets a field of `item` from an element or key name; unknown names are ignored. */
export function setRawField(item: RawFeedItem, name: string, value: string): void {
  const field = FIELD_BY_NAME[name.toLowerCase()];
  if (field === undefined) return;
  if (field === 'minamount' || field === 'maxamount') {
    item[field].push(value);
  } else if (item[field] === undefined) {
    item[field] = value;
  }
}
