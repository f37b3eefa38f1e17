// Several stations on one chart (issue 17): one pollutant's hourly or daily series of each
// chosen station (those whose data the caller sees), raw or audited, with the Grade II limit
// line and a table per station (values, mean, maximum, hours or days above the limit).
// Every time is Beijing time. Route: `#/compare?ids=A,B&code=a34004&days=7&avg=hour`.
import { $, api, esc, fmt, hourSpan, state, t } from '../core.js';
import { CODES, chartWidth, timeSeries, tz } from './station.js';

const HOUR_S = 3600;
const DAY_S = 86400;
/** At most this many stations on one chart (more lines are not readable). */
const STATIONS_MAX = 8;
/** The stations' line colours, in the order chosen. */
const PALETTE = ['#1769aa', '#1a9850', '#7b3294', '#e08214', '#8c510a', '#01665e', '#c51b7d', '#4d4d4d'];
/** The limit line's colour (no station line has it). */
const LIMIT_COLOUR = '#d7301f';

/** `a=1&b=2` → `{ a: '1', b: '2' }`. */
const params = (query) => Object.fromEntries(new URLSearchParams(query.replace(/^\?/, '')));

export async function comparePage(query) {
  const gen = state.routing;
  const p = params(query);
  const chosen = new Set((p.ids || '').split(',').filter(Boolean));
  const now = await api('/aqi/now');
  if (gen !== state.routing) return;
  // The stations whose values the caller sees: those AQI now lists with an hour.
  const seen = now.stations.filter((s) => s.hour_start != null);
  if (!chosen.size) seen.slice(0, 3).forEach((s) => chosen.add(s.id));
  const opt = (v, label, sel) => `<option value="${v}" ${sel ? 'selected' : ''}>${esc(label)}</option>`;
  const roleName = (r) => t('role_' + r);
  $('#view').innerHTML = `<h2>${t('cmp_title')}</h2>
    <p class="muted">${t('cmp_intro')}</p>
    <fieldset class="card" id="cmp-stations"><legend>${t('cmp_choose')}</legend>${seen.map((s) => `<label class="nowrap" style="margin-right:1rem"><input type="checkbox" value="${esc(s.id)}" ${chosen.has(s.id) ? 'checked' : ''}> ${esc(s.name)} <span class="muted">${esc(roleName(s.role))}</span></label>`).join('') || `<span class="muted">${t('no_data')}</span>`}</fieldset>
    <p class="filters"><label>${t('pollutant')}${t('colon')}<select id="cmp-code">${CODES.map(([c, n]) => opt(c, n, c === (p.code || 'a34004'))).join('')}</select></label>
    <label>${t('days')}${t('colon')}<select id="cmp-days">${[1, 7, 30, 90].map((d) => opt(d, d, String(d) === (p.days || '7'))).join('')}</select></label>
    <label>${t('avg')}${t('colon')}<select id="cmp-avg">${opt('hour', t('avg_hour'), p.avg !== 'day')}${opt('day', t('avg_day'), p.avg === 'day')}</select></label>
    <label>${t('view')}${t('colon')}<select id="cmp-view">${opt('raw', t('view_raw'), p.view !== 'audited')}${opt('audited', t('view_audited'), p.view === 'audited')}</select></label></p>
    <p class="error" id="cmp-error" hidden></p>
    <div id="cmp-chart"></div><p class="muted" id="cmp-info"></p>
    <div class="table-wrap"><table id="cmp-table"><thead><tr><th>${t('station')}</th><th class="num">${t('cmp_n')}</th><th class="num">${t('cmp_mean')}</th><th class="num">${t('cmp_max')}</th><th>${t('cmp_max_time')}</th><th class="num">${t('cmp_over')}</th></tr></thead><tbody></tbody></table></div>`;
  const draw = async () => {
    const ids = [...document.querySelectorAll('#cmp-stations input:checked')].map((i) => i.value);
    const code = $('#cmp-code').value, days = $('#cmp-days').value, avg = $('#cmp-avg').value, view = $('#cmp-view').value;
    // The choice is kept in the address, so a comparison can be bookmarked or sent.
    const hash = `#/compare?ids=${ids.map(encodeURIComponent).join(',')}&code=${code}&days=${days}&avg=${avg}&view=${view}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
    const err = $('#cmp-error');
    err.hidden = ids.length <= STATIONS_MAX;
    err.textContent = t('cmp_too_many').replace('{n}', STATIONS_MAX);
    const use = ids.slice(0, STATIONS_MAX);
    const answers = await Promise.all(use.map((id) => api(`/stations/${encodeURIComponent(id)}/series?code=${code}&days=${days}&avg=${avg}&view=${view}`)
      .then((r) => ({ id, r }), (e) => ({ id, error: e.message }))));
    // The limit comes with a station's hours (the same for every station: the county's Grade II).
    const info = use.length ? await api(`/stations/${encodeURIComponent(use[0])}/hours?days=1&view=${view}`).catch(() => null) : null;
    if (gen !== state.routing) return;
    const daily = avg === 'day';
    const step = daily ? DAY_S : HOUR_S;
    const xOf = (pt) => (daily ? Date.parse(pt.date + 'T00:00:00Z') / 1000 : pt.ts + HOUR_S);
    const ok = answers.filter((a) => a.r);
    // One x axis: every time any station has, with a gap where a station has none.
    const xs = [...new Set(ok.flatMap((a) => a.r.points.map(xOf)))].sort((a, b) => a - b);
    const at = Object.fromEntries(xs.map((x, i) => [x, i]));
    const lines = ok.map((a) => {
      const ys = xs.map(() => null);
      a.r.points.forEach((pt) => { if (pt.value != null) ys[at[xOf(pt)]] = pt.value; });
      return ys;
    });
    const pol = info && info.pollutants.find((x) => x.code === code);
    const lim = pol ? (daily || pol.limit_hour == null ? pol.limit_day : pol.limit_hour) : null;
    const name = (id) => (seen.find((s) => s.id === id) || { name: id }).name;
    const unit = ok.length ? ok[0].r.unit : '';
    $('#cmp-chart').innerHTML = '';
    $('#cmp-chart').dataset.series = String(ok.length);
    $('#cmp-chart').dataset.points = String(xs.length);
    if (xs.length && typeof uPlot !== 'undefined') {
      const fmtDay = uPlot.fmtDate('{MM}-{DD}'), fmtHour = uPlot.fmtDate('{HH}:{mm}');
      const chart = new uPlot({
        width: chartWidth(), height: 340, tzDate: tz,
        axes: [{ label: t('bj'), values: (u, splits) => splits.map((x) => (daily || x % DAY_S === 0 ? fmtDay(tz(x)) : fmtHour(tz(x)))) }, { label: unit }],
        series: [timeSeries(daily), ...ok.map((a, i) => ({ label: name(a.id), stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: false })),
          ...(lim == null ? [] : [{ label: `${t('sv_limit')} ${lim}`, stroke: LIMIT_COLOUR, dash: [6, 4], width: 1.2, points: { show: false } }])],
        scales: { x: { time: true } },
      }, [xs, ...lines, ...(lim == null ? [] : [xs.map(() => lim)])], $('#cmp-chart'));
      $('#cmp-chart').uplot = chart;
    } else {
      $('#cmp-chart').innerHTML = `<p class="muted">${t('no_data')}</p>`;
    }
    const first = ok.length ? ok[0].r : null;
    $('#cmp-info').textContent = first ? `${first.pollutant} ${first.statistic === 'mda8' ? t('o3_daily') : daily ? t('avg_day') : t('avg_hour')} (${unit}) · ${view === 'raw' ? t('note_raw') : t('note_audited')}${lim == null ? '' : ` · ${t('sv_limit')} ${lim} ${unit}`} · ${t('bj')}` : '';
    $('#cmp-table tbody').innerHTML = answers.map((a, i) => {
      if (!a.r) return `<tr data-station="${esc(a.id)}"><td>${esc(name(a.id))}</td><td colspan="5" class="error">${esc(a.error)}</td></tr>`;
      const vals = a.r.points.filter((pt) => pt.value != null);
      const mean = vals.length ? vals.reduce((s, pt) => s + pt.value, 0) / vals.length : null;
      const max = vals.reduce((m, pt) => (m == null || pt.value > m.value ? pt : m), null);
      const over = lim == null ? '—' : vals.filter((pt) => pt.value > lim).length;
      const colour = PALETTE[ok.indexOf(a) % PALETTE.length];
      return `<tr data-station="${esc(a.id)}" data-n="${vals.length}"><td><span class="dot" style="background:${colour}"></span> <a href="#/station/${encodeURIComponent(a.id)}">${esc(name(a.id))}</a></td><td class="num">${vals.length}</td><td class="num" data-mean>${fmt(mean)}</td><td class="num">${max ? fmt(max.value) : '—'}</td><td>${max ? esc(daily ? max.date : hourSpan(max.start, true)) : '—'}</td><td class="num">${over}</td></tr>`;
    }).join('');
  };
  document.querySelectorAll('#cmp-stations input, #cmp-code, #cmp-days, #cmp-avg, #cmp-view').forEach((el) => { el.onchange = draw; });
  await draw();
}
