// Grid tasks (#/tasks, #/task/ID): the list with its filters and deadlines (北京时间, overdue
// red), the map of open and closed tasks over the township boundaries with a hot-spot layer
// (tasks counted per grid cell over the chosen months), the statistics by township (ECharts),
// the xlsx export; one task with its timeline, the acts the API says the caller may take,
// evidence upload with the EXIF check's verdict, and the evidence list.
import { $, api, bj, bjToday, esc, fmt, state, t, loadEcharts } from '../core.js';
import {
  LIST_ROWS_MAX, OPEN_STATES, SOURCES, STATE_COLOUR, TASK_STATES, countyMap, deadlineCell, gridTabs,
  filePicker, monthOptions, opt, overdue, overdueTag, sendFile, sourceName, stateTag, townships, unitName, unitsById, wireFilePicker,
} from './grid.js';

let mapObj = null;
let taskMapObj = null;

/** The hot-spot grid's cell, in degrees of latitude (longitude: scaled to the same ground size). */
const HOT_CELL_DEG = 0.02;

/** The filters of the page's hash (`#/tasks?state=…&source=…&township=…&from=YYYY-MM&to=YYYY-MM`). */
function filters(rest) {
  const q = new URLSearchParams(rest.replace(/^\?/, ''));
  const to = q.get('to') || bjToday().slice(0, 7);
  const from = q.get('from') || to;
  return { state: q.get('state') || '', source: q.get('source') || '', township: q.get('township') || '', from: from <= to ? from : to, to };
}

/** The hash query of the filters (empty ones left out). */
function query(f) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
  return q;
}

/**
 * The list API's query of the filters: `open=true` for the open ones, `month` when the range
 * is one month (a longer range is narrowed by the tasks' creation month here).
 */
function listQuery(f) {
  const q = new URLSearchParams();
  if (f.state === 'open') q.set('open', 'true'); else if (f.state) q.set('state', f.state);
  if (f.source) q.set('source', f.source);
  if (f.township) q.set('township', f.township);
  if (f.from === f.to) q.set('month', f.from);
  return q;
}

/**
 * Tasks counted per grid cell: cells of `HOT_CELL_DEG` degrees of latitude and the same
 * ground width in longitude at the tasks' mean latitude. Returns `[{ south, west, north, east, n }]`.
 */
export function hotCells(points) {
  if (!points.length) return [];
  const meanLat = points.reduce((a, p) => a + p.lat, 0) / points.length;
  const dLon = HOT_CELL_DEG / Math.cos((meanLat * Math.PI) / 180);
  const cells = new Map();
  for (const p of points) {
    const i = Math.floor(p.lat / HOT_CELL_DEG), j = Math.floor(p.lon / dLon);
    const k = i + ',' + j;
    cells.set(k, (cells.get(k) || 0) + 1);
  }
  return [...cells].map(([k, n]) => {
    const [i, j] = k.split(',').map(Number);
    return { south: i * HOT_CELL_DEG, north: (i + 1) * HOT_CELL_DEG, west: j * dLon, east: (j + 1) * dLon, n };
  });
}

/** A shade of red for a count of `n` where `max` is the highest. */
const heat = (n, max) => `rgba(215,48,31,${(0.15 + 0.65 * (max > 1 ? (n - 1) / (max - 1) : 1)).toFixed(2)})`;

export async function tasksPage(rest) {
  const f = filters(rest);
  const gen = state.routing;
  $('#view').innerHTML = `${gridTabs('tasks')}<h2>${t('gr_tasks')}</h2><div id="task-filters"></div>
    <div id="task-summary" class="muted">${t('loading')}</div>
    <div class="legend" id="task-legend">${TASK_STATES.map((s) => `<span class="legend-item"><span class="dot" style="background:${STATE_COLOUR[s]}"></span>${esc(t('gs_' + s))}</span>`).join('')}
      <span class="legend-item"><span class="dot hot"></span>${t('gr_hot_legend')}</span></div>
    <div id="task-map"></div><p class="muted" id="task-map-note"></p>
    <h3>${t('gr_stats')}</h3><div id="task-stats">${t('loading')}</div><div id="task-chart" class="chart"></div>
    <h3>${t('gr_list')}</h3><div id="task-list" class="table-wrap">${t('loading')}</div>`;
  const units = await unitsById();
  if (gen !== state.routing) return;
  $('#task-filters').innerHTML = `<form class="filters" id="task-filter-form">
    <label>${t('status')} <select id="tf-state">${opt('', t('all'), f.state)}${opt('open', t('gr_open'), f.state)}${TASK_STATES.map((s) => opt(s, t('gs_' + s), f.state)).join('')}</select></label>
    <label>${t('gr_source')} <select id="tf-source">${opt('', t('all'), f.source)}${SOURCES.map((s) => opt(s, sourceName(s), f.source)).join('')}</select></label>
    <label>${t('unit')} <select id="tf-township">${opt('', t('all'), f.township)}${townships(units).map((u) => opt(u.id, unitName(units, u.id), f.township)).join('')}</select></label>
    <label>${t('gr_from_month')} <select id="tf-from">${monthOptions(f.from)}</select></label>
    <label>${t('gr_to_month')} <select id="tf-to">${monthOptions(f.to)}</select></label>
    <button type="submit" class="primary">${t('gr_apply')}</button></form>`;
  $('#task-filter-form').onsubmit = (e) => {
    e.preventDefault();
    const g = { state: $('#tf-state').value, source: $('#tf-source').value, township: $('#tf-township').value, from: $('#tf-from').value, to: $('#tf-to').value };
    location.hash = '#/tasks?' + query(g);
  };
  const lq = listQuery(f);
  const exportHref = '/api/v1/tasks?' + lq + (lq.toString() ? '&' : '') + 'format=xlsx&lang=' + state.lang;
  const statsQ = new URLSearchParams({ from: f.from, to: f.to });
  const listQ = new URLSearchParams(lq);
  listQ.set('per_page', String(LIST_ROWS_MAX));
  const [r, pts, stats] = await Promise.all([
    api('/tasks?' + listQ), api('/task-map?' + lq), api('/task-stats?' + statsQ).catch((e) => ({ error: e.message })),
  ]);
  if (gen !== state.routing) return;
  const inRange = (x) => { const m = (x.created || '').slice(0, 7); return m >= f.from && m <= f.to; };
  // The map's points are every task of the filter; the list is its newest page.
  const points = (pts.points || []).filter(inRange);
  const items = (Array.isArray(r) ? r : r.items || []).filter(inRange);
  const total = points.length;
  const late = points.filter(overdue).length;
  $('#task-summary').innerHTML = `${t('gr_total')}${t('colon')}<b id="task-total">${total}</b>${total > items.length ? ` · ${t('ent_first_n')} ${items.length}` : ''}
    · ${t('gr_open')} ${points.filter((x) => OPEN_STATES.includes(x.state)).length} · <span class="${late ? 'bad' : ''}">${t('gr_overdue')} ${late}</span>
    · ${esc(f.from)}${f.to !== f.from ? ' – ' + esc(f.to) : ''} · <a id="tasks-xlsx" href="${esc(exportHref)}">${t('gr_export_xlsx')}</a>`;
  drawList(items, units);
  await drawMap(points, units, gen);
  if (gen !== state.routing) return;
  await drawStats(stats, units, gen);
}

function drawList(items, units) {
  if (!items.length) { $('#task-list').innerHTML = `<p class="muted">${t('gr_none')}</p>`; return; }
  $('#task-list').innerHTML = `<table id="task-table"><thead><tr><th>${t('gr_id')}</th><th>${t('gr_source')}</th><th>${t('gr_title')}</th><th>${t('unit')}</th><th>${t('status')}</th>
    <th>${t('gr_occurred')}（${t('bj')}）</th><th>${t('gr_deadline')}（${t('bj')}）</th></tr></thead><tbody>
    ${items.map((x) => `<tr data-id="${esc(x.id)}" class="${overdue(x) ? 'overdue' : ''}"><td><a href="#/task/${esc(x.id)}">${esc(x.id)}</a></td><td class="nowrap">${esc(sourceName(x.source))}</td>
      <td><a href="#/task/${esc(x.id)}">${esc(x.title)}</a></td><td class="nowrap">${esc(unitName(units, x.township))}</td><td>${stateTag(x.state)}</td>
      <td class="nowrap">${esc(x.occurred || '')}</td>${deadlineCell(x)}</tr>`).join('')}</tbody></table>`;
}

async function drawMap(items, units, gen) {
  const m = await countyMap('task-map', mapObj);
  mapObj = m.map;
  if (gen !== state.routing) return;
  if (m.approximate) $('#task-map-note').textContent = t('approximate_boundaries');
  const points = items.filter((x) => x.lat != null && x.lon != null);
  const markers = L.layerGroup(points.map((x) => L.circleMarker([x.lat, x.lon], {
    radius: 7, color: '#333', weight: 1, fillColor: STATE_COLOUR[x.state] || '#999', fillOpacity: OPEN_STATES.includes(x.state) ? 0.9 : 0.35, className: 'task-marker',
  }).bindPopup(`<b>${t('gr_task')} ${esc(x.id)}</b> · ${esc(sourceName(x.source))}<br>${stateTag(x.state)}${overdueTag(x)}<br>${esc(x.created)} ${t('bj')}<br>${esc(unitName(units, x.township))}<br><a href="#/task/${esc(x.id)}">${t('gr_open_task')}</a>`)));
  const cells = hotCells(points);
  const max = Math.max(1, ...cells.map((c) => c.n));
  const hot = L.layerGroup(cells.map((c) => L.rectangle([[c.south, c.west], [c.north, c.east]], { stroke: false, fillColor: heat(c.n, max), fillOpacity: 1, className: 'hot-cell' })
    .bindTooltip(`${c.n} ${t('gr_n_tasks')}`)));
  hot.addTo(mapObj);
  markers.addTo(mapObj);
  L.control.layers(null, { [t('gr_layer_tasks')]: markers, [t('gr_layer_hot')]: hot }, { collapsed: false }).addTo(mapObj);
  $('#task-map').dataset.markers = String(points.length);
  $('#task-map').dataset.cells = String(cells.length);
  $('#task-map-note').textContent = `${m.approximate ? t('approximate_boundaries') + ' ' : ''}${t('gr_hot_note')}`;
}

/**
 * The API's rows (one per township and month) summed per township over the chosen months;
 * the mean time to close weighted by each month's closed tasks.
 */
export function byTownship(rows) {
  const out = new Map();
  for (const r of rows) {
    const o = out.get(r.township) || { township: r.township, township_name: r.township_name, count: 0, closed: 0, open: 0, overdue: 0, escalated: 0, hours: 0 };
    o.count += r.count; o.closed += r.closed; o.open += r.open; o.overdue += r.overdue; o.escalated += r.escalated || 0;
    if (r.mean_hours_to_close != null) o.hours += r.mean_hours_to_close * r.closed;
    out.set(r.township, o);
  }
  return [...out.values()].map((o) => ({ ...o, mean_hours_to_close: o.closed ? o.hours / o.closed : null }));
}

async function drawStats(stats, units, gen) {
  if (stats.error) { $('#task-stats').innerHTML = `<p class="error">${esc(stats.error)}</p>`; return; }
  const rows = byTownship(Array.isArray(stats) ? stats : stats.items || []);
  if (!rows.length) { $('#task-stats').innerHTML = `<p class="muted">${t('gr_none')}</p>`; $('#task-chart').hidden = true; return; }
  const name = (r) => unitName(units, r.township) || r.township_name;
  const sum = (k) => rows.reduce((a, r) => a + r[k], 0);
  const closed = sum('closed');
  const meanAll = closed ? rows.reduce((a, r) => a + r.hours, 0) / closed : null;
  $('#task-stats').innerHTML = `<table id="task-stats-table"><thead><tr><th>${t('unit')}</th><th class="num">${t('gr_count')}</th><th class="num">${t('gr_closed')}</th><th class="num">${t('gr_open_n')}</th>
    <th class="num">${t('gr_mean_close_h')}</th><th class="num">${t('gr_overdue')}</th><th class="num">${t('gr_escalated')}</th></tr></thead><tbody>
    ${rows.map((r) => `<tr data-township="${esc(r.township)}"><td class="nowrap">${esc(name(r))}</td><td class="num">${r.count}</td><td class="num">${r.closed}</td><td class="num">${r.open}</td><td class="num">${fmt(r.mean_hours_to_close)}</td>
      <td class="num${r.overdue ? ' bad' : ''}">${r.overdue}</td><td class="num">${r.escalated}</td></tr>`).join('')}
    <tr class="sum"><td>${t('ent_sum')}</td><td class="num">${sum('count')}</td><td class="num">${closed}</td><td class="num">${sum('open')}</td><td class="num">${fmt(meanAll)}</td><td class="num">${sum('overdue')}</td><td class="num">${sum('escalated')}</td></tr></tbody></table>
    <p class="muted">${t('gr_stats_note')}</p>`;
  await loadEcharts();
  if (gen !== state.routing) return;
  const el = $('#task-chart');
  const chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 20, right: 20, top: 50, bottom: 10, containLabel: true },
    xAxis: { type: 'category', data: rows.map(name), axisLabel: { interval: 0, rotate: rows.length > 8 ? 40 : 0 } },
    yAxis: [{ type: 'value', name: t('gr_n_tasks'), minInterval: 1 }, { type: 'value', name: t('gr_hours'), splitLine: { show: false } }],
    series: [
      { name: t('gr_count'), type: 'bar', data: rows.map((r) => r.count), itemStyle: { color: '#1769aa' } },
      { name: t('gr_closed'), type: 'bar', data: rows.map((r) => r.closed), itemStyle: { color: '#2e9e4f' } },
      { name: t('gr_overdue'), type: 'bar', data: rows.map((r) => r.overdue), itemStyle: { color: '#d7301f' } },
      { name: t('gr_mean_close_h'), type: 'line', yAxisIndex: 1, data: rows.map((r) => (r.mean_hours_to_close == null ? null : Number(r.mean_hours_to_close.toFixed(1)))), itemStyle: { color: '#f28e2b' } },
    ],
  });
  el.dataset.drawn = String(sum('count'));
}

/** One task: its facts, timeline, the acts the API allows the caller, evidence. */
export async function taskPage(id) {
  const gen = state.routing;
  const [d, units] = await Promise.all([api('/tasks/' + encodeURIComponent(id)), unitsById()]);
  if (gen !== state.routing) return;
  const x = d.task;
  const acts = d.actions || [];
  const events = d.events || [];
  const evidence = d.evidence || [];
  $('#view').innerHTML = `${gridTabs('tasks')}<h2>${t('gr_task')} ${esc(x.id)} · ${esc(x.title)}</h2>
    <div class="card kv" id="task-facts">
      <div>${t('status')}${t('colon')}<span id="task-state">${stateTag(x.state)}</span>${overdueTag(x)}${x.escalated ? ` <span class="tag warn">${t('gr_escalated')}</span>` : ''}</div>
      <div>${t('gr_source')}${t('colon')}${esc(sourceName(x.source))}${x.source_ref ? ` <span class="muted">(${esc(x.source_ref)})</span>` : ''}</div>
      <div>${t('unit')}${t('colon')}${esc(unitName(units, x.township))}</div>
      <div>${t('gr_assignee')}${t('colon')}${esc(unitName(units, x.assignee))}</div>
      <div>${t('gr_occurred')}${t('colon')}${esc(bj(x.occurred))}</div>
      <div>${t('gr_created')}${t('colon')}${esc(bj(x.created))}</div>
      <div>${t('gr_sign_deadline')}${t('colon')}${esc(bj(x.sign_deadline))}</div>
      <div class="${x.overdue === 'finish' ? 'bad' : ''}">${t('gr_deadline')}${t('colon')}<span id="task-deadline">${esc(bj(x.deadline))}</span></div>
      <div>${t('gr_location')}${t('colon')}${fmt(x.lat, 5)}, ${fmt(x.lon, 5)}</div>
      ${x.finished ? `<div>${t('gr_finished_at')}${t('colon')}${esc(bj(x.finished))}</div>` : ''}
      ${x.closed ? `<div>${t('gr_closed_at')}${t('colon')}${esc(bj(x.closed))} · ${fmt(x.hours_to_close)} ${t('gr_hours')}</div>` : ''}
      ${x.detail ? `<div class="wide">${t('gr_detail')}${t('colon')}${esc(x.detail)}</div>` : ''}
    </div>
    <div class="two-cols"><div><div id="task-point-map"></div></div>
    <div><h3>${t('gr_acts')}</h3><div id="task-acts"></div>
    ${d.can_attach ? `<h3>${t('gr_add_evidence')}</h3><p class="muted">${t('gr_evidence_note')}</p><p>${filePicker('task-evidence', 'image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf')}</p><p id="task-evidence-result"></p>` : ''}</div></div>
    <h3>${t('gr_evidence')}</h3><div id="task-evidence-list" class="table-wrap">${evidenceTable(x.id, evidence)}</div>
    <h3>${t('gr_timeline')}</h3><ol class="wtl" id="task-timeline">${events.map((e) => `<li class="ev-${esc(e.action)}" data-action="${esc(e.action)}"><span class="wtl-time">${esc(bj(e.at))}</span>
      <span><b>${esc(t('ga_' + e.action))}</b> · ${esc(actorName(e.actor))}${e.unit ? ' (' + esc(unitName(units, e.unit)) + ')' : ''} → ${stateTag(e.state_after)}${e.text ? `<br>${esc(e.text)}` : ''}</span></li>`).join('')}</ol>`;
  // The acts the API says this caller may take now; the text is the finishing evidence, the
  // reason of a return or reassignment, or a note.
  if (acts.length) {
    const others = townships(units).filter((u) => u.id !== x.assignee);
    $('#task-acts').innerHTML = `<form id="task-act-form" class="review-form"><label class="block">${t('gr_act_note')}<textarea id="task-act-text" rows="3" maxlength="4000"></textarea></label>
      ${acts.includes('reassign') ? `<label class="block">${t('gr_reassign_to')}<select id="task-assignee">${others.map((u) => opt(u.id, unitName(units, u.id), '')).join('')}</select></label>` : ''}
      <div class="filters">${acts.map((a) => `<button type="button" class="${['return', 'reassign'].includes(a) ? 'secondary' : 'primary'}" data-act="${esc(a)}">${esc(t('gact_' + a))}</button>`).join(' ')}</div><p id="task-act-error" class="error"></p></form>`;
    $('#task-acts').querySelectorAll('button[data-act]').forEach((b) => {
      b.onclick = async () => {
        b.disabled = true;
        const body = { action: b.dataset.act, text: $('#task-act-text').value.trim() };
        if (b.dataset.act === 'reassign') body.assignee = $('#task-assignee').value;
        try {
          await api('/tasks/' + encodeURIComponent(x.id) + '/act', { method: 'POST', body: JSON.stringify(body) });
          await taskPage(id);
        } catch (e) { $('#task-act-error').textContent = e.message; b.disabled = false; }
      };
    });
  } else {
    $('#task-acts').innerHTML = `<p class="muted" id="task-no-acts">${t('gr_no_acts')}</p>`;
  }
  wireFilePicker('task-evidence');
  if ($('#task-evidence')) {
    $('#task-evidence').onchange = async () => {
      const f = $('#task-evidence').files[0];
      if (!f) return;
      $('#task-evidence-result').textContent = t('loading');
      try {
        const ev = await sendFile('/tasks/' + encodeURIComponent(x.id) + '/evidence', f);
        const again = await api('/tasks/' + encodeURIComponent(x.id));
        if (gen !== state.routing) return;
        $('#task-evidence-result').innerHTML = `${t('gr_uploaded')}${t('colon')}${verdictTag(ev.verdict)} ${esc(ev.reason)}`;
        $('#task-evidence-list').innerHTML = evidenceTable(x.id, again.evidence || []);
        $('#task-timeline').dataset.evidence = String((again.evidence || []).length);
      } catch (e) { $('#task-evidence-result').innerHTML = `<span class="error">${esc(e.message)}</span>`; }
    };
  }
  const m = await countyMap('task-point-map', taskMapObj);
  taskMapObj = m.map;
  if (gen !== state.routing) return;
  L.circleMarker([x.lat, x.lon], { radius: 9, color: '#333', weight: 1, fillColor: STATE_COLOUR[x.state] || '#999', fillOpacity: 0.9 }).bindTooltip(`${esc(x.title)}`).addTo(taskMapObj);
  evidence.filter((e) => e.lat != null && e.lon != null).forEach((e) => L.circleMarker([e.lat, e.lon], { radius: 6, color: '#1769aa', weight: 2, fillOpacity: 0 })
    .bindTooltip(`${t('gr_photo_place')}${t('colon')}${esc(e.file)}`).addTo(taskMapObj));
  taskMapObj.setView([x.lat, x.lon], 11);
}

/** The EXIF check's verdict as a tag: consistent (green), flagged (orange), unchecked (grey). */
function verdictTag(v) {
  const cls = { consistent: 'ok', flagged: 'warn', unchecked: 'info' }[v] || 'info';
  return `<span class="tag ${cls}" data-verdict="${esc(v)}">${esc(t('gv_' + v))}</span>`;
}

/** A file's size: bytes below 1 KiB, else KiB or MiB. */
const size = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${fmt(n / 1024, 0)} KiB` : `${fmt(n / 1048576, 1)} MiB`);

/** Who acted: an account's name, or the system (imports, the overdue scan) in words. */
const actorName = (a) => (a === 'system' ? t('gr_system') : a);

function evidenceTable(taskId, evidence) {
  if (!evidence.length) return `<p class="muted">${t('gr_no_evidence')}</p>`;
  const href = (e) => `/api/v1/tasks/${encodeURIComponent(taskId)}/evidence?file=${encodeURIComponent(e.file)}`;
  return `<table id="task-evidence-table"><thead><tr><th>${t('gr_file')}</th><th>${t('gr_uploaded_at')}（${t('bj')}）</th><th>${t('actor')}</th><th>${t('gr_exif_time')}（${t('bj')}）</th>
    <th>${t('gr_exif_place')}</th><th>${t('gr_verdict')}</th></tr></thead><tbody>
    ${evidence.map((e) => `<tr data-verdict="${esc(e.verdict)}"><td><a href="${href(e)}" target="_blank" rel="noopener">${esc(e.file)}</a><br><span class="muted">${size(e.bytes)}</span></td>
      <td class="nowrap">${esc(e.at)}</td><td>${esc(actorName(e.actor))}</td><td class="nowrap">${esc(e.taken || '—')}</td>
      <td class="nowrap">${e.lat != null ? `${fmt(e.lat, 5)}, ${fmt(e.lon, 5)}` : '—'}</td><td>${verdictTag(e.verdict)}${e.reason ? `<br><span class="muted">${esc(e.reason)}</span>` : ''}</td></tr>`).join('')}</tbody></table>`;
}
