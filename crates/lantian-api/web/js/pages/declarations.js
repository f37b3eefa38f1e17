// Enterprise declarations (#/declarations, #/declarations/ID; issue 22, docs/declarations.md):
// an enterprise (its own outlets) or its operations contractor declares 停运 / 停产 / 检修 /
// 因子异常 / 长期停产 for outlets and a period in Beijing time, with a reason and files; the
// bureau's review queue (approve, reject with a reason) and statistics per enterprise; one
// declaration with its files, steps and, once approved, the hours shown as declared (已申报):
// no exceedance verdict, no missing-data alarm. What the caller may do comes from the API.
import { $, api, bjToday, esc, hourSpan, pager, state, t, wirePager } from '../core.js';
import { filePicker, opt, sendFile, wireFilePicker } from './grid.js';
import { bjText } from './cases.js';

const KINDS = ['stopped', 'production_stopped', 'maintenance', 'factor_abnormal', 'long_term_stop'];
const STATES = ['pending', 'approved', 'rejected', 'withdrawn'];
const FACTORS = ['a21026', 'a21002', 'a34013', 'a21005', 'a19001', 'a00000'];
const STATE_COLOUR = { pending: '#f28e2b', approved: '#2e9e4f', rejected: '#d7301f', withdrawn: '#8c96a0' };

/** The menu entry (企业申报), shown to the accounts that read declarations: the API decides again. */
export function declarationsMenu(before) {
  const a = document.createElement('a');
  a.href = '#/declarations';
  a.id = 'nav-declarations';
  a.dataset.i18n = 'nav_declarations';
  a.hidden = true;
  before.before(a);
  const show = () => { a.hidden = !(state.me && ['admin', 'bureau', 'enterprise', 'operations'].includes(state.me.role)); };
  window.addEventListener('hashchange', show);
  new MutationObserver(show).observe($('#nav-login'), { childList: true, characterData: true, subtree: true });
  show();
}

const stateTag = (s) => `<span class="tag dl-state" data-state="${esc(s)}" style="background:${STATE_COLOUR[s] || '#8c96a0'};color:#fff">${esc(t('dls_' + s))}</span>`;
const kindTag = (k) => `<span class="tag info dl-kind" data-kind="${esc(k)}">${esc(t('dlk_' + k))}</span>`;
const lateTag = (d) => (d.late ? `<span class="tag bad dl-late" title="${esc(t('dl_late_note'))}">${esc(t('dl_late'))} ${d.late_hours} ${esc(t('dl_h'))}</span>` : '');
const factorName = (c) => t('dlf_' + c);
const factors = (d) => (d.factors.length ? d.factors.map((f) => esc(factorName(f.id))).join(t('dl_list_sep')) : `<span class="muted">${esc(t('dl_all_factors'))}</span>`);
const outletNames = (d) => d.outlets.map((o) => esc(o.name_zh === o.id ? o.id : o.name_zh + paren(o.id))).join('<br>');
/** `text` in brackets of the page's language. */
const paren = (text) => (state.lang === 'zh' ? `（${text}）` : ` (${text})`);
/** `YYYY-MM-DD HH:MM`, as the API writes Beijing time. */
const minute = (v) => String(v || '').replace('T', ' ').slice(0, 16);

/** The act buttons the API offers (`d.acts`). */
const actButtons = (d) => (d.acts || []).map((a) => `<button type="button" class="${a === 'approve' ? 'primary' : 'secondary'} dl-act" data-id="${d.id}" data-act="${esc(a)}">${esc(t('dla_' + a))}</button>`).join(' ');

/** Wires the act buttons under `root`; a rejection first asks for its reason. */
function wireActs(root, after) {
  root.querySelectorAll('button.dl-act').forEach((b) => {
    const send = async (note, button) => {
      button.disabled = true;
      try {
        await api(`/declarations/${b.dataset.id}/act`, { method: 'POST', body: JSON.stringify({ action: b.dataset.act, note }) });
        await after();
      } catch (e) { $('#dl-error').textContent = e.message; button.disabled = false; }
    };
    b.onclick = () => {
      if (b.dataset.act !== 'reject') return send('', b);
      if (b.parentElement.querySelector('form.dl-reason')) return undefined;
      const form = document.createElement('form');
      form.className = 'inline dl-reason';
      form.innerHTML = `<input class="dl-reason-text" required minlength="4" maxlength="2000" placeholder="${esc(t('dl_reject_reason'))}">
        <button type="submit" class="primary">${esc(t('dla_reject'))}</button>`;
      b.after(form);
      form.querySelector('input').focus();
      form.onsubmit = (e) => { e.preventDefault(); send(form.querySelector('input').value.trim(), form.querySelector('button')); };
      return undefined;
    };
  });
}

/** Declarations per page of the list (newest first; 上一页 / 下一页 walk the rest). */
const PER_PAGE = 100;

export async function declarationsPage(rest = '') {
  const id = rest.replace(/^\//, '');
  if (/^\d+$/.test(id)) return declarationPage(id);
  if (!state.me) { $('#view').innerHTML = `<h2>${t('dl_title')}</h2><p class="muted">${t('dl_login')}</p>`; return undefined; }
  const gen = state.routing;
  const q = new URLSearchParams(rest.replace(/^\?/, ''));
  const f = { state: q.get('state') || '', kind: q.get('kind') || '' };
  const qs = new URLSearchParams(Object.entries(f).filter(([, v]) => v)).toString();
  const page = Math.max(1, Number(q.get('page')) || 1);
  const list = await api(`/declarations?${qs ? qs + '&' : ''}page=${page}&per_page=${PER_PAGE}`);
  const may = list.may || {};
  const stats = may.review ? await api('/declarations/stats') : null;
  if (gen !== state.routing) return undefined;
  const items = list.items || [];
  const grace = may.grace_hours || {};
  $('#view').innerHTML = `<h2>${t('dl_title')}</h2><p class="muted">${t('dl_note')}</p>
    <p class="muted" id="dl-rule">${t('dl_rule')}${KINDS.map((k) => `${esc(t('dlk_' + k))} ${grace[k] ? `${grace[k]} ${esc(t('dl_h'))}` : esc(t('dl_before'))}`).join('；')}</p>
    ${may.declare ? declareForm(may.outlets || []) : ''}
    ${stats ? `<h3>${t('dl_stats')}</h3>${statsTable(stats.items || [])}` : ''}
    <h3>${may.review ? t('dl_queue') : t('dl_mine')}</h3>
    <form id="dl-filters" class="filters"><label>${t('status')} <select id="dl-f-state"><option value="">${t('all')}</option>${STATES.map((s) => opt(s, t('dls_' + s), f.state)).join('')}</select></label>
      <label>${t('dl_kind')} <select id="dl-f-kind"><option value="">${t('all')}</option>${KINDS.map((k) => opt(k, t('dlk_' + k), f.kind)).join('')}</select></label></form>
    <p id="dl-error" class="error"></p>
    <div class="table-wrap">${items.length ? `<table id="dl-table"><thead><tr><th>#</th><th>${t('dl_enterprise')}</th><th>${t('dl_outlets')}</th><th>${t('dl_kind')}</th>
      <th>${t('dl_period')}</th><th>${t('dl_factors')}</th><th>${t('dl_reason')}</th><th>${t('status')}</th><th>${t('dl_declared')}</th><th>${t('action')}</th></tr></thead><tbody>
      ${items.map((d) => `<tr data-id="${d.id}" data-state="${esc(d.state)}" data-late="${d.late}"><td><a href="#/declarations/${d.id}">${d.id}</a></td><td class="nowrap">${esc(d.enterprise_name)}</td>
        <td style="min-width:6em">${outletNames(d)}</td><td>${kindTag(d.kind)}</td><td class="nowrap">${esc(d.start)} –<br>${esc(d.end)} ${t('bj')}<br><span class="muted">${d.hours} ${esc(t('dl_h'))}</span></td>
        <td class="nowrap">${factors(d)}</td><td style="min-width:10em">${esc(d.reason)}${d.files.length ? `<br><span class="muted">${esc(t('dl_files'))} ${d.files.length}</span>` : ''}</td>
        <td>${stateTag(d.state)} ${lateTag(d)}</td><td style="min-width:7em">${esc(d.declared_by)}<br>${esc(bjText(d.declared))}</td><td class="dl-acts">${actButtons(d)}</td></tr>`).join('')}</tbody></table>`
      : `<p class="muted" id="dl-none">${t('dl_none')}</p>`}</div>${pager(list, 'dl-pages')}`;
  // The page is in the address, beside the filters.
  wirePager($('#view'), (n) => { location.hash = '#/declarations?' + (qs ? qs + '&' : '') + 'page=' + n; });
  const go = () => {
    const nf = { state: $('#dl-f-state').value, kind: $('#dl-f-kind').value };
    const s = new URLSearchParams(Object.entries(nf).filter(([, v]) => v)).toString();
    location.hash = '#/declarations' + (s ? '?' + s : '');
  };
  $('#dl-filters').querySelectorAll('select').forEach((s) => { s.onchange = go; });
  wireActs($('#view'), () => declarationsPage(rest));
  if ($('#dl-form')) wireForm(() => declarationsPage(rest));
  return undefined;
}

/** The declaration form: outlets, kind, period (Beijing time), factors (因子异常), reason, attachment. */
function declareForm(outlets) {
  const today = bjToday();
  return `<h3>${t('dl_new')}</h3><form id="dl-form" class="card">
    <fieldset id="dl-outlets"><legend>${t('dl_outlets')}</legend>${outlets.map((o, i) => `<label class="dl-check"><input type="checkbox" name="outlet" value="${esc(o.id)}"${i === 0 ? ' checked' : ''}> ${esc(o.enterprise_name)} · ${esc(o.name + paren(o.id))}</label>`).join(' ')}</fieldset>
    <div class="row"><label>${t('dl_kind')} <select id="dl-kind">${KINDS.map((k) => opt(k, t('dlk_' + k), 'maintenance')).join('')}</select></label>
      <label>${t('dl_start')} <input id="dl-start" type="datetime-local" required value="${today}T08:00"></label>
      <label>${t('dl_end')} <input id="dl-end" type="datetime-local" required value="${today}T18:00"></label></div>
    <fieldset id="dl-factors" hidden><legend>${t('dl_factors')}</legend>${FACTORS.map((c) => `<label class="nowrap"><input type="checkbox" name="factor" value="${c}"> ${esc(factorName(c))}</label>`).join(' ')}</fieldset>
    <label class="wide">${t('dl_reason')}<br><textarea id="dl-reason" required minlength="4" maxlength="2000" rows="2" style="width:100%"></textarea></label>
    <p>${t('dl_attach')} ${filePicker('dl-file', '.pdf,.jpg,.jpeg,.png')} <span class="muted">${t('dl_attach_note')}</span></p>
    <button class="primary" type="submit" id="dl-submit">${t('dl_submit')}</button> <span id="dl-form-error" class="error"></span></form>`;
}

function wireForm(after) {
  wireFilePicker('dl-file');
  const kind = $('#dl-kind');
  const syncFactors = () => { $('#dl-factors').hidden = kind.value !== 'factor_abnormal'; };
  kind.onchange = syncFactors;
  syncFactors();
  $('#dl-form').onsubmit = async (e) => {
    e.preventDefault();
    const button = $('#dl-submit');
    button.disabled = true;
    const checked = (name) => [...document.querySelectorAll(`#dl-form input[name=${name}]:checked`)].map((x) => x.value);
    const body = {
      outlets: checked('outlet'),
      kind: kind.value,
      start: minute($('#dl-start').value),
      end: minute($('#dl-end').value),
      codes: kind.value === 'factor_abnormal' ? checked('factor') : [],
      reason: $('#dl-reason').value.trim(),
    };
    try {
      const d = await api('/declarations', { method: 'POST', body: JSON.stringify(body) });
      const file = $('#dl-file').files[0];
      if (file) {
        try {
          await sendFile(`/declarations/${d.id}/files`, file);
        } catch (err) {
          // The declaration exists: go to it (submitting the form again would make a second).
          history.pushState(null, '', `#/declarations/${d.id}`);
          await declarationPage(d.id);
          $('#dl-error').textContent = t('dl_file_failed').replace('{id}', d.id) + err.message;
          return;
        }
      }
      await after();
    } catch (err) { $('#dl-form-error').textContent = err.message; button.disabled = false; }
  };
}

const pct = (v) => (v == null ? '—' : `${Math.round(v * 100)}%`);

/** The statistics per enterprise (the bureau): counts by kind, hours, shares. */
function statsTable(rows) {
  if (!rows.length) return `<p class="muted" id="dl-stats-none">${t('dl_none')}</p>`;
  return `<div class="table-wrap"><table id="dl-stats"><thead><tr><th>${t('dl_enterprise')}</th>${KINDS.map((k) => `<th class="num">${esc(t('dlk_' + k))}</th>`).join('')}
    <th class="num">${t('dl_n')}</th><th class="num">${t('dls_pending')}</th><th class="num">${t('dl_hours_declared')}</th><th class="num">${t('dl_hours_approved')}</th>
    <th class="num">${t('dl_approved_share')}</th><th class="num">${t('dl_rejected_share')}</th><th class="num">${t('dl_late_share')}</th></tr></thead><tbody>
    ${rows.map((s) => `<tr data-enterprise="${esc(s.enterprise)}"><td>${esc(s.enterprise_name)}</td>${KINDS.map((k) => `<td class="num">${(s.by_kind || {})[k] || 0}</td>`).join('')}
      <td class="num">${s.declarations}</td><td class="num">${s.pending}</td><td class="num">${s.outlet_hours_declared}</td><td class="num">${s.outlet_hours_approved}</td>
      <td class="num">${pct(s.approved_share)}</td><td class="num">${pct(s.rejected_share)}</td><td class="num${s.late_share ? ' warn' : ''}">${pct(s.late_share)}</td></tr>`).join('')}</tbody></table></div>
    <p class="muted">${t('dl_stats_note')}</p>`;
}

/** One declaration: its facts, files, acts, steps and, approved, its hours shown as declared. */
async function declarationPage(id) {
  const gen = state.routing;
  const d = await api('/declarations/' + id);
  if (gen !== state.routing) return;
  const canFile = d.state === 'pending' && (d.acts || []).includes('withdraw');
  $('#view').innerHTML = `<p><a href="#/declarations">← ${t('dl_title')}</a></p><h2>${t('dl_one')} ${d.id} · ${esc(d.enterprise_name)} ${kindTag(d.kind)}</h2>
    <div class="card kv" id="dl-facts"><div>${t('status')}${t('colon')}${stateTag(d.state)} ${lateTag(d)}</div>
      <div>${t('dl_outlets')}${t('colon')}${outletNames(d)}</div>
      <div>${t('dl_period')}${t('colon')}${esc(d.start)} – ${esc(d.end)} ${t('bj')}${esc(paren(`${d.hours} ${t('dl_h')}`))}</div>
      <div>${t('dl_factors')}${t('colon')}${factors(d)}</div>
      <div class="wide">${t('dl_reason')}${t('colon')}${esc(d.reason)}</div>
      <div>${t('dl_declared')}${t('colon')}${esc(d.declared_by)} · ${esc(bjText(d.declared))}</div>
      ${d.reviewed_by ? `<div>${t('dl_reviewed')}${t('colon')}${esc(d.reviewed_by)} · ${esc(bjText(d.reviewed))}${d.review_note ? `<br>${esc(d.review_note)}` : ''}</div>` : ''}</div>
    <p id="dl-acts">${actButtons(d)}</p><p id="dl-error" class="error"></p>
    <h3>${t('dl_files')}</h3>${d.files.length ? `<ul id="dl-files">${d.files.map((f) => `<li><a href="/api/v1/declarations/${d.id}/files?file=${encodeURIComponent(f.file)}" target="_blank" rel="noopener">${esc(f.name)}</a>
      <span class="muted">${Math.ceil(f.size / 1024)} KiB · ${esc(f.by)} · ${esc(bjText(f.at))}</span></li>`).join('')}</ul>` : `<p class="muted" id="dl-no-files">${t('dl_no_files')}</p>`}
    ${canFile ? `<p>${filePicker('dl-more', '.pdf,.jpg,.jpeg,.png')}</p>` : ''}
    ${d.state === 'approved' ? `<h3>${t('dl_hours')}</h3><p class="muted">${t('dl_hours_note')}</p><div id="dl-hours">…</div>` : ''}
    <h3>${t('gr_timeline')}</h3><ol class="wtl" id="dl-timeline">${(d.events || []).map((e) => `<li data-action="${esc(e.action)}"><span class="wtl-time">${esc(bjText(e.at))}</span>
      <span><b>${esc(t('dle_' + e.action))}</b> · ${esc(e.by)} → ${stateTag(e.state)}${e.note ? `<br>${esc(e.note)}` : ''}</span></li>`).join('')}</ol>`;
  wireActs($('#view'), () => declarationPage(id));
  if ($('#dl-more')) {
    wireFilePicker('dl-more');
    $('#dl-more').addEventListener('change', async () => {
      const file = $('#dl-more').files[0];
      if (!file) return;
      try { await sendFile(`/declarations/${d.id}/files`, file); await declarationPage(id); } catch (err) { $('#dl-error').textContent = err.message; }
    });
  }
  if (d.state === 'approved') await declaredHours(d, gen);
}

/** Each outlet's hours of the declaration (at most its first 7 days) with the CEMS values: declared hours tagged 已申报, judged by nothing. */
async function declaredHours(d, gen) {
  const from = d.start.slice(0, 10);
  const lastDay = d.end.slice(11) === '00:00' ? new Date(Date.parse(d.end.slice(0, 10) + 'T00:00:00Z') - 86400000).toISOString().slice(0, 10) : d.end.slice(0, 10);
  const limit = new Date(Date.parse(from + 'T00:00:00Z') + 6 * 86400000).toISOString().slice(0, 10);
  const to = lastDay < limit ? lastDay : limit;
  const parts = [];
  for (const o of d.outlets) {
    const [hours, rows] = await Promise.all([
      api(`/outlets/${encodeURIComponent(o.id)}/declared?from=${from}&to=${to}`),
      api(`/outlets/${encodeURIComponent(o.id)}/emissions?from=${from}&to=${to}&per_page=1000`).catch(() => ({ items: [] })),
    ]);
    const byHour = new Map();
    for (const h of hours.items || []) byHour.set(h.hour, h);
    const values = new Map();
    for (const r of rows.items || rows.rows || []) {
      if (!values.has(r.hour)) values.set(r.hour, []);
      values.get(r.hour).push(r);
    }
    const covered = [...byHour.values()].filter((h) => h.declaration === d.id);
    parts.push(`<h4>${esc(o.name_zh + paren(o.id))}</h4><div class="table-wrap"><table class="dl-hours" data-outlet="${esc(o.id)}"><thead><tr><th>${t('dl_hour')}</th><th>${t('dl_kind')}</th>
      ${FACTORS.slice(0, 2).map((c) => `<th class="num">${esc(factorName(c) + paren('mg/m³'))}</th>`).join('')}<th>${t('dl_verdict')}</th></tr></thead><tbody>
      ${covered.map((h) => {
        const vs = values.get(h.hour) || [];
        const v = (c) => { const r = vs.find((x) => x.code === c); return r && r.measured != null ? Number(r.measured).toFixed(1) : '—'; };
        const over = vs.filter((x) => x.exceeds).map((x) => factorName(x.code));
        // 因子异常 spares its factors only: the others are judged as ever.
        const spared = h.codes.length ? t('dl_not_judged_codes').replace('{codes}', h.codes.map(factorName).join(t('dl_list_sep'))) : t('dl_not_judged');
        const overTag = over.length ? `<span class="tag bad dl-over">${t('dl_exceeds')}${t('colon')}${esc(over.join(t('dl_list_sep')))}</span>` : '';
        const sparedText = h.codes.length || !over.length ? `<span class="muted dl-spared">${esc(spared)}</span>` : '';
        return `<tr data-hour="${esc(h.hour)}"><td class="nowrap">${esc(hourSpan(h.hour, true))}</td><td><span class="tag ok dl-declared">${t('dl_declared_tag')}</span> ${esc(t('dlk_' + h.kind))}${h.codes.length ? esc(paren(h.codes.map(factorName).join(t('dl_list_sep')))) : ''}</td>
          ${FACTORS.slice(0, 2).map((c) => `<td class="num">${v(c)}</td>`).join('')}<td>${[overTag, sparedText].filter(Boolean).join(' ')}</td></tr>`;
      }).join('')}</tbody></table></div>`);
  }
  if (gen !== state.routing || !$('#dl-hours')) return;
  $('#dl-hours').innerHTML = parts.join('');
}
