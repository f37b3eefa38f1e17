// The measures ledger: the plan's headline targets, the list with filters and exports, and one
// measure with its deadlines (and where each comes from), milestones, numeric targets with
// their actuals, the townships' parts, its history and the acts its reader may perform.
import { $, api, esc, state, t } from '../core.js';

/** A status as a tag: 逾期 in red, 已完成/已销号 in green. */
const statusTag = (s, zh) => `<span class="st st-${esc(s)}" data-status="${esc(s)}">${esc(t('st_' + s) || zh)}</span>`;

/** Where a deadline comes from, as a short label (方案正文 with its citation). */
function sourceLabel(source, cite) {
  const label = t('ds_' + source);
  return source === 'plan_body' && cite ? `${label}：${cite}` : label;
}

/** A verdict of a numeric target, coloured. */
const verdictTag = (v, zh) => `<span class="tag ${{ met: 'ok', not_met: 'bad' }[v] || 'info'}" data-verdict="${esc(v)}">${esc(t('vd_' + v) || zh)}</span>`;

/** A unit of a target in the reader's language (the API's are ASCII or symbols). */
const unitText = (u) => (u === 't/(km²·month)' ? t('u_t_km2_month') : u);

/** A number without float noise. */
const num = (v) => (v == null ? '—' : String(Math.round(v * 1000) / 1000));

/** The plan's headline targets (§1(二)): target (or 待省定), the computed actual, the verdict. */
async function planTargets() {
  const rows = await api('/ledger-plan-targets').catch(() => []);
  if (!rows.length) return '';
  return `<h3>${t('lg_plan_targets')}</h3><div class="table-wrap"><table id="plan-targets"><thead><tr><th>${t('rp_indicator')}</th><th class="num">${t('target')}</th>
    <th class="num">${t('lg_actual')}</th><th>${t('month')}</th><th>${t('tg_source')}</th><th>${t('lg_verdict')}</th></tr></thead><tbody>
    ${rows.map((r) => `<tr data-key="${esc(r.key)}"><td>${esc(t('lg_plan_' + r.key) === 'lg_plan_' + r.key ? r.text : t('lg_plan_' + r.key))} <span class="muted">${esc(unitText(r.unit))}</span></td>
      <td class="num">${r.target == null ? `<span class="muted">${t('lg_provincial_pending')}</span>` : num(r.target)}</td>
      <td class="num">${num(r.actual)}</td><td class="nowrap">${esc(r.month || '—')}</td><td class="nowrap">${r.actual_source ? t('as_' + r.actual_source) : '—'}</td>
      <td>${verdictTag(r.verdict, r.verdict_zh)}</td></tr>`).join('')}</tbody></table></div>
    <p class="muted">${t('lg_plan_note')}</p>`;
}

export async function ledgerPage(params) {
  const gen = state.routing;
  const q = new URLSearchParams(params);
  if (!state.me) q.delete('mine');
  const unresolvedOnly = q.get('unresolved') === '1';
  q.delete('unresolved');
  const [all, head] = await Promise.all([api('/ledger?per_page=1000'), planTargets()]);
  if (gen !== state.routing) return;
  const cats = [...new Set(all.items.map((m) => m.category))];
  const units = [...new Set(all.items.flatMap((m) => (m.lead_units + '、' + m.supporting_units).split('、')).filter((u) => u))];
  const sel = (id, label, values, cur) => `${label} <select id="${id}"><option value="">${t('all')}</option>${values.map((v) => `<option value="${esc(v[0])}" ${v[0] === cur ? 'selected' : ''}>${esc(v[1])}</option>`).join('')}</select>`;
  const statuses = ['not_started', 'in_progress', 'completed', 'closed', 'overdue'].map((s) => [s, t('st_' + s)]);
  $('#view').innerHTML = `<h2>${t('nav_ledger')}</h2>${head}<p class="filters">${sel('f-cat', t('category'), cats.map((c) => [c, c]), q.get('category'))}
    ${sel('f-unit', t('lead') + '/' + t('supporting'), units.map((u) => [u, u]), q.get('unit'))} ${sel('f-status', t('status'), statuses, q.get('status'))}
    ${t('deadline_before')} <input id="f-deadline" type="date" value="${esc(q.get('deadline_before') || '')}">
    <label><input id="f-unresolved" type="checkbox" ${unresolvedOnly ? 'checked' : ''}> ${t('lg_unresolved_only')}</label>
    ${state.me ? `<a href="#/ledger?mine=1" id="my-measures">${t('my_measures')}</a> ·` : ''} <a id="ledger-xlsx" href="#">${t('ledger_xlsx')}</a> · <a id="ledger-csv" href="#">CSV</a></p>
    <table id="ledger-table"><thead><tr><th>#</th><th>${t('task')}</th><th>${t('measure')}</th><th>${t('lead')}</th><th>${t('deadline')}</th><th>${t('status')}</th></tr></thead><tbody></tbody></table>`;
  const r = await api('/ledger?per_page=1000&' + q.toString());
  if (gen !== state.routing) return;
  $('#ledger-xlsx').href = '/api/v1/ledger?format=xlsx&' + q.toString();
  $('#ledger-csv').href = '/api/v1/ledger?format=csv&' + q.toString();
  const items = unresolvedOnly ? r.items.filter((m) => m.unresolved) : r.items;
  // The list joins the measure's own deadlines and then its milestones'; a default is marked.
  const deadline = (m) => {
    const all = m.deadlines ? m.deadlines.split('、') : [];
    const own = all.slice(0, all.length - (m.milestones || []).length);
    const mark = m.deadline_source === 'plan_end_default' ? `<span class="muted">${t('lg_default_mark')}</span>` : '';
    const parts = own.map((d) => esc(d) + mark).concat((m.milestones || []).map((x) => `${esc(x.deadline)}<span class="muted">（${esc(x.id)}）</span>`));
    return parts.join('<br>') || '—';
  };
  const lead = (m) => esc(m.lead_units) + (m.unresolved ? ` <span class="tag warn">${t('lg_unresolved')}</span>` : '');
  $('#ledger-table tbody').innerHTML = items.map((m) => `<tr data-id="${esc(m.id)}" data-status="${esc(m.status)}"><td><a href="#/measure/${esc(m.id)}">${esc(m.id)}</a></td><td>${esc(m.task)}</td><td>${esc(m.measure.slice(0, 60))}${m.measure.length > 60 ? '…' : ''}</td><td>${lead(m)}</td><td class="nowrap deadline">${deadline(m)}</td><td class="status nowrap">${statusTag(m.status, m.status_zh)}${m.at_risk ? ' ⚠' : ''}</td></tr>`).join('') || `<tr><td colspan="6">${t('no_data')}</td></tr>`;
  const go = () => {
    const n = new URLSearchParams();
    [['category', '#f-cat'], ['unit', '#f-unit'], ['status', '#f-status'], ['deadline_before', '#f-deadline']].forEach(([k, id]) => { if ($(id).value) n.set(k, $(id).value); });
    if ($('#f-unresolved').checked) n.set('unresolved', '1');
    location.hash = '#/ledger?' + n.toString();
  };
  ['#f-cat', '#f-unit', '#f-status', '#f-deadline', '#f-unresolved'].forEach((id) => { $(id).onchange = go; });
}

/** The acts a measure page offers, in order; the API says which the reader may do now. */
const ACTS = ['report', 'confirm', 'close', 'reopen'];

/** The act buttons of a part (milestone or township): only those the API allows, none on a closed item. */
const partButtons = (kind, p) => (p.status === 'closed' ? [] : ACTS.filter((a) => (p.allowed || []).includes(a)))
  .map((a) => `<button type="button" class="part-act" data-kind="${kind}" data-part="${esc(p.id)}" data-act="${a}">${t('act_' + a)}</button>`).join(' ');

/** The last report (or confirmation) of a part: time (Beijing time), month, text. */
function lastReport(p) {
  const e = (p.history || []).filter((x) => x.action !== 'overdue').slice(-1)[0];
  if (!e) return '—';
  return `<span class="nowrap">${esc(e.at)} ${t('bj')}</span> ${esc(t('ev_' + e.action))}${e.month ? ' · ' + esc(e.month) : ''}${e.text ? `<br><span class="muted">${esc(e.text)}</span>` : ''}`;
}

export async function measurePage(id, notice = '') {
  const gen = state.routing;
  const m = await api('/ledger/' + encodeURIComponent(id));
  if (gen !== state.routing) return;
  const me = state.me;
  const allowed = m.allowed || [];
  // What the caller may enter, as the API says (the same rules it checks).
  const may = m.may || {};
  const parts = m.parts || { milestones: [], townships: [], numbers: [] };
  const monthly = (m.monthly_targets || []).map((x) => `${esc(x.month)}: ${esc(x.value)}`).join('；');
  const acts = ACTS.filter((a) => allowed.includes(a));
  const actForm = acts.length
    ? `<form id="act-form" class="login"><select id="act">${acts.map((a) => `<option value="${a}">${t('act_' + a)}</option>`).join('')}</select>
      <label>${t('act_month')}<input id="act-month" type="month"></label><label>${t('act_text')}<textarea id="act-text" rows="3"></textarea></label>
      <button class="primary" type="submit">${t('submit')}</button><div id="act-result"></div></form>`
    : `<p class="muted" id="act-result">${t('allowed_none')}</p>`;
  const evidence = allowed.includes('evidence') ? `<p>${t('evidence')} <input id="evidence" type="file" accept=".pdf,.jpg,.jpeg,.png"></p>` : '';
  // Deadlines: the measure's own with their source, and each milestone's.
  const own = (m.deadlines || []).map((d) => `<li class="deadline" data-source="${esc(m.deadline_source)}"><b class="nowrap">${esc(d)}</b> <span class="muted">（${esc(sourceLabel(m.deadline_source, m.deadline_cite))}）</span></li>`);
  const ms = (m.milestone_progress || []).map((x) => `<li class="deadline" data-source="${esc(x.source)}" data-milestone="${esc(x.id)}"><b class="nowrap">${esc(x.deadline)}</b> ${esc(x.id)} ${esc(x.text)} <span class="muted">（${esc(sourceLabel(x.source))}）</span></li>`);
  const deadlines = own.length + ms.length ? `<ul id="deadlines" class="plain">${own.join('')}${ms.join('')}</ul>` : '<span id="deadlines">—</span>';
  const leadText = m.unresolved ? `${esc((m.lead_units || []).join('、'))} <span class="tag warn" id="unresolved">${t('lg_unresolved')}</span>` : esc((m.lead_units || []).join('、'));
  const milestones = (m.milestone_progress || []).length ? `<h3>${t('lg_milestones')}</h3><div class="table-wrap"><table id="milestones"><thead><tr><th>#</th><th>${t('lg_item')}</th><th>${t('deadline')}</th><th>${t('status')}</th><th>${t('lg_last_report')}</th><th></th></tr></thead><tbody>
    ${m.milestone_progress.map((x) => {
      const p = parts.milestones.find((y) => y.id === x.id) || { allowed: [], history: [], status: x.status };
      return `<tr data-part="${esc(x.id)}" data-status="${esc(x.status)}"><td class="nowrap">${esc(x.id)}</td><td>${esc(x.text)}</td><td class="nowrap">${esc(x.deadline)}<br><span class="muted">${esc(sourceLabel(x.source))}</span></td><td class="nowrap">${statusTag(x.status, x.status_zh)}</td><td>${lastReport(p)}</td><td class="nowrap">${me ? partButtons('milestone', p) : ''}</td></tr>`;
    }).join('')}</tbody></table></div>` : '';
  const tp = m.target_progress || [];
  const targets = tp.length ? `<h3>${t('lg_numeric_targets')}</h3><div class="table-wrap"><table id="target-progress"><thead><tr><th>${t('target')}</th><th class="num">${t('lg_target_value')}</th><th class="num">${t('lg_actual')}</th><th>${t('month')}</th><th>${t('tg_source')}</th><th>${t('lg_verdict')}</th></tr></thead><tbody>
    ${tp.map((x) => `<tr data-key="${esc(x.key)}"><td>${esc(x.text)}${x.provincial ? ` <span class="tag info">${t('lg_provincial')}</span>` : ''}</td><td class="num">${x.target == null ? `<span class="muted">${t('lg_provincial_pending')}</span>` : esc(t('cmp_' + x.comparison)) + num(x.target)} ${esc(unitText(x.unit))}</td>
      <td class="num actual">${num(x.actual)}</td><td class="nowrap">${esc(x.month || '—')}</td><td class="nowrap">${x.actual_source ? t('as_' + x.actual_source) : '—'}</td><td>${verdictTag(x.verdict, x.verdict_zh)}</td></tr>`).join('')}</tbody></table></div>
    ${me && may.enter_actuals ? `<form id="actual-form" class="row"><label>${t('target')} <select id="actual-key">${tp.map((x) => `<option value="${esc(x.key)}">${esc(x.text.slice(0, 30))}</option>`).join('')}</select></label>
      <label>${t('month')} <input id="actual-month" type="month" required></label><label>${t('lg_actual')} <input id="actual-value" type="number" step="any" required></label>
      <label>${t('rm_note')} <input id="actual-note"></label><button class="primary" type="submit">${t('lg_enter_actual')}</button></form>` : ''}
    ${me && may.set_provincial_targets && (m.provincial_targets || []).length ? `<form id="ptarget-form" class="row"><label>${t('lg_provincial')} <select id="ptarget-key">${m.provincial_targets.map((x) => `<option value="${esc(x.key)}">${esc(state.lang === 'zh' ? x.indicator_zh : x.indicator_en)} (${esc(unitText(x.unit))})</option>`).join('')}</select></label>
      <label>${t('target')} <input id="ptarget-value" type="number" step="any" required></label><label>${t('rm_note')} <input id="ptarget-note"></label>
      <button class="primary" type="submit">${t('lg_set_provincial')}</button></form>` : ''}<p id="number-result"></p>` : '';
  const resolve = m.unresolved && me && may.resolve_units ? `<h3>${t('lg_resolve')}</h3><form id="resolve-form" class="row"><label>${t('lead')} <input id="resolve-lead" required placeholder="${t('lg_units_hint')}"></label>
    <label>${t('supporting')} <input id="resolve-supporting" placeholder="${t('lg_units_hint')}"></label><label>${t('rm_note')} <input id="resolve-note"></label>
    <button class="primary" type="submit">${t('submit')}</button></form><p id="resolve-result"></p>` : '';
  // Townships' parts: a township's own account sees its own part; everyone else the table of all.
  const mine = me ? parts.townships.filter((p) => p.id === me.unit_id) : [];
  const shown = mine.length ? mine : parts.townships;
  const tpg = m.township_progress;
  const townships = m.township_share && shown.length ? `<h3>${mine.length ? t('lg_my_part') : t('lg_township_parts')}</h3>
    ${tpg && !mine.length ? `<p class="muted" id="township-summary">${t('lg_started')} <b id="township-started">${tpg.started}</b>/${tpg.units} · ${t('st_completed')} ${tpg.completed} · ${t('st_overdue')} ${tpg.overdue}</p>` : ''}
    <div class="table-wrap"><table id="township-parts"><thead><tr><th>${t('unit')}</th><th>${t('status')}</th><th>${t('lg_last_report')}</th><th></th></tr></thead><tbody>
    ${shown.map((p) => `<tr data-part="${esc(p.id)}" data-status="${esc(p.status)}" data-reports="${(p.history || []).filter((e) => e.action !== 'overdue').length}"><td class="nowrap">${esc(state.lang === 'en' && p.name_en ? p.name_en : p.name)}</td><td class="nowrap">${statusTag(p.status, p.status_zh)}</td><td>${lastReport(p)}</td><td class="nowrap">${me ? partButtons('township', p) : ''}</td></tr>`).join('')}</tbody></table></div>
    <p class="muted">${t('lg_township_note')}</p>` : '';
  $('#view').innerHTML = `<h2 id="measure-title">${esc(m.id)} · ${esc(m.task)}</h2>${notice ? `<p class="notice" id="measure-notice">${esc(notice)}</p>` : ''}
    <div class="card"><p>${esc(m.measure)}</p><p class="muted">${t('section')} ${esc(m.section)} · ${esc(m.category)}</p>
    <p>${t('lead')}${t('colon')}<span id="lead-units">${leadText}</span><br>${t('supporting')}${t('colon')}${esc((m.supporting_units || []).join('、') || '—')}</p>
    <div>${t('deadline')}${t('colon')}${deadlines}</div>
    ${monthly ? `<p>${t('monthly_targets')}${t('colon')}<span id="monthly-targets">${monthly}</span></p>` : ''}
    <p>${t('status')}${t('colon')}<b id="measure-status" class="st st-${esc(m.status)}" data-status="${esc(m.status)}">${esc(t('st_' + m.status))}</b></p></div>
    ${milestones}${targets}${resolve}${townships}
    <form id="part-form" class="login" hidden><b id="part-what"></b><label>${t('act_month')}<input id="part-month" type="month"></label>
      <label>${t('act_text')}<textarea id="part-text" rows="2"></textarea></label><button class="primary" type="submit">${t('submit')}</button><div id="part-result"></div></form>
    ${me ? `<h3>${t('action')}</h3>${actForm}${evidence}` : ''}
    <h3>${t('history')}</h3><table id="history"><thead><tr><th>${t('time')}（${t('bj')}）</th><th>${t('actor')}</th><th>${t('org')}</th><th>${t('action')}</th><th>${t('month')}</th><th></th></tr></thead><tbody>${(m.history || []).slice().reverse().map((e) => `<tr><td class="event-time nowrap">${esc(e.at)}</td><td>${esc(e.actor || '')}</td><td>${esc(e.unit_name || e.unit || '')}</td><td class="nowrap">${esc(t('ev_' + e.action))}</td><td class="nowrap">${esc(e.month || '')}</td><td>${esc(e.text || '')}</td></tr>`).join('')}</tbody></table>`;
  if (!me) return;
  const post = (path, body) => api('/ledger/' + encodeURIComponent(id) + path, { method: 'POST', body: JSON.stringify(body) });
  if ($('#act-form')) {
    $('#act-form').onsubmit = async (ev) => {
      ev.preventDefault();
      try {
        const r = await post('/events', { action: $('#act').value, month: $('#act-month').value || null, text: $('#act-text').value });
        // A township's plain report goes to its own part (the answer names it).
        const part = r.part && (parts.townships.concat(parts.milestones).find((p) => r.part.endsWith(':' + p.id) || r.part === p.id) || { name: r.part }).name;
        await measurePage(id, t('saved') + t('colon') + (part ? part + ' ' : '') + t('st_' + r.status));
      } catch (err) { $('#act-result').innerHTML = `<span class="error">${esc(err.message)}</span>`; }
    };
  }
  // A part's act: the button moves the one part form under its table and names what it acts on.
  let on = null;
  document.querySelectorAll('.part-act').forEach((b) => {
    b.onclick = () => {
      on = { kind: b.dataset.kind, part: b.dataset.part, act: b.dataset.act, label: b.closest('tr').cells[0].textContent };
      const f = $('#part-form');
      b.closest('.table-wrap').after(f);
      f.hidden = false;
      $('#part-what').textContent = `${on.label} · ${t('act_' + on.act)}`;
      $('#part-result').textContent = '';
      $('#part-text').focus();
    };
  });
  $('#part-form').onsubmit = async (ev) => {
    ev.preventDefault();
    if (!on) return;
    try {
      const body = { action: on.act, month: $('#part-month').value || null, text: $('#part-text').value };
      body[on.kind] = on.part;
      const r = await post('/events', body);
      await measurePage(id, t('saved') + t('colon') + on.label + ' ' + t('st_' + r.status));
    } catch (err) { $('#part-result').innerHTML = `<span class="error">${esc(err.message)}</span>`; }
  };
  const numbers = (form, send) => {
    if (!$(form)) return;
    $(form).onsubmit = async (ev) => {
      ev.preventDefault();
      try { await send(); await measurePage(id, t('saved')); } catch (err) { $('#number-result').innerHTML = `<span class="error">${esc(err.message)}</span>`; }
    };
  };
  numbers('#actual-form', () => post('/actuals', { target: $('#actual-key').value, month: $('#actual-month').value, value: Number($('#actual-value').value), note: $('#actual-note').value }));
  numbers('#ptarget-form', () => post('/target', { key: $('#ptarget-key').value, value: Number($('#ptarget-value').value), note: $('#ptarget-note').value }));
  if ($('#resolve-form')) {
    const list = (s) => s.split(/[、,，;；\s]+/).map((x) => x.trim()).filter(Boolean);
    $('#resolve-form').onsubmit = async (ev) => {
      ev.preventDefault();
      try {
        await post('/resolve', { lead_units: list($('#resolve-lead').value), supporting_units: list($('#resolve-supporting').value), note: $('#resolve-note').value });
        await measurePage(id, t('saved'));
      } catch (err) { $('#resolve-result').innerHTML = `<span class="error">${esc(err.message)}</span>`; }
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
