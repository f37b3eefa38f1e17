// Heavy-pollution warnings: the list, a warning's timeline with its notices and receipts and
// the command's steps, the verification of the reduction list, and a violation's evidence
// charted in Beijing time.
import { $, api, bj, esc, fmt, hourSpan, pager, state, t, wirePager } from '../core.js';

const HOUR_S = 3600;
const DAY_S = 86400;
/** The warning levels' colours (黄 / 橙 / 红), as the warning plan prints them. */
const LEVEL_COLOUR = { yellow: '#FFD700', orange: '#FF7E00', red: '#FF0000' };
/** The steps the command signs off, by the warning's state. */
const SIGN_OFF_STEPS = { proposed: ['issue', 'withdraw'], in_force: ['adjust', 'lift', 'withdraw'] };

/** `YYYY-MM-DD HH:MM` (Beijing time) as seconds of that wall-clock time read in UTC. */
const wallSeconds = (text) => Date.parse(text.slice(0, 10) + 'T' + text.slice(11, 16) + ':00Z') / 1000;

/** A level's badge in its colour; `zh` is the API's Chinese name. */
export function levelBadge(level, zh) {
  if (!level || !LEVEL_COLOUR[level]) return `<span class="badge lvl-none">${esc(zh || t('wl_none'))}</span>`;
  const name = state.lang === 'zh' && zh ? zh : t('wl_' + level);
  return `<span class="badge lvl-${level}" data-level="${level}">${esc(name)}</span>`;
}

/** A word of the API that has a Chinese text: ours for `prefix + key` in English, else the API's. */
const word = (prefix, key, zh) => (state.lang === 'zh' && zh ? zh : t(prefix + key) !== prefix + key ? t(prefix + key) : zh || key);

/** `#/warnings`, `#/warnings/{id}`, `#/warnings/{id}/evidence?…`. */
export async function warningsPage(rest) {
  const m = rest.match(/^\/(\d+)(\/evidence)?(?:\?(.*))?$/);
  if (!m) return listPage();
  if (m[2]) return evidencePage(Number(m[1]), new URLSearchParams(m[3] || ''));
  return detailPage(Number(m[1]));
}

/** Warnings per page (newest first; 上一页 / 下一页 walk the rest). */
const PER_PAGE = 100;

async function listPage(page = 1) {
  $('#view').innerHTML = `<h2>${t('nav_warnings')}</h2><p class="muted">${t('w_times_note')}</p><div id="warning-list">${t('loading')}</div>`;
  const gen = state.routing;
  const r = await api(`/warnings?page=${page}&per_page=${PER_PAGE}`);
  if (gen !== state.routing) return;
  const list = r.items || [];
  $('#warning-list').innerHTML = list.length ? `<div class="table-wrap"><table id="warning-table"><thead><tr><th>#</th><th>${t('level')}</th><th>${t('status')}</th>
    <th>${t('w_rule')}</th><th>${t('w_issued_at')}</th><th>${t('w_lifted_at')}</th><th>${t('w_doc_no')}</th></tr></thead><tbody>
    ${list.map((w) => `<tr data-id="${w.id}"><td><a href="#/warnings/${w.id}">${w.id}</a></td><td>${levelBadge(w.level, w.level_zh)}</td>
      <td class="nowrap">${esc(word('ws_', w.state, w.state_zh))}</td><td>${esc(state.lang === 'zh' ? w.rule_zh : w.rule_en || w.rule_zh)}</td>
      <td class="nowrap">${esc(bj(w.issued_at))}</td><td class="nowrap">${esc(bj(w.lifted_at))}</td><td>${esc(w.doc_no || '')}</td></tr>`).join('')}
    </tbody></table></div>${pager(r, 'warning-pages')}` : `<p>${t('w_none')}</p>`;
  wirePager($('#warning-list'), (n) => listPage(n));
}

async function detailPage(id) {
  $('#view').innerHTML = `<p><a href="#/warnings">← ${t('nav_warnings')}</a></p><div id="warning-head">${t('loading')}</div>
    <section class="card"><h3>${t('w_timeline')}</h3><ol id="timeline" class="wtl"></ol></section>
    <section class="card" id="notices-card"><h3>${t('w_notices')}</h3><div id="notices"></div></section>
    <section class="card"><h3>${t('w_verification')}</h3><div id="verification"></div></section>
    <section class="card"><h3>${t('w_violations')}</h3><div id="violations"></div></section>`;
  const gen = state.routing;
  const d = await api(`/warnings/${id}`);
  if (gen !== state.routing) return;
  const w = d.warning;
  const steps = w.allowed.includes('sign_off') ? SIGN_OFF_STEPS[w.state] || [] : [];
  const reports = state.me ? `<p id="reports">${t('w_report')}${t('colon')}<a id="report-xlsx" href="/api/v1/warnings/${id}/report?format=xlsx">Excel</a> · <a id="report-pdf" href="/api/v1/warnings/${id}/report?format=pdf">PDF</a></p>` : '';
  $('#warning-head').innerHTML = `<h2>${t('w_warning')} #${w.id} ${levelBadge(w.level, w.level_zh)} <span class="tag info">${esc(word('ws_', w.state, w.state_zh))}</span></h2>
    <div class="kv"><div>${t('w_rule')}${t('colon')}${esc(state.lang === 'zh' ? w.rule_zh : w.rule_en || w.rule_zh)}</div>
    <div>${t('w_response')}${t('colon')}${esc(w.response_zh || '')}</div>
    <div>${t('w_episode')}${t('colon')}${esc(w.first_hour_at ? `${hourSpan(w.first_hour_at, true)} – ${hourSpan(w.last_hour_at, true)} ${t('bj')}` : '—')}</div>
    <div>${t('w_doc_no')}${t('colon')}<span id="doc-no">${esc(w.doc_no || '—')}</span></div>
    <div>${t('w_issued_at')}${t('colon')}${esc(bj(w.issued_at) || '—')}</div><div>${t('w_lifted_at')}${t('colon')}${esc(bj(w.lifted_at) || '—')}</div></div>
    ${steps.length ? `<p class="filters" id="steps">${steps.map((s) => `<button type="button" class="${s === 'withdraw' ? 'secondary' : 'primary'}" data-step="${s}">${t('wstep_' + s)}</button>`).join(' ')} <span id="step-result"></span></p>` : ''}
    ${reports}`;
  document.querySelectorAll('#steps button').forEach((b) => { b.onclick = () => takeStep(id, w, b.dataset.step); });

  // Each step at the time it takes effect (when it was recorded, below, if that differs).
  $('#timeline').innerHTML = d.events.map((e) => `<li class="ev-${esc(e.kind)}" data-kind="${esc(e.kind)}"><div class="wtl-time">${esc(bj(e.effective_at || e.at))}</div>
    <div><strong>${esc(word('wev_', e.kind, e.kind_zh))}</strong> ${e.level ? levelBadge(e.level, e.level_zh) : ''}
    ${e.doc_no ? `<span class="doc">${t('w_doc_no')}${t('colon')}${esc(e.doc_no)}</span>` : ''}
    <div class="muted">${t('actor')}${t('colon')}${esc(e.actor)}${e.effective_at && e.effective_at !== e.at ? ` · ${t('w_recorded')}${t('colon')}${esc(bj(e.at))}` : ''}${e.note ? ' · ' + esc(e.note) : ''}</div></div></li>`).join('');

  if (!d.notices.length) $('#notices-card').hidden = true;
  else {
    const when = (x) => (x ? `<span class="tag ok">✓</span> ${esc(bj(x))}` : '<span class="muted">—</span>');
    // One line per step (how many units were sent it, read it, confirmed it); every notice below.
    const steps = [...new Set(d.notices.map((n) => n.event_seq))].sort((a, b) => a - b);
    const summary = steps.map((seq) => {
      const ns = d.notices.filter((n) => n.event_seq === seq);
      return `<li data-seq="${seq}"><strong>${esc(word('wev_', ns[0].kind, ns[0].kind_zh))}</strong> ${esc(bj(ns[0].sent_at))}${t('colon')}${t('w_sent')} ${ns.length} · ${t('w_read')} ${ns.filter((n) => n.read_at).length} · ${t('w_confirmed')} ${ns.filter((n) => n.confirmed_at).length}</li>`;
    }).join('');
    $('#notices').innerHTML = `<ul id="notice-summary">${summary}</ul><details><summary>${t('w_all_notices')}（${d.notices.length}）</summary><div class="table-wrap"><table id="notice-table"><thead><tr><th>${t('w_recipient')}</th><th>${t('w_step')}</th><th>${t('w_sent')}</th><th>${t('w_read')}</th><th>${t('w_confirmed')}</th></tr></thead><tbody>
      ${d.notices.map((n) => `<tr data-recipient="${esc(n.recipient)}"><td>${esc(n.recipient_name)}</td><td>${esc(word('wev_', n.kind, n.kind_zh))}</td><td class="nowrap">${esc(bj(n.sent_at))}</td>
        <td class="nowrap">${when(n.read_at)}</td><td class="nowrap">${when(n.confirmed_at)}</td></tr>`).join('')}</tbody></table></div></details>`;
  }

  if (!state.me || w.state === 'proposed' || w.state === 'withdrawn') {
    $('#verification').innerHTML = `<p class="muted">${t(state.me ? 'w_not_in_force' : 'ent_login_to_see')}</p>`;
    $('#violations').innerHTML = '';
    return;
  }
  let v;
  try {
    v = await api(`/warnings/${id}/verification`);
  } catch (err) {
    if (gen !== state.routing) return;
    $('#verification').innerHTML = `<p class="error">${esc(err.message)}</p>`;
    return;
  }
  if (gen !== state.routing) return;
  verificationTables(id, v);
}

/** Asks for the document number (and, to adjust, the level) and takes the step. */
async function takeStep(id, w, step) {
  const body = {};
  if (step !== 'withdraw') {
    const doc = window.prompt(t('w_doc_prompt'), '');
    if (doc == null) return;
    body.doc_no = doc.trim();
  }
  if (step === 'adjust') {
    const level = window.prompt(t('w_level_prompt'), w.level);
    if (level == null) return;
    body.level = level.trim();
  }
  if (step === 'withdraw') {
    const note = window.prompt(t('w_note_prompt'), '');
    if (note == null) return;
    body.note = note;
  }
  try {
    await api(`/warnings/${id}/${step}`, { method: 'POST', body: JSON.stringify(body) });
    await detailPage(id);
  } catch (err) {
    $('#step-result').className = 'error';
    $('#step-result').textContent = err.message;
  }
}

function verificationTables(id, v) {
  const rate = (x) => (x.rate_pct == null ? '—' : fmt(x.rate_pct, 1) + '%');
  const rateCls = (x) => (x.rate_pct == null ? '' : x.rate_pct < 100 ? 'bad' : '');
  $('#verification').innerHTML = `<p class="muted">${t('w_checked_span')}${t('colon')}${esc(v.from ? `${bj(v.from)} – ${bj(v.until)}` : '—')}</p>
    <div class="table-wrap"><table id="verification-table"><thead><tr><th>${t('ent_name')}</th><th>${t('ent_grade')}</th><th class="num">${t('w_checked_hours')}</th>
    <th class="num">${t('w_complied_hours')}</th><th class="num">${t('w_rate')}</th><th class="num">${t('w_violations_n')}</th><th class="num">${t('w_unverifiable')}</th></tr></thead><tbody>
    ${v.enterprises.map((e) => `<tr data-id="${esc(e.enterprise_id)}"><td><a href="#/enterprise/${encodeURIComponent(e.enterprise_id)}">${esc(e.name)}</a></td><td>${esc(e.grade || '—')}</td>
      <td class="num">${e.checked_hours}</td><td class="num">${e.complied_hours}</td><td class="num ${rateCls(e)}" data-k="rate">${rate(e)}</td>
      <td class="num ${e.violations ? 'bad' : ''}">${e.violations}</td><td class="num">${e.unverifiable}</td></tr>`).join('') || `<tr><td colspan="7">${t('no_data')}</td></tr>`}
    </tbody></table></div>
    ${v.by_grade.length ? `<h5>${t('w_by_grade')}</h5><div class="table-wrap"><table id="grade-table"><thead><tr><th>${t('ent_grade')}</th><th class="num">${t('w_enterprises')}</th><th class="num">${t('w_checked_hours')}</th><th class="num">${t('w_complied_hours')}</th><th class="num">${t('w_rate')}</th></tr></thead><tbody>
      ${v.by_grade.map((g) => `<tr><td>${esc(g.grade)}</td><td class="num">${g.enterprises}</td><td class="num">${g.checked_hours}</td><td class="num">${g.complied_hours}</td><td class="num ${rateCls(g)}">${rate(g)}</td></tr>`).join('')}</tbody></table></div>` : ''}`;
  $('#violations').innerHTML = v.violations.length ? `<ul id="violation-list" class="violations">${v.violations.map((x) => {
    const q = `enterprise=${encodeURIComponent(x.enterprise_id)}&measure=${encodeURIComponent(x.measure)}&first_hour=${encodeURIComponent(x.first_hour)}`;
    return `<li><a class="evidence-link" href="#/warnings/${id}/evidence?${q}"><strong>${esc(x.enterprise_name)}</strong></a> ·
      ${esc(x.text)}（${esc(word('mk_', x.kind, x.kind_zh))}）<br><span class="nowrap">${esc(hourSpan(x.first_hour, true))} – ${esc(hourSpan(x.last_hour, true))} ${t('bj')}</span> ·
      ${x.hours} ${t('w_hours')} · ${esc(state.lang === 'zh' ? x.detail : x.detail_en || x.detail)}
      ${x.handed_over ? ` <span class="tag info">${t('w_handed_over')}</span>` : ''} · <a href="#/warnings/${id}/evidence?${q}">${t('w_evidence')} →</a></li>`;
  }).join('')}</ul>` : `<p class="muted">${t('w_no_violations')}</p>`;
}

async function evidencePage(id, params) {
  const q = `enterprise=${encodeURIComponent(params.get('enterprise') || '')}&measure=${encodeURIComponent(params.get('measure') || '')}&first_hour=${encodeURIComponent(params.get('first_hour') || '')}`;
  $('#view').innerHTML = `<p><a href="#/warnings/${id}">← ${t('w_warning')} #${id}</a></p><div id="evidence">${t('loading')}</div>`;
  const gen = state.routing;
  const e = await api(`/warnings/${id}/evidence?${q}`);
  if (gen !== state.routing) return;
  const v = e.violation;
  const cap = e.cap_pct != null ? `${fmt(e.cap_pct, 0)}%` : '—';
  const normalCap = e.cap_pct != null && e.normal_kw != null ? ` = ${fmt(e.normal_kw * e.cap_pct / 100, 0)} kW` : '';
  $('#evidence').innerHTML = `<h2>${t('w_evidence_of')}${t('colon')}${esc(v.enterprise_name)}</h2>
    <div class="card kv" id="evidence-facts">
      <div>${t('w_measure')}${t('colon')}${esc(v.text)}（${esc(word('mk_', v.kind, v.kind_zh))}, ${levelBadge(v.level, '')}）</div>
      <div>${t('ent_equipment')}${t('colon')}${esc(e.equipment_name || v.equipment || '—')}</div>
      <div id="evidence-cap">${t('w_cap')}${t('colon')}${t('w_cap_of_normal')} ${cap}${normalCap}</div>
      <div>${t('w_normal_kw')}${t('colon')}${fmt(e.normal_kw, 0)} kW · ${t('w_rated_kw')}${t('colon')}${fmt(e.rated_kw, 0)} kW</div>
      <div>${t('w_violated_hours')}${t('colon')}${esc(hourSpan(v.first_hour, true))} – ${esc(hourSpan(v.last_hour, true))} ${t('bj')}（${v.hours} ${t('w_hours')}）</div>
      <div>${t('w_in_force')}${t('colon')}${esc(bj(e.warning_from) || '—')} – ${esc(bj(e.warning_until) || '—')}</div>
      <div class="wide">${esc(state.lang === 'zh' ? v.detail : v.detail_en || v.detail)}</div>
    </div>
    <div class="card"><div id="evidence-chart"></div><p class="muted">${t('w_chart_note')}</p></div>
    <p id="handover">${v.handed_over ? `<span class="tag info">${t('w_handed_over')}</span> ${esc(v.handed_over.actor)} · ${esc(v.handed_over.note || '')}` : ''}</p>`;
  drawEvidence($('#evidence-chart'), e);
  const mayHandOver = state.me && !v.handed_over && (await api(`/warnings/${id}`).then((d) => d.warning.allowed.includes('manage_list')).catch(() => false));
  if (gen !== state.routing || !mayHandOver) return;
  $('#handover').innerHTML = `<label class="block">${t('w_handover_note')}<textarea id="handover-note" rows="2"></textarea></label>
    <button type="button" class="primary" id="handover-btn">${t('w_handover')}</button> <span id="handover-result"></span>`;
  $('#handover-btn').onclick = async () => {
    try {
      await api(`/warnings/${id}/handover`, { method: 'POST', body: JSON.stringify({ enterprise: v.enterprise_id, measure: v.measure, first_hour: v.first_hour, note: $('#handover-note').value }) });
      $('#handover').innerHTML = `<span class="tag info">${t('w_handed_over')}</span>`;
    } catch (err) {
      $('#handover-result').className = 'error';
      $('#handover-result').textContent = err.message;
    }
  };
}

/**
 * The line's load per hour as a share of its normal load (what the cap is of; its power
 * when the normal load is unknown), the cap dashed, the warning's span shaded and its start
 * and end marked, violated hours as red points. x values are Beijing wall-clock seconds of
 * each hour's end read in UTC, so no browser zone moves them.
 */
function drawEvidence(el, e) {
  const byLoad = e.normal_kw != null && e.normal_kw > 0;
  const value = (h) => (h.power_kw == null ? null : byLoad ? (h.power_kw / e.normal_kw) * 100 : h.power_kw);
  const xs = e.hours.map((h) => wallSeconds(h.hour) + HOUR_S);
  if (!xs.length) { el.innerHTML = `<p class="muted">${t('no_data')}</p>`; return; }
  const ys = e.hours.map(value);
  const violated = new Set(e.checks.filter((c) => c.verdict === 'violated').map((c) => c.hour_ts));
  // A check's hour_ts is CST seconds of the hour's start: the same wall-clock seconds.
  const marks = e.hours.map((h, i) => (violated.has(wallSeconds(h.hour)) ? ys[i] : null));
  const capY = byLoad ? e.cap_pct : e.cap_pct != null && e.normal_kw != null ? (e.normal_kw * e.cap_pct) / 100 : null;
  const unit = byLoad ? t('w_load_of_normal') : 'kW';
  const from = e.warning_from ? wallSeconds(e.warning_from) : null;
  const until = e.warning_until ? wallSeconds(e.warning_until) : xs[xs.length - 1];
  const tz = (x) => uPlot.tzDate(new Date(x * 1000), 'Etc/UTC');
  const fmtHour = uPlot.fmtDate('{HH}:{mm}');
  const fmtDay = uPlot.fmtDate('{MM}-{DD}');
  const series = [
    { label: t('hour'), value: (u, x) => (x == null ? '--' : hourSpan(new Date((x - HOUR_S) * 1000).toISOString().slice(0, 16).replace('T', ' '), true)) },
    { label: byLoad ? t('w_load') : t('w_power'), stroke: '#1769aa', width: 1.8, value: (u, y) => (y == null ? '—' : y.toFixed(1)) },
  ];
  const data = [xs, ys];
  if (capY != null) {
    series.push({ label: `${t('w_cap')} ${cap(e)}`, stroke: '#d7301f', width: 1.5, dash: [6, 4], points: { show: false } });
    data.push(xs.map(() => capY));
  }
  series.push({ label: t('w_violated'), stroke: '#d7301f', width: 0, paths: () => null, points: { show: true, size: 7, fill: '#d7301f', stroke: '#d7301f' }, value: (u, y) => (y == null ? '—' : y.toFixed(1)) });
  data.push(marks);
  el.innerHTML = '';
  const chart = new uPlot({
    width: Math.max(300, Math.min(1040, el.clientWidth || 1000)), height: 320, title: `${e.equipment_name || ''} ${t('w_chart_title')}`,
    tzDate: tz,
    axes: [{ label: t('bj'), values: (u, splits) => splits.map((x) => (x % DAY_S === 0 ? fmtDay(tz(x)) : fmtHour(tz(x)))) }, { label: unit }],
    scales: { x: { time: true }, y: { range: (u, lo, hi) => [0, Math.max(hi || 0, capY || 0, 1) * 1.1] } },
    series,
    hooks: {
      // The warning in force: a shaded band, its start and end drawn as lines.
      drawClear: [(u) => {
        if (from == null) return;
        const ctx = u.ctx;
        const x0 = u.valToPos(from, 'x', true), x1 = u.valToPos(until, 'x', true);
        ctx.save();
        ctx.fillStyle = 'rgba(255,126,0,0.10)';
        ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
        ctx.strokeStyle = '#FF7E00';
        ctx.lineWidth = 2;
        ctx.setLineDash([]);
        [x0, x1].forEach((x) => { ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke(); });
        ctx.fillStyle = '#8a4b00';
        ctx.font = `${Math.round(12 * devicePixelRatio)}px sans-serif`;
        ctx.fillText(t('w_start'), x0 + 4, u.bbox.top + 14 * devicePixelRatio);
        // The end's label left of its line: the line is often the chart's right edge.
        ctx.textAlign = 'right';
        if (e.warning_until) ctx.fillText(t('w_end'), x1 - 4, u.bbox.top + 14 * devicePixelRatio);
        ctx.restore();
      }],
    },
  }, data, el);
  el.uplot = chart;
  el.dataset.points = String(xs.length);
  el.dataset.violated = String(marks.filter((m) => m != null).length);
}

const cap = (e) => (e.cap_pct != null ? `${fmt(e.cap_pct, 0)}%` : '');
