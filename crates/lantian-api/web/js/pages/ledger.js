// The measures ledger: the list with filters and exports, and one measure with its history
// and the acts its reader may perform.
import { $, api, esc, state, t } from '../core.js';

export async function ledgerPage(params) {
  const q = new URLSearchParams(params);
  if (!state.me) q.delete('mine');
  const all = await api('/ledger?per_page=1000');
  const cats = [...new Set(all.items.map((m) => m.category))];
  const units = [...new Set(all.items.flatMap((m) => (m.lead_units + '、' + m.supporting_units).split('、')).filter((u) => u))];
  const sel = (id, label, values, cur) => `${label} <select id="${id}"><option value="">${t('all')}</option>${values.map((v) => `<option value="${esc(v[0])}" ${v[0] === cur ? 'selected' : ''}>${esc(v[1])}</option>`).join('')}</select>`;
  const statuses = ['not_started', 'in_progress', 'completed', 'closed', 'overdue'].map((s) => [s, t('st_' + s)]);
  $('#view').innerHTML = `<h2>${t('nav_ledger')}</h2><p class="filters">${sel('f-cat', t('category'), cats.map((c) => [c, c]), q.get('category'))}
    ${sel('f-unit', t('lead') + '/' + t('supporting'), units.map((u) => [u, u]), q.get('unit'))} ${sel('f-status', t('status'), statuses, q.get('status'))}
    ${t('deadline_before')} <input id="f-deadline" type="date" value="${esc(q.get('deadline_before') || '')}">
    ${state.me ? `<a href="#/ledger?mine=1" id="my-measures">${t('my_measures')}</a> ·` : ''} <a id="ledger-xlsx" href="#">${t('ledger_xlsx')}</a> · <a id="ledger-csv" href="#">CSV</a></p>
    <table id="ledger-table"><thead><tr><th>#</th><th>${t('task')}</th><th>${t('measure')}</th><th>${t('lead')}</th><th>${t('deadline')}</th><th>${t('status')}</th></tr></thead><tbody></tbody></table>`;
  const r = await api('/ledger?per_page=1000&' + q.toString());
  $('#ledger-xlsx').href = '/api/v1/ledger?format=xlsx&' + q.toString();
  $('#ledger-csv').href = '/api/v1/ledger?format=csv&' + q.toString();
  $('#ledger-table tbody').innerHTML = r.items.map((m) => `<tr><td><a href="#/measure/${esc(m.id)}">${esc(m.id)}</a></td><td>${esc(m.task)}</td><td>${esc(m.measure.slice(0, 60))}${m.measure.length > 60 ? '…' : ''}</td><td>${esc(m.lead_units)}</td><td class="nowrap">${esc(m.deadlines)}</td><td class="status nowrap">${esc(t('st_' + m.status) || m.status_zh)}${m.at_risk ? ' ⚠' : ''}</td></tr>`).join('') || `<tr><td colspan="6">${t('no_data')}</td></tr>`;
  const go = () => {
    const n = new URLSearchParams();
    [['category', '#f-cat'], ['unit', '#f-unit'], ['status', '#f-status'], ['deadline_before', '#f-deadline']].forEach(([k, id]) => { if ($(id).value) n.set(k, $(id).value); });
    location.hash = '#/ledger?' + n.toString();
  };
  ['#f-cat', '#f-unit', '#f-status', '#f-deadline'].forEach((id) => { $(id).onchange = go; });
}

/** The acts a measure page offers, in order; the API says which the reader may do now. */
const ACTS = ['report', 'confirm', 'close', 'reopen'];

export async function measurePage(id, notice = '') {
  const m = await api('/ledger/' + encodeURIComponent(id));
  const targets = (m.targets || []).map((x) => esc(x.text)).join('；');
  const monthly = (m.monthly_targets || []).map((x) => `${esc(x.month)}: ${esc(x.value)}`).join('；');
  const me = state.me;
  const acts = ACTS.filter((a) => (m.allowed || []).includes(a));
  const actForm = acts.length
    ? `<form id="act-form" class="login"><select id="act">${acts.map((a) => `<option value="${a}">${t('act_' + a)}</option>`).join('')}</select>
      <label>${t('act_month')}<input id="act-month" type="month"></label><label>${t('act_text')}<textarea id="act-text" rows="3"></textarea></label>
      <button class="primary" type="submit">${t('submit')}</button><div id="act-result">${esc(notice)}</div></form>`
    : `<p class="muted" id="act-result">${notice ? esc(notice) : t('allowed_none')}</p>`;
  const evidence = (m.allowed || []).includes('evidence') ? `<p>${t('evidence')} <input id="evidence" type="file" accept=".pdf,.jpg,.jpeg,.png"></p>` : '';
  $('#view').innerHTML = `<h2 id="measure-title">${esc(m.id)} · ${esc(m.task)}</h2>
    <div class="card"><p>${esc(m.measure)}</p><p class="muted">${t('section')} ${esc(m.section)} · ${esc(m.category)}</p>
    <p>${t('lead')}${t('colon')}${esc((m.lead_units || []).join('、'))}<br>${t('supporting')}${t('colon')}${esc((m.supporting_units || []).join('、') || '—')}</p>
    <p>${t('deadline')}${t('colon')}${esc((m.deadlines || []).join('、') || '—')} · ${t('targets')}${t('colon')}${targets || '—'}</p>
    ${monthly ? `<p>${t('monthly_targets')}${t('colon')}<span id="monthly-targets">${monthly}</span></p>` : ''}
    <p>${t('status')}${t('colon')}<b id="measure-status">${esc(t('st_' + m.status))}</b></p></div>
    ${me ? `<h3>${t('action')}</h3>${actForm}${evidence}` : ''}
    <h3>${t('history')}</h3><table id="history"><thead><tr><th>${t('time')}（${t('bj')}）</th><th>${t('actor')}</th><th>${t('org')}</th><th>${t('action')}</th><th>${t('month')}</th><th></th></tr></thead><tbody>${(m.history || []).slice().reverse().map((e) => `<tr><td class="event-time nowrap">${esc(e.at)}</td><td>${esc(e.actor || '')}</td><td>${esc(e.unit_name || e.unit || '')}</td><td class="nowrap">${esc(t('ev_' + e.action))}</td><td class="nowrap">${esc(e.month || '')}</td><td>${esc(e.text || '')}</td></tr>`).join('')}</tbody></table>`;
  if (!me) return;
  if ($('#act-form')) {
    $('#act-form').onsubmit = async (ev) => {
      ev.preventDefault();
      try {
        const r = await api('/ledger/' + encodeURIComponent(id) + '/events', { method: 'POST', body: JSON.stringify({ action: $('#act').value, month: $('#act-month').value || null, text: $('#act-text').value }) });
        await measurePage(id, t('saved') + t('colon') + t('st_' + r.status));
      } catch (err) { $('#act-result').innerHTML = `<span class="error">${esc(err.message)}</span>`; }
    };
  }
  if ($('#evidence')) {
    $('#evidence').onchange = async () => {
      const f = $('#evidence').files[0];
      if (!f) return;
      // A header is ISO-8859-1: the name travels percent-encoded (the API decodes it).
      const r = await fetch('/api/v1/ledger/' + encodeURIComponent(id) + '/evidence', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': me.csrf, 'X-Filename': encodeURIComponent(f.name) }, body: f });
      const body = await r.json().catch(() => ({}));
      if (r.ok) await measurePage(id, t('saved') + t('colon') + body.file);
      else alert((body.error && body.error.message) || r.statusText);
    };
  }
}
