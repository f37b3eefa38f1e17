// A station (issue 17): the latest hour's AQI; 24-hour and 30-day colour bars; the six
// pollutants hour by hour with each one's IAQI, the AQI and the primary pollutant; the IAQI
// chart over the AQI levels; the days with their coverage; the meteorology it sends; a
// calendar of daily AQI for the year; one pollutant's trend with its Grade II limit line
// (CSV and Excel); raw or audited; a link to compare it with other stations; for the bureau,
// the station's corrections (alarms.js). Every time is Beijing time.
import { $, addDays, api, badge, bj, esc, fmt, hourSpan, state, t } from '../core.js';
import { correctionsPanel } from './alarms.js';

/** The six pollutants in the order people read them, with their HJ 212 codes. */
export const CODES = [['a34004', 'PM2.5'], ['a34002', 'PM10'], ['a05024', 'O3'], ['a21004', 'NO2'], ['a21026', 'SO2'], ['a21005', 'CO']];
/** API keys in the same order. */
const KEYS = ['pm25', 'pm10', 'o3', 'no2', 'so2', 'co'];
/** One colour per pollutant, the same on every chart of the station and compare pages. */
export const COLOURS = { pm25: '#1769aa', pm10: '#e08214', o3: '#7b3294', no2: '#1a9850', so2: '#8c510a', co: '#d73027' };
const HOUR_S = 3600;
const DAY_S = 86400;
/** Days of the 30-day bar. */
const BAR_DAYS = 30;
/** A day's pollutant is valid with at least 20 hours (GB 3095 Table 4). */
const DAY_VALID_HOURS_MIN = 20;

/** The day (`YYYY-MM-DD`) as CST seconds of its midnight. */
const dayStart = (date) => Date.parse(date + 'T00:00:00Z') / 1000;
/** uPlot reads x values (Beijing wall-clock seconds) in UTC, so no browser zone moves them. */
export const tz = (x) => uPlot.tzDate(new Date(x * 1000), 'Etc/UTC');
/** A chart's width in the page. */
export const chartWidth = () => Math.max(300, Math.min(1060, window.innerWidth - 40));
/** A percentage with one decimal. */
const pct = (f) => (f == null ? '—' : (f * 100).toFixed(1) + '%');
/** Text colour on an AQI colour: white from 中度污染 on. */
const ink = (level) => (level >= 4 ? '#fff' : '#000');

/** The page's own styles (bars, calendar, legend), added once. */
function styles() {
  if ($('#sv-style')) return;
  const s = document.createElement('style');
  s.id = 'sv-style';
  s.textContent = `.sv-bar{display:flex;gap:2px;margin:.3rem 0 .1rem}.sv-bar .cell{flex:1 1 0;min-width:0;height:2rem;border-radius:3px;font-size:.7rem;display:flex;align-items:center;justify-content:center;overflow:hidden}
.sv-axis{display:flex;justify-content:space-between;font-size:.75rem;color:var(--muted)}
.sv-cal{display:grid;grid-template-columns:2.6rem repeat(31,minmax(0,1fr));gap:2px;font-size:.7rem;max-width:900px}
.sv-cal .cal-day{height:1.3rem;border-radius:2px}.sv-cal .cal-day.none{background:#eceff3}.sv-cal .cal-day.blank{background:transparent}.sv-cal .head{text-align:center;color:var(--muted)}
.sv-legend .swatch{display:inline-block;width:1.6rem;height:.9rem;border-radius:2px;vertical-align:middle;margin-right:.2rem}
table.sv td.iaqi{color:var(--muted);font-size:.75rem}table.sv td,table.sv th{white-space:nowrap;font-size:.82rem;padding:.3rem .35rem}table.sv th{background:#f3f6f9;text-align:center}
.sv-latest .big{line-height:1.2}
@media (max-width:600px){.sv-bar .cell{font-size:0}.sv-cal .head.d:not(.d5){visibility:hidden}}`;
  document.head.append(s);
}

/** The AQI levels as a legend. */
const legend = (levels) => `<p class="legend sv-legend" id="aqi-legend">${levels.map((l) => `<span class="legend-item" data-level="${l.level}"><span class="swatch" style="background:${esc(l.colour)}"></span>${esc(l.category)} ${l.level === 1 ? 0 : l.from + 1}–${l.to}</span>`).join('')}</p>`;

/** A row's AQI as a coloured badge (`—` when NA). */
const aqiBadge = (r) => badge(r.aqi == null ? null : r);

/** Primary pollutants, or — (none below AQI 51). */
const primaryText = (r) => (r.primary && r.primary.length ? r.primary.join('、') : '—');

/** A compass point of a wind direction (degrees it blows from), in the page's language. */
function compass(deg) {
  if (deg == null) return '—';
  const zh = ['北', '东北', '东', '东南', '南', '西南', '西', '西北'];
  const en = ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'];
  const i = Math.round(deg / 45) % 8;
  return `${(state.lang === 'zh' ? zh : en)[i]} ${Math.round(deg)}°`;
}

export async function stationPage(id) {
  styles();
  const gen = state.routing;
  const opt = (v, label, sel) => `<option value="${v}" ${sel ? 'selected' : ''}>${esc(label)}</option>`;
  $('#view').innerHTML = `<h2 id="station-name">…</h2>
    <p class="filters"><label>${t('view')}${t('colon')}<select id="series-view">${opt('raw', t('view_raw'), true)}${opt('audited', t('view_audited'))}</select></label>
    <label>${t('sv_span')}${t('colon')}<select id="sv-days">${[1, 7, 31].map((d) => opt(d, d, d === 7)).join('')}</select></label>
    <a id="sv-compare" href="#/compare?ids=${encodeURIComponent(id)}">${t('sv_compare')}</a></p>
    <div id="sv-top"><p class="muted">${t('loading')}</p></div>
    <h3>${t('sv_trend')}</h3>
    <p class="filters"><label>${t('pollutant')}${t('colon')}<select id="code">${CODES.map(([c, n]) => opt(c, n)).join('')}</select></label>
    <label>${t('days')}${t('colon')}<select id="days">${[7, 30, 90].map((d) => opt(d, d, d === 30)).join('')}</select></label>
    <label>${t('avg')}${t('colon')}<select id="avg">${opt('hour', t('avg_hour'), true)}${opt('day', t('avg_day'))}</select></label>
    <a id="csv" href="#">CSV</a> · <a id="xlsx" href="#">Excel</a></p><div id="chart"></div><p class="muted" id="chart-info"></p><p id="chart-last"></p>
    <h3>${t('sv_calendar')}</h3><p class="filters"><label>${t('year')}${t('colon')}<select id="cal-year"></select></label></p><div id="calendar"></div>
    <div id="corrections-box"></div>`;
  const s = await api('/stations/' + encodeURIComponent(id));
  if (gen !== state.routing) return;
  $('#station-name').textContent = s.name + (s.demo ? ' (' + t('demo') + ')' : '');
  let info = null;
  const view = () => $('#series-view').value;
  const top = async () => {
    info = await api(`/stations/${encodeURIComponent(id)}/hours?days=${$('#sv-days').value}&view=${view()}`);
    const bar = await api(`/daily-aqi?scope=station:${encodeURIComponent(id)}&from=${addDays(info.to, 1 - BAR_DAYS)}&to=${info.to}&view=${view()}`);
    if (gen !== state.routing) return;
    $('#sv-top').innerHTML = topHtml(info, bar.items || []);
    drawIaqi($('#iaqi-chart'), info);
    drawMet($('#met-chart'), info.meteorology);
    const years = [];
    for (let y = Number(info.to.slice(0, 4)); y >= Number(info.to.slice(0, 4)) - 2; y--) years.push(y);
    const sel = $('#cal-year');
    if (!sel.options.length) {
      sel.innerHTML = years.map((y) => opt(y, y, false)).join('');
      sel.onchange = calendar;
    }
  };
  const calendar = async () => {
    const y = $('#cal-year').value;
    const r = await api(`/daily-aqi?scope=station:${encodeURIComponent(id)}&from=${y}-01-01&to=${y}-12-31&view=${view()}`);
    if (gen !== state.routing) return;
    $('#calendar').innerHTML = calendarHtml(Number(y), r.items || [], info.levels);
  };
  const trend = () => drawTrend(id, info);
  $('#series-view').onchange = async () => { await top(); await Promise.all([trend(), calendar()]); };
  $('#sv-days').onchange = top;
  ['#code', '#days', '#avg'].forEach((sel) => { $(sel).onchange = trend; });
  await top();
  await Promise.all([trend(), calendar()]);
  await correctionsPanel(id, $('#corrections-box'));
}

/** The latest hour, the two colour bars, the IAQI chart, the tables and the meteorology. */
function topHtml(info, days30) {
  const hours = info.hours;
  // The latest hour with an AQI (the span's last hours may not have arrived yet).
  let end = hours.length - 1;
  while (end >= 0 && hours[end].aqi == null) end--;
  const latest = end >= 0 ? hours[end] : null;
  const last24 = end >= 0 ? hours.slice(Math.max(0, end - 23), end + 1) : [];
  const day = [...info.days].reverse().find((d) => d.aqi != null);
  const note = info.view === 'raw' ? t('note_raw') : t('note_audited');
  // The titles below are plain text: `cell` escapes them.
  const categoryOf = (r) => r.category || t('no_data');
  const cell = (r, label, title, attrs) => `<span class="cell" ${attrs} title="${esc(title)}" style="background:${esc(r.colour || '#eceff3')};color:${ink(r.level)}">${esc(label)}</span>`;
  const bar24 = last24.map((h) => cell(h, h.start.slice(11, 13), `${hourSpan(h.start, true)} ${t('bj')} · AQI ${h.aqi ?? '—'} ${categoryOf(h)} · ${t('primary')}${t('colon')}${primaryText(h)}`, `data-ts="${h.ts}" data-aqi="${h.aqi ?? ''}"`)).join('');
  const bar30 = days30.map((d) => cell(d, String(Number(d.date.slice(8))), `${d.date} · AQI ${d.aqi ?? '—'} ${categoryOf(d)} · ${t('coverage')} ${pct(d.coverage)}`, `data-date="${esc(d.date)}" data-aqi="${d.aqi ?? ''}"`)).join('');
  const units = Object.fromEntries(info.pollutants.map((p) => [p.key, p.unit]));
  const names = Object.fromEntries(info.pollutants.map((p) => [p.key, p.name]));
  const head1 = `<tr><th rowspan="2">${t('sv_hour_span')}</th><th rowspan="2">AQI</th><th rowspan="2">${t('primary')}</th>${KEYS.map((k) => `<th colspan="2">${esc(names[k])}<br><span class="muted">${esc(units[k])}</span></th>`).join('')}<th rowspan="2">O3 ${t('sv_8h')}</th><th rowspan="2">${t('coverage')}</th></tr>`;
  const head2 = `<tr>${KEYS.map(() => `<th>${t('sv_conc')}</th><th>${t('sv_iaqi')}</th>`).join('')}</tr>`;
  const hourRows = [...last24].reverse().map((h) => `<tr data-ts="${h.ts}" data-aqi="${h.aqi ?? ''}"><td>${esc(hourSpan(h.start, true))}</td><td>${aqiBadge(h)}</td><td class="primary">${esc(primaryText(h))}</td>${KEYS.map((k) => `<td class="num" data-key="${k}">${fmt(h.values[k], k === 'co' ? 2 : 1)}</td><td class="num iaqi" data-iaqi="${k}">${h.iaqi[k] ?? '—'}</td>`).join('')}<td class="num">${fmt(h.o3_8h)}</td><td class="num">${pct(h.coverage)}</td></tr>`).join('');
  const dayHead = `<tr><th>${t('sv_date')}</th><th>AQI</th><th>${t('primary')}</th>${KEYS.map((k) => `<th>${esc(k === 'o3' ? 'O3 ' + t('sv_mda8') : names[k])}<br><span class="muted">${esc(units[k])}</span></th>`).join('')}<th>${t('sv_valid_hours')}</th><th>${t('coverage')}</th></tr>`;
  const dayRows = [...info.days].reverse().map((d) => {
    const short = KEYS.filter((k) => info.pollutants.find((p) => p.key === k).measured && d.valid_hours[k] < DAY_VALID_HOURS_MIN);
    const hoursText = KEYS.map((k) => d.valid_hours[k]).join('/');
    return `<tr data-date="${esc(d.date)}" data-aqi="${d.aqi ?? ''}"><td>${esc(d.date)}</td><td>${aqiBadge(d)}</td><td>${esc(primaryText(d))}</td>${KEYS.map((k) => `<td class="num" data-key="${k}">${fmt(d.values[k], k === 'co' ? 2 : 1)}</td>`).join('')}<td class="num${short.length ? ' warn' : ''}" title="${esc(KEYS.map((k) => names[k]).join('/'))}">${esc(hoursText)}${short.length ? ` <span class="tag warn">${t('sv_short')}</span>` : ''}</td><td class="num">${pct(d.coverage)}</td></tr>`;
  }).join('');
  return `<div class="cards sv-latest">
      <div class="card"><h3>${t('sv_latest_hour')}</h3><div class="big" id="sv-latest-aqi">${latest ? aqiBadge(latest) : badge(null)}</div>
        <p class="muted" id="sv-latest-time">${latest ? esc(bj(hourSpan(latest.start, true))) : ''}</p>
        <p>${t('primary')}${t('colon')}<span id="sv-latest-primary">${latest ? esc(primaryText(latest)) : '—'}</span></p></div>
      <div class="card"><h3>${t('sv_latest_day')}</h3><div class="big" id="sv-day-aqi">${day ? aqiBadge(day) : badge(null)}</div>
        <p class="muted">${day ? esc(day.date) + ' · ' + t('coverage') + ' ' + pct(day.coverage) : t('today_pending')}</p>
        <p>${t('primary')}${t('colon')}${day ? esc(primaryText(day)) : '—'}</p></div>
    </div>
    <p class="muted" id="sv-rules">${esc(info.from)} – ${esc(info.to)} ${t('bj')} · ${note} · ${esc(info.aqi_rule)} · ${esc(info.limits_edition)} ${t('sv_grade2')}</p>
    ${legend(info.levels)}
    <h3>${t('sv_bar24')}</h3><div class="sv-bar" id="bar-24h">${bar24 || `<span class="muted">${t('no_data')}</span>`}</div>
    <div class="sv-axis"><span>${last24.length ? esc(bj(last24[0].start)) : ''}</span><span>${last24.length ? esc(hourSpan(last24[last24.length - 1].start).split('–')[1]) : ''}</span></div>
    <h3>${t('sv_bar30')}</h3><div class="sv-bar" id="bar-30d">${bar30 || `<span class="muted">${t('no_data')}</span>`}</div>
    <div class="sv-axis"><span>${days30.length ? esc(days30[0].date) : ''}</span><span>${days30.length ? esc(days30[days30.length - 1].date) : ''}</span></div>
    <h3>${t('sv_iaqi_chart')}</h3><div id="iaqi-chart"></div><p class="muted">${t('sv_iaqi_note')}</p>
    <h3>${t('sv_hours_table')}</h3><div class="table-wrap"><table class="sv" id="hours-table"><thead>${head1}${head2}</thead><tbody>${hourRows || `<tr><td colspan="17" class="muted">${t('no_data')}</td></tr>`}</tbody></table></div>
    <h3>${t('sv_days_table')}</h3><div class="table-wrap"><table class="sv" id="days-table"><thead>${dayHead}</thead><tbody>${dayRows}</tbody></table></div>
    <p class="muted">${t('sv_days_note')}</p>
    <h3>${t('sv_met')}</h3><div id="met-chart"></div>${metTable(info.meteorology)}`;
}

/** The meteorology's last 24 hours as a table, or a note that the station sends none. */
function metTable(met) {
  if (!met.length) return `<p class="muted" id="met-none">${t('sv_met_none')}</p>`;
  const rows = met.slice(-24).reverse().map((m) => `<tr data-ts="${m.ts}"><td>${esc(hourSpan(startText(m.ts), true))}</td><td class="num" data-met="t">${fmt(m.temperature_c)}</td><td class="num" data-met="rh">${fmt(m.humidity_pct, 0)}</td><td class="num">${fmt(m.pressure_kpa, 2)}</td><td class="num" data-met="ws">${fmt(m.wind_speed_m_s)}</td><td data-met="wd">${m.calm ? t('sv_calm') : esc(compass(m.wind_direction_deg))}</td></tr>`).join('');
  return `<div class="table-wrap"><table class="sv" id="met-table"><thead><tr><th>${t('sv_hour_span')}</th><th>${t('sv_temp')} °C</th><th>${t('sv_rh')} %</th><th>${t('sv_pressure')} kPa</th><th>${t('sv_ws')} m/s</th><th>${t('sv_wd')}</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** CST seconds as Beijing wall-clock text, `YYYY-MM-DD HH:MM`. */
const startText = (ts) => new Date(ts * 1000).toISOString().slice(0, 16).replace('T', ' ');

/** A uPlot axis of Beijing time: the date at midnight, the hour otherwise. */
function timeAxis(daily) {
  const fmtDay = uPlot.fmtDate('{MM}-{DD}');
  const fmtHour = uPlot.fmtDate('{HH}:{mm}');
  return { label: t('bj'), values: (u, splits) => splits.map((x) => (daily || x % DAY_S === 0 ? fmtDay(tz(x)) : fmtHour(tz(x)))) };
}

/** The x series (time) with the legend's full Beijing time. */
export function timeSeries(daily) {
  const fmtFull = uPlot.fmtDate(daily ? '{YYYY}-{MM}-{DD}' : '{YYYY}-{MM}-{DD} {HH}:{mm}');
  return { label: t('time'), value: (u, x) => (x == null ? '--' : fmtFull(tz(x))) };
}

/** The six IAQI and the AQI per hour over the AQI levels' colour bands. */
function drawIaqi(el, info) {
  el.innerHTML = '';
  if (!info.hours.some((h) => h.aqi != null)) { el.innerHTML = `<p class="muted">${t('no_data')}</p>`; return; }
  const xs = info.hours.map((h) => h.ts + HOUR_S);
  const names = Object.fromEntries(info.pollutants.map((p) => [p.key, p.name]));
  const bands = (u) => {
    const ctx = u.ctx;
    ctx.save();
    ctx.globalAlpha = 0.13;
    for (const l of info.levels) {
      const y0 = u.valToPos(l.to, 'y', true), y1 = u.valToPos(l.level === 1 ? 0 : l.from, 'y', true);
      const top = Math.max(Math.min(y0, y1), u.bbox.top), bottom = Math.min(Math.max(y0, y1), u.bbox.top + u.bbox.height);
      if (bottom <= top) continue;
      ctx.fillStyle = l.colour;
      ctx.fillRect(u.bbox.left, top, u.bbox.width, bottom - top);
    }
    ctx.restore();
  };
  const maxAqi = Math.max(100, ...info.hours.map((h) => h.aqi || 0));
  const chart = new uPlot({
    width: chartWidth(), height: 300, tzDate: tz,
    axes: [timeAxis(false), { label: t('sv_iaqi_axis') }],
    scales: { x: { time: true }, y: { range: [0, Math.min(500, Math.ceil((maxAqi + 20) / 50) * 50)] } },
    series: [timeSeries(false), { label: 'AQI', stroke: '#1d2733', width: 2.5 },
      ...KEYS.map((k) => ({ label: names[k], stroke: COLOURS[k], width: 1.2 }))],
    hooks: { drawClear: [bands] },
  }, [xs, info.hours.map((h) => h.aqi), ...KEYS.map((k) => info.hours.map((h) => h.iaqi[k]))], el);
  el.uplot = chart;
  el.dataset.hours = String(info.hours.length);
}

/** Temperature, humidity and wind speed per hour. */
function drawMet(el, met) {
  el.innerHTML = '';
  if (!met.length) return;
  const xs = met.map((m) => m.ts + HOUR_S);
  const chart = new uPlot({
    width: chartWidth(), height: 240, tzDate: tz,
    axes: [timeAxis(false), { label: '°C · m/s', scale: 'y' }, { label: '%', scale: 'rh', side: 1, grid: { show: false } }],
    scales: { x: { time: true }, rh: { range: [0, 100] } },
    series: [timeSeries(false), { label: `${t('sv_temp')} °C`, stroke: '#d73027', scale: 'y' }, { label: `${t('sv_ws')} m/s`, stroke: '#1a9850', scale: 'y' },
      { label: `${t('sv_rh')} %`, stroke: '#1769aa', scale: 'rh', dash: [4, 3] }],
  }, [xs, met.map((m) => m.temperature_c), met.map((m) => m.wind_speed_m_s), met.map((m) => m.humidity_pct)], el);
  el.uplot = chart;
  el.dataset.hours = String(met.length);
}

/** The daily AQI of a year: a row per month, a cell per day in the level's colour. */
function calendarHtml(year, items, levels) {
  const byDate = Object.fromEntries(items.map((d) => [d.date, d]));
  const monthName = (m) => (state.lang === 'zh' ? `${m}月` : ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][m - 1]);
  // On a phone only the 1st, 5th, 10th … day numbers are shown.
  const head = `<span></span>${Array.from({ length: 31 }, (_, i) => `<span class="head d${i === 0 || (i + 1) % 5 === 0 ? ' d5' : ''}">${i + 1}</span>`).join('')}`;
  let body = '';
  const counts = {};
  for (let m = 1; m <= 12; m++) {
    body += `<span class="head">${monthName(m)}</span>`;
    for (let d = 1; d <= 31; d++) {
      const date = `${year}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
      // A day that does not exist in the month (e.g. 02-30) is blank.
      if (new Date(Date.parse(date + 'T00:00:00Z')).getUTCDate() !== d) { body += '<span class="cal-day blank"></span>'; continue; }
      const x = byDate[date];
      if (x && x.aqi != null) { const lv = levelOf(x.aqi, levels); counts[lv] = (counts[lv] || 0) + 1; }
      body += x && x.aqi != null
        ? `<span class="cal-day" data-date="${date}" data-aqi="${x.aqi}" title="${date} · AQI ${x.aqi} ${esc(x.category || '')} · ${t('primary')}${t('colon')}${esc(x.primary || '—')}" style="background:${esc(x.colour)}"></span>`
        : `<span class="cal-day none" data-date="${date}" title="${date} · ${t('no_data')}"></span>`;
    }
  }
  const summary = levels.map((l) => `<span class="legend-item"><span class="swatch" style="background:${esc(l.colour)}"></span>${esc(l.category)} <b data-cal-level="${l.level}">${counts[l.level] || 0}</b> ${t('sv_days_unit')}</span>`).join('');
  return `<div class="sv-cal" id="cal-grid">${head}${body}</div><p class="legend sv-legend" id="cal-summary">${summary}</p>`;
}

/** The level (1–6) of an AQI by the levels' ranges. */
const levelOf = (aqi, levels) => (levels.find((l) => aqi <= l.to) || levels[levels.length - 1]).level;

/** One pollutant's hourly or daily series with its Grade II limit, raw or audited, and its files. */
async function drawTrend(id, info) {
  const code = $('#code').value, days = $('#days').value, avg = $('#avg').value, view = $('#series-view').value;
  const gen = state.routing;
  const q = `/stations/${encodeURIComponent(id)}/series?code=${code}&days=${days}&avg=${avg}&view=${view}`;
  $('#csv').href = '/api/v1' + q + '&format=csv';
  $('#xlsx').href = '/api/v1' + q + '&format=xlsx';
  const r = await api(q);
  if (gen !== state.routing) return;
  const daily = r.avg === 'day';
  // x: CST seconds of each hour's end (its label) or of each day's midnight.
  const pts = daily ? r.points.filter((p) => p.value != null) : r.points;
  const step = daily ? DAY_S : HOUR_S;
  // A missing hour (or day) breaks the line: a null where the next point is more than a step on.
  const xs = [], ys = [];
  pts.forEach((p) => {
    const x = daily ? dayStart(p.date) : p.ts + HOUR_S;
    if (xs.length && x - xs[xs.length - 1] > step) { xs.push(xs[xs.length - 1] + step); ys.push(null); }
    xs.push(x);
    ys.push(p.value);
  });
  // The Grade II limit of this averaging; PM has no 1-h limit, so its hours are drawn against the 24-h one.
  const p = info.pollutants.find((x) => x.code === code);
  const hourLimit = p.limit_hour != null;
  const lim = daily || !hourLimit ? p.limit_day : p.limit_hour;
  const limLabel = `${t('sv_limit')}（${daily || !hourLimit ? (p.key === 'o3' ? t('o3_daily') : t('sv_24h')) : t('sv_1h')}）${lim}`;
  $('#chart').innerHTML = '';
  const what = r.statistic === 'mda8' ? t('o3_daily') : daily ? t('avg_day') : t('avg_hour');
  $('#chart-info').textContent = `${r.pollutant} ${what} (${r.unit}) · ${pts.length} ${daily ? t('n_days') : t('n_hours')} · ${r.view === 'raw' ? t('note_raw') : t('note_audited')} · ${t('sv_limit')} ${lim} ${r.unit} (${info.limits_edition}) · ${t('bj')}`;
  $('#chart').dataset.points = String(pts.length);
  $('#chart').dataset.limit = String(lim);
  const last = pts.length ? pts[pts.length - 1] : null;
  $('#chart-last').innerHTML = last ? `${t('last_point')}${t('colon')}<span id="chart-last-time">${esc(bj(daily ? last.date : last.time))}</span> · ${esc(last.value)} ${esc(r.unit)}` : t('no_data');
  const over = lim == null ? 0 : ys.filter((v) => v != null && v > lim).length;
  if (over) $('#chart-info').textContent += ` · ${t('sv_over')} ${over}`;
  const chart = new uPlot({
    width: chartWidth(), height: 320, title: r.statistic === 'mda8' ? `O3 ${t('o3_daily')}` : daily ? t('chart_daily') : t('chart_hourly'),
    tzDate: tz,
    axes: [timeAxis(daily), { label: r.unit }],
    series: [timeSeries(daily), { label: r.pollutant, stroke: COLOURS[p.key], width: 1.5 },
      ...(lim == null ? [] : [{ label: limLabel, stroke: '#d7301f', width: 1.2, dash: [6, 4], points: { show: false } }])],
    scales: { x: { time: true } },
  }, [xs, ys, ...(lim == null ? [] : [xs.map(() => lim)])], $('#chart'));
  $('#chart').uplot = chart;
  $('#chart').dataset.step = String(step);
}
