// Credit records (信用记录): the internal list (#/credit: the bureau every entry, an
// enterprise its own, with its level, publication period, phase and state, filtered), one
// entry (#/credit/ID) with its objections (异议) and repair applications (信用修复) and the
// bureau's answers, and the public credit list (#/credit-public, 信用公示: no login; only the
// entries whose publication period contains today's Beijing date). An enterprise also finds
// its own cases here (read-only). Organisations only: the public list shows no person's data.
import { $, api, esc, pager, state, t, wirePager } from '../core.js';
import { hasAct, opt } from './grid.js';
import { bjText, caseTag, textInLang } from './cases.js';

const LEVEL_CLASS = { serious: 'bad', general: 'warn' };
const PHASE_CLASS = { public: 'bad', scheduled: 'info', expired: 'ok', repaired: 'ok', withdrawn: 'info' };
const REQUEST_STATE_CLASS = { pending: 'warn', granted: 'ok', rejected: 'bad' };

/** A text in the page's language from the API's `_zh` / `_en` pair. */
const zhEn = (o, k) => (state.lang === 'zh' ? o[k + '_zh'] : o[k + '_en'] || o[k + '_zh']) ?? '';

const levelTag = (e) => `<span class="tag ${LEVEL_CLASS[e.level] || 'info'} credit-level" data-level="${esc(e.level)}">${esc(zhEn(e, 'level'))}</span>`;
const phaseTag = (e) => `<span class="tag ${PHASE_CLASS[e.phase] || 'info'} credit-phase" data-phase="${esc(e.phase)}">${esc(zhEn(e, 'phase'))}</span>`;
/** A publication period of Beijing dates. */
const period = (e) => `<span class="period">${esc(e.publish_from)} — ${esc(e.publish_until)}</span>`;

/** Entries per page of the lists (上一页 / 下一页 walk the rest). */
const PER_PAGE = 100;

/** The public credit list (信用公示), page `page`. */
export async function creditPublicPage(page = 1) {
  const gen = state.routing;
  const r = await api(`/credit/public?page=${page}&per_page=${PER_PAGE}`);
  if (gen !== state.routing) return;
  const items = r.entries || [];
  $('#view').innerHTML = `<h2>${t('cc_public_title')}</h2><p class="muted">${t('cc_public_note')}</p>
    <div class="table-wrap">${items.length ? `<table id="credit-public"><thead><tr><th>${t('cc_subject')}</th><th>${t('cc_code')}</th><th>${t('cc_level')}</th><th>${t('cs_violation')}</th>
      <th>${t('cs_no')}</th><th>${t('cc_decision')}</th><th>${t('cc_period_bj')}</th></tr></thead><tbody>
      ${items.map((e) => `<tr data-id="${e.id}" data-case="${esc(e.case_no)}"><td>${esc(e.subject_name)}<br><span class="muted">${esc(zhEn(e, 'subject_kind'))}</span></td><td class="nowrap mono">${esc(e.credit_code || '—')}</td>
        <td>${levelTag(e)}${e.under_objection ? ` <span class="tag info under-objection">${t('cc_under_objection')}</span>` : ''}</td><td>${esc(zhEn(e, 'violation'))}</td>
        <td class="nowrap">${esc(e.case_no)}</td><td>${esc(textInLang(e.decision_line))}</td><td class="nowrap">${period(e)}</td></tr>`).join('')}</tbody></table>
        <p class="muted">${t('cs_total')} ${r.total ?? items.length}</p>${pager(r, 'credit-public-pages')}`
      : `<p class="muted" id="credit-public-none">${t('cc_none_public')}</p>`}</div>`;
  wirePager($('#view'), (n) => creditPublicPage(n));
}

const FILTERS = [
  ['level', ['serious', 'general']],
  ['phase', ['scheduled', 'public', 'expired', 'repaired', 'withdrawn']],
  ['subject_kind', ['enterprise', 'contractor']],
];

/** The internal list (`#/credit?level=…&phase=…&subject_kind=…`) or one entry (`#/credit/ID`). */
export async function creditPage(rest = '') {
  const one = rest.match(/^\/(\d+)/);
  if (one) return entryPage(one[1]);
  const gen = state.routing;
  const q = new URLSearchParams(rest.replace(/^\?/, ''));
  const f = Object.fromEntries(FILTERS.map(([k]) => [k, q.get(k) || '']));
  const qs = new URLSearchParams(Object.entries(f).filter(([, v]) => v)).toString();
  const page = Math.max(1, Number(q.get('page')) || 1);
  const manage = hasAct('manage_credit');
  // An enterprise (no credit management) also reads its own cases here.
  const [r, cases] = await Promise.all([api(`/credit?${qs ? qs + '&' : ''}page=${page}&per_page=${PER_PAGE}`), !manage && hasAct('see_cases') ? api('/cases?per_page=200') : null]);
  if (gen !== state.routing) return;
  const items = r.entries || [];
  const select = (k, values) => `<label>${t('cc_' + k)} <select data-f="${k}"><option value="">${t('all')}</option>${values.map((v) => opt(v, t(`cc_${k}_${v}`), f[k])).join('')}</select></label>`;
  $('#view').innerHTML = `<h2>${t(manage ? 'cc_title' : 'cc_own_title')}</h2><p class="muted">${t(manage ? 'cc_note' : 'cc_own_note')} <a href="#/credit-public">${t('cc_public_title')}</a></p>
    <form id="credit-filters" class="filters">${FILTERS.map(([k, v]) => select(k, v)).join('')}</form>
    <div class="table-wrap">${items.length ? `<table id="credit-table"><thead><tr><th>#</th><th>${t('cc_subject')}</th><th>${t('cc_level')}</th><th>${t('cs_violation')}</th><th>${t('cs_no')}</th>
      <th>${t('cc_decided')}</th><th>${t('cc_period_bj')}</th><th>${t('cc_phase')}</th><th>${t('status')}</th></tr></thead><tbody>
      ${items.map((e) => `<tr data-id="${e.id}" data-phase="${esc(e.phase)}" data-case="${esc(e.case_no)}"><td><a href="#/credit/${e.id}">${e.id}</a></td><td>${esc(e.subject_name)}<br><span class="muted">${esc(zhEn(e, 'subject_kind'))} ${esc(e.credit_code || '')}</span></td>
        <td>${levelTag(e)}</td><td>${esc(zhEn(e, 'violation'))}</td><td class="nowrap"><a href="#/case/${e.case_id}">${esc(e.case_no)}</a></td><td class="nowrap">${esc(bjText(e.decided_bj))}</td>
        <td class="nowrap">${period(e)}</td><td>${phaseTag(e)}</td>
        <td>${esc(zhEn(e, 'state'))}${e.state_reason ? `<br><span class="muted">${esc(e.state_reason)}</span>` : ''}</td></tr>`).join('')}</tbody></table>
        <p class="muted">${t('cs_total')} ${r.total ?? items.length}</p>${pager(r, 'credit-pages')}`
      : `<p class="muted" id="credit-none">${t('cc_none')}</p>`}</div>
    ${cases ? `<h3>${t('cc_own_cases')}</h3><div class="table-wrap">${(cases.cases || []).length ? `<table id="own-cases"><thead><tr><th>${t('cs_no')}</th><th>${t('cs_opened')}</th><th>${t('cs_violation')}</th><th>${t('status')}</th></tr></thead><tbody>
      ${cases.cases.map((c) => `<tr data-id="${c.id}"><td><a href="#/case/${c.id}">${esc(c.case_no)}</a></td><td class="nowrap">${esc(bjText(c.created_bj))}</td><td>${esc(t('cv_' + c.violation))}</td><td>${caseTag(c.state)}</td></tr>`).join('')}</tbody></table>`
      : `<p class="muted">${t('cs_none')}</p>`}</div>` : ''}`;
  // The page is in the address, beside the filters.
  wirePager($('#view'), (n) => { location.hash = '#/credit?' + (qs ? qs + '&' : '') + 'page=' + n; });
  $('#credit-filters').querySelectorAll('[data-f]').forEach((el) => {
    el.onchange = () => {
      const nf = {};
      $('#credit-filters').querySelectorAll('[data-f]').forEach((x) => { nf[x.dataset.f] = x.value; });
      const s = new URLSearchParams(Object.entries(nf).filter(([, v]) => v)).toString();
      location.hash = '#/credit' + (s ? '?' + s : '');
    };
  });
}

/** The request forms of the acts the API lists (`object`, `repair`, `decide_objection`, `decide_repair`). */
function requestForms(acts) {
  const out = [];
  for (const [act, path, key, evidence] of [['object', 'objection', 'cc_object', false], ['repair', 'repair', 'cc_repair', true]]) {
    if (!acts.includes(act)) continue;
    out.push(`<form id="credit-${act}" class="row" data-path="${path}"><b>${t(key)}</b>
      <label class="block">${t(act === 'object' ? 'cc_grounds' : 'cc_repair_text')} <textarea data-k="text" rows="2" required minlength="4" maxlength="2000"></textarea></label>
      <label class="block">${t('cc_evidence')} <textarea data-k="evidence" rows="2" maxlength="2000"${evidence ? ' required' : ''}></textarea></label>
      <button class="primary" type="submit">${t('submit')}</button></form>`);
  }
  for (const [act, path, key] of [['decide_objection', 'objection/decide', 'cc_decide_objection'], ['decide_repair', 'repair/decide', 'cc_decide_repair']]) {
    if (!acts.includes(act)) continue;
    out.push(`<form id="credit-${act}" class="row" data-path="${path}"><b>${t(key)}</b>
      <label><input type="radio" name="${act}-outcome" data-k="outcome" value="granted" required> ${t(act === 'decide_objection' ? 'cc_uphold' : 'cc_grant')}</label>
      <label><input type="radio" name="${act}-outcome" data-k="outcome" value="rejected"> ${t('cc_reject')}</label>
      <label class="block">${t('cs_reason')} <textarea data-k="reason" rows="2" required maxlength="2000"></textarea></label>
      <button class="primary" type="submit">${t('submit')}</button></form>`);
  }
  return out.join('');
}

/** One entry: its facts, its requests with the answers, and what the caller may do now. */
async function entryPage(id) {
  const gen = state.routing;
  const d = await api('/credit/' + id);
  if (gen !== state.routing) return;
  const e = d.entry;
  const acts = d.acts || [];
  $('#view').innerHTML = `<p><a href="#/credit">← ${t(hasAct('manage_credit') ? 'cc_title' : 'cc_own_title')}</a></p>
    <h2>${t('cc_entry')} #${e.id} · ${esc(e.subject_name)}</h2>
    <div class="card kv" id="credit-facts">
      <div>${t('cc_subject')}${t('colon')}${esc(e.subject_name)} <span class="muted">(${esc(zhEn(e, 'subject_kind'))}${e.credit_code ? ` ${esc(e.credit_code)}` : ''})</span></div>
      <div>${t('cc_level')}${t('colon')}${levelTag(e)}</div><div>${t('cs_violation')}${t('colon')}${esc(zhEn(e, 'violation'))}</div>
      <div>${t('cs_no')}${t('colon')}<a href="#/case/${e.case_id}">${esc(e.case_no)}</a></div><div>${t('cc_decision')}${t('colon')}${esc(textInLang(e.decision_line))}</div>
      <div>${t('cc_decided')}${t('colon')}${esc(bjText(e.decided_bj))}</div>
      <div>${t('cc_period_bj')}${t('colon')}${period(e)}</div><div>${t('cc_repair_from')}${t('colon')}${esc(e.repair_from)}</div>
      <div>${t('cc_phase')}${t('colon')}${phaseTag(e)}</div><div>${t('status')}${t('colon')}<span id="credit-state" data-state="${esc(e.state)}">${esc(zhEn(e, 'state'))}</span>${e.state_reason ? ` · ${esc(e.state_reason)}` : ''}</div>
    </div>
    <h3>${t('cc_requests')}</h3>
    <div class="table-wrap">${(d.requests || []).length ? `<table id="credit-requests"><thead><tr><th>${t('cc_request_kind')}</th><th>${t('cc_filed')}</th><th>${t('cd_text')}</th><th>${t('cc_evidence')}</th><th>${t('status')}</th><th>${t('cc_answer')}</th></tr></thead><tbody>
      ${d.requests.map((r) => `<tr data-kind="${esc(r.kind)}" data-state="${esc(r.state)}"><td class="nowrap">${esc(t('cck_' + r.kind))}</td><td class="nowrap">${esc(r.filed_by)}<br><span class="muted">${esc(bjText(r.filed_bj))}</span></td>
        <td>${esc(r.text)}</td><td>${esc(r.evidence || '—')}</td><td><span class="tag ${REQUEST_STATE_CLASS[r.state] || 'info'}">${esc(t('ccr_' + r.state))}</span></td>
        <td>${r.decided_by ? `${esc(r.decided_by)} · ${esc(bjText(r.decided_bj))}<br>${esc(r.reason || '')}` : '—'}</td></tr>`).join('')}</tbody></table>`
      : `<p class="muted">${t('cc_no_requests')}</p>`}</div>
    ${d.repair_refused ? `<p class="muted" id="credit-repair-refused">${t('cc_repair_not_yet')}${t('colon')}${esc(textInLang(d.repair_refused))}</p>` : ''}
    <div id="credit-acts">${requestForms(acts)}</div><p id="credit-error" class="error"></p>`;
  $('#credit-acts').querySelectorAll('form[data-path]').forEach((form) => {
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      const body = {};
      form.querySelectorAll('[data-k]').forEach((el) => {
        if (el.type === 'radio' && !el.checked) return;
        if (el.value.trim()) body[el.dataset.k] = el.value.trim();
      });
      const btn = form.querySelector('button');
      btn.disabled = true;
      try {
        await api(`/credit/${id}/${form.dataset.path}`, { method: 'POST', body: JSON.stringify(body) });
        await entryPage(id);
      } catch (err) { $('#credit-error').textContent = err.message; btn.disabled = false; }
    };
  });
}
