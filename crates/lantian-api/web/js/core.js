// Lantian web UI: what every page shares: the API, the language, Beijing time, AQI badges.
import { I18N } from './i18n.js';

export const state = { lang: localStorage.getItem('lang') || 'zh', me: null, county: null };

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

export function badge(a) {
  if (!a || a.aqi == null) return `<span class="badge" style="background:#ccc">${t('no_data')}</span>`;
  const dark = a.level >= 4;
  return `<span class="badge" style="background:${a.colour};color:${dark ? '#fff' : '#000'}">${a.aqi}${a.above_range ? '+' : ''} ${esc(a.category)}</span>`;
}

/** Shows the demo banner when any station is a demo station. */
export function demoBanner(stations) {
  $('#demo-banner').hidden = !stations.some((s) => s.demo);
}
