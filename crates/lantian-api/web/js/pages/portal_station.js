// A published station's public page (公开页面): AQI now and today's latest hour, the last 30
// days' daily means charted, a calendar of daily AQI, and the station's bulk files, all from
// the open API (a township station is not found there). Times are Beijing time.
import { $, addDays, api, badge, bjToday, esc, fmt, state } from '../core.js';
import { bulkHead, bulkRow, colon, licenceCard, w } from './opendata.js';

/** Days of the calendar, ending today. */
const CALENDAR_DAYS = 91;

export async function portalStationPage(id) {
  const gen = state.routing;
  const today = bjToday();
  const q = `station=${encodeURIComponent(id)}`;
  // Three open-API requests (each counts against the visitor's rate limit); the station and
  // its AQI come from the public routes.
  const [s, now, hours, days, cal, bulk] = await Promise.all([
    api('/stations/' + encodeURIComponent(id)),
    api('/aqi/now'),
    api(`/open/hourly?${q}&from=${addDays(today, -1)}&to=${today}&per_page=1000`),
    api(`/open/daily?${q}&from=${addDays(today, -29)}&to=${today}&per_page=1000`),
    api(`/daily-aqi?scope=station:${encodeURIComponent(id)}&from=${addDays(today, -(CALENDAR_DAYS - 1))}&to=${today}`),
    api('/open/bulk'),
  ]);
  if (gen !== state.routing) return;
  const m = hours.meta;
  const licence = { name: m.licence, url: m.licence_url, attribution_zh: m.attribution_zh, attribution_en: m.attribution_en };
  const measured = [...new Set(days.results.concat(hours.results).map((r) => r.pollutant))];
  const a = (now.stations.find((x) => x.id === id) || {});
  // The latest hour with values: one row per pollutant.
  const rows = hours.results;
  const last = rows.length ? rows[rows.length - 1].time_bj : null;
  const latest = rows.filter((r) => r.time_bj === last);
  const flag = (r) => (r.flag ? `<span class="tag warn">${w(r.flag)}</span>` : '');
  const calItems = cal.items || [];
  $('#view').innerHTML = `<p><a href="#/opendata">← ${w('back')}</a></p><h2 id="portal-station-name">${esc(s.name)} <span class="muted">(${esc(s.id)})</span></h2>
    <p class="muted">${esc(measured.join(' / '))}${s.demo ? ' · demo' : ''}</p>
    <div class="card"><h3>${w('today')}</h3><p>${w('now_aqi')}${colon()}<span id="portal-aqi">${badge(a.aqi)}</span> <span class="muted">${esc(a.time || '')} ${w('bj')}</span></p>
      <p>${w('latest_hour')}${last ? `${colon()}<span id="portal-latest">${esc(last.slice(0, 16).replace('T', ' '))}</span> ${w('bj')}` : ''}</p>
      <div class="table-wrap"><table id="portal-latest-table"><thead><tr><th>${w('pollutant')}</th><th class="num">${w('value')}</th><th>${w('unit')}</th><th>${w('status')}</th><th>${w('flag')}</th></tr></thead>
      <tbody>${latest.map((r) => `<tr><td>${esc(r.pollutant)}</td><td class="num">${fmt(r.value)}</td><td>${esc(r.unit)}</td><td>${w(r.status)}</td><td>${flag(r)}</td></tr>`).join('') || `<tr><td colspan="5" class="muted">${w('no_data')}</td></tr>`}</tbody></table></div></div>
    <h3>${w('last30')}</h3><div id="portal-chart"></div>
    <h3>${w('calendar')}</h3><div id="portal-calendar" class="calendar">${calendar(calItems)}</div>
    <h3>${w('downloads')}</h3><div class="table-wrap"><table id="portal-bulk"><thead>${bulkHead()}</thead><tbody>${bulk.files.filter((f) => f.station === id).map(bulkRow).join('')}</tbody></table></div>
    ${licenceCard(licence)}`;
  drawDays($('#portal-chart'), days.results);
}

/** Daily AQI as coloured squares, a row per week (Monday first). */
function calendar(items) {
  if (!items.length) return `<p class="muted">${w('no_data')}</p>`;
  const first = items[0].date;
  // 1970-01-01 was a Thursday: the weekday (0 = Monday) of a date.
  const weekday = (d) => ((Math.floor(Date.parse(d + 'T00:00:00Z') / 864e5) % 7) + 10) % 7;
  const cellStyle = 'display:inline-block;width:2rem;height:2rem;line-height:2rem;text-align:center;border-radius:4px;font-size:.8rem';
  const pad = Array.from({ length: weekday(first) }, () => `<span class="cal-day empty" style="${cellStyle}"></span>`).join('');
  const head = (state.lang === 'zh' ? ['一', '二', '三', '四', '五', '六', '日'] : ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su']).map((d) => `<span class="muted" style="text-align:center;font-size:.8rem">${d}</span>`).join('');
  return `<div class="cal-grid" style="display:grid;grid-template-columns:repeat(7,2rem);gap:3px">${head}${pad}${items.map((d) => `<span class="cal-day" data-date="${esc(d.date)}" title="${esc(d.date)} AQI ${d.aqi ?? '—'} ${esc(d.category || '')}" style="${cellStyle};background:${esc(d.colour || '#eee')};color:${d.aqi > 150 ? '#fff' : '#000'}">${Number(d.date.slice(8))}</span>`).join('')}</div>`;
}

/** The daily means of the 30 days, one line per pollutant in μg/m³ (CO, in mg/m³, is in the table and files). */
function drawDays(el, results) {
  const names = [...new Set(results.filter((r) => r.unit !== 'mg/m³').map((r) => r.pollutant))];
  const dates = [...new Set(results.map((r) => r.time_bj.slice(0, 10)))].sort();
  if (!dates.length || typeof uPlot === 'undefined') {
    el.innerHTML = `<p class="muted">${w('no_data')}</p>`;
    return;
  }
  const xs = dates.map((d) => Date.parse(d + 'T00:00:00Z') / 1000);
  const value = (d, p) => {
    const r = results.find((x) => x.time_bj.startsWith(d) && x.pollutant === p);
    return r && r.value != null ? r.value : null;
  };
  const colours = ['#1769aa', '#7b3294', '#e08214', '#1a9850', '#d73027'];
  const tz = (x) => uPlot.tzDate(new Date(x * 1000), 'Etc/UTC');
  const fmtDay = uPlot.fmtDate('{MM}-{DD}');
  el.innerHTML = '';
  el.dataset.days = String(dates.length);
  new uPlot({
    width: Math.min(1060, window.innerWidth - 40), height: 280, tzDate: tz,
    axes: [{ label: w('bj'), values: (u, splits) => splits.map((x) => fmtDay(tz(x))) }, { label: 'μg/m³' }],
    series: [{ label: w('date'), value: (u, x) => (x == null ? '--' : uPlot.fmtDate('{YYYY}-{MM}-{DD}')(tz(x))) },
      ...names.map((p, i) => ({ label: p, stroke: colours[i % colours.length], width: 1.5 }))],
    scales: { x: { time: true } },
  }, [xs, ...names.map((p) => dates.map((d) => value(d, p)))], el);
}
