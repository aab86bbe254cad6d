// ratewatch operator page: feed health at a glance, the last runs of a feed, refresh now.
// The admin key lives in this tab's sessionStorage only. Values from the API go in as text.
'use strict';
/* global el -- from dom.js */

const $ = (id) => document.getElementById(id);
const KEY = 'ratewatch.adminKey';
const state = { feed: null, timer: null };

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

/** fresh, stale, failing, maintenance or disabled — what an operator acts on. */
function stateOf(feed) {
  if (!feed.enabled || feed.exchangerStatus !== 'active') return 'disabled';
  if (feed.inMaintenance) return 'maintenance';
  if (feed.consecutiveFailures > 0 && feed.lastStatus === 'error') return 'failing';
  return feed.fresh ? 'fresh' : 'stale';
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

async function loadHealth() {
  const feeds = (await (await api('/v1/admin/feeds/health')).json()).items;
  const counts = {};
  const rows = feeds.map((feed) => {
    const s = stateOf(feed);
    counts[s] = (counts[s] || 0) + 1;
    const refresh = el('button', { type: 'button', class: 'small', 'data-refresh': String(feed.id), text: 'Refresh' });
    refresh.addEventListener('click', (e) => {
      e.stopPropagation();
      void refreshFeed(feed.id, refresh);
    });
    const tr = el(
      'tr',
      { 'data-feed': String(feed.id), class: state.feed === feed.id ? 'selected' : '' },
      el(
        'td',
        { 'data-label': 'Feed' },
        el('a', { href: `#feed-${feed.id}`, text: `#${feed.id}` }),
        ' ',
        el('span', { class: 'muted', text: feed.url }),
      ),
      el('td', { 'data-label': 'Exchanger', text: feed.exchangerSlug }),
      el('td', { 'data-label': 'State' }, el('span', { class: `badge state-${s}`, text: s })),
      el('td', { 'data-label': 'Offers', class: 'num', text: String(feed.offers) }),
      el('td', { 'data-label': 'Last success', text: when(feed.lastSuccessAt) }),
      el('td', {
        'data-label': 'Last error',
        text: feed.lastError ? `${feed.lastError.code}: ${feed.lastError.message}` : '',
      }),
      el('td', {}, refresh),
    );
    tr.addEventListener('click', () => void showRuns(feed));
    return tr;
  });
  $('feeds').tBodies[0].replaceChildren(...rows);
  $('summary').replaceChildren(
    ...['fresh', 'stale', 'failing', 'maintenance', 'disabled']
      .filter((s) => counts[s])
      .map((s) => el('span', { class: `badge state-${s}`, text: `${counts[s]} ${s}` })),
  );
}

/** What the rate guard holds back (reference, deviation, reason), and exchangers held back as a whole. */
async function loadQuarantine() {
  const { items, flagged } = await (await api('/v1/admin/quarantine')).json();
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

async function showRuns(feed) {
  state.feed = feed.id;
  for (const tr of document.querySelectorAll('#feeds tbody tr'))
    tr.classList.toggle('selected', tr.dataset.feed === String(feed.id));
  const runs = (await (await api(`/v1/admin/feeds/${feed.id}/runs?limit=20`)).json()).items;
  $('runs-title').textContent = `Last runs of feed #${feed.id} (${feed.exchangerSlug})`;
  $('runs')
    .querySelector('tbody')
    .replaceChildren(
      ...runs.map((run) => {
        const rejected = (run.rejects || [])
          .slice(0, 5)
          .map((r) => r.reason)
          .join('; ');
        return el(
          'tr',
          {},
          el('td', { 'data-label': 'Started', text: when(run.startedAt) }),
          el('td', { 'data-label': 'Trigger', text: run.trigger }),
          el(
            'td',
            { 'data-label': 'Status' },
            el('span', {
              class: `badge state-${run.status === 'error' ? 'failing' : run.status === 'maintenance' ? 'maintenance' : 'fresh'}`,
              text: run.status,
            }),
          ),
          el('td', { 'data-label': 'Items', class: 'num', text: String(run.items) }),
          el('td', { 'data-label': 'Accepted', class: 'num', text: String(run.accepted) }),
          el('td', { 'data-label': 'Rejected', class: 'num', text: String(run.rejected) }),
          el('td', { 'data-label': 'Held', class: 'num', text: String(run.quarantined ?? 0) }),
          el('td', {
            'data-label': 'Error',
            class: run.error ? 'error' : '',
            text: run.error ? `${run.error.code}: ${run.error.message}` : rejected,
          }),
        );
      }),
    );
  $('runs').hidden = false;
}

async function refreshFeed(id, button) {
  button.disabled = true;
  button.textContent = 'Polling…';
  try {
    await api(`/v1/admin/feeds/${id}/refresh?wait=true`, { method: 'POST' });
    await loadHealth();
    if (state.feed === id)
      await showRuns({
        id,
        exchangerSlug: document.querySelector(`#feeds tr[data-feed="${id}"] td:nth-child(2)`)?.textContent || '',
      });
  } finally {
    button.disabled = false;
    button.textContent = 'Refresh';
  }
}

function showLogin(message) {
  clearInterval(state.timer);
  $('board').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
}

async function showBoard() {
  $('login').hidden = true;
  $('board').hidden = false;
  await Promise.all([loadHealth(), loadQuarantine()]);
  clearInterval(state.timer);
  state.timer = setInterval(() => void Promise.all([loadHealth(), loadQuarantine()]).catch(() => undefined), 5000);
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
