// Lantian web UI: what every page shares: the API, the language, Beijing time, AQI badges.
import { I18N } from './i18n.js';

/** `routing` counts the router's renderings: a page compares it after each wait, so that a
 * page left before it finished loading stops instead of writing into the next one. */
export const state = { lang: localStorage.getItem('lang') || 'zh', me: null, county: null, routing: 0 };

export const t = (k) => (I18N[state.lang] && I18N[state.lang][k]) || I18N.zh[k] || k;
export const $ = (s) => document.querySelector(s);
export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

/** Calls the JSON API; state changes carry the session's CSRF token. Throws the API's message. */
export async function api(path, opts = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (state.me && opts.method && opts.method !== 'GET') headers['X-CSRF-Token'] = state.me.csrf;
  const r = await fetch('/api/v1' + path + (path.includes('?') ? '&' : '?') + 'lang=' + state.lang, { credentials: 'same-origin', headers, ...opts });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((body.error && body.error.message) || r.statusText);
  return body;
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
 * Sends a file (CSV or xlsx) as the body of a POST with the session's CSRF token and
 * returns the API's JSON answer (an import report); throws the API's message.
 */
export async function upload(path, file) {
  const r = await fetch('/api/v1' + path + (path.includes('?') ? '&' : '?') + 'lang=' + state.lang, {
    method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': state.me ? state.me.csrf : '', 'Content-Type': 'application/octet-stream' }, body: file,
  });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((body.error && body.error.message) || r.statusText);
  return body;
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
