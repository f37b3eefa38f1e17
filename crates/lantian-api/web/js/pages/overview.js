// Overview: for the accounts whose acts include the cockpit (government accounts), the
// cockpit (驾驶舱, docs/ui.md "Cockpit"): AQI now and today so far, yesterday's 日报, the month's
// and the year's city figures against their targets with coverage and verdict, the month's
// township ranking with 同比/环比, overdue measures by unit and open alarms, each tile linking
// to its page; for everyone else the public overview. Both refresh themselves every 5 minutes,
// paused while the tab is hidden.
import { $, api, badge, bj, demoBanner, esc, fmt, state, t } from '../core.js';

/** How often a page refreshes when the API does not say (ms). */
const REFRESH_MS_DEFAULT = 300e3;

const hasAct = (act) => !!(state.me && (state.me.acts || []).includes(act));

export async function overview() {
  return hasAct('see_cockpit') ? cockpit() : publicOverview();
}

/**
 * Calls `load` again every `ms` while the page `gen` is shown and the tab is visible; a tab
 * that comes back after a longer absence refreshes at once. One refresher at a time.
 */
let stopRefresh = () => {};
function autoRefresh(gen, ms, load) {
  stopRefresh();
  let last = Date.now();
  const tick = async () => {
    if (gen !== state.routing) return stopRefresh();
    if (document.hidden) return;
    last = Date.now();
    await load().catch((err) => {
      if (gen !== state.routing) return;
      const p = $('#refresh-error');
      if (p) p.textContent = t('ck_stale') + t('colon') + err.message;
    });
  };
  const onVisible = () => { if (!document.hidden && Date.now() - last >= ms) tick(); };
  const timer = setInterval(tick, ms);
  document.addEventListener('visibilitychange', onVisible);
  stopRefresh = () => { clearInterval(timer); document.removeEventListener('visibilitychange', onVisible); };
}

async function publicOverview() {
  const gen = state.routing;
  $('#view').innerHTML = `<div class="cards">
    <div class="card"><h3>${t('city_aqi_now')}</h3><div class="big" id="city-aqi">…</div><div class="muted" id="city-aqi-time"></div><div class="muted" id="city-advice"></div><div class="muted note">${t('note_raw')}</div></div>
    <div class="card"><h3>${t('ck_today_partial')}</h3><div class="big" id="city-aqi-today">…</div><div class="muted" id="city-aqi-today-note"></div><div class="muted note">${t('note_raw')} · ${t('ck_daily_next_day')}</div></div>
    <div class="card"><h3>${t('pm25_year')}</h3><div class="big" id="pm25-year">…</div><div class="muted" id="pm25-target"></div><div class="muted" id="pm25-valid"></div><div class="muted note">${t('note_audited')}</div></div>
    <div class="card"><h3>${t('heavy_days')}</h3><div class="big" id="heavy-days">…</div><div class="muted note">${t('note_audited')}</div></div>
  </div><p class="error" id="refresh-error"></p><h2>${t('stations')}</h2><table id="station-table"><thead><tr><th>${t('station')}</th><th>${t('role')}</th><th>${t('aqi')}</th><th>${t('primary')}</th><th>${t('updated')}（${t('bj')}）</th></tr></thead><tbody></tbody></table>`;
  const load = async () => {
    const [now, tg] = await Promise.all([api('/aqi/now'), api('/targets')]);
    if (gen !== state.routing) return;
    demoBanner(now.stations);
    const c = now.city;
    $('#city-aqi').innerHTML = c ? badge(c.aqi) : t('no_data');
    $('#city-aqi-time').textContent = c ? bj(c.time) : '';
    $('#city-advice').textContent = c && c.aqi.advice ? t('advice') + t('colon') + c.aqi.advice : '';
    const td = now.today;
    $('#city-aqi-today').innerHTML = td && td.aqi && td.aqi.aqi != null ? badge(td.aqi) : 'NA';
    $('#city-aqi-today-note').textContent = td ? td.date + (td.aqi.aqi == null ? ' · ' + t('today_pending') : '') : '';
    $('#pm25-year').textContent = tg.pm25_mean_so_far == null ? t('no_data') : tg.pm25_mean_so_far + ' µg/m³';
    $('#pm25-target').textContent = t('target') + ' ' + tg.target_pm25 + ' µg/m³';
    // The year so far with its coverage: no verdict is shown to the public.
    $('#pm25-valid').textContent = `${t('ck_valid')} ${tg.valid_days} ${t('ck_days_unit')}（${t('ck_required_year')} ≥ 324 ${t('ck_days_unit')}）`;
    $('#heavy-days').textContent = tg.heavy_or_worse_days;
    $('#refresh-error').textContent = '';
    $('#station-table tbody').innerHTML = now.stations.map((s) => `<tr><td><a href="#/station/${encodeURIComponent(s.id)}">${esc(s.name)}</a>${s.demo ? ' <span class="muted">(' + t('demo') + ')</span>' : ''}</td><td>${esc(t('role_' + s.role))}</td><td>${badge(s.aqi)}</td><td>${esc(((s.aqi && s.aqi.primary) || []).join(', '))}</td><td class="muted station-time">${esc(s.time || '')}</td></tr>`).join('');
  };
  await load();
  autoRefresh(gen, REFRESH_MS_DEFAULT, load);
}

/** The cockpit's own layout rules (once per document). */
function cockpitStyle() {
  if (document.getElementById('cockpit-style')) return;
  const s = document.createElement('style');
  s.id = 'cockpit-style';
  s.textContent = `#cockpit .cards { grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); }
#cockpit .card { margin: 0; }
#cockpit .card h3 a { color: inherit; }
#cockpit .wide { grid-column: 1 / -1; }
#cockpit .scroll { overflow-x: auto; }
#cockpit table { width: 100%; }
#cockpit .strip { display: grid; grid-template-columns: repeat(24, 1fr); gap: 2px; margin: .5rem 0; }
#cockpit .strip span { height: 1.2rem; border-radius: 2px; background: #eee; border: 1px solid #ddd; }
#cockpit .up { color: #d7301f; } #cockpit .down { color: #2e9e4f; }
#cockpit .row-gap { margin-top: 1rem; }
#cockpit .head { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: baseline; }
@media (max-width: 600px) { #cockpit .yt { display: none; } #cockpit .cards { grid-template-columns: minmax(0, 1fr); } #cockpit .card { min-width: 0; } }`;
  document.head.append(s);
}

const VERDICT_CLASS = { met: 'ok', on_track: 'ok', behind: 'warn', not_met: 'bad', unreachable: 'bad', insufficient: 'info', target_pending: 'info', no_target: 'info' };
const en = () => state.lang === 'en';
const name = (r) => (en() ? r.name_en : r.name_zh);

/** An AQI badge from a value, its colour and category (dark text on the light levels). */
function aqiBadge({ aqi, colour, category }) {
  if (aqi == null) return `<span class="badge" style="background:#ccc">NA</span>`;
  return `<span class="badge" style="background:${esc(colour)};color:${aqi > 150 ? '#fff' : '#000'}">${aqi} ${esc(category || '')}</span>`;
}

/** A value with the indicator's unit. */
function valueText(v, ind) {
  if (v == null) return '—';
  // A count; its share of a year's target to date is fractional.
  if (ind.indicator === 'heavy_days') return `${Number.isInteger(v) ? v : fmt(v)} ${t('ck_days_unit')}`;
  return `${fmt(v, ind.indicator === 'pm25' ? 0 : 1)} ${ind.unit_of_value}`;
}

/** A change in per cent with its direction: ↑ rose (worse for a concentration), ↓ fell. */
function change(pct) {
  if (pct == null) return '<span class="muted">—</span>';
  if (pct === 0) return '0.0%';
  return pct > 0 ? `<span class="up">↑ ${fmt(pct)}%</span>` : `<span class="down">↓ ${fmt(-pct)}%</span>`;
}

function periodCard(id, title, p) {
  const required = p.month ? t('ck_required_month') : t('ck_required_year');
  const rows = p.indicators.map((i) => `<tr data-ind="${esc(i.indicator)}"><td>${esc(t('ind_' + i.indicator))}</td>
    <td class="num actual">${valueText(i.actual, i)}</td><td class="num">${valueText(i.target_to_date, i)}</td><td class="num yt">${valueText(i.target_year, i)}</td>
    <td><span class="tag ${VERDICT_CLASS[i.verdict]} verdict" data-verdict="${esc(i.verdict)}">${esc(t('ck_v_' + i.verdict))}</span>${i.still_allowed_zh ? `<div class="muted small">${esc(en() ? i.still_allowed_en : i.still_allowed_zh)}</div>` : ''}</td></tr>`).join('');
  return `<div class="card" id="${id}" data-tile="${id}"><h3><a href="${esc(p.link)}">${title} ${esc(p.period)}</a></h3>
    <div class="scroll"><table><thead><tr><th>${t('ck_indicator')}</th><th class="num">${t('ck_actual')}</th><th class="num">${t('ck_target_to_date')}</th><th class="num yt">${t('ck_target_year')}</th><th>${t('ck_verdict')}</th></tr></thead><tbody>${rows}</tbody></table></div>
    <div class="muted coverage" data-valid="${p.valid_days}" data-due="${p.valid_days_due}">${t('ck_valid')} ${p.valid_days}/${p.days} ${t('ck_days_unit')} · ${t('ck_due')} ≥ ${p.valid_days_due} · ${required} ≥ ${p.valid_days_required} ${t('ck_days_unit')}${p.coverage_ok ? '' : ` · <span class="tag info">${t('ck_v_insufficient')}</span>`}</div>
    <div class="muted note">${t('note_audited')} · ${t('ck_through')} ${esc(p.through)}${p.rule_set ? ' · ' + esc(p.rule_set) : ''}</div></div>`;
}

function rankingCard(r) {
  const rows = r.rows.map((u) => `<tr data-unit="${esc(u.unit)}"><td class="num rank">${u.rank ?? '—'}</td><td>${esc(name(u))}</td>
    <td class="num figure">${fmt(u.figure, 2)}</td><td class="num yoy">${change(u.yoy_pct)}</td><td class="num mom">${change(u.mom_pct)}</td>
    <td class="num">${u.valid_days}/${u.days}</td><td class="muted">${u.rank == null ? esc(en() ? u.reason_en : u.reason_zh) : ''}</td></tr>`).join('');
  return `<div class="card wide" id="ck-ranking" data-tile="ranking"><h3><a href="${esc(r.link)}">${t('ck_ranking')} ${esc(r.period)}</a></h3>
    <p class="muted">${esc(en() ? r.method_en : r.method_zh)}${t('colon')}${esc(en() ? r.formula_en : r.formula_zh)} · ${t('ck_rank_note')}</p>
    <div class="scroll"><table><thead><tr><th class="num">${t('rank')}</th><th>${t('unit')}</th><th class="num">${t('ck_figure')}</th><th class="num">${t('ck_yoy')}</th><th class="num">${t('ck_mom')}</th><th class="num">${t('ck_valid')}</th><th>${t('ck_unranked')}</th></tr></thead><tbody>${rows}</tbody></table></div></div>`;
}

function measuresCard(m) {
  const units = m.by_unit.map((u) => `<tr data-unit="${esc(u.unit)}"><td><a href="${esc(u.link)}">${esc(u.unit || t('ck_unit_unknown'))}</a></td>
    <td class="num overdue">${u.overdue}</td><td class="num due-soon">${u.due_soon}</td><td class="num">${u.days_overdue_max ?? '—'}</td></tr>`).join('');
  const items = m.items.map((i) => `<li data-id="${esc(i.id)}"><a href="${esc(i.link)}">${esc(i.id)}</a> ${esc(i.task)}
    ${i.days_overdue != null ? `<span class="tag bad">${t('ck_overdue')} ${i.days_overdue} ${t('ck_days_unit')}</span>` : `<span class="tag warn">${t('ck_days_left')} ${i.days_left} ${t('ck_days_unit')}</span>`}
    <span class="muted">${esc(i.lead_units.join('、'))}</span></li>`).join('');
  return `<div class="card wide" id="ck-measures" data-tile="measures"><h3><a href="${esc(m.link)}">${t('ck_measures')}</a></h3>
    <div class="head"><span class="big" data-overdue="${m.overdue}">${m.overdue}</span><span>${t('ck_overdue')}</span>
    <span class="big" data-due-soon="${m.due_soon}">${m.due_soon}</span><span>${t('ck_due_soon')}（≤ ${m.due_soon_days} ${t('ck_days_unit')}）</span></div>
    ${m.by_unit.length ? `<div class="scroll"><table><thead><tr><th>${t('ck_lead_unit')}</th><th class="num">${t('ck_overdue')}</th><th class="num">${t('ck_due_soon')}</th><th class="num">${t('ck_days_overdue_max')}</th></tr></thead><tbody>${units}</tbody></table></div><ul class="row-gap">${items}</ul>` : `<p class="muted">${t('ck_no_measures')}</p>`}</div>`;
}

function alarmsCard(a) {
  const sev = Object.entries(a.by_severity).map(([s, n]) => `${t('sev_' + s)} ${n}`).join(' · ');
  const items = a.latest.map((x) => `<li data-alarm="${x.id}"><a href="#/alarms/${x.id}">${esc(x.station_name)}</a> <span class="tag ${x.severity === 'critical' ? 'bad' : x.severity === 'warning' ? 'warn' : 'info'}">${t('sev_' + x.severity)}</span>
    ${esc(en() ? x.rule_en : x.rule_zh)} <span class="muted">${esc(x.start)}–${esc(x.end)} ${t('bj')}</span></li>`).join('');
  return `<div class="card" id="ck-alarms" data-tile="alarms"><h3><a href="${esc(a.link)}">${t('ck_alarms')}</a></h3>
    <div class="head"><span class="big" data-open="${a.open}">${a.open}</span><span>${sev}</span></div>
    ${a.latest.length ? `<ul>${items}</ul>` : `<p class="muted">${t('ck_no_alarms')}</p>`}</div>`;
}

function renderCockpit(c) {
  const n = c.now;
  const nowCard = `<div class="card" id="ck-now" data-tile="now"><h3><a href="${esc(n.link)}">${t('city_aqi_now')}</a></h3>
    <div class="big" id="city-aqi">${n.city ? badge(n.city.aqi) : t('no_data')}</div>
    <div class="muted" id="city-aqi-time">${n.city ? bj(n.city.time) : ''}</div>
    <div class="muted reporting" data-reporting="${n.stations_reporting}" data-stations="${n.stations}">${t('ck_reporting')} ${n.stations_reporting}/${n.stations}</div>
    <div class="muted note">${t('note_raw')}</div></div>`;
  const td = c.today_so_far;
  const cells = Array.from({ length: 24 }, (_, i) => {
    const h = td.hours[i];
    if (!h) return '<span></span>';
    const label = `${h.time} ${t('bj')} AQI ${h.aqi ?? 'NA'}`;
    return `<span title="${esc(label)}" style="background:${h.colour ? esc(h.colour) : '#ccc'}"></span>`;
  }).join('');
  const w = td.worst;
  const todayCard = `<div class="card" id="ck-today" data-tile="today"><h3><a href="${esc(td.link)}">${t('ck_today')}</a></h3>
    <div class="strip" aria-label="${t('ck_today')}">${cells}</div>
    <div class="hours" data-reported="${td.hours_reported}" data-elapsed="${td.hours_elapsed}">${td.hours_reported}/${td.hours_elapsed} ${t('ck_hours')}</div>
    <div class="worst" data-aqi="${w ? w.aqi : ''}">${w ? `${t('ck_worst')} ${aqiBadge(w)} <span class="muted">${esc(w.time.slice(11))} ${t('bj')}</span>` : ''}</div>
    <div class="muted note">${t('note_raw')} · ${t('ck_daily_next_day')}</div></div>`;
  const y = c.yesterday;
  const d = y.day;
  const yCard = `<div class="card" id="ck-yesterday" data-tile="yesterday"><h3><a href="${esc(y.link)}">${t('ck_yesterday')}</a></h3>
    <div class="big" data-aqi="${d && d.aqi != null ? d.aqi : ''}">${d ? aqiBadge(d) : t('no_data')}</div>
    <div class="muted">${esc(y.date)}${d && d.primary ? ' · ' + t('primary') + t('colon') + esc(d.primary) : ''}</div>
    <div class="muted" data-coverage="${d ? d.coverage : ''}">${t('coverage')} ${d ? fmt(d.coverage * 100) + '%' : '—'}</div>
    <div class="muted note">${t('note_audited')}</div></div>`;
  $('#ck-body').innerHTML = `<div class="cards">${nowCard}${todayCard}${yCard}</div>
    <div class="cards row-gap">${periodCard('ck-month', t('ck_month'), c.month)}${periodCard('ck-year', t('ck_year'), c.year)}</div>
    <div class="cards row-gap">${rankingCard(c.ranking)}${measuresCard(c.measures)}${c.alarms ? alarmsCard(c.alarms) : ''}</div>`;
  $('#ck-updated').textContent = `${t('ck_updated')} ${bj(c.generated_at)} · ${t('ck_auto')}`;
  $('#ck-updated').dataset.generated = c.generated_at;
  $('#refresh-error').textContent = '';
}

async function cockpit() {
  const gen = state.routing;
  cockpitStyle();
  $('#view').innerHTML = `<div id="cockpit" data-loads="0"><div class="head"><h2>${t('ck_title')}</h2><button id="ck-refresh" type="button">${t('ck_refresh')}</button></div>
    <p class="muted" id="ck-updated"></p><p class="error" id="refresh-error"></p><div id="ck-body">${t('loading')}</div></div>`;
  const load = async () => {
    const c = await api('/cockpit');
    if (gen !== state.routing) return c;
    renderCockpit(c);
    const box = $('#cockpit');
    box.dataset.loads = String(Number(box.dataset.loads) + 1);
    return c;
  };
  $('#ck-refresh').onclick = () => load().catch((err) => { $('#refresh-error').textContent = t('ck_stale') + t('colon') + err.message; });
  const c = await load();
  autoRefresh(gen, (c.refresh_s || REFRESH_MS_DEFAULT / 1000) * 1000, load);
}
