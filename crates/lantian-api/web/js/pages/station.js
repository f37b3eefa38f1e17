// A station: one pollutant's hourly or daily series, raw or audited, charted in Beijing time
// and exported as CSV or Excel; for the bureau, the station's corrections (alarms.js).
import { $, api, bj, esc, t } from '../core.js';
import { correctionsPanel } from './alarms.js';

const CODES = [['a34004', 'PM2.5'], ['a34002', 'PM10'], ['a05024', 'O3'], ['a21004', 'NO2'], ['a21026', 'SO2'], ['a21005', 'CO']];
const HOUR_S = 3600;
const DAY_S = 86400;

/** The day (`YYYY-MM-DD`) as CST seconds of its midnight. */
const dayStart = (date) => Date.parse(date + 'T00:00:00Z') / 1000;

export async function stationPage(id) {
  const opt = (v, label, sel) => `<option value="${v}" ${sel ? 'selected' : ''}>${esc(label)}</option>`;
  $('#view').innerHTML = `<h2 id="station-name">…</h2><p class="filters">${t('pollutant')}: <select id="code">${CODES.map(([c, n]) => opt(c, n)).join('')}</select>
    ${t('days')}: <select id="days">${[7, 30, 90].map((d) => opt(d, d, d === 30)).join('')}</select>
    ${t('avg')}: <select id="avg">${opt('hour', t('avg_hour'), true)}${opt('day', t('avg_day'))}</select>
    ${t('view')}: <select id="series-view">${opt('raw', t('view_raw'), true)}${opt('audited', t('view_audited'))}</select>
    <a id="csv" href="#">CSV</a> · <a id="xlsx" href="#">Excel</a></p><div id="chart"></div><p class="muted" id="chart-info"></p><p id="chart-last"></p><div id="corrections-box"></div>`;
  const s = await api('/stations/' + encodeURIComponent(id));
  $('#station-name').textContent = s.name + (s.demo ? ' (' + t('demo') + ')' : '');
  const draw = async () => {
    const code = $('#code').value, days = $('#days').value, avg = $('#avg').value, view = $('#series-view').value;
    const q = `/stations/${encodeURIComponent(id)}/series?code=${code}&days=${days}&avg=${avg}&view=${view}`;
    $('#csv').href = '/api/v1' + q + '&format=csv';
    $('#xlsx').href = '/api/v1' + q + '&format=xlsx';
    const r = await api(q);
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
    // x values are Beijing wall-clock seconds: read them in UTC so that no browser zone moves
    // them. The axis, the legend (what a user hovering sees) and the chart all use this.
    const tz = (x) => uPlot.tzDate(new Date(x * 1000), 'Etc/UTC');
    const fmtFull = uPlot.fmtDate(daily ? '{YYYY}-{MM}-{DD}' : '{YYYY}-{MM}-{DD} {HH}:{mm}');
    const fmtDay = uPlot.fmtDate('{MM}-{DD}');
    const fmtHour = uPlot.fmtDate('{HH}:{mm}');
    $('#chart').innerHTML = '';
    const what = r.statistic === 'mda8' ? t('o3_daily') : daily ? t('avg_day') : t('avg_hour');
    $('#chart-info').textContent = `${r.pollutant} ${what} (${r.unit}) · ${pts.length} ${daily ? t('n_days') : t('n_hours')} · ${r.view === 'raw' ? t('note_raw') : t('note_audited')} · ${t('bj')}`;
    $('#chart').dataset.points = String(pts.length);
    const last = pts.length ? pts[pts.length - 1] : null;
    $('#chart-last').innerHTML = last ? `${t('last_point')}${t('colon')}<span id="chart-last-time">${esc(bj(daily ? last.date : last.time))}</span> · ${esc(last.value)} ${esc(r.unit)}` : t('no_data');
    const chart = new uPlot({
      width: Math.min(1060, window.innerWidth - 40), height: 320, title: r.statistic === 'mda8' ? `O3 ${t('o3_daily')}` : daily ? t('chart_daily') : t('chart_hourly'),
      tzDate: tz,
      // 24-hour Beijing time on the axis: a date at midnight (and for days), the hour otherwise.
      axes: [{ label: t('bj'), values: (u, splits) => splits.map((x) => (daily || x % DAY_S === 0 ? fmtDay(tz(x)) : fmtHour(tz(x)))) }, { label: r.unit }],
      series: [{ label: t('time'), value: (u, x) => (x == null ? '--' : fmtFull(tz(x))) }, { label: r.pollutant, stroke: '#1769aa', width: 1.5 }],
      scales: { x: { time: true } },
    }, [xs, ys], $('#chart'));
    $('#chart').uplot = chart;
    $('#chart').dataset.step = String(daily ? DAY_S : HOUR_S);
  };
  ['#code', '#days', '#avg', '#series-view'].forEach((sel) => { $(sel).onchange = draw; });
  await draw();
  await correctionsPanel(id, $('#corrections-box'));
}
