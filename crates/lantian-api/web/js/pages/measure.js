// One measure of the ledger: its deadlines (and where each comes from), milestones, numeric
// targets with their actuals, the townships' parts, its evidence (images shown, PDFs opened,
// every file downloadable under its own name), the bureau's reminders (督办 / 催办), its
// history, and only the acts its reader may take on it now.
import { $, api, esc, state, t, upload } from '../core.js';

/** The largest evidence file the API takes (5 MiB), checked before sending. */
const EVIDENCE_BYTES_MAX = 5 * 1024 * 1024;

/** A status as a tag: 逾期 in red, 已完成/已销号 in green. */
export const statusTag = (s, zh) => `<span class="st st-${esc(s)}" data-status="${esc(s)}">${esc(t('st_' + s) || zh)}</span>`;

/** Days overdue or days left, as a tag (nothing when neither applies). */
export function dueTag(m) {
  if (m.overdue_days != null) return ` <span class="tag bad due" data-overdue-days="${m.overdue_days}">${esc(t('lg_overdue_days').replace('{n}', m.overdue_days))}</span>`;
  if (m.days_left != null && m.at_risk) return ` <span class="tag warn due" data-days-left="${m.days_left}">${esc(t('lg_days_left').replace('{n}', m.days_left))}</span>`;
  return '';
}

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

/** Who acted, in the reader's language (the scheduler is "system"). */
const actorText = (a) => (a === 'system' ? t('lg_system') : a || '');

/** A time column's head: 时间（北京时间） / Time (Beijing time). */
const bjHead = () => (state.lang === 'en' ? `${t('time')} (${t('bj')})` : `${t('time')}（${t('bj')}）`);

/** A file size in KB or MB. */
const size = (b) => (b == null ? '' : b >= 1048576 ? `${(b / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(b / 1024))} KB`);

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

/** The URL of an evidence file: shown in the browser, or saved with `download`. */
const fileUrl = (id, f, download = false) => `/api/v1/ledger/${encodeURIComponent(id)}/evidence?file=${encodeURIComponent(f.file)}${download ? '&download=1' : ''}`;

/** The evidence section: each file with a preview (images), open and download links. */
function evidenceSection(m, canUpload) {
  const files = m.evidence || [];
  const list = files.length ? `<ul id="evidence-list" class="plain">${files.map((f) => `<li class="evidence-file" data-file="${esc(f.file)}" data-kind="${esc(f.kind)}" style="margin:.4rem 0">
      ${f.kind === 'pdf' ? '' : `<a href="${fileUrl(m.id, f)}" target="_blank" rel="noopener"><img class="evidence-thumb" src="${fileUrl(m.id, f)}" alt="${esc(f.name)}" loading="lazy" style="max-width:160px;max-height:120px;vertical-align:middle;border:1px solid #ccc"></a>`}
      <b class="evidence-name">${esc(f.name)}</b> <span class="muted">${esc(f.kind.toUpperCase())} ${esc(size(f.bytes))} · <span class="nowrap">${esc(f.at)} ${t('bj')}</span> · ${esc(f.unit_name || f.unit || '')} ${esc(actorText(f.actor))}</span>
      <a class="evidence-open" href="${fileUrl(m.id, f)}" target="_blank" rel="noopener">${t(f.kind === 'pdf' ? 'lg_open_pdf' : 'lg_open_image')}</a> ·
      <a class="evidence-download" href="${fileUrl(m.id, f, true)}" download="${esc(f.name)}">${t('lg_download')}</a></li>`).join('')}</ul>`
    : `<p class="muted" id="evidence-list">${t('lg_no_evidence')}</p>`;
  // The browser's own file button speaks the browser's language: a button of ours instead.
  const input = canUpload ? `<p>${t('evidence')} <label class="button" id="evidence-pick" style="display:inline-block;padding:.2rem .7rem;border:1px solid #888;border-radius:4px;cursor:pointer;background:#fff">${t('lg_choose_file')}<input id="evidence" type="file" hidden accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"></label></p><p id="evidence-result" role="status"></p>` : '';
  return `<h3>${t('lg_evidence')}</h3>${list}${input}`;
}

/** The reminders (督办 / 催办) on the measure, the bureau's form, and 签收 for the reminded unit. */
function remindersSection(m) {
  const rs = m.reminders || [];
  const units = m.reminder_units || [];
  if (!rs.length && !units.length) return '';
  const unitName = (r) => (state.lang === 'en' ? r.unit_name_en : r.unit_name);
  const rows = rs.map((r) => `<tr data-reminder="${r.id}" data-acked="${r.acked_at ? 1 : 0}"><td class="nowrap">${esc(r.at)}</td><td class="nowrap">${t('rk_' + r.kind)}</td><td>${esc(unitName(r))}</td><td>${esc(r.text)}</td>
    <td>${r.acked_at ? `<span class="tag ok">${t('lg_acked')}</span> <span class="nowrap muted">${esc(r.acked_at)}</span>${r.reply ? `<br>${esc(r.reply)}` : ''}` : `<span class="tag warn">${t('lg_not_acked')}</span>`}</td>
    <td class="nowrap">${r.may_ack ? `<input class="ack-reply" placeholder="${t('lg_reply_hint')}"> <button type="button" class="ack" data-id="${r.id}">${t('lg_ack')}</button>` : ''}</td></tr>`).join('');
  const table = rs.length ? `<div class="table-wrap"><table id="reminders"><thead><tr><th>${bjHead()}</th><th>${t('lg_reminder_kind')}</th><th>${t('lg_reminded_unit')}</th><th>${t('lg_reminder_text')}</th><th>${t('lg_ack_state')}</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>` : `<p class="muted">${t('lg_no_reminders')}</p>`;
  const form = units.length ? `<form id="remind-form" class="row"><label for="remind-kind">${t('lg_reminder_kind')}</label> <select id="remind-kind"><option value="supervise">${t('rk_supervise')}</option><option value="urge">${t('rk_urge')}</option></select>
    <label for="remind-unit">${t('lg_reminded_unit')}</label> <select id="remind-unit"><option value="">${t('lg_all_leads')}</option>${units.map(([id, zh, en]) => `<option value="${esc(id)}">${esc(state.lang === 'en' ? en : zh)}</option>`).join('')}</select>
    <label style="max-width:100%">${t('lg_reminder_text')} <input id="remind-text" required style="width:24rem;max-width:100%;box-sizing:border-box"></label><button class="primary" type="submit">${t('lg_send_reminder')}</button></form><p id="remind-result" role="status"></p>` : '';
  return `<h3>${t('lg_reminders')}</h3>${table}${form}`;
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
  // Townships' parts: a township's own account sees its own part; everyone else the table of all.
  const mine = me ? parts.townships.filter((p) => p.id === me.unit_id) : [];
  // The evidence an act of the reader would count: a township's own files for its part, else the measure's.
  const ownEvidence = (m.evidence || []).filter((f) => (mine.length ? f.unit === me.unit_id : true));
  const actForm = acts.length
    ? `<form id="act-form" class="login"><select id="act">${acts.map((a) => `<option value="${a}">${t('act_' + a)}</option>`).join('')}</select>
      <label>${t('act_month')}<input id="act-month" type="month"></label><label>${t('act_text')}<textarea id="act-text" rows="3"></textarea></label>
      <p class="muted" id="act-needs"></p>
      <button class="primary" type="submit">${t('submit')}</button><div id="act-result" role="status"></div></form>`
    : `<p class="muted" id="act-result">${t('allowed_none')}</p>`;
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
    ${me && may.enter_actuals ? `<form id="actual-form" class="row"><label for="actual-key">${t('target')}</label> <select id="actual-key">${tp.map((x) => `<option value="${esc(x.key)}">${esc(state.lang === 'en' ? `${x.key}: ${t('cmp_' + x.comparison)}${num(x.target)} ${unitText(x.unit)}` : x.text.slice(0, 30))}</option>`).join('')}</select>
      <label>${t('month')} <input id="actual-month" type="month" required></label><label>${t('lg_actual')} <input id="actual-value" type="number" step="any" required></label>
      <label>${t('rm_note')} <input id="actual-note"></label><button class="primary" type="submit">${t('lg_enter_actual')}</button></form>` : ''}
    ${me && may.set_provincial_targets && (m.provincial_targets || []).length ? `<form id="ptarget-form" class="row"><label for="ptarget-key">${t('lg_provincial')}</label> <select id="ptarget-key">${m.provincial_targets.map((x) => `<option value="${esc(x.key)}">${esc(state.lang === 'zh' ? x.indicator_zh : x.indicator_en)} (${esc(unitText(x.unit))})</option>`).join('')}</select>
      <label>${t('target')} <input id="ptarget-value" type="number" step="any" required></label><label>${t('rm_note')} <input id="ptarget-note"></label>
      <button class="primary" type="submit">${t('lg_set_provincial')}</button></form>` : ''}<p id="number-result"></p>` : '';
  const resolve = m.unresolved && me && may.resolve_units ? `<h3>${t('lg_resolve')}</h3><form id="resolve-form" class="row"><label>${t('lead')} <input id="resolve-lead" required placeholder="${t('lg_units_hint')}"></label>
    <label>${t('supporting')} <input id="resolve-supporting" placeholder="${t('lg_units_hint')}"></label><label>${t('rm_note')} <input id="resolve-note"></label>
    <button class="primary" type="submit">${t('submit')}</button></form><p id="resolve-result"></p>` : '';
  const shown = mine.length ? mine : parts.townships;
  const tpg = m.township_progress;
  const townships = m.township_share && shown.length ? `<h3>${mine.length ? t('lg_my_part') : t('lg_township_parts')}</h3>
    ${tpg && !mine.length ? `<p class="muted" id="township-summary">${t('lg_started')} <b id="township-started">${tpg.started}</b>/${tpg.units} · ${t('st_completed')} ${tpg.completed} · ${t('st_overdue')} ${tpg.overdue}</p>` : ''}
    <div class="table-wrap"><table id="township-parts"><thead><tr><th>${t('unit')}</th><th>${t('status')}</th><th>${t('lg_last_report')}</th><th></th></tr></thead><tbody>
    ${shown.map((p) => `<tr data-part="${esc(p.id)}" data-status="${esc(p.status)}" data-reports="${(p.history || []).filter((e) => e.action !== 'overdue').length}"><td class="nowrap">${esc(state.lang === 'en' && p.name_en ? p.name_en : p.name)}</td><td class="nowrap">${statusTag(p.status, p.status_zh)}</td><td>${lastReport(p)}</td><td class="nowrap">${me ? partButtons('township', p) : ''}</td></tr>`).join('')}</tbody></table></div>
    <p class="muted">${t('lg_township_note')}</p>` : '';
  const history = `<h3>${t('history')}</h3><div class="table-wrap"><table id="history"><thead><tr><th>${bjHead()}</th><th>${t('actor')}</th><th>${t('org')}</th><th>${t('action')}</th><th>${t('month')}</th><th></th></tr></thead><tbody>${(m.history || []).slice().reverse().map((e) => `<tr data-action="${esc(e.action)}"><td class="event-time nowrap">${esc(e.at)}</td><td class="nowrap">${esc(actorText(e.actor))}</td><td class="nowrap">${esc(e.unit_name || e.unit || '')}</td><td class="nowrap">${esc(t('ev_' + e.action))}</td><td class="nowrap">${esc(e.month || '')}</td><td>${e.action === 'evidence' && e.text ? `<a href="${fileUrl(m.id, { file: e.text })}" target="_blank" rel="noopener">${esc(e.text.replace(/^\d+-(\d{1,3}-)?/, ''))}</a>` : e.action === 'overdue' ? esc(t('lg_past_deadline')) : e.action === 'import' ? '' : esc(e.text || '')}</td></tr>`).join('')}</tbody></table></div>`;
  const dismiss = `<button type="button" id="notice-close" aria-label="${t('lg_dismiss')}" style="float:right;border:0;background:none;cursor:pointer">×</button>`;
  $('#view').innerHTML = `<h2 id="measure-title">${esc(m.id)} · ${esc(m.task)}</h2>${notice ? `<p class="notice" id="measure-notice" role="status">${dismiss}${esc(notice)}</p>` : ''}
    <div class="card"><p lang="zh">${esc(m.measure)}</p><p id="measure-section"><span class="muted">${t('section')}</span> <span lang="zh">${esc(m.section)} · ${esc(m.category)}</span></p>
    <p>${t('lead')}${t('colon')}<span id="lead-units">${leadText}</span><br>${t('supporting')}${t('colon')}${esc((m.supporting_units || []).join('、') || '—')}</p>
    <div>${t('deadline')}${t('colon')}${deadlines}</div>
    ${monthly ? `<p>${t('monthly_targets')}${t('colon')}<span id="monthly-targets">${monthly}</span></p>` : ''}
    <p>${t('status')}${t('colon')}<b id="measure-status" class="st st-${esc(m.status)}" data-status="${esc(m.status)}">${esc(t('st_' + m.status))}</b>${dueTag(m)}</p></div>
    ${milestones}${targets}${resolve}${townships}
    <form id="part-form" class="login" hidden><b id="part-what"></b><label>${t('act_month')}<input id="part-month" type="month"></label>
      <label>${t('act_text')}<textarea id="part-text" rows="2"></textarea></label><button class="primary" type="submit">${t('submit')}</button><div id="part-result" role="status"></div></form>
    ${me ? `<h3>${t('action')}</h3>${actForm}${evidenceSection(m, allowed.includes('evidence'))}${remindersSection(m)}` : ''}
    ${history}`;
  if ($('#notice-close')) $('#notice-close').onclick = () => $('#measure-notice').remove();
  if (!me) return;
  const post = (path, body) => api('/ledger/' + encodeURIComponent(id) + path, { method: 'POST', body: JSON.stringify(body) });
  const fail = (where, err) => { $(where).innerHTML = `<span class="error">${esc(err.message)}</span>`; };
  /** What an act needs before it is sent (the API checks the same): text; evidence to confirm or close. */
  const needs = (act, text) => {
    if (act === 'reopen') return '';
    if (!text.trim()) return t(act === 'close' ? 'lg_need_reason' : 'lg_need_text');
    if ((act === 'confirm' || act === 'close') && !ownEvidence.length) return t('lg_need_evidence');
    return '';
  };
  if ($('#act-form')) {
    const hint = () => {
      const a = $('#act').value;
      $('#act-needs').textContent = (a === 'confirm' || a === 'close') && !ownEvidence.length ? t('lg_need_evidence') : '';
    };
    $('#act').onchange = hint;
    hint();
    $('#act-form').onsubmit = async (ev) => {
      ev.preventDefault();
      const why = needs($('#act').value, $('#act-text').value);
      if (why) { $('#act-result').innerHTML = `<span class="error">${esc(why)}</span>`; return; }
      try {
        const r = await post('/events', { action: $('#act').value, month: $('#act-month').value || null, text: $('#act-text').value });
        // A township's plain report goes to its own part (the answer names it).
        const part = r.part && (parts.townships.concat(parts.milestones).find((p) => r.part.endsWith(':' + p.id) || r.part === p.id) || { name: r.part });
        const label = part ? (state.lang === 'en' && part.name_en ? part.name_en : part.name) + ' ' : '';
        await measurePage(id, t('saved') + t('colon') + label + t('st_' + r.status));
      } catch (err) { fail('#act-result', err); }
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
    if (on.act !== 'reopen' && !$('#part-text').value.trim()) { $('#part-result').innerHTML = `<span class="error">${esc(t(on.act === 'close' ? 'lg_need_reason' : 'lg_need_text'))}</span>`; return; }
    try {
      const body = { action: on.act, month: $('#part-month').value || null, text: $('#part-text').value };
      body[on.kind] = on.part;
      const r = await post('/events', body);
      await measurePage(id, t('saved') + t('colon') + on.label + ' ' + t('st_' + r.status));
    } catch (err) { fail('#part-result', err); }
  };
  const numbers = (form, send) => {
    if (!$(form)) return;
    $(form).onsubmit = async (ev) => {
      ev.preventDefault();
      try { await send(); await measurePage(id, t('saved')); } catch (err) { fail('#number-result', err); }
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
      } catch (err) { fail('#resolve-result', err); }
    };
  }
  if ($('#evidence')) {
    $('#evidence').onchange = async () => {
      const f = $('#evidence').files[0];
      if (!f) return;
      const out = $('#evidence-result');
      // Refusals the API would give, said before sending (it checks them again, by content).
      if (f.size > EVIDENCE_BYTES_MAX) { out.innerHTML = `<span class="error">${esc(t('lg_too_big').replace('{name}', f.name).replace('{mb}', (f.size / 1048576).toFixed(1)))}</span>`; return; }
      if (!/\.(pdf|jpe?g|png)$/i.test(f.name)) { out.innerHTML = `<span class="error">${esc(t('lg_bad_type').replace('{name}', f.name))}</span>`; return; }
      out.textContent = t('lg_uploading').replace('{name}', f.name);
      try {
        // A header is ISO-8859-1: the name travels percent-encoded (the API decodes it).
        const body = await upload('/ledger/' + encodeURIComponent(id) + '/evidence', f, { 'X-Filename': encodeURIComponent(f.name) });
        await measurePage(id, t('lg_uploaded').replace('{name}', f.name).replace('{file}', body.file));
      } catch (err) {
        out.innerHTML = `<span class="error">${esc(t('lg_upload_failed').replace('{name}', f.name))}${esc(err.message)}</span>`;
        $('#evidence').value = '';
      }
    };
  }
  if ($('#remind-form')) {
    $('#remind-form').onsubmit = async (ev) => {
      ev.preventDefault();
      if (!$('#remind-text').value.trim()) { $('#remind-result').innerHTML = `<span class="error">${esc(t('lg_need_text'))}</span>`; return; }
      try {
        const r = await post('/remind', { kind: $('#remind-kind').value, unit: $('#remind-unit').value || null, text: $('#remind-text').value });
        await measurePage(id, t('lg_reminder_sent').replace('{n}', r.reminders.length));
      } catch (err) { fail('#remind-result', err); }
    };
  }
  document.querySelectorAll('#reminders button.ack').forEach((b) => {
    b.onclick = async () => {
      try {
        await api('/ledger-reminders/ack', { method: 'POST', body: JSON.stringify({ id: Number(b.dataset.id), reply: b.closest('tr').querySelector('.ack-reply').value }) });
        await measurePage(id, t('lg_acked'));
      } catch (err) { fail('#remind-result', err); }
    };
  });
}
