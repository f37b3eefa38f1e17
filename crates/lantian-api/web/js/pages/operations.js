// Operations statistics (运维统计): each station's online rate and capture rate for a month,
// and a calendar of its days coloured by capture rate; below, the same per device (MN) with
// each station's operations contractor (运维单位).
import { $, apiAll, esc, fmt, state, t } from '../core.js';
import { tabs } from './alarms.js';

/** Below this a rate is highlighted: a display choice of ours, not a figure of a standard. */
const RATE_MIN_PCT = 90;

/** This month in Beijing (`YYYY-MM`). */
const bjMonth = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);

/** A day's cell: its capture rate as a colour from red (0 %) to green (100 %); grey: none. */
function dayCell(d) {
  const v = d.capture_pct;
  if (v == null) return `<td class="day none" title="${esc(d.date)}"></td>`;
  const hue = Math.round(Math.max(0, Math.min(100, v)) * 1.2);
  return `<td class="day" style="background:hsl(${hue},65%,62%)" title="${esc(d.date)}: ${t('op_online')} ${fmt(d.online_pct, 0)}% · ${t('op_capture')} ${fmt(v, 0)}%"></td>`;
}

export async function operationsPage(rest) {
  const params = new URLSearchParams(rest.replace(/^\?/, ''));
  const month = params.get('month') || bjMonth();
  const gen = state.routing;
  $('#view').innerHTML = `${tabs('operations')}<h2>${t('op_title')}</h2><p class="muted">${t('op_note')}</p>
    <p class="filters"><label>${t('month')} <input id="op-month" type="month" value="${esc(month)}"></label>
    <a id="op-report" href="/api/v1/operations/report?month=${encodeURIComponent(month)}&format=pdf">${t('op_report_pdf')}</a>
    <a href="/api/v1/operations/report?month=${encodeURIComponent(month)}&format=xlsx">${t('op_report_xlsx')}</a></p><div id="operations">${t('loading')}</div>`;
  $('#op-month').onchange = () => { location.hash = '#/operations?month=' + $('#op-month').value; };
  // Every station the account sees (a county's: tens), 1000 a request.
  const r = await apiAll(`/operations/rates?month=${encodeURIComponent(month)}`);
  if (gen !== state.routing) return;
  const items = Array.isArray(r) ? r : r.items || [];
  const days = items.length ? (items[0].days || []).map((d) => d.date) : [];
  const rate = (v, k) => `<td class="num ${v != null && v < RATE_MIN_PCT ? 'bad' : ''}" data-k="${k}">${v == null ? '—' : fmt(v, 1) + '%'}</td>`;
  $('#operations').innerHTML = `<div class="table-wrap"><table id="rates-table"><thead><tr><th>${t('station')}</th><th class="num">${t('op_online')}</th><th class="num">${t('op_capture')}</th>
    ${days.map((d) => `<th class="day">${esc(d.slice(8, 10))}</th>`).join('')}</tr></thead><tbody>
    ${items.map((s) => `<tr data-station="${esc(s.station)}"><td class="nowrap"><a href="#/station/${encodeURIComponent(s.station)}">${esc(s.station_name || s.station)}</a></td>
      ${rate(s.online_pct, 'online')}${rate(s.capture_pct, 'capture')}${(s.days || []).map(dayCell).join('')}</tr>`).join('') || `<tr><td colspan="3">${t('no_data')}</td></tr>`}</tbody></table></div>
    <p class="legend"><span class="legend-item"><span class="dot" style="background:hsl(0,65%,62%)"></span>${t('op_capture')} 0%</span>
    <span class="legend-item"><span class="dot" style="background:hsl(60,65%,62%)"></span>50%</span><span class="legend-item"><span class="dot" style="background:hsl(120,65%,62%)"></span>100%</span>
    <span class="legend-item"><span class="dot none"></span>${t('no_data')}</span></p>
    <h3>${t('op_devices')}</h3><p class="muted">${t('op_devices_note')}</p><div id="op-devices">${t('loading')}</div>`;
  const dv = await apiAll(`/operations/devices?month=${encodeURIComponent(month)}`);
  if (gen !== state.routing) return;
  const rows = (Array.isArray(dv) ? dv : dv.items || []).flatMap((s) => (s.devices || []).map((d) => ({ s, d })));
  $('#op-devices').innerHTML = `<div class="table-wrap"><table id="devices-table"><thead><tr><th>${t('station')}</th><th class="nowrap">${t('op_contractor')}</th><th>${t('op_device')}</th>
    <th class="num nowrap">${t('op_online')}</th><th class="num nowrap">${t('op_capture')}</th>${days.map((d) => `<th class="day">${esc(d.slice(8, 10))}</th>`).join('')}</tr></thead><tbody>
    ${rows.map(({ s, d }) => `<tr data-station="${esc(s.station)}" data-mn="${esc(d.mn)}"><td class="nowrap">${esc(s.station_name || s.station)}</td><td class="nowrap">${esc(s.contractor || t('op_no_contractor'))}</td>
      <td class="mono">${esc(d.mn)}</td>${rate(d.online_pct, 'online')}${rate(d.capture_pct, 'capture')}${(d.days || []).map(dayCell).join('')}</tr>`).join('') || `<tr><td colspan="5">${t('no_data')}</td></tr>`}</tbody></table></div>`;
}
