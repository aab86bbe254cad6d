import type { SimDialect, SimFee, SimTerms } from './market';

/** One direction as a feed writes it: both sides of the rate, the reserve, and the market model's terms if any. */
export interface FeedLine {
  from: string;
  to: string;
  city: string | null;
  in: string;
  out: string;
  reserve: string;
  terms?: SimTerms;
}

/** A feed body in one of the dialects ratewatch reads (DESIGN.md §2); `unit` names a code's unit (`USDT`). */
export function renderFeed(dialect: SimDialect, lines: readonly FeedLine[], unit: (code: string) => string): string {
  const parts = feedParts(dialect, unit);
  if (!parts) return version13Json(lines);
  return parts.head + lines.map(parts.item).join(parts.separator) + parts.tail;
}

/**
 * A dialect whose body is `head + items.join(separator) + tail`, one item per line of the feed: what lets
 * the simulator re-render only the items that changed since the last body and copy the others' bytes.
 * Null for a dialect whose body is not a list of independent items (JSON 1.3 groups offers by currency).
 */
export interface FeedParts {
  head: string;
  separator: string;
  tail: string;
  item: (line: FeedLine) => string;
}

export function feedParts(dialect: SimDialect, unit: (code: string) => string): FeedParts | null {
  switch (dialect) {
    case 'xml':
      return {
        head: '<?xml version="1.0" encoding="utf-8"?>\n<rates>\n',
        separator: '\n',
        tail: '\n</rates>\n',
        item: (l) => classicXmlItem(l, unit),
      };
    case 'xml-eref-1.1':
      return {
        head:
          '<?xml version="1.0" encoding="UTF-8"?>\n' +
          '<rates xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="https://docs.bestchange.biz/schema/1.1.xsd">\n',
        separator: '\n',
        tail: '</rates>\n',
        item: (l) => eref11XmlItem(l, unit),
      };
    case 'json':
      // JSON.stringify({ rates: [a, b] }) is '{"rates":[' + JSON.stringify(a) + ',' + JSON.stringify(b) + ']}'.
      return { head: '{"rates":[', separator: ',', tail: ']}', item: (l) => JSON.stringify(classicJsonItem(l, unit)) };
    case 'json-1.3':
      return null;
    case 'txt':
      return { head: '', separator: '\r\n', tail: '', item: (l) => `${l.from};${l.to};${l.in};${l.out};${l.reserve};` };
    case 'txt-cities':
      return {
        head: '',
        separator: '\r\n',
        tail: '',
        item: (l) => `${l.from};${l.to};${l.in};${l.out};${l.reserve};${l.city ?? ''};`,
      };
  }
}

/** `0.5 %`, `1 USDT`, or a comma list of both: the classic fee text. */
function feeText(fees: readonly SimFee[], code: string, unit: (code: string) => string): string {
  return fees.map((f) => (f.kind === 'percent' ? `${f.value} %` : `${f.value} ${unit(code)}`)).join(', ');
}

/** Classic BestChange XML: limits without units (the `from` side), fees as text, flags in `param`. */
function classicXmlItem(l: FeedLine, unit: (code: string) => string): string {
  const t = l.terms;
  const parts = [
    `<from>${l.from}</from><to>${l.to}</to><in>${l.in}</in><out>${l.out}</out><amount>${l.reserve}</amount>`,
    t
      ? `<minamount>${t.min}</minamount><maxamount>${t.max}</maxamount>`
      : '<minamount>10</minamount><maxamount>100000</maxamount>',
    t?.fromFee.length ? `<fromfee>${feeText(t.fromFee, l.from, unit)}</fromfee>` : '',
    t?.toFee.length ? `<tofee>${feeText(t.toFee, l.to, unit)}</tofee>` : '',
    t?.flags.length ? `<param>${t.flags.join(', ')}</param>` : '',
    l.city ? `<city>${l.city}</city>` : '',
  ];
  return `<item>${parts.join('')}</item>`;
}

/** EREF 1.1 as Premium Exchanger writes it: limits with units, typed and repeated fees, flag elements, `<floating/>`. */
function eref11XmlItem(l: FeedLine, unit: (code: string) => string): string {
  const fees = (element: string, list: readonly SimFee[] | undefined) =>
    (list ?? [])
      .map((f) => `<${element} type="${f.kind === 'percent' ? '%' : 'abs'}">${f.value}</${element}>`)
      .join('');
  const t = l.terms;
  const rows = [
    `<from>${l.from}</from>`,
    `<to>${l.to}</to>`,
    `<in>${l.in}</in>`,
    `<out>${l.out}</out>`,
    `<amount>${l.reserve}</amount>`,
    t ? `<frommin>${t.min} ${unit(l.from)}</frommin>` : '',
    t ? `<frommax>${t.max} ${unit(l.from)}</frommax>` : '',
    fees('fromfee', t?.fromFee) + fees('tofee', t?.toFee),
    ...(t?.flags ?? []).filter((f) => f !== 'floating').map((f) => `<${f}>true</${f}>`),
    t?.floating ? `<floating percent="${t.floating.percent}" minutes="${t.floating.minutes}" />` : '',
    l.city ? `<city>${l.city}</city>` : '',
  ];
  return `\t<item>\n${rows
    .filter((r) => r !== '')
    .map((r) => `\t\t${r}\n`)
    .join('')}\t</item>\n`;
}

/** One offer of `{"rates": [...]}`: the XML's field names, numbers as strings. */
function classicJsonItem(l: FeedLine, unit: (code: string) => string): Record<string, string> {
  const t = l.terms;
  return {
    from: l.from,
    to: l.to,
    in: l.in,
    out: l.out,
    amount: l.reserve,
    ...(t ? { minamount: t.min, maxamount: t.max } : {}),
    ...(t?.fromFee.length ? { fromfee: feeText(t.fromFee, l.from, unit) } : {}),
    ...(t?.toFee.length ? { tofee: feeText(t.toFee, l.to, unit) } : {}),
    ...(t?.flags.length ? { param: t.flags.join(',') } : {}),
    ...(l.city ? { city: l.city } : {}),
  };
}

/**
 * Premium Exchanger's JSON "version 1.3": currencies by numeric id, offers under exchange[fromId].to[toId]
 * with a signed rate (`-r`: 1 from gives r; `r`: r from give 1), fees as a number or `{"%": p}`, and
 * options (`ident` is verification). One offer per direction; cash cities as `cities[]`.
 */
function version13Json(lines: readonly FeedLine[]): string {
  const codes = [...new Set(lines.flatMap((l) => [l.from, l.to]))].sort();
  const idOf = new Map(codes.map((code, i) => [code, String(i + 1)]));
  const fee = (list: readonly SimFee[]) => {
    const parts = list.map((f) => (f.kind === 'percent' ? { '%': f.value } : f.value));
    return parts.length === 1 ? parts[0] : ['+', ...parts];
  };
  const exchange: Record<string, { to: Record<string, unknown> }> = {};
  for (const l of lines) {
    const t = l.terms;
    const options = Object.fromEntries(
      (t?.flags ?? []).filter((f) => f !== 'floating').map((f) => [f === 'verifying' ? 'ident' : f, 1]),
    );
    (exchange[idOf.get(l.from)!] ??= { to: {} }).to[idOf.get(l.to)!] = {
      xr: l.in === '1' ? `-${l.out}` : l.in,
      amount: l.reserve,
      ...(t ? { min: t.min, max: t.max } : {}),
      ...(t?.fromFee.length ? { inFee: fee(t.fromFee) } : {}),
      ...(t?.toFee.length ? { outFee: fee(t.toFee) } : {}),
      ...(Object.keys(options).length > 0 ? { options } : {}),
      ...(l.city ? { cities: [l.city] } : {}),
    };
  }
  return JSON.stringify({
    version: '1.3',
    currencies: { list: Object.fromEntries(codes.map((code) => [idOf.get(code)!, code])) },
    exchange,
  });
}
