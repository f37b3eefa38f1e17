// Enforcement cases (#/cases): the list with its filters (state, township, origin, violation,
// year), the year's statistics by violation type and township (with the non-site share and
// the fines), the integrity alarms the bureau confirmed that wait for a case (opened from
// here, with their archived packets as evidence), and the bureau's form to open a case by
// hand. Times are Beijing time.
import { $, api, esc, fmt, state, t } from '../core.js';
import { hasAct, opt, townships, unitName, unitsById } from './grid.js';

export const CASE_STATES = ['open', 'investigating', 'decided', 'rectifying', 'closed', 'dismissed'];
export const ORIGINS = ['alarm', 'violation', 'task', 'manual'];
export const VIOLATIONS = ['data_falsification', 'interference', 'exceed_emission', 'warning_noncompliance', 'no_permit', 'open_burning', 'dust', 'other'];
const CASE_COLOUR = { open: '#1769aa', investigating: '#f28e2b', decided: '#6a3d9a', rectifying: '#e6a100', closed: '#2e9e4f', dismissed: '#8c96a0' };

/** A case's state as a coloured tag. */
export const caseTag = (s) => `<span class="tag case-state" data-state="${esc(s)}" style="background:${CASE_COLOUR[s] || '#8c96a0'};color:#fff">${esc(t('cs_' + s))}</span>`;

/** A sum of yuan as people read it (¥ with thousands separators). */
export const yuan = (v) => (v == null ? '—' : '¥' + (Number(v) || 0).toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en', { maximumFractionDigits: 2 }));

/** The API's `*_bj` text (`YYYY-MM-DD HH:MM 北京时间`) with "Beijing time" in the page's language. */
export const bjText = (s) => (s ? `${String(s).replace(/\s*北京时间\s*$/, '')} ${t('bj')}` : '—');

/** The half of a data text written `中文 / English` in the page's language (the whole when not two); error messages go through core.js's `inLang`. */
export function textInLang(s) {
  const text = String(s ?? '');
  const at = text.indexOf(' / ');
  if (at < 0) return text;
  return state.lang === 'zh' ? text.slice(0, at) : text.slice(at + 3);
}

/** The filters of the page's hash (`#/cases?state=…&township=…&origin=…&violation=…&year=…`). */
function filters(rest) {
  const q = new URLSearchParams(rest.replace(/^\?/, ''));
  const f = {};
  for (const k of ['state', 'township', 'origin', 'violation', 'year']) f[k] = q.get(k) || '';
  return f;
}

const qs = (f) => new URLSearchParams(Object.entries(f).filter(([, v]) => v)).toString();

/** A township's name, or "none" for the statistics' key `-`. */
const townName = (units, id) => (!id || id === '-' ? t('cs_no_township') : unitName(units, id));

export async function casesPage(rest = '') {
  const gen = state.routing;
  const f = filters(rest);
  const q = qs(f);
  const may = hasAct('manage_cases');
  // The bureau also sees the confirmed alarms that wait for a case (and the alarm cases, to leave those out).
  const [units, r, stats, alarms, alarmCases] = await Promise.all([
    unitsById(),
    api('/cases?' + (q ? q + '&' : '') + 'per_page=500'),
    api('/cases/stats' + (f.year ? '?year=' + encodeURIComponent(f.year) : '')),
    may && hasAct('see_integrity') ? api('/alarms?state=confirmed&per_page=200').catch(() => ({ items: [] })) : { items: [] },
    may ? api('/cases?origin=alarm&per_page=1000') : { cases: [] },
  ]);
  if (gen !== state.routing) return;
  const items = r.cases || [];
  const towns = townships(units);
  const taken = new Set((alarmCases.cases || []).filter((c) => c.state !== 'dismissed').map((c) => String(c.origin_ref)));
  const waiting = (alarms.items || []).filter((a) => !taken.has(String(a.id)));
  const select = (id, k, values, label) => `<label>${t(label)} <select id="${id}" data-f="${k}"><option value="">${t('all')}</option>${values.map(([v, l]) => opt(v, l, f[k])).join('')}</select></label>`;
  $('#view').innerHTML = `<h2>${t('cs_title')}</h2><p class="muted">${t('cs_note')}</p>
    <form id="case-filters" class="filters">
      ${select('cf-state', 'state', CASE_STATES.map((s) => [s, t('cs_' + s)]), 'status')}
      ${select('cf-township', 'township', towns.map((u) => [u.id, unitName(units, u.id)]), 'unit')}
      ${select('cf-origin', 'origin', ORIGINS.map((o) => [o, t('co_' + o)]), 'cs_origin')}
      ${select('cf-violation', 'violation', VIOLATIONS.map((v) => [v, t('cv_' + v)]), 'cs_violation')}
      <label>${t('year')} <input id="cf-year" data-f="year" type="number" min="2000" max="2100" value="${esc(f.year)}" placeholder="${esc(stats.year)}" style="width:6em"></label></form>
    <div class="table-wrap">${items.length ? `<table id="case-table"><thead><tr><th>${t('cs_no')}</th><th>${t('cs_opened')}</th><th>${t('cs_origin')}</th><th>${t('cs_case_title')}</th><th>${t('cs_violation')}</th>
      <th>${t('cs_subject')}</th><th>${t('unit')}</th><th>${t('status')}</th><th>${t('cs_deadline')}</th><th class="num">${t('cs_fine')}</th></tr></thead><tbody>
      ${items.map((c) => `<tr data-id="${c.id}" data-state="${esc(c.state)}"><td class="nowrap"><a href="#/case/${c.id}">${esc(c.case_no)}</a></td><td class="nowrap">${esc(bjText(c.created_bj))}</td>
        <td class="nowrap">${esc(t('co_' + c.origin))}${c.non_site ? ` <span class="tag info non-site">${t('cs_non_site')}</span>` : ''}</td><td>${esc(c.title)}</td>
        <td>${esc(t('cv_' + c.violation))}</td><td>${esc(c.subject_name || '—')}</td><td class="nowrap">${esc(c.township ? unitName(units, c.township) : '—')}</td>
        <td>${caseTag(c.state)}</td><td class="nowrap">${c.deadline_bj ? esc(bjText(c.deadline_bj)) : '—'}</td><td class="num">${yuan(c.fine_yuan)}</td></tr>`).join('')}</tbody></table>
        <p class="muted">${t('cs_total')} ${r.total ?? items.length}</p>` : `<p class="muted" id="case-none">${t('cs_none')}</p>`}</div>
    <h3>${t('cs_stats')} ${esc(stats.year)}</h3>
    <div class="card kv" id="case-stats-head" data-cases="${stats.cases}" data-fines="${stats.fine_yuan}"><div>${t('cs_n')}${t('colon')}${stats.cases}</div><div>${t('cs_closed_n')}${t('colon')}${stats.closed}</div>
      <div>${t('cs_non_site')}${t('colon')}${stats.non_site}${stats.non_site_share != null ? ` (${fmt(stats.non_site_share * 100, 0)}%)` : ''}</div><div>${t('cs_fines')}${t('colon')}${yuan(stats.fine_yuan)}</div></div>
    <div class="two-cols"><div class="table-wrap">${countTable('case-by-violation', t('cs_violation'), stats.by_violation, (c) => t('cv_' + c.key))}</div>
      <div class="table-wrap">${countTable('case-by-township', t('unit'), stats.by_township, (c) => townName(units, c.key))}</div></div>
    ${may && hasAct('see_integrity') ? `<h3>${t('cs_from_alarms')}</h3><p class="muted">${t('cs_from_alarms_note')}</p>
      <div class="table-wrap">${waiting.length ? `<table id="case-alarms"><thead><tr><th>#</th><th>${t('station')}</th><th>${t('pollutant')}</th><th>${t('ig_rule')}</th><th>${t('cs_alarm_hours')}</th><th>${t('action')}</th></tr></thead><tbody>
        ${waiting.map((a) => `<tr data-alarm="${a.id}"><td><a href="#/alarms/${a.id}">${a.id}</a></td><td>${esc(a.station_name || a.station)}</td><td>${esc(a.pollutant || '—')}</td>
          <td>${esc(state.lang === 'zh' ? a.rule_zh : a.rule_en || a.rule_zh)}</td><td class="nowrap">${esc(a.start)}${a.end && a.end !== a.start ? ` – ${esc(a.end)}` : ''} ${t('bj')}</td>
          <td><form class="inline case-from-alarm" data-alarm="${a.id}"><input class="cfa-note" maxlength="4000" placeholder="${esc(t('cs_note_optional'))}">
            <button class="primary" type="submit">${t('cs_open_case')}</button></form></td></tr>`).join('')}</tbody></table>`
        : `<p class="muted" id="case-alarms-none">${t('cs_no_alarms')}</p>`}</div><p id="case-alarm-error" class="error"></p>` : ''}
    ${may ? `<h3>${t('cs_open_manual')}</h3><form id="case-form" class="row">
      <label>${t('cs_case_title')} <input data-k="title" required maxlength="200"></label>
      <label>${t('cs_violation')} <select data-k="violation">${VIOLATIONS.map((v) => opt(v, t('cv_' + v), 'other')).join('')}</select></label>
      <label>${t('cs_subject_kind')} <select data-k="subject_kind"><option value="">—</option>${['enterprise', 'contractor'].map((k) => opt(k, t('csk_' + k), '')).join('')}</select></label>
      <label>${t('cs_subject_id')} <input data-k="subject_id" maxlength="64"></label>
      <label>${t('unit')} <select data-k="township"><option value="">—</option>${towns.map((u) => opt(u.id, unitName(units, u.id), '')).join('')}</select></label>
      <label><input type="checkbox" data-k="non_site"> ${t('cs_non_site')}</label>
      <label class="block">${t('cs_summary')} <textarea data-k="summary" rows="2" maxlength="4000"></textarea></label>
      <button class="primary" type="submit">${t('submit')}</button><span id="case-form-error" class="error"></span></form>` : ''}`;
  $('#case-filters').querySelectorAll('[data-f]').forEach((el) => {
    el.onchange = () => {
      const nf = {};
      $('#case-filters').querySelectorAll('[data-f]').forEach((x) => { nf[x.dataset.f] = x.value; });
      const s = qs(nf);
      location.hash = '#/cases' + (s ? '?' + s : '');
    };
  });
  document.querySelectorAll('form.case-from-alarm').forEach((form) => {
    form.onsubmit = async (e) => {
      e.preventDefault();
      const btn = form.querySelector('button');
      btn.disabled = true;
      try {
        const c = await api(`/cases/from-alarm/${form.dataset.alarm}`, { method: 'POST', body: JSON.stringify({ note: form.querySelector('.cfa-note').value.trim() }) });
        location.hash = '#/case/' + c.id;
      } catch (err) { $('#case-alarm-error').textContent = err.message; btn.disabled = false; }
    };
  });
  if ($('#case-form')) {
    $('#case-form').onsubmit = async (e) => {
      e.preventDefault();
      const body = {};
      e.target.querySelectorAll('[data-k]').forEach((el) => {
        const v = el.type === 'checkbox' ? el.checked : el.value.trim();
        if (v !== '') body[el.dataset.k] = v;
      });
      try {
        const c = await api('/cases', { method: 'POST', body: JSON.stringify(body) });
        location.hash = '#/case/' + c.id;
      } catch (err) { $('#case-form-error').textContent = err.message; }
    };
  }
}

/** A count table (cases, closed, fines) under one key. */
function countTable(id, head, rows, name) {
  if (!rows || !rows.length) return `<p class="muted">${t('cs_none')}</p>`;
  return `<table id="${id}"><thead><tr><th>${esc(head)}</th><th class="num">${t('cs_n')}</th><th class="num">${t('cs_closed_n')}</th><th class="num">${t('cs_fines')}</th></tr></thead><tbody>
    ${rows.map((c) => `<tr data-key="${esc(c.key)}"><td>${esc(name(c))}</td><td class="num">${c.cases}</td><td class="num">${c.closed}</td><td class="num">${yuan(c.fine_yuan)}</td></tr>`).join('')}</tbody></table>`;
}
