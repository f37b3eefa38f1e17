// The 散乱污 list (#/sanluanwu, #/sanluanwu/ID): the entries by township with their state and
// the steps the API says the caller may take, the form to add one and the import (a township:
// its own; the bureau: any), the monthly count per township (found, cleared, outstanding at
// the month's end) with an ECharts chart of the outstanding figure, which must return to zero
// (动态清零); one entry with its history. Times are Beijing time.
import { $, api, bjToday, esc, pager, state, t, loadEcharts, wirePager } from '../core.js';
import { filePicker, hasAct, opt, sendFile, townships, unitName, unitsById, wireFilePicker } from './grid.js';
import { bjText } from './cases.js';

export const SL_STATES = ['found', 'rectifying', 'rectified', 'closed', 'relocated', 'verified'];
const SL_COLOUR = { found: '#d7301f', rectifying: '#f28e2b', rectified: '#1769aa', closed: '#6a3d9a', relocated: '#1b9e77', verified: '#2e9e4f' };

const slTag = (s) => `<span class="tag sl-state" data-state="${esc(s)}" style="background:${SL_COLOUR[s] || '#8c96a0'};color:#fff">${esc(t('sls_' + s))}</span>`;

/** The buttons of the steps `actions` (as the API sends them) for entry `id`. */
const actButtons = (id, actions) => actions.map((a) => `<button type="button" class="${['reject', 'reopen'].includes(a) ? 'secondary' : 'primary'} sl-act" data-id="${id}" data-act="${esc(a)}">${esc(t('sla_' + a))}</button>`).join(' ');

/** The steps that need a reason: they open an inline form under their button. */
const NEEDS_REASON = ['reject', 'reopen'];

/** Sends step `act` on entry `id` with `note`, then `after()`; an error goes to `#sl-error`. */
async function sendAct(id, act, note, after, button) {
  button.disabled = true;
  try {
    await api(`/sanluanwu/${id}/act`, { method: 'POST', body: JSON.stringify({ action: act, note }) });
    await after();
  } catch (e) { $('#sl-error').textContent = e.message; button.disabled = false; }
}

/** Wires the step buttons under `root`: a rejection or reopening first asks for its reason in an inline form. */
function wireActs(root, after) {
  root.querySelectorAll('button.sl-act').forEach((b) => {
    b.onclick = () => {
      if (!NEEDS_REASON.includes(b.dataset.act)) return sendAct(b.dataset.id, b.dataset.act, '', after, b);
      if (b.parentElement.querySelector('form.sl-reason')) return undefined;
      const form = document.createElement('form');
      form.className = 'inline sl-reason';
      form.dataset.act = b.dataset.act;
      form.innerHTML = `<input class="sl-reason-text" required minlength="2" maxlength="2000" placeholder="${esc(t('sl_reason'))}">
        <button type="submit" class="primary">${esc(t('sla_' + b.dataset.act))}</button> <button type="button" class="secondary sl-cancel">${t('sl_cancel')}</button>`;
      b.after(form);
      form.querySelector('input').focus();
      form.querySelector('.sl-cancel').onclick = () => form.remove();
      form.onsubmit = (e) => {
        e.preventDefault();
        sendAct(b.dataset.id, b.dataset.act, form.querySelector('input').value.trim(), after, form.querySelector('button[type=submit]'));
      };
      return undefined;
    };
  });
}

/** Entries per page of the list (上一页 / 下一页 walk the rest). */
const PER_PAGE = 100;

export async function sanluanwuPage(rest = '') {
  const id = rest.replace(/^\//, '');
  if (/^\d+$/.test(id)) return entryPage(id);
  const gen = state.routing;
  const q = new URLSearchParams(rest.replace(/^\?/, ''));
  const f = { township: q.get('township') || '', state: q.get('state') || '' };
  const qs = new URLSearchParams(Object.entries(f).filter(([, v]) => v)).toString();
  const page = Math.max(1, Number(q.get('page')) || 1);
  const [units, list, monthly] = await Promise.all([unitsById(), api(`/sanluanwu?${qs ? qs + '&' : ''}page=${page}&per_page=${PER_PAGE}`), api('/sanluanwu/monthly')]);
  if (gen !== state.routing) return;
  const items = list.items || [];
  const report = hasAct('report_sanluanwu');
  // A township reports on its own entries only (it may not verify): no township to choose.
  const mine = report && !hasAct('manage_sanluanwu');
  const last = monthly.months[monthly.months.length - 1];
  const towns = townships(units);
  $('#view').innerHTML = `<h2>${t('sl_title')}</h2><p class="muted">${t('sl_note')}</p>
    <div class="card" id="sl-zero">${last ? `<b>${esc(last.month)}</b>${t('colon')}${t('sl_outstanding_end')} <span id="sl-outstanding" class="${last.zero ? '' : 'bad'}">${last.total.outstanding_end}</span>
      ${last.zero ? `<span class="tag ok" id="sl-zero-tag">${t('sl_zero')}</span>` : `<span class="tag bad" id="sl-zero-tag">${t('sl_not_zero')}</span>`}
      <span class="muted">${t('sl_as_of')} ${esc(bjText(monthly.as_of_bj))}</span>` : ''}</div>
    <h3>${t('sl_monthly')}</h3><div id="sl-chart" class="chart" style="height:320px"></div>
    <div class="table-wrap" id="sl-monthly">${monthTable(monthly, units)}</div>
    <h3>${t('sl_list')}</h3>
    <form id="sl-filters" class="filters">${mine ? '' : `<label>${t('unit')} <select id="sl-f-township"><option value="">${t('all')}</option>${towns.map((u) => opt(u.id, unitName(units, u.id), f.township)).join('')}</select></label>`}
      <label>${t('status')} <select id="sl-f-state"><option value="">${t('all')}</option>${SL_STATES.map((s) => opt(s, t('sls_' + s), f.state)).join('')}</select></label></form>
    <p id="sl-error" class="error"></p>
    <div class="table-wrap">${items.length ? `<table id="sl-table"><thead><tr><th>#</th><th>${t('unit')}</th><th>${t('sl_name')}</th><th>${t('sl_industry')}</th><th>${t('sl_problem')}</th>
      <th>${t('sl_found')}</th><th>${t('status')}</th><th>${t('sl_updated')}</th><th>${t('action')}</th></tr></thead><tbody>
      ${items.map((e) => `<tr data-id="${e.id}" data-state="${esc(e.state)}"><td><a href="#/sanluanwu/${e.id}">${e.id}</a></td><td class="nowrap">${esc(unitName(units, e.township))}</td>
        <td style="min-width:8em">${esc(e.name)}${e.address ? `<br><span class="muted">${esc(e.address)}</span>` : ''}</td><td>${esc(e.industry)}</td><td>${esc(e.problem)}</td>
        <td class="nowrap">${esc(e.found_date)}</td><td>${slTag(e.state)}</td><td class="nowrap">${esc(bjText(e.updated_bj))}</td><td class="sl-acts">${actButtons(e.id, e.actions || [])}</td></tr>`).join('')}</tbody></table>`
      : `<p class="muted" id="sl-none">${t('sl_none')}</p>`}</div>${pager(list, 'sl-pages')}
    ${report ? `<h3>${t('sl_add')}</h3><form id="sl-form" class="row">
      ${mine ? '' : `<label>${t('unit')} <select data-k="township">${towns.map((u) => opt(u.id, unitName(units, u.id), '')).join('')}</select></label>`}
      <label>${t('sl_name')} <input data-k="name" required maxlength="200"></label><label>${t('sl_address')} <input data-k="address" maxlength="200"></label>
      <label>${t('sl_industry')} <input data-k="industry" maxlength="100"></label><label>${t('sl_problem')} <input data-k="problem" maxlength="300"></label>
      <label>${t('sl_found')} <input data-k="found_date" type="date" max="${bjToday()}" value="${bjToday()}"></label>
      <button class="primary" type="submit">${t('submit')}</button><span id="sl-form-error" class="error"></span></form>
      <p>${t('sl_import')} ${filePicker('sl-import', '.csv,.xlsx')}</p><p class="muted">${t('sl_import_note')}</p><div id="sl-import-result"></div>` : ''}`;
  const go = () => {
    const nf = { township: $('#sl-f-township') ? $('#sl-f-township').value : '', state: $('#sl-f-state').value };
    const s = new URLSearchParams(Object.entries(nf).filter(([, v]) => v)).toString();
    location.hash = '#/sanluanwu' + (s ? '?' + s : '');
  };
  $('#sl-filters').querySelectorAll('select').forEach((s) => { s.onchange = go; });
  // The page is in the address, beside the filters.
  wirePager($('#view'), (n) => { location.hash = '#/sanluanwu?' + (qs ? qs + '&' : '') + 'page=' + n; });
  wireActs($('#view'), () => sanluanwuPage(rest));
  if ($('#sl-form')) {
    $('#sl-form').onsubmit = async (e) => {
      e.preventDefault();
      const body = {};
      e.target.querySelectorAll('[data-k]').forEach((el) => { if (el.value.trim()) body[el.dataset.k] = el.value.trim(); });
      try { await api('/sanluanwu', { method: 'POST', body: JSON.stringify(body) }); await sanluanwuPage(rest); } catch (err) { $('#sl-form-error').textContent = err.message; }
    };
  }
  if ($('#sl-import')) {
    wireFilePicker('sl-import');
    $('#sl-import').addEventListener('change', async () => {
      const file = $('#sl-import').files[0];
      if (!file) return;
      try {
        const r = await sendFile('/sanluanwu/import', file);
        if (r.errors && r.errors.length) {
          $('#sl-import-result').innerHTML = `<p class="error">${t('sl_import_errors')}</p><ul id="sl-import-errors">${r.errors.map((p) => `<li>${t('sl_row')} ${p.row}${t('colon')}${esc(p.problem)}</li>`).join('')}</ul>`;
        } else {
          await sanluanwuPage(rest);
        }
      } catch (err) { $('#sl-import-result').innerHTML = `<p class="error">${esc(err.message)}</p>`; }
    });
  }
  await drawChart(monthly, units, gen);
}

/** The monthly count as a table: each township's found / cleared / outstanding per month. */
function monthTable(m, units) {
  const months = m.months;
  if (!months.length || !months.some((mv) => mv.townships.length)) return `<p class="muted">${t('sl_none')}</p>`;
  const names = months[months.length - 1].townships.map((x) => x.township);
  const cell = (c) => `<td class="num${c.outstanding_end ? ' warn' : ''}" title="${t('sl_found_n')} ${c.found} · ${t('sl_cleared')} ${c.cleared}">${c.found}/${c.cleared}/<b>${c.outstanding_end}</b></td>`;
  return `<table id="sl-month-table"><thead><tr><th>${t('unit')}</th>${months.map((mv) => `<th class="num">${esc(mv.month)}${mv.partial ? '*' : ''}</th>`).join('')}</tr></thead><tbody>
    ${names.map((n) => `<tr data-township="${esc(n)}"><td class="nowrap">${esc(unitName(units, n))}</td>${months.map((mv) => cell(mv.townships.find((x) => x.township === n) || { found: 0, cleared: 0, outstanding_end: 0 })).join('')}</tr>`).join('')}
    <tr class="sum" data-township="total"><td>${t('ent_sum')}</td>${months.map((mv) => cell(mv.total)).join('')}</tr></tbody></table>
    <p class="muted">${t('sl_cell_note')}</p>`;
}

/** Outstanding at each month's end per township (stacked bars) and the found and cleared totals. */
async function drawChart(m, units, gen) {
  await loadEcharts();
  if (gen !== state.routing) return;
  const el = $('#sl-chart');
  if (!el) return;
  const months = m.months.map((mv) => mv.month);
  const names = m.months.length ? m.months[m.months.length - 1].townships.map((x) => x.township) : [];
  const chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, type: 'scroll' },
    grid: { left: 10, right: 10, top: 50, bottom: 10, containLabel: true },
    xAxis: { type: 'category', data: months },
    yAxis: { type: 'value', name: t('sl_n'), minInterval: 1, min: 0 },
    series: [
      ...names.map((n) => ({ name: unitName(units, n), type: 'bar', stack: 'out', data: m.months.map((mv) => (mv.townships.find((x) => x.township === n) || {}).outstanding_end || 0) })),
      { name: t('sl_found_n'), type: 'line', data: m.months.map((mv) => mv.total.found), itemStyle: { color: '#d7301f' } },
      { name: t('sl_cleared'), type: 'line', data: m.months.map((mv) => mv.total.cleared), itemStyle: { color: '#2e9e4f' } },
      // The county's outstanding figure, with the zero it must return to.
      { name: t('sl_outstanding_end'), type: 'line', data: m.months.map((mv) => mv.total.outstanding_end), itemStyle: { color: '#222' }, lineStyle: { type: 'dashed' },
        markLine: { silent: true, symbol: 'none', data: [{ yAxis: 0, name: t('sl_zero') }], lineStyle: { color: '#2e9e4f', width: 2 }, label: { position: 'insideStartTop', formatter: t('sl_target_zero') } } },
    ],
  });
  el.dataset.drawn = String(m.months.length);
  el.dataset.outstanding = m.months.map((mv) => mv.total.outstanding_end).join(',');
}

/** One entry: its facts, the steps the caller may take, its history. */
async function entryPage(id) {
  const gen = state.routing;
  const [units, d] = await Promise.all([unitsById(), api('/sanluanwu/' + id)]);
  if (gen !== state.routing) return;
  $('#view').innerHTML = `<p><a href="#/sanluanwu">← ${t('sl_title')}</a></p><h2>${t('sl_entry')} ${d.id} · ${esc(d.name)}</h2>
    <div class="card kv" id="sl-facts"><div>${t('status')}${t('colon')}${slTag(d.state)}</div><div>${t('unit')}${t('colon')}${esc(unitName(units, d.township))}</div>
      <div>${t('sl_address')}${t('colon')}${esc(d.address || '—')}</div><div>${t('sl_industry')}${t('colon')}${esc(d.industry || '—')}</div>
      <div>${t('sl_problem')}${t('colon')}${esc(d.problem || '—')}</div><div>${t('sl_found')}${t('colon')}${esc(d.found_date)}</div></div>
    <p id="sl-acts">${actButtons(d.id, d.actions || [])}</p><p id="sl-error" class="error"></p>
    <h3>${t('gr_timeline')}</h3><ol class="wtl" id="sl-timeline">${(d.events || []).map((e) => `<li data-to="${esc(e.to_state)}"><span class="wtl-time">${esc(bjText(e.at_bj))}</span>
      <span><b>${esc(t('sla_' + e.action))}</b> · ${esc(e.actor)} → ${slTag(e.to_state)} <span class="muted">(${esc(e.date)})</span>${e.note ? `<br>${esc(e.note)}` : ''}</span></li>`).join('')}</ol>`;
  wireActs($('#view'), () => entryPage(id));
}

