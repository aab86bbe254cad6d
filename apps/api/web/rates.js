// ratewatch reference page: pick a direction, see the best rates, updated in place as they change (a live
// stream, GET /v1/rates/stream; polled every few seconds when the stream is missing or refused).
// Plain DOM, no framework. Every value from the API is put in the page as text, never as HTML.
// Amounts and rates stay decimal strings: they are formatted and compared as strings, never as floats.
'use strict';
/* global el -- from dom.js */

const REFRESH_MS = 5000;
/** After the stream is refused (429) or fails for good, the page polls this long before trying it again. */
const STREAM_RETRY_MS = 60_000;
/** Reviews and claims the exchanger panel lists (the newest; the API pages the rest). */
const PANEL_REVIEWS = 10;
const PANEL_CLAIMS = 20;
/** Claims still waiting on the exchanger or the operator: what `claimsOpen` counts. */
const OPEN_CLAIM_STATES = new Set(['open', 'answered']);
/** The counts' marks beside each rate; their words are in TEXT (tone) for screen readers and titles. */
const TONE_MARK = { positive: '😀', neutral: '😐', negative: '😞' };
const LANG_KEY = 'ratewatch.lang';
/** A rate shows at least this many significant digits, whatever the precision of its currency. */
const RATE_DIGITS = 6;
/** The chart's y range is at least ±1 % of its middle: a 1 % move fills half the plot, not all of it. */
const CHART_MIN_HALF_RANGE = 0.01;
const CHART_HEIGHT = 170;
const SVG = 'http://www.w3.org/2000/svg';

const TEXT = {
  en: {
    tagline: 'reference monitoring page',
    give: 'You give',
    receive: 'You receive',
    search: 'Search…',
    searchGive: 'Search the currencies you give',
    searchReceive: 'Search the currencies you receive',
    amountIs: 'The amount is',
    chart: 'Best rate over time',
    chartRanges: 'Chart range',
    rangeMinute: '6 h',
    rangeHour: '7 d',
    rangeDay: '1 y',
    amount: 'Amount',
    optional: 'optional',
    sideGive: 'I give',
    sideGet: 'I want to get',
    city: 'City',
    allCities: 'All cities',
    hideManual: 'Hide manual exchange',
    hideVerifying: 'Hide verification required',
    choose: 'Choose what you give and what you receive',
    chartCaption: {
      minute: 'Best rate over the last 6 hours:',
      hour: 'Best rate over the last 7 days:',
      day: 'Best rate over the last year:',
    },
    chartRange: (first, last, n, since) => `from ${first} to ${last}, ${n} points since ${since}`,
    sortBy: 'Sort by',
    sortRate: 'best rate',
    sortReserve: 'largest reserve',
    sortExchanger: 'exchanger name',
    exchanger: 'Exchanger',
    colGive: 'You give',
    colGet: 'You get',
    reserve: 'Reserve',
    fees: 'Fees',
    limits: 'Limits',
    flags: 'Flags',
    updated: 'Updated',
    exchangers: ['exchanger', 'exchangers'],
    bestFirst: 'best first',
    sortedBy: { reserve: 'largest reserve first', exchanger: 'by name' },
    forGive: (amount) => `for giving ${amount}`,
    forGet: (amount) => `to get ${amount}`,
    none: 'No exchanger offers this direction right now.',
    noTargets: 'Nothing can be received for this currency right now.',
    offline: 'Offline — retrying…',
    refused: 'The request was refused',
    live: 'live',
    liveTitle: 'Updated as the rates change',
    feeGive: 'give',
    feeGet: 'get',
    feeMin: 'min',
    flag: {
      manual: 'manual',
      verifying: 'verification',
      juridical: 'legal entities',
      cardverify: 'card check',
      reg: 'registration',
      otherin: 'third-party payer',
      otherout: 'third-party receiver',
    },
    floating: 'floating',
    delay: (m) => `up to ${m} min`,
    ago: (n, unit) => `${n} ${unit} ago`,
    units: { s: 's', min: 'min', h: 'h' },
    tone: { positive: 'positive', neutral: 'neutral', negative: 'negative' },
    reviewCounts: (p, n, m) => `Reviews: ${p} positive, ${n} neutral, ${m} negative — show them`,
    claimsOpen: (n) => `${n} open ${n === 1 ? 'claim' : 'claims'}`,
    listedSince: (date) => `Listed since ${date}`,
    close: 'Close',
    openClaims: 'Open claims',
    latestReviews: 'Latest reviews',
    noClaims: 'No open claims.',
    noReviews: 'No published reviews yet.',
    loading: 'Loading…',
    unavailable: 'Could not load this list right now.',
    visited: 'wrote after visiting through this monitor',
    order: (ref) => `order ${ref}`,
    reply: 'Reply from the exchanger:',
    answer: 'Answer from the exchanger:',
    claimState: { open: 'open', answered: 'answered', resolved: 'resolved', rejected: 'rejected' },
    kinds: {
      crypto: 'Crypto',
      emoney: 'E-money',
      bank: 'Banks',
      online_banking: 'Online banking',
      cash: 'Cash',
      transfer: 'Transfers',
    },
  },
  ru: {
    tagline: 'эталонная страница мониторинга',
    give: 'Отдаёте',
    receive: 'Получаете',
    search: 'Поиск…',
    searchGive: 'Поиск валюты, которую отдаёте',
    searchReceive: 'Поиск валюты, которую получаете',
    amountIs: 'Сумма — это',
    chart: 'Лучший курс во времени',
    chartRanges: 'Период графика',
    rangeMinute: '6 ч',
    rangeHour: '7 дн',
    rangeDay: '1 год',
    amount: 'Сумма',
    optional: 'необязательно',
    sideGive: 'отдаю',
    sideGet: 'хочу получить',
    city: 'Город',
    allCities: 'Все города',
    hideManual: 'Скрыть ручной обмен',
    hideVerifying: 'Скрыть с верификацией',
    choose: 'Выберите, что отдаёте и что получаете',
    chartCaption: {
      minute: 'Лучший курс за последние 6 ч:',
      hour: 'Лучший курс за последние 7 дней:',
      day: 'Лучший курс за последний год:',
    },
    chartRange: (first, last, n, since) => `от ${first} до ${last}, точек: ${n}, с ${since}`,
    sortBy: 'Сортировка',
    sortRate: 'лучший курс',
    sortReserve: 'наибольший резерв',
    sortExchanger: 'название обменника',
    exchanger: 'Обменник',
    colGive: 'Отдаёте',
    colGet: 'Получаете',
    reserve: 'Резерв',
    fees: 'Комиссии',
    limits: 'Лимиты',
    flags: 'Условия',
    updated: 'Обновлено',
    exchangers: ['обменник', 'обменника', 'обменников'],
    bestFirst: 'лучшие сверху',
    sortedBy: { reserve: 'сначала наибольший резерв', exchanger: 'по названию' },
    forGive: (amount) => `если отдать ${amount}`,
    forGet: (amount) => `чтобы получить ${amount}`,
    none: 'Сейчас это направление не предлагает ни один обменник.',
    noTargets: 'Сейчас за эту валюту ничего не получить.',
    offline: 'Нет связи — повторяем…',
    refused: 'Запрос отклонён',
    live: 'в реальном времени',
    liveTitle: 'Обновляется, как только меняются курсы',
    feeGive: 'отдача',
    feeGet: 'получение',
    feeMin: 'мин.',
    flag: {
      manual: 'ручной',
      verifying: 'верификация',
      juridical: 'юрлица',
      cardverify: 'проверка карты',
      reg: 'регистрация',
      otherin: 'оплата третьим лицом',
      otherout: 'получение третьим лицом',
    },
    floating: 'плавающий',
    delay: (m) => `до ${m} мин`,
    ago: (n, unit) => `${n} ${unit} назад`,
    units: { s: 'с', min: 'мин', h: 'ч' },
    tone: { positive: 'положительных', neutral: 'нейтральных', negative: 'отрицательных' },
    reviewCounts: (p, n, m) => `Отзывы: положительных ${p}, нейтральных ${n}, отрицательных ${m} — показать`,
    claimsOpen: (n) => `открытых претензий: ${n}`,
    listedSince: (date) => `В мониторинге с ${date}`,
    close: 'Закрыть',
    openClaims: 'Открытые претензии',
    latestReviews: 'Последние отзывы',
    noClaims: 'Открытых претензий нет.',
    noReviews: 'Опубликованных отзывов пока нет.',
    loading: 'Загрузка…',
    unavailable: 'Список сейчас не загрузить.',
    visited: 'написан после перехода через этот мониторинг',
    order: (ref) => `заявка ${ref}`,
    reply: 'Ответ обменника:',
    answer: 'Ответ обменника:',
    claimState: { open: 'открыта', answered: 'есть ответ', resolved: 'решена', rejected: 'отклонена' },
    kinds: {
      crypto: 'Криптовалюты',
      emoney: 'Электронные деньги',
      bank: 'Банки',
      online_banking: 'Интернет-банки',
      cash: 'Наличные',
      transfer: 'Переводы',
    },
  },
};
/** How each language writes numbers: the thousands separator (a no-break space in Russian) and the decimal mark. */
const NUMBER_STYLE = { en: { group: ',', point: '.' }, ru: { group: '\u00a0', point: ',' } };

const $ = (id) => document.getElementById(id);
const state = {
  lang: 'en',
  currencies: [],
  byCode: new Map(),
  cities: new Map(),
  /** What can be received for the chosen "You give" (codes), or null before it is known. */
  targets: null,
  targetsFor: '',
  /** City codes with offers of the chosen cash direction; null when not cash. */
  directionCities: null,
  /** The chosen city code ('' for all): kept across directions, asked for only in cash ones. */
  city: '',
  /** The exchanger panel: its exchanger (from the row clicked) and its lists once loaded (null: loading). */
  panel: null,
  citiesFor: '',
  etag: null,
  key: '',
  body: null,
  sort: { by: 'rate', reversed: false },
  /** The chart's points, oldest first: the history's closes, then the live best rates (`live`). */
  history: [],
  /** The chart's resolution: minute (the last 6 h), hour (7 d) or day (a year). */
  range: 'minute',
  timer: null,
  typing: null,
  /** The live stream of the shown table (an EventSource), its query, and whether it is open now. */
  stream: null,
  streamKey: '',
  live: false,
  /** No stream before this time (it was refused or failed): the page polls meanwhile. */
  streamAfter: 0,
};
const t = () => TEXT[state.lang];

// ---------------------------------------------------------------- decimals as strings

/** Splits a plain decimal string (`-12.50`) into sign, integer digits without leading zeros, and fraction digits. */
function splitDecimal(value) {
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(String(value).trim());
  if (!match) return null;
  return { negative: match[1] === '-', int: match[2].replace(/^0+(?=\d)/, '') || '0', frac: match[3] || '' };
}

/** Rounds a decimal string half-up to `places` fraction digits, by digit arithmetic (BigInt carries). */
function roundDecimal(value, places) {
  const d = splitDecimal(value);
  if (!d) return String(value);
  if (d.frac.length <= places) return { ...d, frac: d.frac.padEnd(places, '0') };
  const digits = d.int + d.frac.slice(0, places);
  const carried = d.frac[places] >= '5' ? (BigInt(digits) + 1n).toString() : digits;
  const padded = carried.padStart(places + 1, '0');
  return {
    negative: d.negative,
    int: padded.slice(0, padded.length - places).replace(/^0+(?=\d)/, ''),
    frac: padded.slice(padded.length - places),
  };
}

/** Fraction digits that keep RATE_DIGITS significant digits of a decimal string (0.00001234 needs 10). */
function significantPlaces(value) {
  const d = splitDecimal(value);
  if (!d) return 0;
  if (d.int !== '0') return Math.max(0, RATE_DIGITS - d.int.length);
  const zeros = d.frac.length - d.frac.replace(/^0+/, '').length;
  return zeros + RATE_DIGITS;
}

/**
 * A decimal string for people: rounded to `places`, trailing zeros cut but a fraction kept to at least
 * `minPlaces` (a whole amount shows no fraction, cents stay two digits: `6 850 000,50`), thousands
 * grouped the way the language writes them.
 */
function formatDecimal(value, places, minPlaces = 0) {
  const rounded = roundDecimal(value, places);
  if (typeof rounded === 'string') return rounded;
  let frac = rounded.frac.replace(/0+$/, '');
  if (frac) frac = frac.padEnd(minPlaces, '0');
  const style = NUMBER_STYLE[state.lang];
  const int = rounded.int.replace(/\B(?=(\d{3})+$)/g, style.group);
  const negative = rounded.negative && (int !== '0' || frac !== '');
  return `${negative ? '-' : ''}${int}${frac ? style.point + frac : ''}`;
}

/** Compares two non-negative decimal strings as numbers (-1, 0, 1) without floats: by length, then digit by digit. */
function compareDecimal(a, b) {
  const x = splitDecimal(a);
  const y = splitDecimal(b);
  if (x.int.length !== y.int.length) return x.int.length < y.int.length ? -1 : 1;
  if (x.int !== y.int) return x.int < y.int ? -1 : 1;
  const width = Math.max(x.frac.length, y.frac.length);
  const [p, q] = [x.frac.padEnd(width, '0'), y.frac.padEnd(width, '0')];
  return p === q ? 0 : p < q ? -1 : 1;
}

/** Fiat amounts with a fraction show all their cents (`0.50 USD`); coins show only the digits they have. */
const centsOf = (c) => (c.precision <= 2 ? c.precision : 0);

/** The catalog entry of a code, or a stand-in that shows the code itself. */
function currency(code) {
  return state.byCode.get(code) || { code, unit: code, precision: 8, kind: '', name: { en: code, ru: code } };
}

/** An amount of a currency: `6,900,000 RUB`, `0.5 BTC`. */
function amountOf(value, code) {
  const c = currency(code);
  return `${formatDecimal(value, c.precision, centsOf(c))} ${c.unit}`;
}

/** A rate's number in units of `code`: the currency's precision, or more digits for a small rate (0.0000146). */
function rateNumber(value, code) {
  const c = currency(code);
  return formatDecimal(value, Math.max(c.precision, significantPlaces(value)), centsOf(c));
}

/** A rate with its unit: `6,900,000 RUB` for 1 BTC. */
function rateOf(value, code) {
  return `${rateNumber(value, code)} ${currency(code).unit}`;
}

// ---------------------------------------------------------------- language

/** The plural form of `forms` for n: English one/other, Russian one/few/many (1 обменник, 2 обменника, 5 обменников). */
function plural(n, forms, lang) {
  if ((lang || state.lang) === 'ru') {
    const [ten, hundred] = [n % 10, n % 100];
    if (ten === 1 && hundred !== 11) return forms[0];
    if (ten >= 2 && ten <= 4 && (hundred < 12 || hundred > 14)) return forms[1];
    return forms[2];
  }
  return n === 1 ? forms[0] : forms[1];
}

function nameOf(entry) {
  return (entry.name && entry.name[state.lang]) || entry.code;
}

function chooseLanguage() {
  let saved = null;
  try {
    saved = localStorage.getItem(LANG_KEY);
  } catch {
    // storage may be off (private mode): the browser's language decides
  }
  if (saved === 'en' || saved === 'ru') return saved;
  return /^ru\b/i.test(navigator.language || '') ? 'ru' : 'en';
}

/** Switches every label, name and number on the page to `lang`, and remembers it. */
function setLanguage(lang) {
  state.lang = lang;
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // not remembered, still switched
  }
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t()[node.dataset.i18n];
  for (const node of document.querySelectorAll('[data-i18n-placeholder]'))
    node.placeholder = t()[node.dataset.i18nPlaceholder];
  for (const node of document.querySelectorAll('[data-i18n-label]'))
    node.setAttribute('aria-label', t()[node.dataset.i18nLabel]);
  for (const button of document.querySelectorAll('[data-lang]'))
    button.setAttribute('aria-pressed', String(button.dataset.lang === lang));
  fillSelect($('from'), $('from-filter').value);
  fillSelect($('to'), $('to-filter').value);
  fillCities();
  render();
  drawChart();
  renderPanel();
}

// ---------------------------------------------------------------- pickers

/** Fills a select with the currencies matching `filter`, grouped by kind, keeping the selection. */
function fillSelect(select, filter) {
  const selected = select.value;
  const words = filter.trim().toLowerCase();
  const onlyTargets = select.id === 'to' ? state.targets : null;
  const groups = new Map();
  for (const c of state.currencies) {
    if (onlyTargets && !onlyTargets.has(c.code)) continue;
    if (words && !`${c.code} ${c.name.en} ${c.name.ru} ${c.ticker}`.toLowerCase().includes(words)) continue;
    if (!groups.has(c.kind)) groups.set(c.kind, el('optgroup', { label: t().kinds[c.kind] || c.kind }));
    groups.get(c.kind).append(el('option', { value: c.code, text: `${nameOf(c)} — ${c.code}` }));
  }
  select.replaceChildren(...groups.values());
  if (selected && [...select.options].some((o) => o.value === selected)) select.value = selected;
}

/** Every page of `/v1/directions?from=` (keyed pages, followed by nextCursor; 20 pages of 1000 at most). */
async function directionsFrom(from) {
  const targets = new Set();
  let cursor = null;
  for (let page = 0; page < 20; page++) {
    const params = new URLSearchParams({ from, limit: '1000' });
    if (cursor) params.set('cursor', cursor);
    const response = await fetch(`/v1/directions?${params}`);
    if (!response.ok) return null;
    const body = await response.json();
    for (const d of body.items) targets.add(d.to);
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return targets;
}

/** Narrows "You receive" to the directions that exist from the chosen "You give". */
async function loadTargets() {
  const from = $('from').value;
  if (!from || from === state.targetsFor) return;
  state.targetsFor = from;
  const targets = await directionsFrom(from).catch(() => null);
  if (from !== $('from').value) return;
  state.targets = targets;
  fillSelect($('to'), $('to-filter').value);
  if (targets && targets.size === 0) $('status').textContent = t().noTargets;
}

function isCashDirection() {
  return [$('from').value, $('to').value].some((code) => currency(code).kind === 'cash');
}

/** The cities the chosen cash direction has offers in (from its whole table), or null when it is not cash. */
async function loadDirectionCities() {
  const direction = `${$('from').value}|${$('to').value}`;
  if (direction === state.citiesFor) return;
  state.citiesFor = direction;
  state.directionCities = null;
  if ($('from').value && $('to').value && isCashDirection()) {
    const params = new URLSearchParams({ from: $('from').value, to: $('to').value, limit: '500' });
    const body = await fetch(`/v1/rates?${params}`)
      .then((r) => (r.ok ? r.json() : null))
      .catch(() => null);
    if (direction !== state.citiesFor) return;
    const codes = body ? body.items.map((i) => i.city).filter(Boolean) : [];
    // No offer names a city (or the table failed): any city of the catalog may be asked for.
    state.directionCities = new Set(codes.length > 0 ? codes : state.cities.keys());
  }
  fillCities();
}

/** The city picker: names in the chosen language, shown for cash directions only. */
function fillCities() {
  const select = $('city');
  const chosen = state.city;
  $('city-field').hidden = state.directionCities === null;
  if (state.directionCities === null) return void select.replaceChildren();
  const codes = new Set(state.directionCities);
  if (chosen && state.cities.has(chosen)) codes.add(chosen);
  const options = [...codes]
    .map((code) => state.cities.get(code) || { code, name: { en: code, ru: code } })
    .sort((a, b) => nameOf(a).localeCompare(nameOf(b), state.lang))
    .map((c) => el('option', { value: c.code, text: nameOf(c) }));
  select.replaceChildren(el('option', { value: '', text: t().allCities }), ...options);
  select.value = codes.has(chosen) ? chosen : '';
}

// ---------------------------------------------------------------- the table

function query() {
  const from = $('from').value;
  const to = $('to').value;
  if (!from || !to) return null;
  const params = new URLSearchParams({ from, to });
  const amount = $('amount').value.trim().replace(',', '.');
  if (amount) {
    params.set('amount', amount);
    params.set('side', $('side').value);
  }
  if (!$('city-field').hidden && state.city) params.set('city', state.city);
  const exclude = ['manual', 'verifying'].filter((flag) => $(`hide-${flag}`).checked);
  if (exclude.length > 0) params.set('exclude', exclude.join(','));
  return params;
}

function age(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  const { ago, units } = t();
  if (seconds < 60) return ago(seconds, units.s);
  if (seconds < 3600) return ago(Math.round(seconds / 60), units.min);
  return ago(Math.round(seconds / 3600), units.h);
}

function limits(item, from, to) {
  const range = (min, max, code) =>
    `${min ? formatDecimal(min, currency(code).precision, centsOf(currency(code))) : '0'} – ${max ? amountOf(max, code) : `∞ ${currency(code).unit}`}`;
  const parts = [];
  if (item.fromMin || item.fromMax) parts.push(range(item.fromMin, item.fromMax, from));
  if (item.toMin || item.toMax) parts.push(range(item.toMin, item.toMax, to));
  return parts.join(', ') || '—';
}

/** One fee: `0.5 %`, or a fixed amount in its unit (a catalog code is shown as its display unit). */
function feeText(fee, code) {
  if (fee.kind === 'percent') return `${formatDecimal(fee.value, 8)} %`;
  if (fee.unit && !state.byCode.has(fee.unit)) return `${formatDecimal(fee.value, 8)} ${fee.unit}`;
  return amountOf(fee.value, fee.unit || code);
}

function fees(item, from, to) {
  const { feeGive, feeGet, feeMin } = t();
  const badges = [
    ...item.fromFee.map((f) => `${feeGive}: ${feeText(f, from)}`),
    ...item.toFee.map((f) => `${feeGet}: ${feeText(f, to)}`),
    ...item.minFee.map((f) => `${feeMin}: ${feeText(f, from)}`),
  ].map((text) => el('span', { class: 'badge fee', text }));
  return badges.length > 0 ? badges : ['—'];
}

function flags(item) {
  const words = t();
  const badges = item.flags.map((f) => el('span', { class: `badge flag flag-${f}`, text: words.flag[f] || f }));
  if (item.floating) {
    const { percent, minutes } = item.floating;
    const terms = [percent ? `±${formatDecimal(percent, 4)} %` : '', minutes ? `${minutes} ${words.units.min}` : '']
      .filter(Boolean)
      .join(' / ');
    badges.push(
      el('span', { class: 'badge flag flag-floating', text: `${words.floating}${terms ? ' ' + terms : ''}` }),
    );
  }
  if (item.delayMinutes) badges.push(el('span', { class: 'badge', text: words.delay(item.delayMinutes) }));
  if (item.city)
    badges.push(el('span', { class: 'badge city', text: nameOf(state.cities.get(item.city) || { code: item.city }) }));
  return badges.length > 0 ? badges : ['—'];
}

function row(item, answer) {
  const give = answer.amount ? item.give : item.in;
  const get = answer.amount ? item.get : item.out;
  const cell = (label, attrs, ...children) => el('td', { 'data-label': t()[label], ...attrs }, ...children);
  return el(
    'tr',
    {},
    cell(
      'exchanger',
      {},
      el('a', { class: 'go', href: item.goUrl, rel: 'nofollow noopener', text: item.exchanger.name }),
      standing(item.exchanger),
    ),
    cell('colGive', { class: 'num', text: amountOf(give, answer.from) }),
    cell('colGet', { class: 'num', text: answer.amount ? amountOf(get, answer.to) : rateOf(get, answer.to) }),
    cell('reserve', { class: 'num', text: item.reserve ? amountOf(item.reserve, answer.to) : '—' }),
    cell('fees', { class: 'fees' }, ...fees(item, answer.from, answer.to)),
    cell('limits', { text: limits(item, answer.from, answer.to) }),
    cell('flags', {}, ...flags(item)),
    cell('updated', { class: 'age', 'data-at': item.updatedAt, text: age(item.updatedAt) }),
  );
}

/** The exchanger's review counts (a button that opens its panel) and, when it has any, its open claims. */
function standing(exchanger) {
  const words = t();
  const { positive, neutral, negative, claimsOpen } = exchanger.reviews;
  const counts = el(
    'button',
    {
      type: 'button',
      class: 'reviews',
      'data-slug': exchanger.slug,
      'aria-label': words.reviewCounts(positive, neutral, negative),
      title: words.reviewCounts(positive, neutral, negative),
    },
    ...['positive', 'neutral', 'negative'].map((tone) =>
      el('span', {
        class: `count tone-${tone}`,
        'data-tone': tone,
        text: `${TONE_MARK[tone]} ${exchanger.reviews[tone]}`,
      }),
    ),
  );
  counts.addEventListener('click', () => void openPanel(exchanger));
  const claims = claimsOpen > 0 ? el('span', { class: 'badge claims-open', text: words.claimsOpen(claimsOpen) }) : null;
  return el('div', { class: 'standing' }, counts, claims);
}

/** What ranks an item best: what you get for the amount, what you give to get it (less is better), or the rate. */
function byBest(a, b, answer) {
  if (!answer.amount) return compareDecimal(b.rate, a.rate);
  return answer.side === 'get' ? compareDecimal(a.give, b.give) : compareDecimal(b.get, a.get);
}

/** Each column's natural order (best rate first, largest reserve first, names A to Z); a second click reverses it. */
const SORTS = {
  rate: { compare: byBest, aria: 'descending' },
  reserve: { compare: (a, b) => compareDecimal(b.reserve, a.reserve), aria: 'descending' },
  exchanger: {
    compare: (a, b) => a.exchanger.name.localeCompare(b.exchanger.name, state.lang, { sensitivity: 'base' }),
    aria: 'ascending',
  },
};

/** The answer's items in the chosen order; ties keep the API's order (larger reserve, fresher first). */
function sortedItems(answer) {
  const { by, reversed } = state.sort;
  const sign = reversed ? -1 : 1;
  const order = (a, b) => {
    // An unknown reserve goes last whichever way the column is sorted.
    if (by === 'reserve' && !a.reserve !== !b.reserve) return a.reserve ? -1 : 1;
    if (by === 'reserve' && !a.reserve) return 0;
    return sign * SORTS[by].compare(a, b, answer);
  };
  return answer.items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => order(a.item, b.item) || a.index - b.index)
    .map(({ item }) => item);
}

function setSort(by, reversed) {
  state.sort = { by, reversed };
  $('sort').value = by;
  render();
}

/** Puts the last answer in the page: title, status line and table, in the chosen order and language. */
function render() {
  const body = state.body;
  for (const th of document.querySelectorAll('#rates th[data-sort]')) {
    const sort = SORTS[th.dataset.sort];
    const flipped = sort.aria === 'descending' ? 'ascending' : 'descending';
    if (th.dataset.sort !== state.sort.by) th.removeAttribute('aria-sort');
    else th.setAttribute('aria-sort', state.sort.reversed ? flipped : sort.aria);
  }
  if (!body) return;
  const words = t();
  $('title').textContent = `${nameOf(currency(body.from))} → ${nameOf(currency(body.to))}`;
  const n = body.items.length;
  const order = state.sort.reversed ? '' : state.sort.by === 'rate' ? words.bestFirst : words.sortedBy[state.sort.by];
  const amount = body.amount
    ? ` — ${body.side === 'get' ? words.forGet(amountOf(body.amount, body.to)) : words.forGive(amountOf(body.amount, body.from))}`
    : '';
  $('status').textContent =
    n === 0 ? words.none : `${n} ${plural(n, words.exchangers)}${order ? `, ${order}` : ''}${amount}.`;
  // One swap of the whole body: no flicker, no half-drawn table.
  $('rates').tBodies[0].replaceChildren(...sortedItems(body).map((item) => row(item, body)));
  $('rates').hidden = n === 0;
  document.querySelector('.sort-by').hidden = n === 0;
}

// ---------------------------------------------------------------- the exchanger panel

/** A date (an ISO time of the API) as the language writes it. */
function dateOf(iso) {
  return new Date(iso).toLocaleDateString(state.lang === 'ru' ? 'ru-RU' : 'en-GB', {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
  });
}

/** A list of the exchanger's (`reviews` or `claims`), or null when it could not be read. */
async function exchangerList(slug, what, limit) {
  try {
    const response = await fetch(`/v1/exchangers/${encodeURIComponent(slug)}/${what}?limit=${limit}`);
    return response.ok ? (await response.json()).items : null;
  } catch {
    return null;
  }
}

/** Opens the panel of the exchanger of a row: its standing at once, its reviews and open claims once read. */
async function openPanel(exchanger) {
  const panel = { exchanger, reviews: undefined, claims: undefined };
  state.panel = panel;
  renderPanel();
  if (!$('exchanger-panel').open) $('exchanger-panel').showModal();
  const [reviews, claims] = await Promise.all([
    exchangerList(exchanger.slug, 'reviews', PANEL_REVIEWS),
    exchangerList(exchanger.slug, 'claims', PANEL_CLAIMS),
  ]);
  if (state.panel !== panel) return; // another exchanger was opened meanwhile
  panel.reviews = reviews;
  panel.claims = claims && claims.filter((c) => OPEN_CLAIM_STATES.has(c.state));
  renderPanel();
}

function closePanel() {
  state.panel = null;
  if ($('exchanger-panel').open) $('exchanger-panel').close();
}

/** The entries of a list, its "none" line, or its "loading" / "unavailable" line (undefined / null). */
function entries(list, item, none) {
  const words = t();
  if (list === undefined) return [el('li', { class: 'muted', text: words.loading })];
  if (list === null) return [el('li', { class: 'muted', text: words.unavailable })];
  return list.length > 0 ? list.map(item) : [el('li', { class: 'muted', text: none })];
}

function reviewEntry(review) {
  const words = t();
  return el(
    'li',
    { class: `review tone-${review.tone}`, 'data-review': review.id },
    el(
      'p',
      { class: 'meta' },
      el('span', { class: `badge tone-${review.tone}`, text: `${TONE_MARK[review.tone]} ${words.tone[review.tone]}` }),
      el('span', { class: 'muted', text: dateOf(review.createdAt) }),
      review.orderRef ? el('span', { class: 'muted', text: ` · ${words.order(review.orderRef)}` }) : null,
      review.visited ? el('span', { class: 'badge visited', text: words.visited }) : null,
    ),
    el('p', { class: 'text', text: review.text }),
    review.reply ? el('p', { class: 'reply', text: `${words.reply} ${review.reply.text}` }) : null,
  );
}

function claimEntry(claim) {
  const words = t();
  const answer = [...claim.events].reverse().find((e) => e.action === 'answer' && e.text);
  return el(
    'li',
    { class: 'claim', 'data-claim': claim.id },
    el(
      'p',
      { class: 'meta' },
      el('span', { class: 'badge claims-open', text: words.claimState[claim.state] || claim.state }),
      el('span', { class: 'muted', text: `${dateOf(claim.createdAt)} · ${words.order(claim.orderRef)}` }),
      claim.amount
        ? el('span', {
            class: 'muted',
            text: ` · ${claim.currency ? amountOf(claim.amount, claim.currency) : claim.amount}`,
          })
        : null,
    ),
    el('p', { class: 'text', text: claim.text }),
    answer ? el('p', { class: 'reply', text: `${words.answer} ${answer.text}` }) : null,
  );
}

/** The open panel in the chosen language (nothing when it is closed). */
function renderPanel() {
  const panel = state.panel;
  if (!panel) return;
  const words = t();
  const { name, listedSince, reviews } = panel.exchanger;
  $('panel-title').textContent = name;
  $('panel-meta').textContent = words.listedSince(dateOf(listedSince));
  $('panel-counts').replaceChildren(
    ...['positive', 'neutral', 'negative'].map((tone) =>
      el('span', {
        class: `count tone-${tone}`,
        'data-tone': tone,
        text: `${TONE_MARK[tone]} ${reviews[tone]} ${words.tone[tone]}`,
      }),
    ),
    reviews.claimsOpen > 0
      ? el('span', { class: 'badge claims-open', text: words.claimsOpen(reviews.claimsOpen) })
      : null,
  );
  $('panel-claims').replaceChildren(...entries(panel.claims, claimEntry, words.noClaims));
  $('panel-reviews').replaceChildren(...entries(panel.reviews, reviewEntry, words.noReviews));
}

// ---------------------------------------------------------------- the chart

/**
 * The direction's best rate over the chart's range, from the history the workers record: the close of each
 * bucket (a point holds until the next), then the live best rates that came after.
 */
async function loadHistory(key) {
  const params = new URLSearchParams(key);
  const range = state.range;
  const direction = new URLSearchParams({ from: params.get('from'), to: params.get('to'), resolution: range });
  if (params.get('city')) direction.set('city', params.get('city'));
  try {
    const response = await fetch(`/v1/rates/history?${direction}`);
    if (!response.ok || key !== state.key || range !== state.range) return;
    const { points } = await response.json();
    const recorded = points.map((p) => ({ at: Date.parse(p.at), rate: p.close }));
    const last = recorded.length > 0 ? recorded[recorded.length - 1].at : 0;
    const merged = recorded.concat(state.history.filter((h) => h.live && h.at > last));
    // A live rate equal to the point before it adds nothing: that point holds until now anyway.
    state.history = merged.filter((p, i) => !p.live || i === 0 || merged[i - 1].rate !== p.rate);
    drawChart();
  } catch {
    // no chart is better than an error for a chart
  }
}

/** Shows the chart over another range: the live points stay, the history is asked for anew. */
function setRange(range) {
  state.range = range;
  for (const button of document.querySelectorAll('[data-range]'))
    button.setAttribute('aria-pressed', String(button.dataset.range === range));
  state.history = state.history.filter((h) => h.live);
  drawChart();
  if (state.key) void loadHistory(state.key);
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** What an x label shows of a time, by the chart's range: the time of day, the day and hour, or the date. */
const AXIS_FORMATS = {
  minute: { hour: '2-digit', minute: '2-digit' },
  hour: { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' },
  day: { day: '2-digit', month: '2-digit', year: '2-digit' },
};

function clock(ms) {
  return new Date(ms).toLocaleString(state.lang === 'ru' ? 'ru-RU' : 'en-GB', AXIS_FORMATS[state.range]);
}

/**
 * The step line of `points` (values already placed on the y scale, null while nothing was shown): each
 * value holds until the next point, then moves; a null breaks the line. One list of x,y corners per run.
 */
function stepLines(points, x, y) {
  const lines = [];
  let current = null;
  points.forEach((p, i) => {
    if (current) current.push(`${x(p.at).toFixed(1)},${y(points[i - 1].value).toFixed(1)}`);
    if (p.value === null) return void (current = null);
    if (!current) lines.push((current = []));
    current.push(`${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`);
  });
  return lines;
}

/**
 * The y range: the data's, padded by a tenth, and never narrower than ±CHART_MIN_HALF_RANGE of its
 * middle, so small moves look small. Plotting needs numbers: rates become floats here only to place
 * pixels and to label the scale; everywhere else they stay strings.
 */
function yRange(values) {
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  const mid = (lo + hi) / 2;
  const half = Math.max(((hi - lo) / 2) * 1.1, Math.abs(mid) * CHART_MIN_HALF_RANGE, 1e-12);
  return { min: mid - half, max: mid + half };
}

/**
 * The y scale's ticks: multiples of a round step (1, 2, 2.5 or 5 × 10^k) inside [min, max], two to five
 * of them, each with its label (a tick is a place on the scale, not an amount: floats are fine here).
 */
function ticks(min, max) {
  const rough = (max - min) / 4;
  const power = Math.floor(Math.log10(rough));
  const factor = [1, 2, 2.5, 5, 10].find((f) => f * 10 ** power >= rough);
  const step = factor * 10 ** power;
  const places = Math.min(20, Math.max(0, -power) + (factor === 2.5 ? 1 : 0));
  const found = [];
  for (let i = Math.ceil(min / step); i * step <= max; i++)
    found.push({ value: i * step, label: formatDecimal((i * step).toFixed(places), places) });
  return found;
}

function drawChart() {
  const points = state.history;
  $('chart-caption').textContent = t().chartCaption[state.range];
  const values = points.filter((p) => p.rate !== null).map((p) => parseFloat(p.rate));
  if (points.length < 2 || values.length === 0) return void ($('chart').hidden = true);
  $('chart').hidden = false;
  const chart = $('chart-svg');
  const width = Math.max(200, Math.round(chart.getBoundingClientRect().width) || 600);
  const pad = { left: 4, right: 4, top: 8, bottom: 20 };
  const plot = { x: pad.left, y: pad.top, w: width - pad.left - pad.right, h: CHART_HEIGHT - pad.top - pad.bottom };
  const range = yRange(values);
  // The last rate holds until now: the line reaches the right edge.
  const last = points[points.length - 1];
  const placed = points
    .concat({ at: Math.max(Date.now(), last.at), rate: last.rate })
    .map((p) => ({ at: p.at, value: p.rate === null ? null : parseFloat(p.rate) }));
  const t0 = placed[0].at;
  const span = Math.max(1, placed[placed.length - 1].at - t0);
  const x = (at) => plot.x + ((at - t0) / span) * plot.w;
  const y = (v) => plot.y + (1 - (v - range.min) / (range.max - range.min)) * plot.h;
  const nodes = [];
  for (const tick of ticks(range.min, range.max).reverse()) {
    const at = y(tick.value);
    nodes.push(svg('line', { class: 'grid', x1: plot.x, x2: plot.x + plot.w, y1: at, y2: at }));
    nodes.push(svg('text', { class: 'y-label', x: plot.x + 2, y: Math.max(at - 3, 9) }, tick.label));
  }
  const bottom = plot.y + plot.h;
  for (const [at, anchor] of [
    [t0, 'start'],
    [t0 + span / 2, 'middle'],
    [t0 + span, 'end'],
  ])
    nodes.push(svg('text', { class: 'x-label', x: x(at), y: bottom + 14, 'text-anchor': anchor }, clock(at)));
  for (const line of stepLines(placed, x, y)) nodes.push(svg('polyline', { class: 'line', points: line.join(' ') }));
  chart.setAttribute('viewBox', `0 0 ${width} ${CHART_HEIGHT}`);
  chart.dataset.plotTop = String(plot.y);
  chart.dataset.plotHeight = String(plot.h);
  chart.replaceChildren(...nodes);
  const to = $('to').value;
  const shown = points.filter((p) => p.rate !== null);
  const locale = state.lang === 'ru' ? 'ru-RU' : 'en-US';
  const since = new Date(points[0].at);
  $('chart-range').textContent = t().chartRange(
    rateNumber(shown[0].rate, to),
    rateNumber(shown[shown.length - 1].rate, to),
    points.length,
    state.range === 'minute' ? since.toLocaleTimeString(locale) : since.toLocaleString(locale),
  );
}

// ---------------------------------------------------------------- refreshing

/** `from|to|city` of a query string: what the history belongs to. */
function directionOf(key) {
  const params = new URLSearchParams(key);
  return ['from', 'to', 'city'].map((name) => params.get(name) || '').join('|');
}

/** Back to the empty page when no direction is chosen (a new "You give" without the old "You receive"). */
function clearTable() {
  stopStream();
  state.key = '';
  state.body = null;
  state.history = [];
  $('rates').hidden = true;
  $('chart').hidden = true;
  document.querySelector('.sort-by').hidden = true;
  $('title').textContent = t().choose;
  if (!state.targets || state.targets.size > 0) $('status').textContent = '';
}

async function refresh() {
  const params = query();
  if (!params) return clearTable();
  const key = params.toString();
  if (key !== state.key) {
    const changedDirection = directionOf(key) !== directionOf(state.key);
    state.key = key;
    state.etag = null;
    history.replaceState(null, '', `/?${key}`);
    // The chart is the direction's: an amount or a filter changes the table, not the history.
    if (changedDirection) {
      state.history = [];
      void loadHistory(key);
    }
  }
  const headers = state.etag ? { 'if-none-match': state.etag } : {};
  let response;
  try {
    response = await fetch(`/v1/rates?${key}&limit=100`, { headers });
  } catch {
    $('status').textContent = t().offline;
    return;
  }
  if (key !== state.key) return;
  for (const cell of document.querySelectorAll('#rates td.age')) cell.textContent = age(cell.dataset.at);
  if (response.status === 304) return void follow(key);
  const body = await response.json();
  if (key !== state.key) return;
  if (!response.ok) {
    stopStream();
    state.body = null;
    $('status').textContent = [].concat(body.message || body.error || t().refused).join('; ');
    $('rates').hidden = true;
    return;
  }
  state.etag = response.headers.get('etag');
  show(params, body);
  follow(key);
}

/** Shows a table of the query `params` (polled or streamed), and follows its best rate on the chart. */
function show(params, body) {
  state.body = body;
  render();
  // The chart follows the direction's best rate live, the first row of a table without amount or filters
  // (the best the workers record in the history too).
  const best = params.has('amount') || params.has('exclude') ? null : body.items[0];
  if (best && (state.history.length === 0 || state.history[state.history.length - 1].rate !== best.rate))
    state.history.push({ at: Date.now(), rate: best.rate, live: true });
  drawChart();
}

// ---------------------------------------------------------------- the live stream

/**
 * Follows the table of `key` through the live stream: each `table` event is the table GET /v1/rates would
 * answer, sent when it changes. Without EventSource, or for a while after the stream was refused (429: the
 * address or the server holds as many streams as allowed) or failed for good, the page polls instead.
 */
function follow(key) {
  if (state.stream && state.streamKey === key) return;
  stopStream();
  if (typeof window.EventSource !== 'function' || Date.now() < state.streamAfter) return;
  const stream = new EventSource(`/v1/rates/stream?${key}&limit=100`);
  state.stream = stream;
  state.streamKey = key;
  stream.addEventListener('open', () => setLive(stream === state.stream));
  stream.addEventListener('table', (event) => {
    if (stream !== state.stream || key !== state.key) return;
    let body;
    try {
      body = JSON.parse(event.data);
    } catch {
      return;
    }
    setLive(true);
    // Polling (if the stream stops) starts again from this table, not from an older ETag.
    state.etag = null;
    show(new URLSearchParams(key), body);
  });
  stream.addEventListener('error', () => {
    if (stream !== state.stream) return;
    // Reconnecting by itself (CONNECTING): poll meanwhile. Closed for good (refused): poll for a while.
    setLive(false);
    if (stream.readyState === EventSource.CLOSED) {
      stopStream();
      state.streamAfter = Date.now() + STREAM_RETRY_MS;
    }
  });
}

function stopStream() {
  if (state.stream) state.stream.close();
  state.stream = null;
  state.streamKey = '';
  setLive(false);
}

/** The "live" mark beside the status: shown while the stream is open. */
function setLive(live) {
  state.live = live;
  $('live').hidden = !live;
  $('live').title = t().liveTitle;
}

/** Every REFRESH_MS: the ages of the rows; a poll unless the stream is live; the stream again once allowed. */
function tick() {
  if (!state.live) return void refresh();
  for (const cell of document.querySelectorAll('#rates td.age')) cell.textContent = age(cell.dataset.at);
}

function schedule() {
  clearInterval(state.timer);
  void Promise.all([loadTargets(), loadDirectionCities()]).then(() => refresh());
  state.timer = setInterval(tick, REFRESH_MS);
}

async function start() {
  const [answer, cities] = await Promise.all([
    fetch('/v1/currencies?withOffers=true').then((r) => r.json()),
    fetch('/v1/cities')
      .then((r) => (r.ok ? r.json() : { items: [] }))
      .catch(() => ({ items: [] })),
  ]);
  state.currencies =
    answer.items.length > 0 ? answer.items : (await fetch('/v1/currencies').then((r) => r.json())).items;
  state.byCode = new Map(state.currencies.map((c) => [c.code, c]));
  state.cities = new Map(cities.items.map((c) => [c.code, c]));
  const params = new URLSearchParams(location.search);
  fillSelect($('from'), '');
  if (params.get('from')) $('from').value = params.get('from');
  await loadTargets();
  if (params.get('to')) $('to').value = params.get('to');
  if (params.get('amount')) $('amount').value = params.get('amount');
  if (params.get('side')) $('side').value = params.get('side');
  // A link's city is kept when the catalog knows it; anything else means all cities.
  const city = (params.get('city') || '').toUpperCase();
  state.city = state.cities.has(city) ? city : '';
  const exclude = (params.get('exclude') || '').split(',');
  for (const flag of ['manual', 'verifying']) $(`hide-${flag}`).checked = exclude.includes(flag);
  await loadDirectionCities();
  setLanguage(state.lang);
  for (const side of ['from', 'to']) {
    $(`${side}-filter`).addEventListener('input', (e) => fillSelect($(side), e.target.value));
    $(side).addEventListener('change', schedule);
  }
  $('city').addEventListener('change', () => {
    state.city = $('city').value;
    schedule();
  });
  for (const id of ['amount', 'side', 'hide-manual', 'hide-verifying']) $(id).addEventListener('change', schedule);
  $('amount').addEventListener('input', () => {
    clearTimeout(state.typing);
    state.typing = setTimeout(schedule, 400);
  });
  $('pick').addEventListener('submit', (e) => {
    e.preventDefault();
    schedule();
  });
  for (const button of document.querySelectorAll('button.sort'))
    button.addEventListener('click', () => {
      const by = button.dataset.sort;
      setSort(by, state.sort.by === by && !state.sort.reversed);
    });
  $('sort').addEventListener('change', () => setSort($('sort').value, false));
  for (const button of document.querySelectorAll('[data-lang]'))
    button.addEventListener('click', () => setLanguage(button.dataset.lang));
  for (const button of document.querySelectorAll('[data-range]'))
    button.addEventListener('click', () => setRange(button.dataset.range));
  window.addEventListener('resize', drawChart);
  $('panel-close').addEventListener('click', closePanel);
  // Escape closes the dialog by itself: forget its exchanger too.
  $('exchanger-panel').addEventListener('close', () => (state.panel = null));
  schedule();
}

state.lang = chooseLanguage();
void start();
