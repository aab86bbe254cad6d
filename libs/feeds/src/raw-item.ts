/** A fee component as written: its text, and the `type` attribute (`%`, `abs`) when the feed gave one. */
export interface RawFee {
  text: string;
  type?: string;
}

/** Floating-rate terms as written: `<floating percent="1" minutes="30"/>`, or the older text `1%,30`. */
export interface RawFloating {
  percent?: string;
  minutes?: string;
  text?: string;
}

/**
 * One direction of a feed as its reader found it: every value still the text the exchanger wrote
 * (numbers too — a JSON number keeps its exact value; see JsonFeedReader). Optional lists are absent
 * rather than empty: readers allocate only for what a feed writes.
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
  /** Fee components; EREF 1.1 repeats the element once per component, all of them apply. */
  fromfee?: RawFee[];
  tofee?: RawFee[];
  minfee?: RawFee[];
  /** Comma-separated flags. */
  param?: string;
  /** Flags written as boolean elements or options (`<manual>true</manual>`, `"options": {"ident": 1}`). */
  flags?: string[];
  floating?: RawFloating;
  /** Minutes the exchange may take (`<delay>`). */
  delay?: string;
  /** A city code or a comma list of them (one offer per city). */
  city?: string;
  /** Why the reader already knows this item cannot be used (a repeated field, markup inside a value). */
  defect?: string;
}

/** No limits: shared and frozen; setRawField gives an item its own list when it has a limit. */
const NO_LIMITS = Object.freeze([]) as unknown as string[];

/**
 * Every field present from the start (undefined until read): all items share one object shape, so
 * setting a field never changes it — readers set fields by name, in the hot loop.
 */
export function emptyRawItem(): RawFeedItem {
  return {
    from: undefined,
    to: undefined,
    in: undefined,
    out: undefined,
    amount: undefined,
    minamount: NO_LIMITS,
    maxamount: NO_LIMITS,
    frommin: undefined,
    frommax: undefined,
    tomin: undefined,
    tomax: undefined,
    fromfee: undefined,
    tofee: undefined,
    minfee: undefined,
    param: undefined,
    flags: undefined,
    floating: undefined,
    delay: undefined,
    city: undefined,
    defect: undefined,
  };
}

/** Makes `item` empty again, as emptyRawItem gives it (same shape): a reader may read every item into one object. */
export function resetRawItem(item: RawFeedItem): void {
  item.from = undefined;
  item.to = undefined;
  item.in = undefined;
  item.out = undefined;
  item.amount = undefined;
  item.minamount = NO_LIMITS;
  item.maxamount = NO_LIMITS;
  item.frommin = undefined;
  item.frommax = undefined;
  item.tomin = undefined;
  item.tomax = undefined;
  item.fromfee = undefined;
  item.tofee = undefined;
  item.minfee = undefined;
  item.param = undefined;
  item.flags = undefined;
  item.floating = undefined;
  item.delay = undefined;
  item.city = undefined;
  item.defect = undefined;
}

type ScalarField =
  'from' | 'to' | 'in' | 'out' | 'amount' | 'frommin' | 'frommax' | 'tomin' | 'tomax' | 'param' | 'delay' | 'city';
type FeeField = 'fromfee' | 'tofee' | 'minfee';

/** What an element or key name means (case-insensitive; camelCase and the older JSON names included). */
export type FieldRole =
  | { role: 'scalar'; field: ScalarField }
  | { role: 'limit'; field: 'minamount' | 'maxamount' }
  | { role: 'fee'; field: FeeField }
  | { role: 'flag'; flag: string }
  | { role: 'floating' };

const scalar = (field: ScalarField): FieldRole => ({ role: 'scalar', field });
const fee = (field: FeeField): FieldRole => ({ role: 'fee', field });
const flag = (name: string): FieldRole => ({ role: 'flag', flag: name });

/**
 * Flags the engines write as boolean elements (EREF 1.1 as Premium Exchanger writes it) or options
 * (its JSON: `ident` is verification, `auth` registration).
 */
export const KNOWN_FLAGS = ['manual', 'juridical', 'verifying', 'cardverify', 'reg', 'otherin', 'otherout'] as const;

const ROLE_BY_NAME: ReadonlyMap<string, FieldRole> = new Map<string, FieldRole>([
  ['from', scalar('from')],
  ['to', scalar('to')],
  ['in', scalar('in')],
  ['out', scalar('out')],
  ['amount', scalar('amount')],
  ['reserve', scalar('amount')],
  ['minamount', { role: 'limit', field: 'minamount' }],
  ['maxamount', { role: 'limit', field: 'maxamount' }],
  ['frommin', scalar('frommin')],
  ['frommax', scalar('frommax')],
  ['tomin', scalar('tomin')],
  ['tomax', scalar('tomax')],
  ['fromfee', fee('fromfee')],
  ['tofee', fee('tofee')],
  ['minfee', fee('minfee')],
  ['param', scalar('param')],
  ['city', scalar('city')],
  ['delay', scalar('delay')],
  ['floating', { role: 'floating' }],
  ...KNOWN_FLAGS.map((name): [string, FieldRole] => [name, flag(name)]),
  ['ident', flag('verifying')],
  ['auth', flag('reg')],
  // the older JSON dialect
  ['in_min_amount', scalar('frommin')],
  ['in_max_amount', scalar('frommax')],
  ['in_min_fee', fee('minfee')],
  ['in_fee', fee('fromfee')],
  ['out_fee', fee('tofee')],
  ['options', scalar('param')],
]);

/** The names `fieldRole` knows, as written in the spec (lower case). */
export const FIELD_NAMES: readonly string[] = [...ROLE_BY_NAME.keys()];

/** The role of an element or key name, or undefined for names ratewatch ignores (`fromname`, `method`, …). */
export function fieldRole(name: string): FieldRole | undefined {
  return ROLE_BY_NAME.get(name) ?? ROLE_BY_NAME.get(name.toLowerCase());
}

/** True when a field of this name holds one value (so markup inside it, or a second one, is a defect). */
export function isValueField(name: string): boolean {
  const role = fieldRole(name);
  return role !== undefined && role.role !== 'flag' && role.role !== 'floating';
}

/** A flag element is set by `true`, `1`, `yes`, `on` — or by being there empty (`<manual/>`). */
const TRUE = /^(true|1|yes|on|)$/i;

/**
 * Sets a field of `item` from an element or key name; unknown names are ignored. `attributes` are the
 * element's (a fee's `type`, floating's `percent` and `minutes`). A field that may hold one value and
 * comes twice marks the item defective: which of the two is meant cannot be known.
 */
export function setRawField(
  item: RawFeedItem,
  name: string,
  value: string,
  attributes?: Readonly<Record<string, string>>,
): void {
  const role = fieldRole(name);
  if (role !== undefined) setRawFieldOfRole(item, role, value, attributes);
}

/**
 * Sets a scalar field unless it is set already (false then). One named store per field: readers call it
 * for every value, and a store by a computed name (`item[field]`) takes V8's slow generic path.
 */
function setScalar(item: RawFeedItem, field: ScalarField, value: string): boolean {
  switch (field) {
    case 'from':
      if (item.from !== undefined) return false;
      item.from = value;
      return true;
    case 'to':
      if (item.to !== undefined) return false;
      item.to = value;
      return true;
    case 'in':
      if (item.in !== undefined) return false;
      item.in = value;
      return true;
    case 'out':
      if (item.out !== undefined) return false;
      item.out = value;
      return true;
    case 'amount':
      if (item.amount !== undefined) return false;
      item.amount = value;
      return true;
    case 'frommin':
      if (item.frommin !== undefined) return false;
      item.frommin = value;
      return true;
    case 'frommax':
      if (item.frommax !== undefined) return false;
      item.frommax = value;
      return true;
    case 'tomin':
      if (item.tomin !== undefined) return false;
      item.tomin = value;
      return true;
    case 'tomax':
      if (item.tomax !== undefined) return false;
      item.tomax = value;
      return true;
    case 'param':
      if (item.param !== undefined) return false;
      item.param = value;
      return true;
    case 'delay':
      if (item.delay !== undefined) return false;
      item.delay = value;
      return true;
    case 'city':
      if (item.city !== undefined) return false;
      item.city = value;
      return true;
  }
}

/** `setRawField` for a name whose role the caller already looked up. */
export function setRawFieldOfRole(
  item: RawFeedItem,
  role: FieldRole,
  value: string,
  attributes?: Readonly<Record<string, string>>,
): void {
  switch (role.role) {
    case 'scalar':
      if (!setScalar(item, role.field, value)) item.defect ??= `the field ${role.field} appears twice`;
      return;
    case 'limit': {
      // Named stores, not item[role.field]: a store by a computed name is a slow generic one in the hot loop.
      if (role.field === 'minamount') {
        if (item.minamount.length === 0) item.minamount = [value];
        else item.minamount.push(value);
      } else if (item.maxamount.length === 0) item.maxamount = [value];
      else item.maxamount.push(value);
      return;
    }
    case 'fee': {
      const component: RawFee =
        attributes?.type === undefined ? { text: value } : { text: value, type: attributes.type };
      if (role.field === 'fromfee') (item.fromfee ??= []).push(component);
      else if (role.field === 'tofee') (item.tofee ??= []).push(component);
      else (item.minfee ??= []).push(component);
      return;
    }
    case 'flag':
      if (TRUE.test(value.trim())) (item.flags ??= []).push(role.flag);
      return;
    case 'floating':
      item.floating = {
        percent: attributes?.percent,
        minutes: attributes?.minutes,
        text: value === '' ? undefined : value,
      };
      return;
  }
}
