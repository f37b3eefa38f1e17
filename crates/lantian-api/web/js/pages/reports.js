// Reports, in three tabs: the monthly township 通报 (month and method pickers, the formula
// stated, the ranking, first and last three, targets and progress, incentives and, for the
// bureau and administrators, penalties; Excel and PDF); the 日报 / 周报 / 月报 of the city or
// a township (figures, 同比 and 环比, days, hours, units, notes; Excel and PDF, made and kept
// by the bureau); and the files made, by hand or on a schedule, with their downloads and,
// for the bureau, the schedules.
import { $, addDays, api, bjToday, esc, pager, state, t, wirePager } from '../core.js';
import { change, methodOptions, n, rankingHead, rankingRows } from './rankings.js';

/** A figure of the progress table with one decimal at most (no float noise). */
const d1 = (v) => (v == null ? '—' : String(Math.round(v * 10) / 10));

const met = (v) => (v == null ? '—' : v ? t('rp_met') : t('rp_missed'));

const TABS = ['tongbao', 'periodic', 'files'];

/** The tab bar of the reports page; the current tab marked. */
const tabBar = (tab) => `<p class="filters" id="pr-tabs">${TABS.map((k) => `<a href="#/reports?tab=${k}" data-tab="${k}" ${k === tab ? 'aria-current="page" style="font-weight:700"' : ''}>${t('pr_tab_' + k)}</a>`).join(' · ')}</p>`;

export async function reportsPage(rest = '') {
  const q = new URLSearchParams(rest.replace(/^\?/, ''));
  const tab = TABS.includes(q.get('tab')) ? q.get('tab') : 'tongbao';
  if (tab === 'periodic') return periodicPage(q);
  if (tab === 'files') return filesPage();
  return tongbaoPage(q);
}

async function tongbaoPage(q) {
  const gen = state.routing;
  const month = q.get('month') || bjToday().slice(0, 7);
  // A later choice wins over an earlier answer still on its way.
  let seq = 0;
  $('#view').innerHTML = `<h2>${t('nav_reports')}</h2>${tabBar('tongbao')}<p>${t('month')} <input id="rp-month" type="month" value="${esc(month)}">
    ${t('rm_method')} <select id="rp-method">${methodOptions()}</select>
    <a id="rp-xlsx" href="#">Excel</a> · <a id="rp-pdf" href="#">PDF</a> <span class="muted">${t('note_audited')}</span></p>
    <div id="rp-body"></div>`;
  const load = async () => {
    const q = `/reports/township?month=${$('#rp-month').value}&method=${$('#rp-method').value}`;
    $('#rp-xlsx').href = '/api/v1' + q + '&format=xlsx';
    $('#rp-pdf').href = '/api/v1' + q + '&format=pdf';
    if (!state.me) {
      $('#rp-body').innerHTML = `<p>${t('rp_login')}</p>`;
      return;
    }
    const mine = ++seq;
    const r = await api(q);
    if (mine !== seq || gen !== state.routing) return;
    const zh = state.lang === 'zh';
    const names = (v) => v.map((x) => `${esc(x.name_zh)} (${x.rank})`).join('、') || '—';
    const progress = r.progress.map((p) => `<tr><td>${esc(zh ? p.name_zh : p.name_en)}</td><td>${esc(p.indicator_zh)} ${esc(p.indicator_unit)}</td><td>${d1(p.target_month)}</td><td>${d1(p.actual_month)}</td><td>${met(p.met_month)}</td><td>${d1(p.target_ytd)}</td><td>${d1(p.actual_ytd)}</td><td>${met(p.met_ytd)}</td><td>${d1(p.still_allowed)}</td><td>${p.valid_days_month}/${p.days_month}</td></tr>`).join('');
    const incentives = r.incentives.map((i) => `<li>${esc(i.name_zh)} · ${esc(i.grade_zh)}: ${esc(i.detail_zh)}</li>`).join('') || `<li>—</li>`;
    const penalties = r.penalties == null ? `<p class="muted">${t('rp_penalties_internal')}</p>`
      : `<ul>${r.penalties.map((p) => `<li><b>${esc(p.sanction_zh)}</b> ${esc(p.name_zh)}: ${esc(p.detail_zh)}</li>`).join('') || '<li>—</li>'}</ul>`;
    $('#rp-body').innerHTML = `<h3>${esc(r.title_zh)}</h3><p class="muted">${t('rp_issued')}: ${esc(r.issued_zh)} · ${t('rp_rule_sets')}: ${esc(r.rule_sets.join(', ') || '—')} · ${t('rp_coverage')}: ${n(r.coverage_pct)}%</p>
      <p>${esc(zh ? r.ranking.formula_zh : r.ranking.formula_en)}</p>
      <table><thead>${rankingHead()}</thead><tbody>${rankingRows(r.ranking.rows)}</tbody></table>
      <p>${t('rp_first_three')}: ${names(r.first_three)} · ${t('rp_last_three')}: ${names(r.last_three)}</p>
      <h3>${t('rp_progress')}</h3><table><thead><tr><th>${t('unit')}</th><th>${t('rp_indicator')}</th><th>${t('rp_target_month')}</th><th>${t('rp_actual_month')}</th><th></th><th>${t('rp_target_ytd')}</th><th>${t('rp_actual_ytd')}</th><th></th><th>${t('rp_still_allowed')}</th><th>${t('valid_days')}</th></tr></thead><tbody>${progress || `<tr><td colspan="10">${t('no_data')}</td></tr>`}</tbody></table>
      <h3>${t('rp_incentives')}</h3><ul>${incentives}</ul>
      <h3>${t('rp_penalties')}</h3><p class="muted">${esc(zh ? r.rule_zh : r.rule_en)}</p>${penalties}`;
  };
  $('#rp-month').onchange = load;
  $('#rp-method').onchange = load;
  await load();
}

// ---- 日报 / 周报 / 月报 ------------------------------------------------------------------

const KINDS = ['daily', 'weekly', 'monthly'];
const zhEn = (o, k) => (o == null ? '' : state.lang === 'zh' ? o[k + '_zh'] : o[k + '_en']);
const pctCell = (v) => (v == null ? '—' : String(Math.round(v * 10) / 10));
/** The last ended period's key: yesterday, the Monday of last week, last month. */
function lastEnded(kind) {
  const today = bjToday();
  if (kind === 'daily') return addDays(today, -1);
  if (kind === 'monthly') return addDays(today.slice(0, 8) + '01', -1).slice(0, 7);
  const dow = (new Date(today + 'T00:00:00Z').getUTCDay() + 6) % 7;
  return addDays(today, -dow - 7);
}

/** Township-level units as options (a township's account: its own only), the city first. */
async function scopeOptions(selected) {
  const units = await api('/units?per_page=1000').catch(() => ({ items: [] }));
  const towns = units.items.filter((u) => ['town', 'township', 'zone'].includes(u.kind));
  // An account of a township reads its own township's reports (and the city's): the server
  // decides; the picker offers what it would answer.
  const own = towns.find((u) => state.me && u.id === state.me.unit_id);
  const offered = own ? [own] : towns;
  return { units: units.items, html: [`<option value="city">${esc(t('pr_city'))}</option>`].concat(offered.map((u) => `<option value="unit:${esc(u.id)}" ${selected === 'unit:' + u.id ? 'selected' : ''}>${esc(state.lang === 'zh' ? u.name_zh : u.name_en)}</option>`)).join('') };
}

const seriesHead = (first) => `<tr><th>${first}</th><th class="num">AQI</th><th>${t('pr_level')}</th><th>${t('pr_primary')}</th><th class="num">PM2.5</th><th class="num">PM10</th><th class="num">SO2</th><th class="num">NO2</th><th class="num">CO</th><th class="num">O3-8h</th><th class="num">${t('pr_coverage')}</th></tr>`;
const levelCell = (x) => (x.aqi == null ? '—' : `<span class="badge" style="background:${esc(x.colour)};color:${x.aqi > 200 ? '#fff' : '#000'}">${esc(zhEn(x, 'category'))}</span>`);
const seriesRows = (rows) => rows.map((x) => `<tr><td class="nowrap">${esc(x.start)}</td><td class="num">${n(x.aqi)}</td><td>${levelCell(x)}</td><td>${esc((x.primary || []).join(',') || '—')}</td><td class="num">${n(x.pm25)}</td><td class="num">${n(x.pm10)}</td><td class="num">${n(x.so2)}</td><td class="num">${n(x.no2)}</td><td class="num">${n(x.co)}</td><td class="num">${n(x.o3_8h)}</td><td class="num">${pctCell(x.coverage * 100)}</td></tr>`).join('');

function overview(r) {
  const f = r.figures; const c = r.changes;
  const line = (key, get, pctChange = true) => `<tr><td>${t(key)}</td><td class="num">${n(get(f))}</td><td class="num">${n(get(c.previous))}</td><td class="num">${n(get(c.year_before))}</td><td class="num">${pctChange ? change(rel(get(f), get(c.year_before))) : '—'}</td><td class="num">${pctChange ? change(rel(get(f), get(c.previous))) : '—'}</td><td class="num">${n(get(r.year_to_date))}</td><td class="num">${n(get(r.year_to_date_last_year))}</td></tr>`;
  const aqiRow = r.kind === 'daily' ? `<tr><td>${t('pr_aqi_level')}</td><td class="num">${n(f.aqi)} ${f.aqi == null ? '' : levelCell(f)}</td><td class="num">${n(c.previous.aqi)}</td><td class="num">${n(c.year_before.aqi)}</td><td></td><td></td><td></td><td></td></tr>` : '';
  return `<div class="table-wrap"><table id="pr-overview"><thead><tr><th>${t('pr_indicator')}</th><th class="num">${t('pr_now')}</th><th class="num">${t('pr_prev')}</th><th class="num">${t('pr_year_before')}</th><th class="num">${t('pr_yoy')}</th><th class="num">${t('pr_mom')}</th><th class="num">${t('pr_ytd')}</th><th class="num">${t('pr_ytd_ly')}</th></tr></thead><tbody>${aqiRow}
    ${line('pr_pm25', (x) => x.pm25)}${line('pr_pm10', (x) => x.pm10)}${line('pr_so2', (x) => x.so2)}${line('pr_no2', (x) => x.no2)}${line('pr_co_p95', (x) => x.co)}${line('pr_o3_p90', (x) => x.o3_8h)}${line('pr_composite', (x) => x.composite_index)}
    ${line('pr_valid_days', (x) => x.valid_days, false)}${line('pr_good_days', (x) => x.good_days, false)}${line('pr_good_ratio', (x) => x.good_day_ratio, false)}${line('pr_heavy_days', (x) => x.heavy_days, false)}${line('pr_capture', (x) => x.coverage_pct, false)}</tbody></table></div>`;
}

/** Change in per cent with one decimal, as the server computes 同比 and 环比. */
const rel = (now, before) => (now == null || before == null || before === 0 ? null : Math.round((now - before) / before * 1000) / 10);

function unitsTable(r) {
  const city = r.scope === 'city';
  const daily = r.kind === 'daily';
  const head = `<tr><th>${t('pr_rank')}</th><th>${t(city ? 'pr_unit' : 'pr_station')}</th>${daily ? `<th class="num">AQI</th><th>${t('pr_level')}</th>` : ''}<th class="num">${t('pr_composite')}</th><th class="num">PM2.5</th><th class="num">PM10</th><th class="num">SO2</th><th class="num">NO2</th><th class="num">${t('pr_good_days')}</th><th class="num">${t('pr_valid_days')}</th><th class="num">${t('pr_yoy')}</th><th class="num">${t('pr_mom')}</th><th>${t('rm_note')}</th></tr>`;
  const rows = r.units.map((u) => `<tr data-unit="${esc(u.id)}" data-rank="${u.rank ?? ''}"><td>${u.rank == null ? `<span class="tag info">${t('pr_unranked')}</span>` : u.rank}</td><td>${esc(state.lang === 'zh' ? u.name_zh : u.name_en)}</td>${daily ? `<td class="num">${n(u.aqi)}</td><td>${levelCell(u)}</td>` : ''}<td class="num">${n(u.composite_index)}</td><td class="num">${n(u.pm25)}</td><td class="num">${n(u.pm10)}</td><td class="num">${n(u.so2)}</td><td class="num">${n(u.no2)}</td><td class="num">${u.good_days}</td><td class="num">${u.valid_days}/${u.days}</td><td class="num">${change(u.composite_yoy_pct)}</td><td class="num">${change(u.composite_mom_pct)}</td><td>${esc(zhEn(u, 'note') || '')}</td></tr>`).join('');
  return `<div class="table-wrap"><table id="pr-units"><thead>${head}</thead><tbody>${rows}</tbody></table></div>`;
}

async function periodicPage(q) {
  const gen = state.routing;
  const kind = KINDS.includes(q.get('kind')) ? q.get('kind') : 'daily';
  const scope = q.get('scope') || 'city';
  const period = q.get('period') || lastEnded(kind);
  const manage = !!(state.me && (state.me.acts || []).includes('manage_reports'));
  $('#view').innerHTML = `<h2>${t('pr_title')}</h2>${tabBar('periodic')}
    <p class="filters"><label>${t('pr_kind')} <select id="pr-kind">${KINDS.map((k) => `<option value="${k}" ${k === kind ? 'selected' : ''}>${t('pr_' + k)}</option>`).join('')}</select></label>
    <label>${t('pr_scope')} <select id="pr-scope"></select></label>
    <label><span id="pr-period-label"></span> <input id="pr-period" type="${kind === 'monthly' ? 'month' : 'date'}" value="${esc(period)}"></label>
    <a id="pr-xlsx" href="#">Excel</a> · <a id="pr-pdf" href="#">PDF</a>
    ${manage ? `<button id="pr-make" type="button">${t('pr_make')}</button>` : ''} <span class="muted">${t('note_audited')}</span></p>
    <p id="pr-msg" class="notice" hidden></p><div id="pr-body"></div>`;
  $('#pr-period-label').textContent = t(kind === 'weekly' ? 'pr_week_day' : kind === 'monthly' ? 'month' : 'pr_day');
  if (!state.me) { $('#pr-body').innerHTML = `<p>${t('pr_login')}</p>`; return; }
  const opts = await scopeOptions(scope);
  if (gen !== state.routing) return;
  $('#pr-scope').innerHTML = opts.html;
  $('#pr-scope').value = [...$('#pr-scope').options].some((o) => o.value === scope) ? scope : 'city';
  const go = () => { location.hash = `#/reports?tab=periodic&kind=${$('#pr-kind').value}&scope=${encodeURIComponent($('#pr-scope').value)}&period=${$('#pr-kind').value === kind ? $('#pr-period').value : ''}`; };
  $('#pr-kind').onchange = go;
  $('#pr-scope').onchange = go;
  $('#pr-period').onchange = go;
  const base = `/reports/periodic?kind=${kind}&scope=${encodeURIComponent($('#pr-scope').value)}&period=${encodeURIComponent(period)}`;
  $('#pr-xlsx').href = '/api/v1' + base + '&format=xlsx';
  $('#pr-pdf').href = '/api/v1' + base + '&format=pdf';
  if (manage) {
    $('#pr-make').onclick = async () => {
      $('#pr-make').disabled = true;
      try {
        const made = await api('/reports/files', { method: 'POST', body: JSON.stringify({ kind, scope: $('#pr-scope').value, period, formats: 'xlsx,pdf' }) });
        $('#pr-msg').hidden = false;
        $('#pr-msg').className = 'notice';
        $('#pr-msg').innerHTML = `${t('pr_made')} ${made.map((f) => `<a href="/api/v1/reports/files/${f.id}">${esc(f.name)}</a>`).join('、')} · <a href="#/reports?tab=files">${t('pr_tab_files')}</a>`;
      } catch (e) {
        $('#pr-msg').hidden = false;
        $('#pr-msg').className = 'notice error';
        $('#pr-msg').textContent = e.message;
      } finally { $('#pr-make').disabled = false; }
    };
  }
  let r;
  try { r = await api(base); } catch (e) { if (gen === state.routing) $('#pr-body').innerHTML = `<p class="error">${esc(e.message)}</p>`; return; }
  if (gen !== state.routing) return;
  const zh = state.lang === 'zh';
  $('#pr-body').innerHTML = `<section class="card" id="pr-report" data-kind="${esc(r.kind)}" data-period="${esc(r.period)}"><h3 style="color:inherit;font-size:1.15rem">${esc(zh ? r.title_zh : r.title_en)}</h3>
    <p class="pr-meta" style="color:var(--muted)">${t('pr_issuer')}: ${esc(r.issuer_zh)} · ${t('pr_span')}: ${esc(zh ? r.period_zh : r.period_en)} (${esc(r.first)} — ${esc(r.last)}) · ${t('pr_issued')}: ${esc(zh ? r.issued_zh : r.issued_en)}</p>
    ${r.partial ? `<p class="notice">${t('pr_partial')}</p>` : ''}
    <p id="pr-summary">${esc(zh ? r.summary_zh : r.summary_en)}</p>
    <h4>${t('pr_overview')}</h4>${overview(r)}
    <h4>${t(r.scope === 'city' ? 'pr_units' : 'pr_stations')}</h4>${unitsTable(r)}
    <h4>${t('pr_days')}</h4><div class="table-wrap"><table id="pr-days"><thead>${seriesHead(t('pr_date'))}</thead><tbody>${seriesRows(r.days) || `<tr><td colspan="11">${t('no_data')}</td></tr>`}</tbody></table></div>
    ${r.kind === 'daily' ? `<h4>${t('pr_hours')}</h4><div class="table-wrap"><table id="pr-hours"><thead>${seriesHead(t('pr_time'))}</thead><tbody>${seriesRows(r.hours) || `<tr><td colspan="11">${t('no_data')}</td></tr>`}</tbody></table></div>` : ''}
    <h4>${t('pr_notes')}</h4><ol id="pr-notes" class="muted">${(zh ? r.notes_zh : r.notes_en).map((x) => `<li>${esc(x)}</li>`).join('')}</ol></section>`;
}

// ---- Files and schedules ------------------------------------------------------------

const size = (b) => (b >= 1048576 ? `${(b / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(b / 1024))} KB`);
/** Milliseconds since the epoch as Beijing time, `YYYY-MM-DD HH:MM`. */
const bjMinute = (ms) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 16).replace('T', ' ');

/** Report files per page (newest first; 上一页 / 下一页 walk the rest: schedules make files every day). */
const FILES_PER_PAGE = 100;

async function filesPage(page = 1) {
  const gen = state.routing;
  const manage = !!(state.me && (state.me.acts || []).includes('manage_reports'));
  $('#view').innerHTML = `<h2>${t('pr_title')}</h2>${tabBar('files')}<div id="pr-files"></div><div id="pr-schedules"></div>`;
  if (!state.me) { $('#pr-files').innerHTML = `<p>${t('pr_login')}</p>`; return; }
  const [filesPage1, scopes, schedules] = await Promise.all([api(`/reports/files?page=${page}&per_page=${FILES_PER_PAGE}`), scopeOptions('city'), manage ? api('/reports/schedules') : Promise.resolve(null)]);
  if (gen !== state.routing) return;
  const files = filesPage1.items || [];
  const unitName = (scope) => {
    if (scope === 'city') return t('pr_city');
    const u = scopes.units.find((x) => 'unit:' + x.id === scope);
    return u ? (state.lang === 'zh' ? u.name_zh : u.name_en) : scope;
  };
  const rows = files.map((f) => `<tr data-file="${f.id}"><td>${esc(t('pr_' + f.kind))}</td><td>${esc(unitName(f.scope))}</td><td class="nowrap">${esc(f.period)}</td><td>${esc(f.format.toUpperCase())}</td><td class="num">${size(f.size)}</td><td class="nowrap">${bjMinute(f.generated_ms)}</td><td>${f.generated_by === 'system' ? `<span class="tag info">${t('pr_by_schedule')}</span>` : esc(f.generated_by)}</td><td>${t(f.view === 'raw' ? 'view_raw' : 'view_audited')}</td><td><a class="pr-download" href="/api/v1/reports/files/${f.id}" download="${esc(f.name)}">${t('pr_download')}</a></td></tr>`).join('');
  $('#pr-files').innerHTML = `<h3>${t('pr_files')}</h3><div class="table-wrap"><table id="pr-file-list"><thead><tr><th>${t('pr_kind')}</th><th>${t('pr_scope')}</th><th>${t('pr_period')}</th><th>${t('pr_format')}</th><th class="num">${t('pr_size')}</th><th>${t('pr_made_at')}</th><th>${t('pr_made_by')}</th><th>${t('view')}</th><th></th></tr></thead><tbody>${rows || `<tr><td colspan="9">${t('pr_files_none')}</td></tr>`}</tbody></table></div>${pager(filesPage1, 'pr-file-pages')}`;
  wirePager($('#pr-files'), (n) => filesPage(n));
  if (!manage) return;
  const kindOpts = KINDS.map((k) => `<option value="${k}">${t('pr_' + k)}</option>`).join('');
  const sRows = schedules.map((s) => `<tr data-schedule="${s.id}"><td>${t('pr_' + s.kind)}</td><td>${esc(unitName(s.scope))}</td><td>${['xlsx', 'pdf'].map((f) => `<label class="nowrap"><input type="checkbox" class="ps-f" value="${f}" ${s.formats.split(',').includes(f) ? 'checked' : ''}> ${f.toUpperCase()}</label>`).join(' ')}</td><td><input class="ps-hour" type="number" min="0" max="23" value="${s.hour_cst}" style="width:4.5rem"></td><td><input class="ps-on" type="checkbox" ${s.enabled ? 'checked' : ''}></td><td class="nowrap"><button class="ps-save" type="button">${t('pr_save')}</button> <button class="ps-del" type="button">${t('pr_delete')}</button></td></tr>`).join('');
  $('#pr-schedules').innerHTML = `<h3>${t('pr_schedules')}</h3><p class="muted">${t('pr_schedules_note')}</p>
    <div class="table-wrap"><table id="pr-schedule-list"><thead><tr><th>${t('pr_kind')}</th><th>${t('pr_scope')}</th><th>${t('pr_format')}</th><th>${t('pr_hour')}</th><th>${t('pr_enabled')}</th><th></th></tr></thead><tbody>${sRows || `<tr><td colspan="6">—</td></tr>`}</tbody></table></div>
    <p class="filters" id="ps-new"><label>${t('pr_kind')} <select id="ps-kind">${kindOpts}</select></label> <label>${t('pr_scope')} <select id="ps-scope">${scopes.html}</select></label>
    <label class="nowrap"><input type="checkbox" id="ps-xlsx" checked> XLSX</label> <label class="nowrap"><input type="checkbox" id="ps-pdf" checked> PDF</label>
    <label>${t('pr_hour')} <input id="ps-hour" type="number" min="0" max="23" value="8" style="width:4.5rem"></label> <button id="ps-add" type="button">${t('pr_add_schedule')}</button></p>
    <p id="ps-msg" class="notice" hidden></p>`;
  const say = (text, bad) => { $('#ps-msg').hidden = false; $('#ps-msg').className = bad ? 'notice error' : 'notice'; $('#ps-msg').textContent = text; };
  const act = async (f) => { try { await f(); await filesPage(); say(t('pr_saved')); } catch (e) { say(e.message, true); } };
  $('#ps-add').onclick = () => act(() => api('/reports/schedules', { method: 'POST', body: JSON.stringify({ kind: $('#ps-kind').value, scope: $('#ps-scope').value, formats: ['xlsx', 'pdf'].filter((f) => $('#ps-' + f).checked).join(','), hour_cst: Number($('#ps-hour').value) }) }));
  for (const tr of document.querySelectorAll('#pr-schedule-list tr[data-schedule]')) {
    const id = tr.dataset.schedule;
    tr.querySelector('.ps-save').onclick = () => act(() => api('/reports/schedules/' + id, { method: 'PUT', body: JSON.stringify({ formats: [...tr.querySelectorAll('.ps-f:checked')].map((c) => c.value).join(','), hour_cst: Number(tr.querySelector('.ps-hour').value), enabled: tr.querySelector('.ps-on').checked }) }));
    tr.querySelector('.ps-del').onclick = () => act(() => api('/reports/schedules/' + id, { method: 'DELETE' }));
  }
}
