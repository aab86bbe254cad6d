// ratewatch reference page: pick a direction, see the best rates, refreshed in place every few seconds.
// Plain DOM, no framework. Every value from the API is put in the page as text, never as HTML.
'use strict';
/* global el -- from dom.js */

const REFRESH_MS = 5000;
const HISTORY_HOURS = 6;
const KIND_NAMES = {
  crypto: 'Crypto',
  emoney: 'E-money',
  bank: 'Banks',
  online_banking: 'Online banking',
  cash: 'Cash',
  transfer: 'Transfers',
};
const $ = (id) => document.getElementById(id);
const state = { currencies: [], etag: null, key: '', history: [], timer: null };

/** Fills a select with the currencies matching `filter`, grouped by kind, keeping the selection. */
function fillSelect(select, filter) {
  const selected = select.value;
  const words = filter.trim().toLowerCase();
  const groups = new Map();
  for (const c of state.currencies) {
    if (words && !`${c.code} ${c.name.en} ${c.name.ru} ${c.ticker}`.toLowerCase().includes(words)) continue;
    if (!groups.has(c.kind)) groups.set(c.kind, el('optgroup', { label: KIND_NAMES[c.kind] || c.kind }));
    groups.get(c.kind).append(el('option', { value: c.code, text: `${c.displayName} — ${c.code}` }));
  }
  select.replaceChildren(...groups.values());
  if (selected && [...select.options].some((o) => o.value === selected)) select.value = selected;
}

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
  const city = $('city').value.trim();
  if (city) params.set('city', city.toUpperCase());
  return params;
}

function age(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

function limits(item, from, to) {
  const parts = [];
  if (item.fromMin || item.fromMax) parts.push(`${item.fromMin || '0'} – ${item.fromMax || '∞'} ${from}`);
  if (item.toMin || item.toMax) parts.push(`${item.toMin || '0'} – ${item.toMax || '∞'} ${to}`);
  return parts.join(', ') || '—';
}

function row(item, answer) {
  const give = answer.amount ? item.give : item.in;
  const get = answer.amount ? item.get : item.out;
  const flags = el(
    'td',
    { 'data-label': 'Flags' },
    ...item.flags.map((f) => el('span', { class: 'badge', text: f })),
    item.city ? el('span', { class: 'badge', text: item.city }) : null,
  );
  return el(
    'tr',
    {},
    el(
      'td',
      { 'data-label': 'Exchanger' },
      el('a', { class: 'go', href: item.goUrl, rel: 'nofollow noopener', text: item.exchanger.name }),
    ),
    el('td', { class: 'num', 'data-label': 'You give', text: `${give} ${answer.from}` }),
    el('td', { class: 'num', 'data-label': 'You get', text: `${get} ${answer.to}` }),
    el('td', { class: 'num', 'data-label': 'Reserve', text: item.reserve ? `${item.reserve} ${answer.to}` : '—' }),
    el('td', { 'data-label': 'Limits', text: limits(item, answer.from, answer.to) }),
    flags,
    el('td', { 'data-label': 'Updated', class: 'age', 'data-at': item.updatedAt, text: age(item.updatedAt) }),
  );
}

/** The direction's best rate over the last hours (a point a minute in which someone looked), then live. */
async function loadHistory(key) {
  const params = new URLSearchParams(key);
  const direction = new URLSearchParams({
    from: params.get('from'),
    to: params.get('to'),
    hours: String(HISTORY_HOURS),
  });
  if (params.get('city')) direction.set('city', params.get('city'));
  try {
    const response = await fetch(`/v1/rates/history?${direction}`);
    if (!response.ok || key !== state.key) return;
    const { points } = await response.json();
    state.history = points
      .map((p) => ({ at: Date.parse(p.at), rate: p.rate }))
      .concat(state.history.filter((h) => h.at > Date.now() - 60_000))
      .sort((a, b) => a.at - b.at);
    drawChart();
  } catch {
    // no chart is better than an error for a chart
  }
}

/** Plotting needs numbers: rates become floats here only to place pixels; everywhere else they stay strings. */
function drawChart() {
  const points = state.history;
  if (points.length < 2) return void ($('chart').hidden = true);
  const values = points.map((p) => parseFloat(p.rate));
  const min = Math.min(...values);
  const max = Math.max(...values);
  const t0 = points[0].at;
  const span = Math.max(1, points[points.length - 1].at - t0);
  const coords = points.map(
    (p, i) => `${((p.at - t0) / span) * 300},${max === min ? 30 : 55 - ((values[i] - min) / (max - min)) * 50}`,
  );
  $('chart-svg').replaceChildren(document.createElementNS('http://www.w3.org/2000/svg', 'polyline'));
  $('chart-svg').firstChild.setAttribute('points', coords.join(' '));
  $('chart-range').textContent =
    `from ${points[0].rate} to ${points[points.length - 1].rate}, ${points.length} points since ${new Date(points[0].at).toLocaleTimeString()}`;
  $('chart').hidden = false;
}

async function refresh() {
  const params = query();
  if (!params) return;
  const key = params.toString();
  if (key !== state.key) {
    state.key = key;
    state.etag = null;
    state.history = [];
    history.replaceState(null, '', `/?${key}`);
    void loadHistory(key);
  }
  const headers = state.etag ? { 'if-none-match': state.etag } : {};
  let response;
  try {
    response = await fetch(`/v1/rates?${key}&limit=100`, { headers });
  } catch {
    $('status').textContent = 'Offline — retrying…';
    return;
  }
  if (key !== state.key) return;
  for (const cell of document.querySelectorAll('#rates td.age')) cell.textContent = age(cell.dataset.at);
  if (response.status === 304) return;
  const body = await response.json();
  if (!response.ok) {
    $('status').textContent = [].concat(body.message || body.error || 'The request was refused').join('; ');
    $('rates').hidden = true;
    return;
  }
  state.etag = response.headers.get('etag');
  const names = (code) => (state.currencies.find((c) => c.code === code) || { displayName: code }).displayName;
  $('title').textContent = `${names(body.from)} → ${names(body.to)}`;
  $('status').textContent =
    body.items.length === 0
      ? 'No exchanger offers this direction right now.'
      : `${body.items.length} exchangers, best first${body.amount ? ` — for ${body.amount} ${body.side === 'get' ? body.to + ' to get' : body.from + ' to give'}` : ''}.`;
  // One swap of the whole body: no flicker, no half-drawn table.
  $('rates').tBodies[0].replaceChildren(...body.items.map((item) => row(item, body)));
  $('rates').hidden = body.items.length === 0;
  const best = body.items[0];
  if (best && (state.history.length === 0 || state.history[state.history.length - 1].rate !== best.rate))
    state.history.push({ at: Date.now(), rate: best.rate });
  drawChart();
}

function schedule() {
  clearInterval(state.timer);
  void refresh();
  state.timer = setInterval(() => void refresh(), REFRESH_MS);
}

async function start() {
  const answer = await fetch('/v1/currencies?withOffers=true').then((r) => r.json());
  state.currencies =
    answer.items.length > 0 ? answer.items : (await fetch('/v1/currencies').then((r) => r.json())).items;
  const params = new URLSearchParams(location.search);
  fillSelect($('from'), '');
  fillSelect($('to'), '');
  if (params.get('from')) $('from').value = params.get('from');
  if (params.get('to')) $('to').value = params.get('to');
  if (params.get('amount')) $('amount').value = params.get('amount');
  if (params.get('side')) $('side').value = params.get('side');
  if (params.get('city')) $('city').value = params.get('city');
  for (const side of ['from', 'to']) {
    $(`${side}-filter`).addEventListener('input', (e) => fillSelect($(side), e.target.value));
    $(side).addEventListener('change', schedule);
  }
  for (const id of ['amount', 'side', 'city']) $(id).addEventListener('change', schedule);
  $('amount').addEventListener('input', () => {
    clearTimeout(state.typing);
    state.typing = setTimeout(schedule, 400);
  });
  $('pick').addEventListener('submit', (e) => {
    e.preventDefault();
    schedule();
  });
  schedule();
}

void start();
