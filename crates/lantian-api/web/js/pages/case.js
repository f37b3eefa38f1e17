// One enforcement case (#/case/ID): its facts (non-site 非现场执法 flagged), the evidence (each
// archived packet with its chain position, received time, hashes and verification badge, the
// hour series, photos and files) with the re-verify button, inspections, decisions (fine with
// its amount and legal basis, rectification with its deadline, transfer), the credit entries
// written at closure, only the steps the API says the caller may take now (`acts`), and the
// timeline. A closed case whose credit step failed says so (the close's `credit_failure`, or
// the case's own) and the bureau may run that step again. Times are Beijing time.
import { $, api, esc, state, t } from '../core.js';
import { filePicker, opt, sendFile, unitName, unitsById, wireFilePicker } from './grid.js';
import { bjText, caseTag, textInLang, yuan } from './cases.js';

/** A decision event's text starts with the kind's Chinese name (`罚款: …`): in the page's language. */
const DECISION_PREFIX = { 责令整改: 'rectify', 罚款: 'fine', 移送: 'transfer' };
function eventText(text) {
  const m = /^(责令整改|罚款|移送): /.exec(text);
  return m ? `${t('cdk_' + DECISION_PREFIX[m[1]])}: ${text.slice(m[0].length)}` : textInLang(text);
}

/** Case id → the `credit_failure` the close answered with, shown until the credit step is run
 * again (the page is drawn again from `GET /cases/{id}` after the close). */
const creditFailures = new Map();

/** A closed case's credit step: why it failed, and the retry when the API offers it. */
function creditStep(c, acts, failure) {
  if (c.state !== 'closed') return '';
  const shown = failure ? `<p class="error" id="case-credit-failure">${t('cs_credit_failure')}${t('colon')}${esc(textInLang(failure))}</p>` : '';
  const retry = acts.includes('credit') ? `<p><button type="button" class="primary" id="case-credit-retry">${t('cs_credit_retry')}</button>
    <span class="muted">${t('cs_credit_retry_note')}</span> <span id="case-credit-result" role="status"></span></p>` : '';
  return shown || retry ? `<div id="case-credit-step">${shown}${retry}</div>` : '';
}

const shortHash = (h) => (h ? `${esc(h.slice(0, 12))}…` : '—');

/** An archived packet's verification as a badge (the reason in its title when it fails). */
const verifiedTag = ({ verified: ok, problem }) => (ok
  ? `<span class="tag ok verified-badge" data-verified="true">${t('ce_verified')}</span>`
  : `<span class="tag bad verified-badge" data-verified="false" title="${esc(problem || '')}">${t('ce_not_verified')}</span>`);

/** An attached hour series (`hours`, `values`) as a small table, or its JSON when it is another kind. */
function seriesBlock(s) {
  if (!s) return '';
  if (Array.isArray(s.hours) && Array.isArray(s.values)) {
    return `<details><summary>${t('ce_series_show')} (${s.hours.length} ${t('gr_hours')}, ${esc(s.code || '')})</summary>
      <table class="series"><thead><tr><th>${t('ce_hour_end')}</th><th class="num">${t('ce_value')}</th></tr></thead><tbody>
      ${s.hours.map((h, i) => `<tr><td class="nowrap">${esc(h)}</td><td class="num">${s.values[i] == null ? '—' : esc(s.values[i])}</td></tr>`).join('')}</tbody></table></details>`;
  }
  return `<details><summary>${t('ce_series_show')}</summary><pre class="packet">${esc(JSON.stringify(s, null, 1))}</pre></details>`;
}

function evidenceTable(caseId, evidence) {
  if (!evidence.length) return `<p class="muted">${t('ce_no_evidence')}</p>`;
  const href = (e) => `/api/v1/cases/${caseId}/evidence?file=${encodeURIComponent(e.file)}`;
  return `<table id="case-evidence"><thead><tr><th>${t('ce_label')}</th><th>${t('ce_kind')}</th><th>${t('ce_chain')}</th><th>${t('ce_received')}</th>
    <th>${t('ce_hash')}</th><th>${t('ce_check')}</th></tr></thead><tbody>
    ${evidence.map((e) => {
    const p = e.packet;
    return `<tr data-kind="${esc(e.kind)}"${p ? ` data-chain="${esc(p.chain)}" data-seq="${p.seq}" data-verified="${p.verified}"` : ''}><td>${esc(textInLang(e.label))}${p ? `<details><summary>${t('ce_packet_text')}</summary><pre class="packet">${esc(p.text)}</pre></details>` : ''}
      ${seriesBlock(e.series)}${e.file ? `<a href="${href(e)}" target="_blank" rel="noopener">${esc(e.label || e.file)}</a>` : ''}</td>
      <td class="nowrap">${esc(t('cek_' + e.kind))}</td>
      <td class="nowrap chain-pos">${p ? `${esc(p.chain)}#${p.seq}${p.mn ? `<br><span class="muted">MN ${esc(p.mn)}</span>` : ''}` : '—'}</td>
      <td class="nowrap">${esc(bjText(p ? p.received_bj : e.at_bj))}</td>
      <td class="nowrap mono">${p ? `${t('ce_prev')} ${shortHash(p.prev_hash)}<br>${t('ce_this')} ${shortHash(p.hash)}` : e.sha256 ? `SHA-256 ${shortHash(e.sha256)}` : '—'}</td>
      <td class="check">${p ? verifiedTag(p) : '—'}</td></tr>`;
  }).join('')}</tbody></table>`;
}

export async function casePage(id) {
  const gen = state.routing;
  const [units, d] = await Promise.all([unitsById(), api('/cases/' + encodeURIComponent(id))]);
  if (gen !== state.routing) return;
  const c = d.case;
  const acts = d.acts || [];
  const packets = (d.evidence || []).filter((e) => e.packet);
  const bad = packets.filter((e) => !e.packet.verified).length;
  $('#view').innerHTML = `<p><a href="#/cases">← ${t('cs_title')}</a></p>
    <h2>${esc(c.case_no)} · ${esc(c.title)}</h2>
    <div class="card kv" id="case-facts">
      <div>${t('status')}${t('colon')}<span id="case-state" data-state="${esc(c.state)}">${caseTag(c.state)}</span>${c.non_site ? ` <span class="tag info non-site">${t('cs_non_site')}</span>` : ''}</div>
      <div>${t('cs_origin')}${t('colon')}${esc(t('co_' + c.origin))}${c.origin === 'alarm' && c.origin_ref ? ` <a href="#/alarms/${esc(c.origin_ref)}">#${esc(c.origin_ref)}</a>` : c.origin_ref ? ` <span class="muted">(${esc(c.origin_ref)})</span>` : ''}</div>
      <div>${t('cs_violation')}${t('colon')}${esc(t('cv_' + c.violation))}</div>
      <div>${t('cs_subject')}${t('colon')}${esc(c.subject_name || '—')}${c.subject_kind ? ` <span class="muted">(${esc(t('csk_' + c.subject_kind))})</span>` : ''}</div>
      <div>${t('unit')}${t('colon')}${esc(c.township ? unitName(units, c.township) : '—')}</div>
      <div>${t('cs_opened')}${t('colon')}${esc(bjText(c.created_bj))} · ${esc(c.created_by)}</div>
      ${d.deadline ? `<div>${t('cs_deadline')}${t('colon')}${esc(bjText(d.deadline))}</div>` : ''}
      ${c.closed_bj ? `<div>${t('cs_closed_at')}${t('colon')}${esc(bjText(c.closed_bj))}</div>` : ''}
      ${c.fine_yuan != null ? `<div>${t('cs_fine')}${t('colon')}<span id="case-fine">${yuan(c.fine_yuan)}</span></div>` : ''}
      ${d.summary ? `<div class="wide">${t('cs_summary')}${t('colon')}${esc(d.summary)}</div>` : ''}
    </div>
    <h3>${t('ce_title')}</h3>
    <p id="case-evidence-summary">${packets.length ? `${t('ce_packets')} ${packets.length} · ${bad
      ? `<span class="tag bad" id="case-evidence-state" data-ok="false">${t('ce_n_not_verified')} ${bad}</span>` : `<span class="tag ok" id="case-evidence-state" data-ok="true">${t('ce_all_verified')}</span>`}` : ''}
      ${packets.length ? `<button type="button" class="secondary" id="case-reverify">${t('ce_reverify')}</button>` : ''} <span id="case-reverify-result" role="status"></span></p>
    <ul id="case-reverify-problems" class="error"></ul>
    <div class="table-wrap" id="case-evidence-wrap">${evidenceTable(c.id, d.evidence || [])}</div>
    ${acts.includes('evidence') ? `<p>${t('ce_add_file')} ${filePicker('case-file', 'image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf')} <span id="case-file-result"></span></p>` : ''}
    <h3>${t('ci_title')}</h3>
    <div class="table-wrap">${(d.inspections || []).length ? `<table id="case-inspections"><thead><tr><th>${t('ci_date')}</th><th>${t('ci_inspectors')}</th><th>${t('ci_findings')}</th><th>${t('actor')}</th></tr></thead><tbody>
      ${d.inspections.map((i) => `<tr><td class="nowrap">${esc(i.date)}</td><td>${esc(i.inspectors)}</td><td>${esc(i.findings)}</td><td class="nowrap">${esc(i.actor)}<br><span class="muted">${esc(bjText(i.at_bj))}</span></td></tr>`).join('')}</tbody></table>`
      : `<p class="muted">${t('ci_none')}</p>`}</div>
    <h3>${t('cd_title')}</h3>
    <div class="table-wrap">${(d.decisions || []).length ? `<table id="case-decisions"><thead><tr><th>${t('cd_kind')}</th><th class="num">${t('cd_amount')}</th><th>${t('cd_basis')}</th><th>${t('cs_deadline')}</th><th>${t('cd_text')}</th><th>${t('actor')}</th></tr></thead><tbody>
      ${d.decisions.map((x) => `<tr data-kind="${esc(x.kind)}"><td class="nowrap">${esc(t('cdk_' + x.kind))}${x.transfer_to ? `<br><span class="muted">→ ${esc(x.transfer_to)}</span>` : ''}</td><td class="num">${yuan(x.amount_yuan)}</td>
        <td class="basis">${esc(x.legal_basis || '—')}</td><td class="nowrap">${x.deadline_bj ? esc(bjText(x.deadline_bj)) : '—'}${x.confirmed_bj ? `<br><span class="tag ok">${t('cd_confirmed')} ${esc(bjText(x.confirmed_bj))}</span>` : ''}</td>
        <td>${esc(x.text)}</td><td class="nowrap">${esc(x.actor)}<br><span class="muted">${esc(bjText(x.at_bj))}</span></td></tr>`).join('')}</tbody></table>`
      : `<p class="muted">${t('cd_none')}</p>`}</div>
    ${creditStep(c, acts, d.credit_failure || creditFailures.get(String(c.id)))}
    ${(d.credit_entries || []).length ? `<p id="case-credit">${t('cc_written')}${t('colon')}${d.credit_entries.map((n) => `<a href="#/credit/${n}" data-entry="${n}">#${n}</a>`).join(' ')}</p>` : ''}
    <div id="case-acts">${actForms(acts, d)}</div><p id="case-act-error" class="error"></p>
    <h3>${t('gr_timeline')}</h3><ol class="wtl" id="case-timeline">${(d.events || []).map((e) => `<li data-action="${esc(e.action)}"><span class="wtl-time">${esc(bjText(e.at_bj))}</span>
      <span><b>${esc(t('cea_' + e.action))}</b> · ${esc(e.actor)} → ${caseTag(e.state_after)}${e.text ? `<br>${esc(eventText(e.text))}` : ''}</span></li>`).join('')}</ol>`;
  wire(c.id, id, acts);
}

/** The forms of the steps the caller may take now (none for a read-only caller). */
function actForms(acts, d) {
  const shown = acts.filter((a) => a !== 'evidence' && a !== 'credit');
  // The credit step's retry is offered beside the credit entries (`creditStep`).
  if (!shown.length) return acts.includes('credit') ? '' : `<p class="muted" id="case-no-acts">${t('cs_no_acts')}</p>`;
  const out = [`<h3>${t('gr_acts')}</h3>`];
  if (acts.includes('inspect')) {
    out.push(`<form id="case-inspect" class="row" data-path="inspection"><b>${t('ci_add')}</b>
      <label>${t('ci_date')} <input data-k="date" type="date" required></label><label>${t('ci_inspectors')} <input data-k="inspectors" required maxlength="200"></label>
      <label class="block">${t('ci_findings')} <textarea data-k="findings" rows="2" required maxlength="4000"></textarea></label><button class="primary" type="submit">${t('submit')}</button></form>`);
  }
  if (acts.includes('decide')) {
    // The fields of the chosen kind only: a fine's amount and legal basis, a rectification's deadline, a transfer's authority.
    out.push(`<form id="case-decide" class="row" data-path="decision"><b>${t('cd_add')}</b>
      <label>${t('cd_kind')} <select data-k="kind" id="cd-kind">${['fine', 'rectify', 'transfer'].map((k) => opt(k, t('cdk_' + k), 'fine')).join('')}</select></label>
      <label data-for="fine">${t('cd_amount')} <input data-k="amount_yuan" id="cd-amount" type="number" min="0.01" step="0.01" required></label>
      <label data-for="fine" class="block">${t('cd_basis')} <input data-k="legal_basis" id="cd-basis" maxlength="300" required value="${esc(d.suggested_basis || '')}" size="60"></label>
      ${d.suggested_basis ? `<p data-for="fine" class="muted">${t('cd_basis_note')}</p>` : ''}
      <label data-for="rectify">${t('cs_deadline')} <input data-k="deadline" id="cd-deadline" type="date"></label>
      <label data-for="transfer">${t('cd_transfer_to')} <input data-k="transfer_to" id="cd-transfer" maxlength="200"></label>
      <label class="block">${t('cd_text')} <textarea data-k="text" id="cd-text" rows="2" required maxlength="4000"></textarea></label><button class="primary" type="submit">${t('submit')}</button></form>`);
  }
  for (const [act, path, key] of [['confirm_rectified', 'rectified', 'cd_confirm'], ['close', 'close', 'cs_close'], ['dismiss', 'dismiss', 'cs_dismiss']]) {
    if (acts.includes(act)) {
      out.push(`<form id="case-${act}" class="row" data-path="${path}"><b>${t(key)}</b><label class="block">${t(act === 'close' ? 'cd_text' : 'cs_reason')} <textarea data-k="text" rows="2" maxlength="4000"${act === 'close' ? '' : ' required'}></textarea></label>
        <button class="${act === 'dismiss' ? 'secondary' : 'primary'}" type="submit">${t(key)}</button></form>`);
    }
  }
  return out.join('');
}

/** Shows the decision form's fields of the chosen kind; hidden ones are neither required nor sent. */
function showKind(form) {
  const kind = form.querySelector('#cd-kind').value;
  form.querySelectorAll('[data-for]').forEach((el) => {
    const on = el.dataset.for === kind;
    el.style.display = on ? '' : 'none';
    el.querySelectorAll('input').forEach((i) => { i.disabled = !on; i.required = on; });
  });
}

function wire(caseId, id, acts) {
  const decide = $('#case-decide');
  if (decide) {
    showKind(decide);
    $('#cd-kind').onchange = () => showKind(decide);
  }
  $('#case-acts').querySelectorAll('form[data-path]').forEach((form) => {
    form.onsubmit = async (e) => {
      e.preventDefault();
      const body = {};
      form.querySelectorAll('[data-k]').forEach((el) => {
        const v = el.value.trim();
        if (v === '' || el.disabled) return;
        body[el.dataset.k] = el.type === 'number' ? Number(v) : v;
      });
      const btn = form.querySelector('button');
      btn.disabled = true;
      try {
        const r = await api(`/cases/${caseId}/${form.dataset.path}`, { method: 'POST', body: JSON.stringify(body) });
        if (r && r.credit_failure) creditFailures.set(String(caseId), r.credit_failure);
        await casePage(id);
      } catch (err) { $('#case-act-error').textContent = err.message; btn.disabled = false; }
    };
  });
  if ($('#case-reverify')) {
    $('#case-reverify').onclick = async () => {
      $('#case-reverify-result').textContent = t('loading');
      try {
        const r = await api(`/cases/${caseId}/verify`);
        const bad = new Map((r.problems || []).map((p) => [`${p.chain}#${p.seq}`, p.problem]));
        // Each packet's badge as the archive is now.
        document.querySelectorAll('#case-evidence tr[data-seq]').forEach((tr) => {
          const k = `${tr.dataset.chain}#${tr.dataset.seq}`;
          tr.dataset.verified = String(!bad.has(k));
          tr.querySelector('td.check').innerHTML = verifiedTag({ verified: !bad.has(k), problem: bad.get(k) });
        });
        $('#case-reverify-result').innerHTML = `${r.ok ? `<span class="tag ok" id="case-reverify-ok" data-ok="true">${t('ce_all_verified')}</span>` : `<span class="tag bad" id="case-reverify-ok" data-ok="false">${t('ce_n_not_verified')} ${r.packets - r.verified}</span>`}
          ${r.verified}/${r.packets} · ${t('ce_checked')} ${esc(bjText(r.checked_bj))}`;
        $('#case-reverify-problems').innerHTML = (r.problems || []).map((p) => `<li>${esc(p.chain)}#${p.seq}${t('colon')}${esc(p.problem || '')}</li>`).join('');
      } catch (err) { $('#case-reverify-result').innerHTML = `<span class="error">${esc(err.message)}</span>`; }
    };
  }
  if ($('#case-credit-retry')) {
    $('#case-credit-retry').onclick = async () => {
      $('#case-credit-retry').disabled = true;
      try {
        const r = await api(`/cases/${caseId}/credit`, { method: 'POST', body: '{}' });
        creditFailures.delete(String(caseId));
        await casePage(id);
        const n = (r.credit_entries || []).length;
        const out = $('#case-credit-result') || $('#case-credit');
        const tag = document.createElement('span');
        tag.className = `tag ${n ? 'ok' : 'info'}`;
        tag.id = 'case-credit-retried';
        tag.dataset.n = String(n);
        tag.textContent = n ? t('cs_credit_retried') : t('cs_credit_none_by_rule');
        if (out) out.append(' ', tag);
      } catch (err) {
        $('#case-credit-retry').disabled = false;
        $('#case-credit-result').innerHTML = `<span class="error">${esc(err.message)}</span>`;
      }
    };
  }
  if (acts.includes('evidence') && $('#case-file')) {
    wireFilePicker('case-file');
    $('#case-file').addEventListener('change', async () => {
      const f = $('#case-file').files[0];
      if (!f) return;
      try { await sendFile(`/cases/${caseId}/evidence`, f); await casePage(id); } catch (err) { $('#case-file-result').innerHTML = `<span class="error">${esc(err.message)}</span>`; }
    });
  }
}
