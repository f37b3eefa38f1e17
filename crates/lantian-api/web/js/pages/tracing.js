// Source tracing (#/tracing): for a station, a pollutant and a period (Beijing time), the
// receptor methods the server computes (docs/tracing.md), drawn with ECharts: the polar plot
// (a smooth surface over wind speed and direction), wind and pollution roses, the CPF rose
// with its 95 % interval, the NWR, the polar annulus, the time variation with confidence
// intervals; and the register's enterprises ranked as upwind sources with their evidence.
// Every chart states its method, its period and its counts.
import { $, addDays, api, bjToday, esc, fmt, state, t, loadEcharts } from '../core.js';

const POLLUTANTS = ['PM2.5', 'PM10', 'O3', 'NO2', 'SO2', 'CO'];
const COMPASS = ['N', 'NNE', 'NE', 'ENE', 'E', 'ESE', 'SE', 'SSE', 'S', 'SSW', 'SW', 'WSW', 'W', 'WNW', 'NW', 'NNW'];
const CHARTS = [
  ['polar', 'tr_polar'], ['pollution_rose', 'tr_pollution_rose'], ['cpf', 'tr_cpf'], ['nwr', 'tr_nwr'],
  ['wind_rose', 'tr_wind_rose'], ['annulus', 'tr_annulus'], ['timevar', 'tr_timevar'],
];
const RAMP = ['#313695', '#4575b4', '#74add1', '#abd9e9', '#fee090', '#fdae61', '#f46d43', '#d73027', '#a50026'];

/** The label of sector k of n: a compass point for 4, 8 or 16 sectors, else degrees. */
const sectorLabel = (k, n) => (16 % n === 0 ? COMPASS[k * (16 / n)] : `${Math.round((k * 360) / n)}°`);

/** The ECharts instance of a chart's box, created once per page. */
function chart(id) {
  const el = $(`#tr-${id}`);
  return window.echarts.getInstanceByDom(el) || window.echarts.init(el);
}

const polarPlot = (r, unit) => {
  const g = r.grid, axis = r.axis.map((x) => x.toFixed(1));
  const data = [];
  r.values.forEach((v, i) => { if (v != null) data.push([i % g, Math.floor(i / g), v]); });
  const vals = data.map((d) => d[2]);
  return {
    tooltip: { formatter: (p) => `u ${axis[p.data[0]]}, v ${axis[p.data[1]]} m/s: ${fmt(p.data[2])} ${unit}` },
    // Square cells: the disc is drawn round (u and v share one scale).
    grid: { left: 'center', top: 20, width: 340, height: 340 },
    xAxis: { type: 'category', data: axis, name: t('tr_u'), nameLocation: 'middle', nameGap: 30, axisLabel: { interval: Math.floor(g / 6) } },
    yAxis: { type: 'category', data: axis, name: t('tr_v'), nameLocation: 'middle', nameGap: 40, axisLabel: { interval: Math.floor(g / 6) } },
    visualMap: { min: Math.min(...vals), max: Math.max(...vals), calculable: true, orient: 'vertical', right: 0, top: 'center', inRange: { color: RAMP }, text: [unit, ''] },
    series: [{ name: 'polar', type: 'heatmap', data, progressive: 0 }],
  };
};

const roseOption = (r, n, valueOf, unitText) => {
  const bins = r.edges.map((e, i) => (i + 1 < r.edges.length ? `${e}–${r.edges[i + 1]}` : `≥ ${e}`));
  const series = bins.map((b, bin) => ({
    type: 'bar', coordinateSystem: 'polar', stack: 'rose', name: b,
    data: Array.from({ length: n }, (_, k) => valueOf(r.cells.find((c) => c.sector === k && c.bin === bin))),
  }));
  return {
    tooltip: { trigger: 'item' },
    legend: { top: 0, type: 'scroll', data: bins },
    angleAxis: { type: 'category', data: Array.from({ length: n }, (_, k) => sectorLabel(k, n)), startAngle: 90 + 180 / n, clockwise: true },
    radiusAxis: { name: unitText },
    polar: { center: ['50%', '55%'], radius: '70%' },
    color: RAMP.slice(1),
    series,
  };
};

const cpfOption = (r) => {
  const n = r.sectors.length;
  return {
    tooltip: { trigger: 'item', formatter: (p) => { const s = r.sectors[p.dataIndex]; return `${sectorLabel(s.sector, n)}: CPF ${fmt(s.cpf, 2)} [${fmt(s.cpf_low, 2)}, ${fmt(s.cpf_high, 2)}] (${s.n_above}/${s.n})`; } },
    legend: { top: 0 },
    angleAxis: { type: 'category', data: r.sectors.map((s) => sectorLabel(s.sector, n)), startAngle: 90 + 180 / n, clockwise: true },
    radiusAxis: { min: 0, max: 1 },
    polar: { center: ['50%', '55%'], radius: '70%' },
    series: [
      { type: 'bar', coordinateSystem: 'polar', name: 'CPF', data: r.sectors.map((s) => s.cpf), itemStyle: { color: '#d73027' } },
      { type: 'line', coordinateSystem: 'polar', name: t('tr_ci_high'), data: r.sectors.map((s) => s.cpf_high), lineStyle: { type: 'dashed' }, symbol: 'none', color: '#555' },
      { type: 'line', coordinateSystem: 'polar', name: t('tr_ci_low'), data: r.sectors.map((s) => s.cpf_low), lineStyle: { type: 'dotted' }, symbol: 'none', color: '#999' },
    ],
  };
};

/** A heat map of `cells` over x × y categories (NWR: direction × speed; annulus: hour × sector). */
const heatOption = (xs, ys, data, xName, yName, unit, tip) => {
  const vals = data.map((d) => d[2]).filter((v) => v != null);
  return {
    tooltip: { formatter: (p) => tip(p.data) },
    grid: { left: 70, right: 90, top: 20, bottom: 50 },
    xAxis: { type: 'category', data: xs, name: xName, nameLocation: 'middle', nameGap: 30 },
    yAxis: { type: 'category', data: ys, name: yName, nameLocation: 'middle', nameGap: 50 },
    visualMap: { min: vals.length ? Math.min(...vals) : 0, max: vals.length ? Math.max(...vals) : 1, calculable: true, right: 0, top: 'center', inRange: { color: RAMP }, text: [unit, ''] },
    series: [{ type: 'heatmap', data: data.filter((d) => d[2] != null), progressive: 0 }],
  };
};

const nwrOption = (r, unit) => {
  const wds = [...new Set(r.cells.map((c) => c.wd_deg))], wss = [...new Set(r.cells.map((c) => c.ws_m_s))];
  const data = r.cells.map((c) => [wds.indexOf(c.wd_deg), wss.indexOf(c.ws_m_s), c.nwr == null ? null : Math.round(c.nwr * 10) / 10, c.n, c.se]);
  return heatOption(wds.map((d) => `${d}°`), wss.map((s) => s.toFixed(1)), data, t('tr_direction'), t('tr_speed'), unit,
    (d) => `${wds[d[0]]}°, ${wss[d[1]]} m/s: ${fmt(d[2])} ${unit} ± ${fmt(d[4])} (n = ${d[3]})`);
};

const annulusOption = (r, unit) => {
  const n = Math.max(...r.cells.map((c) => c.sector)) + 1;
  const data = r.cells.map((c) => [c.hour, c.sector, c.mean == null ? null : Math.round(c.mean * 10) / 10, c.n]);
  return heatOption(Array.from({ length: 24 }, (_, h) => String(h)), Array.from({ length: n }, (_, k) => sectorLabel(k, n)), data,
    t('tr_hour_of_day'), t('tr_direction'), unit, (d) => `${d[0]}:00, ${sectorLabel(d[1], n)}: ${fmt(d[2])} ${unit} (n = ${d[3]})`);
};

const timevarOption = (r, unit) => {
  const parts = [['hour', t('tr_hour_of_day')], ['weekday', t('tr_weekday')], ['month', t('tr_month')]];
  const grids = parts.map((_, i) => ({ left: `${4 + i * 33}%`, width: '27%', top: 40, bottom: 40 }));
  const series = [];
  parts.forEach(([k], i) => {
    const g = r[k];
    series.push({ type: 'line', name: t('tr_mean'), xAxisIndex: i, yAxisIndex: i, data: g.map((x) => x.mean), color: '#1769aa', symbolSize: 4 });
    series.push({ type: 'line', name: t('tr_ci95'), xAxisIndex: i, yAxisIndex: i, data: g.map((x) => x.ci_low), lineStyle: { type: 'dashed' }, symbol: 'none', color: '#999' });
    series.push({ type: 'line', name: t('tr_ci95'), xAxisIndex: i, yAxisIndex: i, data: g.map((x) => x.ci_high), lineStyle: { type: 'dashed' }, symbol: 'none', color: '#999' });
  });
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: [t('tr_mean'), t('tr_ci95')] },
    grid: grids,
    xAxis: parts.map(([k, name], i) => ({ type: 'category', gridIndex: i, name, nameLocation: 'middle', nameGap: 25, data: r[k].map((x) => String(x.key)) })),
    yAxis: parts.map((_, i) => ({ type: 'value', gridIndex: i, name: i === 0 ? unit : '', scale: true })),
    series,
  };
};

/** The chart's caption: its method, its period (Beijing time) and its counts. */
function caption(a, r) {
  const n = r && (r.n_counted ?? r.hours);
  const method = r ? (r.method || '') : '';
  return `${esc(method)}<br>${t('tr_period')}${t('colon')}${esc(a.period)} · ${a.view === 'raw' ? t('view_raw') : t('view_audited')} · ${t('tr_hours_read')} ${a.n_complete}/${a.n_hours}${n != null ? ` · ${t('tr_counted')} ${n}` : ''} · ${t('tr_calm')} < ${a.calm_m_s} m/s`;
}

function draw(kind, a) {
  const r = a.result, unit = a.unit;
  const box = $(`#tr-${kind}`);
  $(`#tr-${kind}-cap`).innerHTML = caption(a, r);
  if (!r) {
    box.textContent = a.insufficient || t('no_data');
    box.dataset.empty = '1';
    return;
  }
  box.textContent = '';
  const opt = {
    polar: () => polarPlot(r, unit),
    pollution_rose: () => roseOption(r, r.sector_means.length || 16, (c) => (c ? c.percent : 0), '%'),
    wind_rose: () => roseOption(r, Math.max(...r.cells.map((c) => c.sector)) + 1, (c) => (c ? c.percent : 0), '%'),
    cpf: () => cpfOption(r),
    nwr: () => nwrOption(r, unit),
    annulus: () => annulusOption(r, unit),
    timevar: () => timevarOption(r, unit),
  }[kind]();
  chart(kind).setOption(opt, true);
}

function upwindTable(u) {
  const rows = u.ranked.slice(0, 20).map((x) => `<tr><td>${x.rank}</td><td><a href="#/enterprise/${encodeURIComponent(x.id)}">${esc(x.name)}</a></td>
    <td>${fmt(x.bearing_deg, 0)}° (${sectorLabel(x.sector, u.sector_values.length)})</td><td>${fmt(x.distance_km, 1)}</td>
    <td>${fmt(x.sector_value, 2)}</td><td>${fmt(x.direction_weight, 2)}</td><td>${fmt(x.distance_weight, 2)}</td>
    <td>${x.emission_kg == null ? t('tr_unknown') : fmt(x.emission_kg, 1)}</td><td>${fmt(x.emission_weight, 2)}${x.emission_assumed ? '*' : ''}</td><td><b>${fmt(x.score, 3)}</b></td></tr>`).join('');
  return `<table id="tr-upwind-table"><thead><tr><th>${t('rank')}</th><th>${t('tr_enterprise')}</th><th>${t('tr_bearing')}</th><th>${t('tr_distance_km')}</th>
    <th>${u.basis === 'nwr' ? 'NWR' : 'CPF'}</th><th>${t('tr_w_direction')}</th><th>${t('tr_w_distance')}</th><th>${t('tr_emission_kg')}</th><th>${t('tr_w_emission')}</th><th>${t('tr_score')}</th></tr></thead>
    <tbody>${rows || `<tr><td colspan="10">${t('tr_no_enterprises')}</td></tr>`}</tbody></table>
    <p class="muted">${esc(u.method)}<br>${t('tr_period')}${t('colon')}${esc(u.period)} · ${t('tr_counted')} ${u.n_counted} · * ${t('tr_emission_assumed')}</p>`;
}

export async function tracingPage(rest) {
  const q = new URLSearchParams(rest.replace(/^\?/, ''));
  const to = q.get('to') || bjToday();
  const from = q.get('from') || addDays(to, -29);
  const pollutant = q.get('pollutant') || 'PM2.5';
  const view = q.get('view') || 'audited';
  const stations = (await api('/stations?per_page=500').catch(() => ({ items: [] })));
  const list = (stations.items || stations.rows || stations || []).filter((s) => s.role !== 'outlet' && s.role !== 'equipment');
  const station = q.get('station') || (list[0] && list[0].id) || '';
  const opt = (v, label, sel) => `<option value="${esc(v)}" ${sel ? 'selected' : ''}>${esc(label)}</option>`;
  $('#view').innerHTML = `<h2>${t('tr_title')}</h2>
    <p class="filters">${t('station')}: <select id="tr-station">${list.map((s) => `<option value="${esc(s.id)}" ${s.id === station ? 'selected' : ''}>${esc(s.name)}</option>`).join('')}</select>
    ${t('pollutant')}: <select id="tr-pollutant">${POLLUTANTS.map((p) => opt(p, p, p === pollutant)).join('')}</select>
    ${t('tr_from')}: <input id="tr-from" type="date" value="${esc(from)}"> ${t('tr_to')}: <input id="tr-to" type="date" value="${esc(to)}"> (${t('bj')})
    ${t('view')}: <select id="tr-view">${opt('audited', t('view_audited'), view === 'audited')}${opt('raw', t('view_raw'), view === 'raw')}</select>
    <button id="tr-load" type="button">${t('tracing_load')}</button> · <a href="#/tracing-map?pollutant=${encodeURIComponent(pollutant)}&from=${from}&to=${to}">${t('tracing_map_title')}</a></p>
    <div class="tracing-grid" style="display:flex;flex-wrap:wrap;gap:12px">${CHARTS.map(([k, key]) => `<section class="card" style="flex:1 1 ${k === 'timevar' ? '100%' : '46%'};min-width:420px;box-sizing:border-box"><h3>${t(key)}</h3><div id="tr-${k}" class="tracing-chart" style="height:${k === 'timevar' ? 300 : 420}px"></div><p class="muted" id="tr-${k}-cap" style="font-size:12px"></p></section>`).join('')}</div>
    <h3>${t('tr_upwind')}</h3><div id="tr-upwind">${t('loading')}</div>`;
  $('#tr-load').onclick = () => {
    location.hash = `#/tracing?station=${encodeURIComponent($('#tr-station').value)}&pollutant=${encodeURIComponent($('#tr-pollutant').value)}&from=${$('#tr-from').value}&to=${$('#tr-to').value}&view=${$('#tr-view').value}`;
  };
  if (!station) { $('#tr-upwind').textContent = t('no_data'); return; }
  const mine = state.routing;
  await loadEcharts();
  const base = `/stations/${encodeURIComponent(station)}`;
  const qs = `pollutant=${encodeURIComponent(pollutant)}&from=${from}&to=${to}&view=${view}`;
  await Promise.all([
    ...CHARTS.map(async ([k]) => {
      try {
        const a = await api(`${base}/tracing?method=${k}&${qs}`);
        if (mine === state.routing) draw(k, a);
      } catch (e) {
        if (mine === state.routing) $(`#tr-${k}`).textContent = e.message;
      }
    }),
    api(`${base}/upwind?${qs}`).then((u) => { if (mine === state.routing) $('#tr-upwind').innerHTML = upwindTable(u); })
      .catch((e) => { if (mine === state.routing) $('#tr-upwind').textContent = e.message; }),
  ]);
  if (mine === state.routing) $('#view').dataset.tracing = 'drawn';
}
