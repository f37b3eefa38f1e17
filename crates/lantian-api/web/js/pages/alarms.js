// Data-quality alarms (数据质量告警): the list with its filters, an alarm with its why, figures
// and evidence chart (the station against its neighbours, humidity on a second axis, the
// episode shaded), the three-level review, work orders from the alarm; the month's audit
// close; and the bureau's corrections panel of the station page. Times are Beijing time.
import { $, api, bj, esc, fmt, pager, state, t, wirePager } from '../core.js';

const HOUR_S = 3600;
const DAY_S = 86400;

/**
 * The acts (from the session, decided by `lantian_app::caller::policy`) that show each
 * control; the API decides again on every request. Reviews follow the alarm's
 * `review_level`; closing a work order its `may_close` when the API sends it.
 */
export const ACT = {
  see: 'see_integrity',
  scan: 'scan_integrity',
  open_order: 'open_work_orders',
  correct: 'correct_data',
  close_month: 'close_months',
};

/**
 * Whether the session's account may do `act`. A server whose sessions list none of these
 * acts yet shows the controls to every account and lets the API refuse.
 */
export function can(act) {
  if (!state.me) return false;
  const acts = state.me.acts || [];
  return Object.values(ACT).some((a) => acts.includes(a)) ? acts.includes(act) : true;
}

export const SEVERITIES = ['critical', 'warning', 'info'];
export const ALARM_STATES = ['open', 'confirmed', 'false_positive', 'site_visit'];
export const OUTCOMES = ['confirm', 'false_positive', 'site_visit'];
const POLLUTANTS = ['PM2.5', 'PM10', 'SO2', 'NO2', 'CO', 'O3'];
/** The rows a list page shows (the API's page size: 上一页 / 下一页 walk the rest; the exports
 * have every row). */
export const LIST_ROWS_MAX = 500;
/** Corrections per page of the station page's panel (newest first). */
const CORRECTIONS_PER_PAGE = 50;

/** A severity's badge in its colour. */
export const sevBadge = (s) => (!s ? '—' : `<span class="badge sev-${esc(s)}" data-severity="${esc(s)}">${esc(t('sev_' + s))}</span>`);

/** An alarm's state as a tag. */
export const stateTag = (s) => `<span class="tag alarm-${esc(s)}" data-state="${esc(s)}">${esc(t('as_' + s))}</span>`;

/** The tabs shared by the integrity and operations pages; `here` is the current one. */
export function tabs(here) {
  const all = [['alarms', '#/alarms', 'nav_alarms'], ['rules', '#/rules', 'ig_rules'], ['workorders', '#/workorders', 'nav_workorders'], ['operations', '#/operations', 'op_title']];
  return `<p class="tabs">${all.map(([k, href, key]) => `<a href="${href}" class="${k === here ? 'here' : ''}" data-tab="${k}">${esc(t(key))}</a>`).join('')}</p>`;
}

/** `YYYY-MM-DD HH:MM` (Beijing time) as seconds of that wall-clock time read in UTC. */
const wallSeconds = (text) => Date.parse(text.slice(0, 10) + 'T' + (text.slice(11, 16) || '00:00') + ':00Z') / 1000;

/** The stations' names by id, for filters and legends (empty when the list is not readable). */
export async function stationNames() {
  const r = await api('/stations?per_page=1000').catch(() => ({ items: [] }));
  return new Map((r.items || []).map((s) => [s.id, s.name]));
}

/** The rule's name in the reader's language: ours from the rules list, else the API's. */
const ruleName = (rules, rule, zh, en) => {
  const r = rules.get(rule);
  if (r) return state.lang === 'zh' ? r.name_zh : r.name_en || r.name_zh;
  return state.lang === 'zh' ? zh || rule : en || zh || rule;
};

/** An episode's first and last hour labels; the day once when both are on it. */
const episode = (a) => (!a.end || a.end === a.start ? a.start : a.end.slice(0, 10) === a.start.slice(0, 10) ? `${a.start} – ${a.end.slice(11)}` : `${a.start} – ${a.end}`);

/** `#/alarms?…` and `#/alarms/{id}`. */
export async function alarmsPage(rest) {
  const m = rest.match(/^\/(\d+)/);
  if (m) return alarmPage(Number(m[1]));
  return listPage(new URLSearchParams(rest.replace(/^\?/, '')));
}

async function listPage(params) {
  const gen = state.routing;
  $('#view').innerHTML = `${tabs('alarms')}<h2>${t('nav_alarms')}</h2><p class="muted">${t('ig_list_note')}</p><div id="alarm-filters"></div>
    <div id="alarm-list">${t('loading')}</div><div id="scan-card"></div><div id="audit-months"></div>`;
  const [names, rulesList] = await Promise.all([stationNames(), api('/integrity/rules').catch(() => [])]);
  if (gen !== state.routing) return;
  const rules = new Map(rulesList.map((r) => [r.rule, r]));
  const opt = (v, label, sel) => `<option value="${esc(v)}"${sel === v ? ' selected' : ''}>${esc(label)}</option>`;
  const p = (k) => params.get(k) || '';
  $('#alarm-filters').innerHTML = `<form class="filters" id="alarm-filter-form">
    <label>${t('station')} <select id="f-station">${opt('', t('all'), p('station'))}${[...names].map(([id, n]) => opt(id, n, p('station'))).join('')}</select></label>
    <label>${t('ig_rule')} <select id="f-rule">${opt('', t('all'), p('rule'))}${rulesList.map((r) => opt(r.rule, ruleName(rules, r.rule), p('rule'))).join('')}</select></label>
    <label>${t('status')} <select id="f-state">${opt('', t('all'), p('state'))}${ALARM_STATES.map((s) => opt(s, t('as_' + s), p('state'))).join('')}</select></label>
    <label>${t('ig_severity')} <select id="f-severity">${opt('', t('all'), p('severity'))}${SEVERITIES.map((s) => opt(s, t('sev_' + s), p('severity'))).join('')}</select></label>
    <label>${t('ig_from')} <input id="f-from" type="date" value="${esc(p('from'))}"></label>
    <label>${t('ig_to')} <input id="f-to" type="date" value="${esc(p('to'))}"></label></form>`;
  // Every filter is in the address, so a filtered list can be bookmarked and sent.
  const apply = () => {
    const q = new URLSearchParams();
    for (const [k, sel] of [['station', '#f-station'], ['rule', '#f-rule'], ['state', '#f-state'], ['severity', '#f-severity'], ['from', '#f-from'], ['to', '#f-to']]) {
      if ($(sel).value) q.set(k, $(sel).value);
    }
    location.hash = '#/alarms' + (q.toString() ? '?' + q : '');
  };
  document.querySelectorAll('#alarm-filter-form select, #alarm-filter-form input').forEach((el) => { el.onchange = apply; });
  const q = new URLSearchParams();
  for (const k of ['station', 'rule', 'state', 'severity', 'from', 'to']) if (p(k)) q.set(k, p(k));
  const exportQ = '/api/v1/alarms?' + q + (q.toString() ? '&' : '');
  const page = Math.max(1, Number(p('page')) || 1);
  const filtered = new URLSearchParams(q);
  q.set('per_page', String(LIST_ROWS_MAX));
  q.set('page', String(page));
  const list = await api('/alarms?' + q);
  if (gen !== state.routing) return;
  const items = list.items || [];
  const total = list.total ?? items.length;
  $('#alarm-list').innerHTML = `<p class="muted filters" id="alarm-total">${t('ig_total')}${t('colon')}${total}
    · <a id="alarms-csv" href="${exportQ}format=csv">CSV</a> · <a id="alarms-xlsx" href="${exportQ}format=xlsx">Excel</a></p>
    <div class="table-wrap"><table id="alarm-table"><thead><tr><th>${t('ig_severity')}</th><th>${t('station')}</th><th>${t('pollutant')}</th><th>${t('ig_rule')}</th>
    <th>${t('ig_episode')}（${t('bj')}）</th><th>${t('ig_why')}</th><th>${t('status')}</th><th class="num">${t('ig_reviews_n')}</th></tr></thead><tbody>
    ${items.map((a) => `<tr data-id="${a.id}" class="sev-row-${esc(a.severity)}"><td>${sevBadge(a.severity)}</td>
      <td class="nowrap"><a href="#/station/${encodeURIComponent(a.station)}">${esc(a.station_name || names.get(a.station) || a.station)}</a></td><td>${esc(a.pollutant || '—')}</td>
      <td class="keep">${esc(ruleName(rules, a.rule, a.rule_zh, a.rule_en))}</td><td class="nowrap">${esc(episode(a))}</td>
      <td class="why"><a class="alarm-link" href="#/alarms/${a.id}">${esc(a.why)}</a></td><td>${stateTag(a.state)}${a.declared ? ` <span class="tag info" data-declared="${esc(a.declared)}" title="${esc(t('dlk_' + a.declared))}">${t('dl_declared_tag')}</span>` : ''}</td><td class="num">${a.reviews_n ?? 0}</td></tr>`).join('')
      || `<tr><td colspan="8">${t('ig_none')}</td></tr>`}</tbody></table></div>${pager(list, 'alarm-pages')}`;
  // The page is in the address too, beside the filters.
  wirePager($('#alarm-list'), (n) => {
    if (n > 1) filtered.set('page', String(n));
    location.hash = '#/alarms' + (filtered.toString() ? '?' + filtered : '');
  });
  if (can(ACT.scan)) scanCard();
  if (can(ACT.close_month)) await auditMonths(gen);
}

/** The bureau runs the rules over a span of days (new alarms, or longer episodes). */
function scanCard() {
  $('#scan-card').innerHTML = `<section class="card"><h3>${t('ig_scan')}</h3><form class="filters" id="scan-form">
    <label>${t('ig_from')} <input id="scan-from" type="date" required></label> <label>${t('ig_to')} <input id="scan-to" type="date" required></label>
    <button type="submit" class="primary">${t('ig_scan_run')}</button> <span id="scan-result" role="status"></span></form></section>`;
  $('#scan-form').onsubmit = async (e) => {
    e.preventDefault();
    const out = $('#scan-result');
    try {
      const r = await api('/integrity/scan', { method: 'POST', body: JSON.stringify({ from: $('#scan-from').value, to: $('#scan-to').value }) });
      out.className = 'notice';
      out.textContent = `${t('ig_scan_new')} ${r.alarms_new} · ${t('ig_scan_extended')} ${r.alarms_extended}`;
    } catch (err) {
      out.className = 'error';
      out.textContent = err.message;
    }
  };
}

/** The monthly audit (HJ 633 §5.1.5): each month's state, and closing an open one. */
async function auditMonths(gen) {
  const r = await api('/audit-months').catch((err) => ({ error: err.message }));
  if (gen !== state.routing) return;
  if (r.error) { $('#audit-months').innerHTML = `<p class="error">${esc(r.error)}</p>`; return; }
  const months = Array.isArray(r) ? r : r.items || [];
  const closed = (m) => !!(m.closed || m.closed_at || m.state === 'closed');
  $('#audit-months').innerHTML = `<section class="card" id="audit-card"><h3>${t('ig_audit')}</h3><p class="muted">${t('ig_audit_note')}</p>
    <div class="table-wrap"><table id="audit-table"><thead><tr><th>${t('month')}</th><th>${t('status')}</th><th>${t('ig_closed_at')}（${t('bj')}）</th><th>${t('actor')}</th><th></th></tr></thead><tbody>
    ${months.map((m) => `<tr data-month="${esc(m.month)}"><td>${esc(m.month)}</td><td>${closed(m) ? `<span class="tag ok">${t('ig_month_closed')}</span>` : `<span class="tag info">${t('ig_month_open')}</span>`}</td>
      <td class="nowrap">${esc(m.closed || m.closed_at || '')}</td><td>${esc(m.closed_by || m.who || '')}</td>
      <td>${closed(m) ? '' : `<button type="button" class="secondary close-month" data-month="${esc(m.month)}">${t('ig_close_month')}</button>`}</td></tr>`).join('')
      || `<tr><td colspan="5">${t('ig_no_months')}</td></tr>`}</tbody></table></div>
    <form class="filters" id="close-month-form"><label>${t('month')} <input id="close-month" type="month"></label>
    <button type="submit" class="secondary">${t('ig_close_month')}</button> <span id="close-month-result" role="status"></span></form></section>`;
  const close = async (month) => {
    if (!month || !window.confirm(t('ig_close_confirm').replace('{month}', month))) return;
    const out = $('#close-month-result');
    try {
      await api(`/audit-months/${encodeURIComponent(month)}/close`, { method: 'POST', body: '{}' });
      await auditMonths(state.routing);
      $('#close-month-result').className = 'notice';
      $('#close-month-result').textContent = t('ig_month_closed') + ' ' + month;
    } catch (err) {
      out.className = 'error';
      out.textContent = err.message;
    }
  };
  document.querySelectorAll('#audit-table .close-month').forEach((b) => { b.onclick = () => close(b.dataset.month); });
  $('#close-month-form').onsubmit = (e) => { e.preventDefault(); close($('#close-month').value); };
}

async function alarmPage(id) {
  const gen = state.routing;
  $('#view').innerHTML = `${tabs('alarms')}<p><a href="#/alarms">← ${t('nav_alarms')}</a></p><div id="alarm-head">${t('loading')}</div>
    <section class="card"><h3>${t('ig_evidence')}</h3><div id="alarm-chart"></div><p class="muted" id="alarm-chart-note"></p></section>
    <section class="card"><h3>${t('ig_reviews')}</h3><div id="reviews"></div><div id="review-form-box"></div></section>
    <section class="card"><h3>${t('nav_workorders')}</h3><div id="alarm-orders"></div><div id="order-form-box"></div></section>`;
  const [d, names, rulesList] = await Promise.all([api(`/alarms/${id}`), stationNames(), api('/integrity/rules').catch(() => [])]);
  if (gen !== state.routing) return;
  const rules = new Map(rulesList.map((r) => [r.rule, r]));
  const a = d.alarm;
  const why = state.lang === 'zh' ? a.why_zh || a.why : a.why_en || a.why;
  const neighbours = (a.neighbours || []).map((n) => esc(names.get(n) || n)).join(t('sep'));
  $('#alarm-head').innerHTML = `<h2>${t('ig_alarm')} #${a.id} ${sevBadge(a.severity)} ${stateTag(a.state)}</h2>
    <p class="why-sentence" id="alarm-why">${esc(why)}</p>
    <div class="kv"><div>${t('station')}${t('colon')}<a href="#/station/${encodeURIComponent(a.station)}">${esc(a.station_name || names.get(a.station) || a.station)}</a></div>
    <div>${t('pollutant')}${t('colon')}${esc(a.pollutant || '—')}</div><div>${t('ig_rule')}${t('colon')}${esc(ruleName(rules, a.rule, a.rule_zh, a.rule_en))}</div>
    <div>${t('ig_episode')}${t('colon')}${esc(episode(a))} ${t('bj')}${a.hours ? `（${a.hours} ${t('w_hours')}）` : ''}</div>
    ${can(ACT.correct) ? `<div><a id="to-corrections" href="#/station/${encodeURIComponent(a.station)}">${t('ig_to_corrections')} →</a></div>` : ''}
    <div class="wide">${t('ig_neighbours')}${t('colon')}${neighbours || '—'}${d.evidence && (d.evidence.hidden || []).length ? ` <span class="muted">（${t('ig_hidden')}${t('colon')}${d.evidence.hidden.length}）</span>` : ''}</div></div>
    ${(a.figures || []).length ? `<h5>${t('ig_figures')}</h5><table id="alarm-figures" class="figures"><tbody>${a.figures.map((f) => `<tr><th><code>${esc(f.name)}</code></th><td class="num">${esc(typeof f.value === 'number' ? +f.value.toFixed(3) : f.value)}</td></tr>`).join('')}</tbody></table>` : ''}`;
  drawAlarmEvidence($('#alarm-chart'), a, d.evidence || { hours: [], series: {} }, names);
  reviewsList(d.reviews || []);
  ordersList(a.id, d.work_orders || []);
  if (d.review_level) reviewForm(id, d.review_level, (d.reviews || []).some((r) => r.level === d.review_level));
  if (can(ACT.open_order)) orderForm(a);
  escalation(a);
}

/** The handover of a confirmed alarm to enforcement (移送执法): shown once made; offered to
 * the bureau (who may correct data) while the alarm is confirmed and not yet handed over. */
function escalation(a) {
  const box = document.createElement('div');
  box.id = 'escalation';
  $('#alarm-head').append(box);
  if (a.escalation) {
    const e = a.escalation;
    box.innerHTML = `<p class="notice">${t('ig_escalated')}${t('colon')}${esc(e.at)} ${t('bj')} · ${esc(e.who)}${e.note ? ` · ${esc(e.note)}` : ''}</p>`;
    return;
  }
  if (a.state !== 'confirmed' || !can(ACT.correct)) return;
  box.innerHTML = `<form id="escalate-form" class="inline"><input id="escalate-note" placeholder="${esc(t('ig_escalate_note'))}">
    <button type="submit" class="secondary">${t('ig_escalate')}</button><span id="escalate-result" role="status"></span></form>`;
  $('#escalate-form').onsubmit = async (ev) => {
    ev.preventDefault();
    try {
      await api(`/alarms/${a.id}/escalate`, { method: 'POST', body: JSON.stringify({ note: $('#escalate-note').value.trim() }) });
      await alarmPage(a.id);
    } catch (err) {
      $('#escalate-result').className = 'error';
      $('#escalate-result').textContent = err.message;
    }
  };
}

function reviewsList(reviews) {
  $('#reviews').innerHTML = reviews.length ? `<ol class="wtl" id="review-list">${reviews.map((r) => `<li data-level="${esc(r.level)}" data-outcome="${esc(r.outcome)}">
    <div class="wtl-time">${esc(bj(r.at))}</div><div><strong>${esc(t('lvl_' + r.level))}</strong>${t('colon')}${outcomeTag(r.outcome)}
    <div>${esc(r.reason)}</div><div class="muted">${t('actor')}${t('colon')}${esc(r.who)}</div></div></li>`).join('')}</ol>` : `<p class="muted" id="no-reviews">${t('ig_no_reviews')}</p>`;
}

const outcomeTag = (o) => `<span class="tag ${o === 'confirm' ? 'bad' : o === 'false_positive' ? 'ok' : 'warn'}">${esc(t('out_' + o))}</span>`;

/** The review at the caller's level (the API's `review_level`: from the account's role and unit). */
function reviewForm(id, level, done) {
  // A level that has reviewed may review again (a later outcome counts); the form is folded.
  $('#review-form-box').innerHTML = `${done ? `<details id="review-again"><summary>${t('ig_review_again')}</summary>` : ''}<form id="review-form" class="review-form" data-level="${esc(level)}"><p class="muted">${t('ig_review_as')}${t('colon')}${esc(t('lvl_' + level))}</p>
    <fieldset class="outcomes">${OUTCOMES.map((o) => `<label><input type="radio" name="outcome" value="${o}" required> ${esc(t('out_' + o))}</label>`).join(' ')}</fieldset>
    <label class="block">${t('ig_reason')}<textarea id="review-reason" rows="2" required></textarea></label>
    <button type="submit" class="primary" id="review-submit">${t('ig_review_submit')}</button></form>${done ? '</details>' : ''}<span id="review-result" role="status"></span>`;
  $('#review-form').onsubmit = async (e) => {
    e.preventDefault();
    const outcome = (document.querySelector('#review-form input[name=outcome]:checked') || {}).value;
    const reason = $('#review-reason').value.trim();
    const out = $('#review-result');
    if (!outcome || !reason) { out.className = 'error'; out.textContent = t('ig_review_required'); return; }
    try {
      await api(`/alarms/${id}/reviews`, { method: 'POST', body: JSON.stringify({ outcome, reason }) });
      await alarmPage(id);
      $('#review-result').className = 'notice';
      $('#review-result').textContent = t('saved');
    } catch (err) {
      out.className = 'error';
      out.textContent = err.message;
    }
  };
}

export function ordersTable(orders, withAlarm) {
  const now = bjNow();
  return `<div class="table-wrap"><table class="orders"><thead><tr><th>#</th>${withAlarm ? `<th>${t('ig_alarm')}</th><th>${t('station')}</th>` : ''}<th>${t('wo_assignee')}</th>
    <th>${t('wo_opened')}（${t('bj')}）</th><th>${t('deadline')}（${t('bj')}）</th><th>${t('status')}</th><th>${t('wo_closed')}（${t('bj')}）</th><th class="num">${t('wo_hours_to_repair')}</th><th>${t('wo_note')}</th><th></th></tr></thead><tbody>
    ${orders.map((o) => {
      const late = o.overdue ?? overdue(o, now);
      return `<tr data-id="${o.id}" data-state="${esc(o.state)}" data-kind="${esc(o.kind || '')}" class="${late ? 'overdue' : ''}"><td>${o.id}${o.kind ? ` <span class="tag kind">${esc(t('wo_kind_' + o.kind))}</span>` : ''}</td>
      ${withAlarm ? `<td>${o.alarm_id ? `<a href="#/alarms/${o.alarm_id}">#${o.alarm_id}</a>` : '—'}</td><td class="nowrap">${esc(o.station_name || o.station || '')}</td>` : ''}
      <td>${esc(o.assignee_name || o.assignee)}</td><td class="nowrap">${esc(o.opened || '')}</td><td class="nowrap deadline">${esc(o.deadline)}${late ? ` <span class="tag bad">${t('wo_overdue')}</span>` : ''}</td>
      <td>${o.state === 'closed' ? `<span class="tag ok">${t('wo_state_closed')}</span>` : `<span class="tag warn">${t('wo_state_open')}</span>`}</td>
      <td class="nowrap">${esc(o.closed || '')}</td><td class="num">${(o.repair_hours ?? o.hours_to_repair) == null ? '—' : fmt(o.repair_hours ?? o.hours_to_repair, 1)}</td>
      <td>${esc(o.note || '')}${o.closing_note ? `<div class="muted closing-note">${t('wo_closing_note')}${t('colon')}${esc(o.closing_note)}${o.closed_by ? ` · ${esc(o.closed_by)}` : ''}</div>` : ''}</td>
      <td>${o.state !== 'closed' && o.may_close !== false ? `<button type="button" class="secondary wo-close" data-id="${o.id}">${t('wo_close')}</button>` : ''}</td></tr>`;
    }).join('') || `<tr><td colspan="${withAlarm ? 11 : 9}">${t('wo_none')}</td></tr>`}</tbody></table></div>`;
}

/** Now in Beijing as `YYYY-MM-DD HH:MM`, whatever the browser's zone. */
export const bjNow = () => new Date(Date.now() + 8 * HOUR_S * 1000).toISOString().slice(0, 16).replace('T', ' ');

/** An open order past its deadline (a bare date is due by the day's end). */
export const overdue = (o, now) => o.state !== 'closed' && !!o.deadline && (o.deadline.length <= 10 ? o.deadline + ' 23:59' : o.deadline) < now;

/** Closing an order: its note (the evidence of the repair) asked for in place. */
export function wireOrderClose(root, after) {
  root.querySelectorAll('.wo-close').forEach((b) => {
    b.onclick = () => {
      const cell = b.parentElement;
      cell.innerHTML = `<form class="wo-close-form"><input class="wo-close-note" placeholder="${esc(t('wo_close_note'))}" required>
        <button type="submit" class="primary">${t('wo_close')}</button> <span class="wo-close-result"></span></form>`;
      const form = cell.querySelector('form');
      form.onsubmit = async (e) => {
        e.preventDefault();
        const note = form.querySelector('.wo-close-note').value.trim();
        try {
          await api(`/work-orders/${b.dataset.id}/close`, { method: 'POST', body: JSON.stringify({ note }) });
          await after();
        } catch (err) {
          const out = form.querySelector('.wo-close-result');
          out.className = 'error';
          out.textContent = err.message;
        }
      };
      form.querySelector('input').focus();
    };
  });
}

/** The alarm's work orders; closing one reads them again. */
function ordersList(alarmId, orders) {
  $('#alarm-orders').innerHTML = ordersTable(orders, false);
  wireOrderClose($('#alarm-orders'), async () => { const d = await api(`/alarms/${alarmId}`); ordersList(alarmId, d.work_orders || []); });
}

/** 派发工单: a work order for the operations contractor, from this alarm. */
function orderForm(a) {
  const due = new Date(Date.now() + (8 * HOUR_S + 2 * DAY_S) * 1000).toISOString().slice(0, 10);
  $('#order-form-box').innerHTML = `<details id="order-details"><summary>${t('wo_open')}</summary><form class="login" id="order-form">
    <label>${t('wo_assignee')}<input id="wo-assignee" placeholder="${esc(t('wo_assignee_hint'))}"></label>
    <label>${t('deadline')}（${t('bj')}）<input id="wo-deadline" type="date" value="${due}" required></label>
    <label>${t('wo_note')}<input id="wo-note"></label>
    <button type="submit" class="primary">${t('wo_open')}</button><span id="order-result" role="status"></span></form></details>`;
  $('#order-form').onsubmit = async (e) => {
    e.preventDefault();
    const out = $('#order-result');
    try {
      await api('/work-orders', { method: 'POST', body: JSON.stringify({ alarm_id: a.id, station: a.station, assignee: $('#wo-assignee').value.trim(), deadline: $('#wo-deadline').value, note: $('#wo-note').value }) });
      const d = await api(`/alarms/${a.id}`);
      ordersList(a.id, d.work_orders || []);
      $('#order-details').open = false;
      $('#order-form').reset();
      out.className = 'notice';
      out.textContent = t('saved');
    } catch (err) {
      out.className = 'error';
      out.textContent = err.message;
    }
  };
}

/** Neighbours in greys, greens and browns: red is the station, blue its humidity. */
const NEIGHBOUR_COLOURS = ['#8c96a0', '#6aa84f', '#b07a5a', '#9e7bb5', '#c9a227', '#5f6b77'];

/**
 * The station's series (bold) with its neighbours' (thin) and the humidity (dashed, right
 * axis, %), the episode shaded. x values are Beijing wall-clock seconds of each hour label
 * read in UTC, so no browser zone moves them.
 */
function drawAlarmEvidence(el, a, ev, names) {
  const hours = ev.hours || [];
  if (!hours.length) { el.innerHTML = `<p class="muted">${t('no_data')}</p>`; return; }
  const xs = hours.map(wallSeconds);
  const ids = Object.keys(ev.series || {});
  // The alarm's station first, then its neighbours.
  ids.sort((p, q) => (p === a.station ? -1 : q === a.station ? 1 : 0));
  const tz = (x) => uPlot.tzDate(new Date(x * 1000), 'Etc/UTC');
  const fmtHour = uPlot.fmtDate('{HH}:{mm}');
  const fmtDay = uPlot.fmtDate('{MM}-{DD}');
  const fmtFull = uPlot.fmtDate('{YYYY}-{MM}-{DD} {HH}:{mm}');
  const value = (u, y) => (y == null ? '—' : fmt(y, 1));
  const series = [{ label: t('bj'), value: (u, x) => (x == null ? '--' : fmtFull(tz(x))) }];
  const data = [xs];
  ids.forEach((sid, i) => {
    const own = sid === a.station;
    series.push({ label: names.get(sid) || sid, stroke: own ? '#d7301f' : NEIGHBOUR_COLOURS[(i - 1 + NEIGHBOUR_COLOURS.length) % NEIGHBOUR_COLOURS.length], width: own ? 2.2 : 1.2, value, scale: 'c' });
    data.push(ev.series[sid]);
  });
  const rh = Array.isArray(ev.humidity) && ev.humidity.some((v) => v != null);
  if (rh) {
    series.push({ label: t('ig_humidity'), stroke: '#1769aa', width: 1.2, dash: [5, 4], scale: 'rh', value: (u, y) => (y == null ? '—' : fmt(y, 0) + '%') });
    data.push(ev.humidity);
  }
  const from = a.start ? wallSeconds(a.start) - HOUR_S / 2 : null;
  const until = a.end ? wallSeconds(a.end) + HOUR_S / 2 : from == null ? null : from + HOUR_S;
  const unit = ev.unit || (a.pollutant === 'CO' ? 'mg/m³' : a.pollutant ? 'μg/m³' : '');
  const axes = [{ label: t('bj'), values: (u, splits) => splits.map((x) => (x % DAY_S === 0 ? fmtDay(tz(x)) : fmtHour(tz(x)))) }, { label: `${a.pollutant || ''} (${unit})`, scale: 'c' }];
  $('#alarm-chart-note').textContent = t('ig_chart_note') + (rh ? t('ig_chart_note_rh') : '') + t('ig_chart_note_time');
  if (rh) axes.push({ label: t('ig_humidity') + ' (%)', scale: 'rh', side: 1, grid: { show: false } });
  el.innerHTML = '';
  const chart = new uPlot({
    width: Math.max(300, Math.min(1040, el.clientWidth || 1000)), height: 340, title: `${names.get(a.station) || a.station} ${a.pollutant || ''}`,
    tzDate: tz,
    scales: { x: { time: true }, c: { auto: true }, rh: { range: [0, 100] } },
    axes,
    series,
    hooks: {
      // The episode: a shaded band behind the lines.
      drawClear: [(u) => {
        if (from == null) return;
        const ctx = u.ctx;
        const x0 = u.valToPos(from, 'x', true), x1 = u.valToPos(until, 'x', true);
        ctx.save();
        ctx.fillStyle = 'rgba(215,48,31,0.12)';
        ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height);
        ctx.fillStyle = '#a50f15';
        ctx.font = `${Math.round(12 * devicePixelRatio)}px sans-serif`;
        ctx.fillText(t('ig_episode'), x0 + 4, u.bbox.top + 14 * devicePixelRatio);
        ctx.restore();
      }],
    },
  }, data, el);
  el.uplot = chart;
  el.dataset.points = String(xs.length);
  el.dataset.stations = String(ids.length);
  el.dataset.humidity = String(rh);
}

const ACTIONS = ['invalidate', 'correct', 'restore'];
const REASON_CODES = ['instrument_fault', 'calibration', 'maintenance', 'interference', 'power_outage', 'transmission', 'other'];

/**
 * The corrections of a station (the bureau's audit of its data): the list for whoever may
 * read it, and for the bureau a form to invalidate, correct or restore an hour (its label,
 * the hour's end) with a reason code. Shown on the station page.
 */
export async function correctionsPanel(stationId, box, page = 1) {
  if (!state.me) return;
  const gen = state.routing;
  // Who may not read them (the API says so) sees no panel.
  const r = await api(`/stations/${encodeURIComponent(stationId)}/corrections?page=${page}&per_page=${CORRECTIONS_PER_PAGE}`).catch(() => null);
  if (gen !== state.routing || !r) return;
  const items = Array.isArray(r) ? r : r.items || [];
  const opt = (v, label) => `<option value="${esc(v)}">${esc(label)}</option>`;
  box.innerHTML = `<section class="card" id="corrections"><h3>${t('cor_title')}</h3><p class="muted">${t('cor_note')}</p>
    <div class="table-wrap"><table id="corrections-table"><thead><tr><th>${t('pollutant')}</th><th>${t('hour')}（${t('bj')}）</th><th>${t('action')}</th><th class="num">${t('cor_value')}</th>
    <th>${t('cor_reason')}</th><th>${t('wo_note')}</th><th>${t('actor')}</th><th>${t('time')}（${t('bj')}）</th></tr></thead><tbody>
    ${items.map((c) => `<tr data-action="${esc(c.action)}"><td>${esc(c.pollutant || c.code || '')}</td><td class="nowrap">${esc(c.hour || '')}</td><td>${esc(t('cor_' + c.action))}</td>
      <td class="num">${c.value == null ? '—' : esc(c.value)}</td><td>${esc(t('rc_' + c.reason_code) !== 'rc_' + c.reason_code ? t('rc_' + c.reason_code) : c.reason_code || '')}</td><td>${esc(c.note || '')}</td>
      <td>${esc(c.who || c.actor || '')}</td><td class="nowrap">${esc(c.at || '')}</td></tr>`).join('') || `<tr><td colspan="8">${t('cor_none')}</td></tr>`}</tbody></table></div>${Array.isArray(r) ? '' : pager(r, 'corrections-pages')}
    ${can(ACT.correct) ? `<form class="filters" id="correction-form">
      <label>${t('pollutant')} <select id="cor-pollutant">${POLLUTANTS.map((p) => opt(p, p)).join('')}</select></label>
      <label>${t('hour')}（${t('bj')}） <input id="cor-hour" placeholder="YYYY-MM-DD HH:00" pattern="\\d{4}-\\d{2}-\\d{2} \\d{2}:00" required size="16"></label>
      <label>${t('action')} <select id="cor-action">${ACTIONS.map((x) => opt(x, t('cor_' + x))).join('')}</select></label>
      <label>${t('cor_value')} <input id="cor-value" type="number" step="any" size="7" disabled></label>
      <label>${t('cor_reason')} <select id="cor-reason">${REASON_CODES.map((x) => opt(x, t('rc_' + x))).join('')}</select></label>
      <label>${t('wo_note')} <input id="cor-note" required></label>
      <button type="submit" class="primary">${t('submit')}</button> <span id="cor-result" role="status"></span></form>` : ''}</section>`;
  wirePager(box, (n) => correctionsPanel(stationId, box, n));
  if (!can(ACT.correct)) return;
  $('#cor-action').onchange = () => { $('#cor-value').disabled = $('#cor-action').value !== 'correct'; };
  $('#correction-form').onsubmit = async (e) => {
    e.preventDefault();
    const action = $('#cor-action').value;
    const body = { pollutant: $('#cor-pollutant').value, hour: $('#cor-hour').value.trim(), action, reason_code: $('#cor-reason').value, note: $('#cor-note').value.trim() };
    if (action === 'correct') body.value = Number($('#cor-value').value);
    try {
      await api(`/stations/${encodeURIComponent(stationId)}/corrections`, { method: 'POST', body: JSON.stringify(body) });
      await correctionsPanel(stationId, box);
      $('#cor-result').className = 'notice';
      $('#cor-result').textContent = t('saved');
    } catch (err) {
      $('#cor-result').className = 'error';
      $('#cor-result').textContent = err.message;
    }
  };
}
