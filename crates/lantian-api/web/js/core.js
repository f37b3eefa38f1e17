// Lantian web UI: what every page shares: the API, the language, Beijing time, AQI badges.
import { I18N } from './i18n.js';

/** `routing` counts the router's renderings: a page compares it after each wait, so that a
 * page left before it finished loading stops instead of writing into the next one. */
export const state = { lang: localStorage.getItem('lang') || 'zh', me: null, county: null, routing: 0 };

export const t = (k) => (I18N[state.lang] && I18N[state.lang][k]) || I18N.zh[k] || k;
export const $ = (s) => document.querySelector(s);
export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

const HAN = /[\u3400-\u9fff\uf900-\ufaff]/;

/**
 * The API's message in the reader's language only. The API writes `中文 / English` (one
 * place decides it: here); a message in the other language only, or none, becomes the
 * page's own words for the HTTP status, so a page never mixes the two languages.
 */
export function inLang(message, status) {
  const m = String(message || '');
  // The separator is the first ` / ` (or `）/ `) after which no Chinese follows.
  const re = /\s*\/\s+/g;
  let hit;
  while ((hit = re.exec(m))) {
    const left = m.slice(0, hit.index);
    const right = m.slice(hit.index + hit[0].length);
    if (!HAN.test(left) || HAN.test(right)) continue;
    if (state.lang === 'zh') return left.trim();
    // Text before the first Chinese character (an id, a row number) belongs to both.
    const shared = left.slice(0, left.search(HAN)).replace(/[\s:：]+$/, '');
    return (shared ? shared + ': ' : '') + right.trim();
  }
  const chinese = HAN.test(m);
  if (m && (state.lang === 'zh') === chinese) return m;
  const generic = t('err_' + status);
  return generic === 'err_' + status ? `${t('err_other')} (HTTP ${status || '—'})` : generic;
}

/** A refused answer as an Error in the reader's language, carrying its status. */
async function failure(r) {
  const body = await r.json().catch(() => ({}));
  const e = new Error(inLang(body.error && body.error.message, r.status));
  e.status = r.status;
  e.code = body.error && body.error.code;
  return e;
}

/** A request that never got an answer (the server or the network is down). */
function unreachable() {
  const e = new Error(t('err_network'));
  e.status = 0;
  return e;
}

/**
 * The session as the server has it now, shared by every tab (one cookie): re-read when a
 * tab opens, regains focus or hears from another tab; `onSession` (main.js) redraws the
 * menu and the page when who is logged in changed.
 */
export const session = { onChange: null, channel: ('BroadcastChannel' in window) ? new BroadcastChannel('lantian-session') : null };

export async function refreshMe() {
  // The first read of a page load learns who is logged in: no change to report.
  const first = !session.read;
  session.read = true;
  const before = state.me ? state.me.username + '|' + state.me.csrf : '';
  let me = state.me;
  try {
    const r = await fetch('/api/v1/me?lang=' + state.lang, { credentials: 'same-origin' });
    if (r.ok) me = (await r.json()).user;
    else if (r.status === 401) me = null;
  } catch { /* offline: keep what we had */ }
  state.me = me;
  const after = me ? me.username + '|' + me.csrf : '';
  if (before !== after && session.onChange) session.onChange(before.split('|')[0] !== after.split('|')[0], first);
  return me;
}

/** Tells the other tabs that the session changed (login, logout). */
export function announceSession(what) {
  if (session.channel) session.channel.postMessage(what);
  // Browsers without BroadcastChannel hear a storage event instead.
  try { localStorage.setItem('lantian-session', what + ' ' + Date.now()); } catch { /* private mode */ }
}

async function send(path, opts, body) {
  const url = '/api/v1' + path + (path.includes('?') ? '&' : '?') + 'lang=' + state.lang;
  const go = () => {
    const headers = { ...(opts.headers || {}) };
    if (state.me && opts.method && opts.method !== 'GET') headers['X-CSRF-Token'] = state.me.csrf;
    return fetch(url, { credentials: 'same-origin', ...opts, headers, body }).catch(() => { throw unreachable(); });
  };
  let r = await go();
  // Another tab logged in again (a new session, a new token) or out: read the session once
  // more and, if it is still there with a new token, repeat the state change.
  if (opts.method && opts.method !== 'GET' && (r.status === 403 || r.status === 401)) {
    const old = state.me && state.me.csrf;
    const clone = r.clone();
    const code = await clone.json().then((b) => b.error && b.error.message).catch(() => '');
    if (r.status === 401 || /CSRF/.test(code || '')) {
      const me = await refreshMe();
      if (me && me.csrf !== old) r = await go();
    }
  }
  return r;
}

/** Calls the JSON API; state changes carry the session's CSRF token. Throws the API's message in the reader's language. */
export async function api(path, opts = {}) {
  const r = await send(path, { ...opts, headers: { 'Content-Type': 'application/json', ...(opts.headers || {}) } }, opts.body);
  if (!r.ok) throw await failure(r);
  return r.json().catch(() => ({}));
}

/** The largest page the API gives (`per_page` 1-1000). */
export const PER_PAGE_MAX = 1000;

/**
 * Every row of a paged list (`{[key]: [...], total, page, per_page}`), asked for a page of
 * 1000 at a time: for the views that show or compute over a whole list that stays in the
 * hundreds (a county's stations, devices, sites); logs that grow with time are walked with
 * [`pager`] instead. Answers the first page's object with `key` holding every row.
 */
export async function apiAll(path, key = 'items') {
  const sep = path.includes('?') ? '&' : '?';
  const first = await api(`${path}${sep}per_page=${PER_PAGE_MAX}`);
  const rows = [...(first[key] || [])];
  const pages = Math.ceil((first.total || 0) / PER_PAGE_MAX);
  for (let p = 2; p <= pages; p += 1) {
    const r = await api(`${path}${sep}per_page=${PER_PAGE_MAX}&page=${p}`);
    rows.push(...(r[key] || []));
  }
  return { ...first, [key]: rows };
}

/**
 * The 上一页 / 下一页 control of a paged answer `r` (`{total, page, per_page}`), with where
 * the page is in the list; `id` names it. Nothing when the list fits on one page. Wire it
 * with [`wirePager`].
 */
export function pager(r, id) {
  const page = r.page || 1;
  const pages = Math.max(1, Math.ceil((r.total || 0) / (r.per_page || 1)));
  if (pages <= 1 && page <= 1) return '';
  const where = t('pg_where').replace('{p}', page).replace('{n}', pages).replace('{t}', r.total || 0);
  return `<p class="filters pager" id="${id}"><button type="button" data-page="${page - 1}"${page <= 1 ? ' disabled' : ''}>${t('adm_prev')}</button>
    <span class="pager-where">${esc(where)}</span>
    <button type="button" data-page="${page + 1}"${page >= pages ? ' disabled' : ''}>${t('adm_next')}</button></p>`;
}

/** Makes the buttons of the pagers under `root` call `go(page)`. */
export function wirePager(root, go) {
  root.querySelectorAll('.pager button[data-page]').forEach((b) => { b.onclick = () => go(Number(b.dataset.page)); });
}

/** A time as Beijing time: `text` is what the API sends (`YYYY-MM-DD HH:MM`, already Beijing time). */
export const bj = (text) => (text ? `${text} ${t('bj')}` : '');

const HOUR_MS = 3600e3;
const DAY_MS = 24 * HOUR_MS;
/** China Standard Time is UTC+8 all year (no daylight saving since 1991). */
const CST_OFFSET_MS = 8 * HOUR_MS;

/** Today's date in Beijing (`YYYY-MM-DD`), whatever the browser's zone. */
export const bjToday = () => new Date(Date.now() + CST_OFFSET_MS).toISOString().slice(0, 10);

/** `date` (`YYYY-MM-DD`) moved by `n` days. */
export const addDays = (date, n) => new Date(Date.parse(date + 'T00:00:00Z') + n * DAY_MS).toISOString().slice(0, 10);

/**
 * The hour that starts at `start` (`YYYY-MM-DD HH:MM`, Beijing time, as the API sends it) as
 * the span people read: `HH:00–HH:00`, ending with 24:00 for the day's last hour; with the
 * date when `withDate`.
 */
export function hourSpan(start, withDate = false) {
  if (!start) return '';
  const h = Number(start.slice(11, 13));
  const span = `${start.slice(11, 16)}–${String(h + 1).padStart(2, '0')}:00`;
  return withDate ? `${start.slice(0, 10)} ${span}` : span;
}

/** A number with `digits` decimals, or — when there is none. */
export const fmt = (v, digits = 1) => (v == null || Number.isNaN(v) ? '—' : Number(v).toFixed(digits));

/**
 * Sends a file (CSV, xlsx, evidence) as the body of a POST with the session's CSRF token
 * and `headers` (e.g. `X-Filename`), and returns the API's JSON answer; throws the API's
 * message in the reader's language (a refused size, 413, too).
 */
export async function upload(path, file, headers = {}) {
  const r = await send(path, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream', ...headers } }, file);
  if (!r.ok) throw await failure(r);
  return r.json().catch(() => ({}));
}

export function badge(a) {
  if (!a || a.aqi == null) return `<span class="badge" style="background:#ccc">${t('no_data')}</span>`;
  const dark = a.level >= 4;
  return `<span class="badge" style="background:${a.colour};color:${dark ? '#fff' : '#000'}">${a.aqi}${a.above_range ? '+' : ''} ${esc(a.category)}</span>`;
}

/** Shows the demo banner when any station is a demo station. */
export function demoBanner(stations) {
  $('#demo-banner').hidden = !stations.some((s) => s.demo);
}

/** Loads the vendored ECharts once (a script of this origin: the CSP allows no other). */
export function loadEcharts() {
  if (window.echarts) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/vendor/echarts/echarts.min.js';
    s.onload = resolve;
    s.onerror = () => reject(new Error('ECharts: /vendor/echarts/echarts.min.js did not load'));
    document.head.append(s);
  });
}
