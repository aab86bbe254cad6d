// ratewatch operator page: feed health at a glance (what is wrong, with which exchanger), a feed's last runs
// right under it, refresh now, and exchangers and feeds added, changed, paused and deleted through the admin API.
// The admin key lives in this tab's sessionStorage only. Values from the API go in as text.
'use strict';
/* global el -- from dom.js */

const $ = (id) => document.getElementById(id);
const KEY = 'ratewatch.adminKey';
/** Most severe first: the order of the State column when sorted, and of the summary. */
const STATES = ['failing', 'stale', 'rejecting', 'maintenance', 'fresh', 'paused', 'disabled'];
/** The states an operator has to act on; the summary counts them as problems. */
const PROBLEMS = new Set(['failing', 'stale', 'rejecting']);
const PHONE = window.matchMedia('(max-width: 700px)');

const state = {
  /** The feed whose runs are open, or null. */
  feed: null,
  timer: null,
  feeds: [],
  exchangers: [],
  sort: { key: 'id', dir: 1 },
  /** What the open dialog edits: { id: null (a new one) or the id, original: the values it opened with }. */
  editing: null,
};

async function api(path, init = {}) {
  const response = await fetch(path, {
    ...init,
    headers: { authorization: `Bearer ${sessionStorage.getItem(KEY)}`, ...(init.headers || {}) },
  });
  if (response.status === 401 || response.status === 403) {
    sessionStorage.removeItem(KEY);
    showLogin('That key was refused.');
    throw new Error('unauthorized');
  }
  return response;
}

/** A change through the admin API: `{ ok, body }`, body being the object or the API's error (api-error.dto.ts). */
async function send(method, path, body) {
  const response = await api(path, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { message: `the server answered ${response.status} ${text.slice(0, 200)}` };
  }
  return { ok: response.ok, body: parsed };
}

const getJson = async (path) => (await api(path)).json();

/** What an operator acts on, most severe first (see STATES). */
function stateOf(feed) {
  if (feed.exchangerStatus === 'disabled') return 'disabled';
  if (!feed.enabled || feed.exchangerStatus !== 'active') return 'paused';
  if (feed.inMaintenance) return 'maintenance';
  if (feed.consecutiveFailures > 0 && feed.lastStatus === 'error') return 'failing';
  if (!feed.fresh) return 'stale';
  return feed.rejecting ? 'rejecting' : 'fresh';
}

function when(iso) {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 120
    ? `${seconds} s ago`
    : seconds < 7200
      ? `${Math.round(seconds / 60)} min ago`
      : new Date(iso).toLocaleString();
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const compareText = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
/** Orders of the sortable columns; ISO timestamps of the API compare as text. */
const SORTS = {
  id: (a, b) => a.id - b.id,
  exchanger: (a, b) => a.exchangerName.localeCompare(b.exchangerName) || compareText(a.exchangerSlug, b.exchangerSlug),
  state: (a, b) => STATES.indexOf(stateOf(a)) - STATES.indexOf(stateOf(b)),
  offers: (a, b) => a.offers - b.offers,
  rejected: (a, b) => (a.lastRejected ?? -1) - (b.lastRejected ?? -1),
  success: (a, b) => compareText(a.lastSuccessAt ?? '', b.lastSuccessAt ?? ''),
};

function button(text, attrs, onClick) {
  const b = el('button', { type: 'button', class: 'small', ...attrs, text });
  b.addEventListener('click', (e) => {
    e.stopPropagation();
    void onClick(b).catch(() => undefined);
  });
  return b;
}

/** The feeds the filter box and the state filter let through, in the chosen order. */
function shownFeeds() {
  const words = $('filter').value.trim().toLowerCase();
  const wanted = $('state-filter').value;
  const { key, dir } = state.sort;
  return state.feeds
    .filter((feed) => {
      const s = stateOf(feed);
      if (wanted && (wanted === 'problem' ? !PROBLEMS.has(s) : s !== wanted)) return false;
      const text = `#${feed.id} ${feed.exchangerName} ${feed.exchangerSlug} ${feed.url}`.toLowerCase();
      return !words || text.includes(words);
    })
    .sort((a, b) => dir * SORTS[key](a, b) || a.id - b.id);
}

function feedRow(feed) {
  const s = stateOf(feed);
  const rejectedNote = feed.lastRejects.length
    ? el('span', { class: 'muted note', text: feed.lastRejects[0].reason })
    : null;
  const tr = el(
    'tr',
    { id: `feed-${feed.id}`, 'data-feed': String(feed.id), class: state.feed === feed.id ? 'selected' : '' },
    el(
      'td',
      { 'data-label': 'Feed' },
      el('a', { href: `#feed-${feed.id}`, text: `#${feed.id}`, title: 'Show its last runs' }),
      ' ',
      el('span', { class: 'muted url', text: feed.url }),
    ),
    el(
      'td',
      { 'data-label': 'Exchanger' },
      el('a', { href: `#exchanger-${feed.exchangerId}`, class: 'name', text: feed.exchangerName }),
      ' ',
      el('span', { class: 'muted', text: feed.exchangerSlug }),
    ),
    el('td', { 'data-label': 'State' }, el('span', { class: `badge state-${s}`, 'data-state': s, text: s })),
    el('td', { 'data-label': 'Offers', class: 'num', text: String(feed.offers) }),
    el(
      'td',
      {
        'data-label': 'Rejected',
        class: `num${feed.rejecting ? ' error' : ''}`,
        'data-rejected': feed.lastRejected == null ? '' : String(feed.lastRejected),
        title: feed.lastRejects.map((r) => `item ${r.index}: ${r.reason}`).join('\n'),
      },
      feed.lastRejected == null ? '–' : String(feed.lastRejected),
      rejectedNote ? ' ' : null,
      rejectedNote,
    ),
    el('td', { 'data-label': 'Last success', text: when(feed.lastSuccessAt) }),
    el('td', {
      'data-label': 'Last error',
      text: feed.lastError ? `${feed.lastError.code}: ${feed.lastError.message}` : '',
    }),
    el(
      'td',
      { class: 'actions' },
      button('Refresh', { 'data-refresh': String(feed.id) }, (b) => refreshFeed(feed.id, b)),
      button('Edit', { 'data-edit-feed': String(feed.id) }, () => openFeedForm(feed.id)),
      button(feed.enabled ? 'Pause' : 'Resume', { 'data-toggle-feed': String(feed.id) }, () =>
        change('PATCH', `/v1/admin/feeds/${feed.id}`, { enabled: !feed.enabled }),
      ),
      button('Delete', { 'data-delete-feed': String(feed.id), class: 'small danger' }, () => deleteFeed(feed)),
    ),
  );
  tr.addEventListener('click', (e) => {
    if (e.target.closest('a, button')) return;
    if (state.feed === feed.id) closeRuns();
    else void openRuns(feed.id, true).catch(() => undefined);
  });
  return tr;
}

/**
 * The runs panel lives in a row right under its feed's row (a card under the feed's card on a phone). That row
 * is out of the document while no feed is open, so its parts are held here rather than found by id.
 */
const runsPanel = $('runs');
const runsTitle = $('runs-title');
const runsBody = runsPanel.querySelector('tbody');
const runsRow = el('tr', { class: 'runs-row' }, el('td', { colspan: '8' }, runsPanel));

function renderFeeds() {
  const shown = shownFeeds();
  const rows = [];
  for (const feed of shown) {
    rows.push(feedRow(feed));
    if (feed.id === state.feed) rows.push(runsRow);
  }
  $('feeds').tBodies[0].replaceChildren(...rows);
  runsPanel.hidden = state.feed === null || !shown.some((f) => f.id === state.feed);
  $('no-feeds').hidden = shown.length > 0;
  $('no-feeds').textContent = state.feeds.length
    ? `No feed matches (${plural(state.feeds.length, 'feed')} in all).`
    : 'No feeds yet: add an exchanger, then its feed.';
  $('sort-by').value = state.sort.key;
  for (const th of $('feeds').querySelectorAll('th[data-sort]')) {
    if (th.dataset.sort === state.sort.key)
      th.setAttribute('aria-sort', state.sort.dir > 0 ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
  renderSummary();
}

/** Problems first (a count even when zero), then each state present; a click filters the table to it. */
function renderSummary() {
  const counts = {};
  for (const feed of state.feeds) counts[stateOf(feed)] = (counts[stateOf(feed)] || 0) + 1;
  const problems = [...PROBLEMS].reduce((n, s) => n + (counts[s] || 0), 0);
  const badge = (key, cls, text) => {
    const b = el('button', { type: 'button', class: `badge ${cls}`, 'data-state': key, text });
    b.addEventListener('click', () => {
      $('state-filter').value = $('state-filter').value === key ? '' : key;
      renderFeeds();
    });
    return b;
  };
  $('summary').replaceChildren(
    badge(
      'problem',
      problems ? 'state-failing' : 'state-fresh',
      problems ? plural(problems, 'problem') : 'no problems',
    ),
    ...STATES.filter((s) => counts[s]).map((s) => badge(s, `state-${s}`, `${counts[s]} ${s}`)),
  );
}

function renderExchangers() {
  const words = $('filter').value.trim().toLowerCase();
  const rows = state.exchangers
    .filter((x) => !words || `${x.name} ${x.slug} ${x.siteUrl}`.toLowerCase().includes(words))
    .map((x) => {
      const feeds = state.feeds.filter((f) => f.exchangerId === x.id);
      const links = feeds.flatMap((f, i) => [
        i ? ' ' : null,
        el('a', { href: `#feed-${f.id}`, text: `#${f.id}`, title: f.url }),
      ]);
      return el(
        'tr',
        { id: `exchanger-${x.id}`, 'data-exchanger-id': String(x.id) },
        el(
          'td',
          { 'data-label': 'Exchanger' },
          el('span', { class: 'name', text: x.name }),
          ' ',
          el('span', { class: 'muted', text: x.slug }),
        ),
        el(
          'td',
          { 'data-label': 'Status' },
          el('span', {
            class: `badge state-${x.status === 'active' ? 'fresh' : x.status}`,
            text: x.status,
          }),
        ),
        el(
          'td',
          { 'data-label': 'Site' },
          /^https?:\/\//i.test(x.siteUrl)
            ? el('a', { href: x.siteUrl, rel: 'noopener noreferrer', target: '_blank', class: 'url', text: x.siteUrl })
            : x.siteUrl,
        ),
        el('td', { 'data-label': 'Feeds' }, ...(links.length ? links : [el('span', { class: 'muted', text: 'none' })])),
        el(
          'td',
          { class: 'actions' },
          button('Add feed', { 'data-add-feed': String(x.id) }, () => openFeedForm(null, x.id)),
          button('Edit', { 'data-edit-exchanger': String(x.id) }, () => openExchangerForm(x)),
          button(x.status === 'active' ? 'Pause' : 'Activate', { 'data-toggle-exchanger': String(x.id) }, () =>
            change('PATCH', `/v1/admin/exchangers/${x.id}`, { status: x.status === 'active' ? 'paused' : 'active' }),
          ),
          button('Delete', { 'data-delete-exchanger': String(x.id), class: 'small danger' }, () =>
            deleteExchanger(x, feeds.length),
          ),
        ),
      );
    });
  $('exchangers').tBodies[0].replaceChildren(...rows);
}

async function loadBoard() {
  const [health, exchangers] = await Promise.all([
    getJson('/v1/admin/feeds/health'),
    getJson('/v1/admin/exchangers'),
    loadQuarantine(),
    loadAlertDeliveries(),
  ]);
  state.feeds = health.items;
  state.exchangers = exchangers.items;
  renderFeeds();
  renderExchangers();
}

/** What the rate guard holds back (reference, deviation, reason), and exchangers held back as a whole. */
async function loadQuarantine() {
  const { items, flagged } = await getJson('/v1/admin/quarantine');
  $('flagged').replaceChildren(
    ...flagged.map((f) =>
      el(
        'li',
        { 'data-exchanger': f.exchanger },
        el('span', { class: 'badge state-failing', text: 'flagged' }),
        ` ${f.exchanger}: ${f.quarantined} of ${f.offers} offers held back`,
      ),
    ),
  );
  $('quarantine')
    .querySelector('tbody')
    .replaceChildren(
      ...items.map((q) =>
        el(
          'tr',
          { 'data-exchanger': q.exchanger },
          el('td', { 'data-label': 'Exchanger', text: q.exchanger }),
          el('td', { 'data-label': 'Direction', text: `${q.from} → ${q.to}${q.city ? ` (${q.city})` : ''}` }),
          el('td', { 'data-label': 'Rate', class: 'num', text: q.rate }),
          el('td', { 'data-label': 'Reference', class: 'num', text: `${q.reference} (${q.referenceSource})` }),
          el('td', { 'data-label': 'Deviation', class: 'num', text: `+${q.deviationPercent} %` }),
          el('td', { 'data-label': 'Reason', text: q.reason === 'inverted' ? 'inverted sides' : 'too good' }),
          el('td', { 'data-label': 'Since', text: when(q.since) }),
        ),
      ),
    );
  $('quarantine').hidden = items.length === 0 && flagged.length === 0;
}

/** Alert notices that did not arrive at the first try (failed for good, dropped, or being retried), newest first. */
async function loadAlertDeliveries() {
  const { counts, failedLastDay, items } = await getJson('/v1/admin/alert-deliveries?limit=20');
  const section = $('alert-deliveries');
  section
    .querySelector('tbody')
    .replaceChildren(
      ...items.map((d) =>
        el(
          'tr',
          { 'data-status': d.status },
          el('td', { 'data-label': 'When', text: when(d.createdAt) }),
          el('td', { 'data-label': 'Event', text: d.event }),
          el('td', { 'data-label': 'Webhook host', text: d.host }),
          el(
            'td',
            { 'data-label': 'Status' },
            el('span', { class: `badge ${d.status === 'failed' ? 'state-failing' : 'state-stale'}`, text: d.status }),
          ),
          el('td', { 'data-label': 'Attempts', class: 'num', text: String(d.attempts) }),
          el('td', { 'data-label': 'Last error', text: d.lastError || '' }),
        ),
      ),
    );
  $('alert-deliveries-summary').textContent =
    `${failedLastDay} failed in the last 24 hours · ${counts.pending} pending · ` +
    `${counts.delivered} delivered · ${counts.failed} failed · ${counts.dropped} dropped in all`;
  section.hidden = items.length === 0 && counts.pending === 0;
}

/** Opens a feed's runs under its row; `reveal` scrolls the row to the top when its latest run would be off-screen. */
async function openRuns(id, reveal) {
  if (!state.feeds.some((f) => f.id === id)) return;
  if (!shownFeeds().some((f) => f.id === id)) {
    $('filter').value = '';
    $('state-filter').value = '';
    renderExchangers();
  }
  if (state.feed !== id) {
    runsTitle.textContent = `Last runs of feed #${id}: loading…`;
    runsBody.replaceChildren();
  }
  state.feed = id;
  if (location.hash !== `#feed-${id}`) history.replaceState(null, '', `#feed-${id}`);
  renderFeeds();
  await loadRuns(id);
  // The feed, the panel's title and its latest run must be in view; if not, the feed's row goes to the top.
  const top = runsPanel.getBoundingClientRect().top;
  const bottom = runsBody.firstElementChild?.getBoundingClientRect().bottom ?? top + 60;
  if (reveal && (top < 0 || bottom > window.innerHeight)) $(`feed-${id}`)?.scrollIntoView({ block: 'start' });
}

function closeRuns() {
  state.feed = null;
  history.replaceState(null, '', location.pathname + location.search);
  renderFeeds();
}

function runRow(run) {
  const rejected = (run.rejects || [])
    .slice(0, 5)
    .map((r) => r.reason)
    .join('; ');
  const badge = run.status === 'error' ? 'failing' : run.status === 'maintenance' ? 'maintenance' : 'fresh';
  return el(
    'tr',
    {},
    el('td', { 'data-label': 'Started', text: when(run.startedAt) }),
    el('td', { 'data-label': 'Trigger', text: run.trigger }),
    el('td', { 'data-label': 'Status' }, el('span', { class: `badge state-${badge}`, text: run.status })),
    el('td', { 'data-label': 'Items', class: 'num', text: String(run.items) }),
    el('td', { 'data-label': 'Accepted', class: 'num', text: String(run.accepted) }),
    el('td', { 'data-label': 'Rejected', class: 'num', text: String(run.rejected) }),
    el('td', { 'data-label': 'Held', class: 'num', text: String(run.quarantined ?? 0) }),
    el('td', {
      'data-label': run.error ? 'Error' : 'Rejected codes',
      class: run.error ? 'error' : '',
      text: run.error ? `${run.error.code}: ${run.error.message}` : rejected,
    }),
  );
}

async function loadRuns(id) {
  const runs = (await getJson(`/v1/admin/feeds/${id}/runs?limit=${PHONE.matches ? 10 : 20}`)).items;
  if (state.feed !== id) return; // another feed was opened meanwhile
  const feed = state.feeds.find((f) => f.id === id);
  runsTitle.textContent = `Last runs of feed #${id}${feed ? ` · ${feed.exchangerName} (${feed.exchangerSlug})` : ''}`;
  runsBody.replaceChildren(...runs.map(runRow));
  if (!runs.length) runsBody.append(el('tr', {}, el('td', { colspan: '8', text: 'No runs yet.' })));
}

async function refreshFeed(id, b) {
  b.disabled = true;
  b.textContent = 'Polling…';
  try {
    await api(`/v1/admin/feeds/${id}/refresh?wait=true`, { method: 'POST' });
    await loadBoard();
    if (state.feed === id) await loadRuns(id);
  } finally {
    b.disabled = false;
    b.textContent = 'Refresh';
  }
}

/** A one-click change (pause, resume, delete): its error, if any, shows above the table. */
async function change(method, path, body) {
  const answer = await send(method, path, body);
  $('notice').textContent = answer.ok ? '' : `Not done: ${answer.body?.message ?? 'no answer'}`;
  await loadBoard();
  return answer.ok;
}

async function deleteFeed(feed) {
  if (!window.confirm(`Delete feed #${feed.id} of ${feed.exchangerName} (${feed.url}) and its offers?`)) return;
  if ((await change('DELETE', `/v1/admin/feeds/${feed.id}`)) && state.feed === feed.id) closeRuns();
}

async function deleteExchanger(x, feeds) {
  if (!window.confirm(`Delete ${x.name} (${x.slug}) with its ${plural(feeds, 'feed')} and all its offers?`)) return;
  await change('DELETE', `/v1/admin/exchangers/${x.id}`);
  if (state.feed !== null && !state.feeds.some((f) => f.id === state.feed)) closeRuns();
}

// ---- The two editors: the API validates; its messages show next to the fields they are about. ----

const EXCHANGER_FIELDS = ['name', 'slug', 'siteUrl', 'referralUrl', 'status'];
const FEED_FIELDS = ['url', 'format', 'intervalSeconds', 'timeoutMs', 'staleAfterSeconds', 'enabled'];
const WHOLE_FIELDS = new Set(['intervalSeconds', 'timeoutMs', 'staleAfterSeconds']);

/** The form's values as the API takes them: whole numbers as numbers (anything else as typed, for the API to refuse). */
function valuesOf(form, fields) {
  const values = {};
  for (const name of fields) {
    const input = form.elements[name];
    if (input.type === 'checkbox') values[name] = input.checked;
    else if (WHOLE_FIELDS.has(name)) {
      const raw = input.value.trim();
      if (raw !== '') values[name] = /^\d{1,9}$/.test(raw) ? Number(raw) : raw;
    } else values[name] = input.value.trim();
  }
  return values;
}

/** Only what the operator changed, so an edit never re-sends (and re-checks) what it did not touch. */
const changedOf = (values, original) =>
  Object.fromEntries(Object.entries(values).filter(([name, value]) => value !== original[name]));

function clearErrors(form) {
  for (const p of form.querySelectorAll('.field-error, .form-error')) p.textContent = '';
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

/** The API's error answer: each detail next to its field, the rest (or a pointer to them) under the form. */
function showErrors(form, body) {
  clearErrors(form);
  const unplaced = [];
  for (const detail of body?.details ?? []) {
    const slot = detail.field && form.querySelector(`.field-error[data-for="${CSS.escape(detail.field)}"]`);
    if (!slot) {
      unplaced.push(detail.message);
      continue;
    }
    if (!slot.textContent.split('; ').includes(detail.message))
      slot.textContent = slot.textContent ? `${slot.textContent}; ${detail.message}` : detail.message;
    form.elements[detail.field]?.setAttribute('aria-invalid', 'true');
  }
  if (!body?.details?.length) unplaced.push(body?.message ?? 'no answer from the server');
  form.querySelector('.form-error').textContent = unplaced.length
    ? `Not saved: ${unplaced.join('; ')}`
    : 'Not saved: see the fields marked above.';
  form.querySelector('[aria-invalid]')?.focus();
}

function openDialog(dialog, form, title, editing, values) {
  form.reset();
  clearErrors(form);
  state.editing = editing;
  form.querySelector('h2').textContent = title;
  for (const [name, value] of Object.entries(values)) {
    const input = form.elements[name];
    if (input.type === 'checkbox') input.checked = value;
    else input.value = value ?? '';
  }
  dialog.showModal();
}

async function openExchangerForm(x) {
  openDialog(
    $('exchanger-dialog'),
    $('exchanger-form'),
    x ? `Edit ${x.name}` : 'Add an exchanger',
    { id: x?.id ?? null, original: x ?? {} },
    x ? Object.fromEntries(EXCHANGER_FIELDS.map((n) => [n, x[n]])) : { status: 'active' },
  );
}

/** Edits feed `id`, or adds one (to exchanger `exchangerId` when given, else the operator picks). */
async function openFeedForm(id, exchangerId) {
  const feed = id === null ? null : await getJson(`/v1/admin/feeds/${id}`);
  const form = $('feed-form');
  form.elements.exchangerId.replaceChildren(
    ...state.exchangers.map((x) => el('option', { value: String(x.id), text: `${x.name} (${x.slug})` })),
  );
  form.elements.exchangerId.disabled = feed !== null;
  openDialog(
    $('feed-dialog'),
    form,
    feed ? `Edit feed #${feed.id}` : 'Add a feed',
    { id: feed?.id ?? null, original: feed ?? {} },
    {
      exchangerId: String(feed?.exchangerId ?? exchangerId ?? state.exchangers[0]?.id ?? ''),
      ...(feed ? Object.fromEntries(FEED_FIELDS.map((n) => [n, feed[n]])) : { format: 'auto', enabled: true }),
    },
  );
}

/** Saves the open dialog's form: POST a new one, PATCH what changed; on an error the dialog stays open. */
async function save(form, dialog, create, update, fields) {
  const { id, original } = state.editing;
  const values = valuesOf(form, fields);
  const submit = form.querySelector('button[type=submit]');
  submit.disabled = true;
  try {
    const answer =
      id === null ? await send('POST', create(), values) : await send('PATCH', update(id), changedOf(values, original));
    if (!answer.ok) return showErrors(form, answer.body);
    dialog.close();
    $('notice').textContent = '';
    await loadBoard();
  } finally {
    submit.disabled = false;
  }
}

$('exchanger-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void save(
    e.target,
    $('exchanger-dialog'),
    () => '/v1/admin/exchangers',
    (id) => `/v1/admin/exchangers/${id}`,
    EXCHANGER_FIELDS,
  ).catch(() => undefined);
});
$('feed-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void save(
    e.target,
    $('feed-dialog'),
    () => `/v1/admin/exchangers/${e.target.elements.exchangerId.value}/feeds`,
    (id) => `/v1/admin/feeds/${id}`,
    FEED_FIELDS,
  ).catch(() => undefined);
});
for (const cancel of document.querySelectorAll('dialog [data-cancel]'))
  cancel.addEventListener('click', () => cancel.closest('dialog').close());

$('add-exchanger').addEventListener('click', () => void openExchangerForm(null));
$('add-feed').addEventListener('click', () => {
  if (state.exchangers.length) void openFeedForm(null).catch(() => undefined);
  else void openExchangerForm(null);
});

// ---- Moderation: reviews and claims wait here until an operator lets them through or turns them down. ----

/** Items a queue shows (the oldest first, as the API answers). */
const QUEUE_LIMIT = 50;
/** Which states a claim may be moved from, and to what (libs/domain claim.ts: CLAIM_TRANSITIONS). */
const CLAIM_ACTS = { pending: ['accept', 'reject'], open: ['resolve', 'reject'], answered: ['resolve', 'reject'] };

/** The exchanger (slug) the reviews queue is narrowed to, '' for all: a click on a burst narrows it. */
const moderation = { exchanger: '' };

function queuePath(kind, wanted, exchanger) {
  const params = new URLSearchParams({ state: wanted, limit: String(QUEUE_LIMIT) });
  if (exchanger) params.set('exchanger', exchanger);
  return `/v1/admin/${kind}?${params}`;
}

/**
 * A moderation act; its error shows above the queues. A refused input (400: no reason) leaves the queues as
 * they are, with what was typed; anything else (done, or moved meanwhile by another moderator) reloads them.
 */
async function moderate(path, body) {
  const answer = await send('POST', path, body);
  if (answer.ok || answer.body?.statusCode !== 400) await loadModeration(true);
  $('moderation-notice').textContent = answer.ok ? '' : `Not done: ${answer.body?.message ?? 'no answer'}`;
}

/** The box for a rejection's reason or a resolution's note: its text goes to the API as typed (trimmed). */
const reasonBox = (id, placeholder) =>
  el('input', {
    type: 'text',
    class: 'reason',
    'data-reason': id,
    placeholder,
    'aria-label': placeholder,
    maxlength: '500',
  });

/** The exchanger of a queued item; a burst is marked (its reviews came together: look at them together). */
function queuedExchanger(item) {
  return el(
    'td',
    { 'data-label': 'Exchanger' },
    el('span', { class: 'name', text: item.exchanger }),
    item.burst ? ' ' : null,
    item.burst ? el('span', { class: 'badge state-failing', text: 'burst' }) : null,
  );
}

function marks(item) {
  return el(
    'td',
    { 'data-label': 'Marks' },
    el('span', {
      class: `badge ${item.visited ? 'state-fresh' : 'state-disabled'}`,
      text: item.visited ? 'visited' : 'no visit',
      title: item.visited ? 'clicked through /go to this exchanger within 30 days before' : 'no click-through found',
    }),
    el('span', {
      class: 'muted hash',
      title: 'visitor (a day) · address: equal ones are the same',
      text: `${item.visitor} · ${item.ip}`,
    }),
  );
}

function reviewRow(r) {
  const reason = reasonBox(r.id, 'reason');
  const actions = [];
  if (r.state === 'pending')
    actions.push(button('Publish', { 'data-publish': r.id }, () => moderate(`/v1/admin/reviews/${r.id}/publish`)));
  if (r.state !== 'rejected')
    actions.push(
      reason,
      button(
        r.state === 'pending' ? 'Reject' : 'Take down',
        { 'data-reject-review': r.id, class: 'small danger' },
        () => moderate(`/v1/admin/reviews/${r.id}/reject`, { reason: reason.value.trim() }),
      ),
    );
  return el(
    'tr',
    { 'data-review': r.id, 'data-state': r.state, class: r.burst ? 'burst' : '' },
    queuedExchanger(r),
    el(
      'td',
      { 'data-label': 'Review' },
      el('span', { class: `badge tone-${r.tone}`, text: r.tone }),
      r.state === 'pending' ? null : el('span', { class: 'badge', text: r.state }),
      r.orderRef ? el('span', { class: 'muted', text: `order ${r.orderRef}` }) : null,
      el('p', { class: 'text', text: r.text }),
      r.rejectReason ? el('p', { class: 'muted', text: `Reason: ${r.rejectReason}` }) : null,
    ),
    marks(r),
    el('td', { 'data-label': 'Posted', text: when(r.createdAt) }),
    el('td', { class: 'actions' }, ...actions),
  );
}

const CLAIM_BUTTONS = {
  accept: (c) => button('Accept', { 'data-accept': c.id }, () => moderate(`/v1/admin/claims/${c.id}/accept`)),
  resolve: (c, note) =>
    button('Resolve', { 'data-resolve': c.id }, () =>
      moderate(`/v1/admin/claims/${c.id}/resolve`, note.value.trim() ? { text: note.value.trim() } : {}),
    ),
  reject: (c, note) =>
    button('Reject', { 'data-reject-claim': c.id, class: 'small danger' }, () =>
      moderate(`/v1/admin/claims/${c.id}/reject`, { reason: note.value.trim() }),
    ),
};

function claimRow(c) {
  const acts = CLAIM_ACTS[c.state] || [];
  const note = reasonBox(c.id, c.state === 'pending' ? 'reason' : 'reason or note');
  const answer = [...c.events].reverse().find((e) => e.action === 'answer' && e.text);
  return el(
    'tr',
    { 'data-claim': c.id, 'data-state': c.state },
    queuedExchanger(c),
    el(
      'td',
      { 'data-label': 'Claim' },
      el('span', { class: 'muted', text: `order ${c.orderRef}` }),
      el('p', { class: 'text', text: c.text }),
      answer ? el('p', { class: 'muted', text: `Answer: ${answer.text}` }) : null,
    ),
    el('td', { 'data-label': 'Amount', class: 'num', text: c.amount ? `${c.amount} ${c.currency ?? ''}`.trim() : '–' }),
    el('td', { 'data-label': 'State' }, el('span', { class: 'badge', text: c.state })),
    el('td', { 'data-label': 'Filed', text: when(c.createdAt) }),
    el(
      'td',
      { class: 'actions' },
      ...(acts.some((a) => a !== 'accept') ? [note] : []),
      ...acts.map((a) => CLAIM_BUTTONS[a](c, note)),
    ),
  );
}

function burstItem(b) {
  const narrow = el('button', {
    type: 'button',
    class: 'link',
    text: `${b.exchanger}: ${plural(b.pending, 'pending review')} in a burst, ${when(b.firstAt)} to ${when(b.lastAt)}`,
  });
  narrow.addEventListener('click', () => {
    moderation.exchanger = b.exchanger;
    void loadModeration(true).catch(() => undefined);
  });
  return el(
    'li',
    { 'data-burst': b.exchanger },
    el('span', { class: 'badge state-failing', text: 'burst' }),
    ' ',
    narrow,
  );
}

/** An operator typing a reason keeps it: the periodic refresh waits until the box is empty and left. */
function typingReason() {
  const active = document.activeElement;
  return (
    (active?.classList.contains('reason') ?? false) ||
    [...document.querySelectorAll('#moderation input.reason')].some((input) => input.value !== '')
  );
}

async function loadModeration(force = false) {
  if (!force && typingReason()) return;
  const [reviews, claims] = await Promise.all([
    getJson(queuePath('reviews', $('review-state').value, moderation.exchanger)),
    getJson(queuePath('claims', $('claim-state').value, moderation.exchanger)),
  ]);
  $('bursts').replaceChildren(...reviews.bursts.map(burstItem));
  $('reviews').tBodies[0].replaceChildren(...reviews.items.map(reviewRow));
  $('claims').tBodies[0].replaceChildren(...claims.items.map(claimRow));
  $('no-reviews').hidden = reviews.items.length > 0;
  $('no-claims').hidden = claims.items.length > 0;
  $('review-exchanger').hidden = !moderation.exchanger;
  $('review-exchanger').textContent = `Only ${moderation.exchanger}: show every exchanger`;
  const counted = (page, word) => `${page.items.length}${page.nextCursor ? '+' : ''} ${word}`;
  $('moderation-summary').textContent = [
    counted(reviews, `${$('review-state').value} reviews`),
    counted(claims, `${$('claim-state').value} claims`),
    reviews.bursts.length ? plural(reviews.bursts.length, 'burst') : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

for (const id of ['review-state', 'claim-state'])
  $(id).addEventListener('change', () => void loadModeration(true).catch(() => undefined));
$('review-exchanger').addEventListener('click', () => {
  moderation.exchanger = '';
  void loadModeration(true).catch(() => undefined);
});

// ---- Filter, sort, links ----

$('filter').addEventListener('input', () => {
  renderFeeds();
  renderExchangers();
});
$('state-filter').addEventListener('change', renderFeeds);
for (const th of $('feeds').querySelectorAll('th[data-sort]'))
  th.querySelector('button').addEventListener('click', () => {
    const key = th.dataset.sort;
    state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
    renderFeeds();
  });
// On a phone the headers are hidden (rows are cards): the same orders from a select, most telling end first.
$('sort-by').addEventListener('change', () => {
  const key = $('sort-by').value;
  state.sort = { key, dir: ['id', 'exchanger', 'state'].includes(key) ? 1 : -1 };
  renderFeeds();
});
runsPanel.querySelector('#runs-close').addEventListener('click', closeRuns);

/** `#feed-N` (the feed links, a bookmark) opens that feed's runs under its row. */
function followHash() {
  const match = /^#feed-(\d+)$/.exec(location.hash);
  if (match) void openRuns(Number(match[1]), true).catch(() => undefined);
}
window.addEventListener('hashchange', followHash);

// ---- Session ----

function showLogin(message) {
  clearInterval(state.timer);
  $('board').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
}

async function showBoard() {
  $('login').hidden = true;
  $('board').hidden = false;
  await Promise.all([loadBoard(), loadModeration(true)]);
  followHash();
  clearInterval(state.timer);
  state.timer = setInterval(() => {
    const open = state.feed;
    void loadBoard()
      .then(() => (open !== null && state.feed === open ? loadRuns(open) : undefined))
      .catch(() => undefined);
    void loadModeration().catch(() => undefined);
  }, 5000);
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY, $('key').value.trim());
  void showBoard().catch(() => undefined);
});
$('logout').addEventListener('click', () => {
  sessionStorage.removeItem(KEY);
  showLogin();
});
if (sessionStorage.getItem(KEY)) void showBoard().catch(() => undefined);
else showLogin();
