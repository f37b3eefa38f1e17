// The measures ledger: the plan's headline targets, the reminders (督办 / 催办) sent to the
// reader's unit, each unit's measures by status, and the list with filters, days overdue or
// left, the latest progress and exports. One measure's page is measure.js.
import { $, api, esc, state, t } from '../core.js';
import { dueTag, statusTag } from './measure.js';

export { measurePage } from './measure.js';

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
  const mineOnly = q.get('mine') === '1';
  const unresolvedOnly = q.get('unresolved') === '1';
  q.delete('unresolved');
  const [all, head] = await Promise.all([api('/ledger?per_page=1000'), planTargets()]);
  if (gen !== state.routing) return;
  const cats = [...new Set(all.items.map((m) => m.category))];
  const units = [...new Set(all.items.flatMap((m) => (m.lead_units + '、' + m.supporting_units).split('、')).filter((u) => u))];
  const sel = (id, label, values, cur) => `${label} <select id="${id}"><option value="">${t('all')}</option>${values.map((v) => `<option value="${esc(v[0])}" ${v[0] === cur ? 'selected' : ''}>${esc(v[1])}</option>`).join('')}</select>`;
  const statuses = ['not_started', 'in_progress', 'completed', 'closed', 'overdue'].map((s) => [s, t('st_' + s)]);
  $('#view').innerHTML = `<h2>${t('nav_ledger')}</h2>${head}<div id="my-reminders"></div><div id="unit-stats-box"></div><p class="filters">${sel('f-cat', t('category'), cats.map((c) => [c, c]), q.get('category'))}
    ${sel('f-unit', t('lead') + '/' + t('supporting'), units.map((u) => [u, u]), q.get('unit'))} ${sel('f-status', t('status'), statuses, q.get('status'))}
    ${t('deadline_before')} <input id="f-deadline" type="date" value="${esc(q.get('deadline_before') || '')}">
    <label><input id="f-unresolved" type="checkbox" ${unresolvedOnly ? 'checked' : ''}> ${t('lg_unresolved_only')}</label>
    ${state.me ? `<a href="#/ledger?mine=1" id="my-measures">${t('my_measures')}</a> ·` : ''} <a id="ledger-xlsx" href="#">${t('ledger_xlsx')}</a> · <a id="ledger-csv" href="#">CSV</a></p>
    ${mineOnly ? `<p class="muted" id="mine-note">${t('lg_mine_note')}</p>` : ''}
    <div class="table-wrap"><table id="ledger-table"><thead><tr><th>#</th><th>${t('task')}</th><th>${t('measure')}</th><th>${t('lead')}</th><th>${t('deadline')}</th><th id="status-head">${t('status')}</th>${state.me ? `<th>${t('lg_latest')}</th>` : ''}</tr></thead><tbody></tbody></table></div>`;
  const r = await api('/ledger?per_page=1000&' + q.toString());
  if (gen !== state.routing) return;
  $('#ledger-xlsx').href = '/api/v1/ledger?format=xlsx&' + q.toString();
  $('#ledger-csv').href = '/api/v1/ledger?format=csv&' + q.toString();
  const items = unresolvedOnly ? r.items.filter((m) => m.unresolved) : r.items;
  // A township's own list carries its own part's status: the column says so.
  if (items.some((m) => m.own_part_status)) $('#status-head').textContent = t('lg_my_part_status');
  // The list joins the measure's own deadlines and then its milestones'; a default is marked.
  const deadline = (m) => {
    const all = m.deadlines ? m.deadlines.split('、') : [];
    const own = all.slice(0, all.length - (m.milestones || []).length);
    const mark = m.deadline_source === 'plan_end_default' ? `<span class="muted">${t('lg_default_mark')}</span>` : '';
    const parts = own.map((d) => esc(d) + mark).concat((m.milestones || []).map((x) => `${esc(x.deadline)}<span class="muted">（${esc(x.id)}）</span>`));
    return parts.join('<br>') || '—';
  };
  const lead = (m) => esc(m.lead_units) + (m.unresolved ? ` <span class="tag warn">${t('lg_unresolved')}</span>` : '');
  // A township's own list shows its own part's status (the lead unit's is on the measure's page).
  const status = (m) => {
    const s = m.own_part_status || m.status;
    // 逾期 says by how many days in one tag; other statuses keep their tag and a due-soon note.
    if (m.overdue_days != null) return `<span class="st st-overdue" data-status="overdue" data-overdue-days="${m.overdue_days}">${esc(t('lg_overdue_days').replace('{n}', m.overdue_days))}</span>`;
    return `${statusTag(s, '')}${dueTag(m)}`;
  };
  const latest = (m) => (m.latest_report ? `${esc(m.latest_report.length > 50 ? m.latest_report.slice(0, 50) + '…' : m.latest_report)}<br><span class="muted nowrap">${esc(m.latest_report_at)} ${t('bj')}</span>` : '<span class="muted">—</span>');
  $('#ledger-table tbody').innerHTML = items.map((m) => `<tr data-id="${esc(m.id)}" data-status="${esc(m.own_part_status || m.status)}"${m.overdue_days != null ? ` class="overdue-row" style="background:#fdecea"` : ''}><td class="nowrap"><a href="#/measure/${esc(m.id)}">${esc(m.id)}</a></td><td>${esc(m.task)}</td><td>${esc(m.measure.slice(0, 60))}${m.measure.length > 60 ? '…' : ''}</td><td>${lead(m)}</td><td class="nowrap deadline">${deadline(m)}</td><td class="status nowrap">${status(m)}</td>${state.me ? `<td class="latest">${latest(m)}</td>` : ''}</tr>`).join('') || `<tr><td colspan="7">${t('no_data')}</td></tr>`;
  const go = () => {
    const n = new URLSearchParams();
    [['category', '#f-cat'], ['unit', '#f-unit'], ['status', '#f-status'], ['deadline_before', '#f-deadline']].forEach(([k, id]) => { if ($(id).value) n.set(k, $(id).value); });
    if ($('#f-unresolved').checked) n.set('unresolved', '1');
    if (mineOnly) n.set('mine', '1');
    location.hash = '#/ledger?' + n.toString();
  };
  ['#f-cat', '#f-unit', '#f-status', '#f-deadline', '#f-unresolved'].forEach((id) => { $(id).onchange = go; });
  await Promise.all([unitStats(gen), myReminders(gen)]);
}

/** Each unit's measures by status today (departments by the measures they lead, townships by their own parts). */
async function unitStats(gen) {
  const rows = (await api('/ledger-stats?per_page=1000').catch(() => ({ items: [] }))).items || [];
  if (gen !== state.routing || !rows.length) return;
  const inside = !!state.me;
  const name = (u) => (state.lang === 'en' ? u.unit_name_en : u.unit_name);
  const cell = (n, cls) => `<td class="num">${n ? `<span class="tag ${cls}">${n}</span>` : n}</td>`;
  const sorted = rows.slice().sort((a, b) => b.overdue - a.overdue || b.due_soon - a.due_soon || a.kind.localeCompare(b.kind));
  // Collapsed: the summary line carries the figures that matter (units with overdue work).
  const late = rows.filter((u) => u.overdue > 0).length;
  const soon = rows.filter((u) => u.due_soon > 0).length;
  $('#unit-stats-box').innerHTML = `<details id="unit-stats"><summary><b>${t('lg_unit_stats')}</b> <span class="tag ${late ? 'bad' : 'ok'}" id="units-late">${esc(t('lg_units_late').replace('{n}', late))}</span> <span class="tag ${soon ? 'warn' : 'ok'}">${esc(t('lg_units_soon').replace('{n}', soon))}</span> <span class="muted">${t('lg_unit_stats_note')}</span></summary>
    <div class="table-wrap"><table><thead><tr class="nowrap"><th>${t('org')}</th><th class="num">${t('lg_total')}</th><th class="num">${t('lg_on_track')}</th><th class="num">${t('lg_due_soon')}</th><th class="num">${t('st_overdue')}</th><th class="num">${t('st_completed')}</th><th class="num">${t('st_closed')}</th>${inside ? `<th class="num">${t('lg_open_reminders')}</th>` : ''}</tr></thead><tbody>
    ${sorted.map((u) => `<tr data-unit="${esc(u.unit)}" data-overdue="${u.overdue}"><td class="nowrap">${u.kind === 'department' ? `<a href="#/ledger?unit=${encodeURIComponent(u.unit)}">${esc(name(u))}</a>` : esc(name(u))}${u.kind === 'township' ? ` <span class="muted">${t('lg_parts_suffix')}</span>` : ''}</td>
      <td class="num">${u.total}</td><td class="num">${u.on_track}</td>${cell(u.due_soon, 'warn')}${cell(u.overdue, 'bad')}<td class="num">${u.completed}</td><td class="num">${u.closed}</td>${inside ? cell(u.open_reminders, 'warn') : ''}</tr>`).join('')}</tbody></table></div>
    <p><a href="/api/v1/ledger-stats?format=xlsx">${t('lg_stats_xlsx')}</a></p></details>`;
}

/** Reminders listed on the ledger page at most (the count says how many there are). */
const REMINDERS_SHOWN = 20;

/** The reminders (督办 / 催办) not yet acknowledged: a unit's own, or, for the bureau, all it sent. */
async function myReminders(gen) {
  if (!state.me) return;
  // The newest 20 and how many there are.
  const r = await api(`/ledger-reminders?open=1&per_page=${REMINDERS_SHOWN}`).catch(() => ({ items: [], total: 0 }));
  const rs = r.items || [];
  if (gen !== state.routing || !rs.length) return;
  $('#my-reminders').innerHTML = `<div class="notice" id="reminder-inbox"><b>${t('lg_reminder_inbox')}</b> (${r.total ?? rs.length})<ul class="plain">
    ${rs.map((r) => `<li data-reminder="${r.id}"><span class="tag ${r.kind === 'urge' ? 'bad' : 'warn'}">${t('rk_' + r.kind)}</span> <a href="#/measure/${esc(r.measure_id)}">${esc(r.measure_id)} ${esc(r.task)}</a> → ${esc(state.lang === 'en' ? r.unit_name_en : r.unit_name)}：${esc(r.text)} <span class="muted nowrap">${esc(r.at)} ${t('bj')}</span></li>`).join('')}</ul></div>`;
}
