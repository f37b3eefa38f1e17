// Fire points (#/fire): the bureau imports a satellite fire-point file (VIIRS / MODIS active
// fire CSV; checked first, then imported) when the server has the import route (else the page
// names the command line's import), each point becoming a task for its township or merged
// into the task of the same fire; and the burning season's daily summary of those tasks.
import { $, addDays, api, bjToday, esc, state, t } from '../core.js';
import { filePicker, gridTabs, hasAct, sendFile, unitName, unitsById, wireFilePicker } from './grid.js';

/** The import route of the API, when the server has one (else the command line imports). */
const IMPORT_PATH = '/fire-points/import';

export async function firePage(rest) {
  const q = new URLSearchParams(rest.replace(/^\?/, ''));
  const to = q.get('to') || bjToday();
  const from = q.get('from') || addDays(to, -29);
  const gen = state.routing;
  $('#view').innerHTML = `${gridTabs('fire')}<h2>${t('gf_title')}</h2><div id="fire-import"></div>
    <h3>${t('gf_summary')}</h3><form class="filters" id="fire-range"><label>${t('tr_from')} <input id="fire-from" type="date" value="${esc(from)}"></label>
      <label>${t('tr_to')} <input id="fire-to" type="date" value="${esc(to)}"></label> （${t('bj')}） <button type="submit">${t('gr_apply')}</button></form>
    <div id="fire-summary" class="table-wrap">${t('loading')}</div>`;
  $('#fire-range').onsubmit = (e) => { e.preventDefault(); location.hash = `#/fire?from=${$('#fire-from').value}&to=${$('#fire-to').value}`; };
  const [units, spec] = await Promise.all([unitsById(), fetch('/api/v1/openapi.json').then((r) => r.json()).catch(() => ({}))]);
  if (gen !== state.routing) return;
  const canImport = !!(spec.paths && spec.paths['/api/v1' + IMPORT_PATH]) || !!(spec.paths && spec.paths[IMPORT_PATH]);
  $('#fire-import').innerHTML = canImport && hasAct('review_tasks') ? `<div class="card"><h3>${t('gf_import')}</h3><p class="muted">${t('gf_import_hint')}</p>
      <p>${filePicker('fire-file', '.csv,.txt,text/csv')} <label><input id="fire-dry" type="checkbox" checked> ${t('gf_dry_run')}</label>
      <button type="button" class="primary" id="fire-send">${t('gf_send')}</button></p><div id="fire-result"></div></div>`
    : `<p class="muted" id="fire-cli">${t('gf_import_cli')} <code>lantian task import-firepoints FILE --json</code></p>`;
  wireFilePicker('fire-file');
  if ($('#fire-send')) {
    $('#fire-send').onclick = async () => {
      const f = $('#fire-file').files[0];
      if (!f) { $('#fire-result').innerHTML = `<p class="error">${t('gf_choose_file')}</p>`; return; }
      $('#fire-result').textContent = t('loading');
      try {
        const dry = $('#fire-dry').checked;
        const r = await sendFile(IMPORT_PATH + (dry ? '?dry_run=true' : ''), f);
        $('#fire-result').innerHTML = importReport(r, units, dry);
        if (!dry) await loadSummary(from, to, units, gen);
      } catch (e) { $('#fire-result').innerHTML = `<p class="error">${esc(e.message)}</p>`; }
    };
  }
  await loadSummary(from, to, units, gen);
}

/** The import's answer: counts, then one row per point (its township, task or merge, or why refused). */
function importReport(r, units, dry) {
  const pts = r.points || r.rows || [];
  const n = (p) => pts.filter(p).length;
  const counts = r.counts || {
    points: pts.length, tasks: n((p) => p.task != null && p.duplicate_of == null), merged: n((p) => p.duplicate_of != null), outside: n((p) => p.outside_county),
  };
  return `<p id="fire-counts" class="${dry ? 'notice' : ''}">${dry ? t('gf_dry_note') + ' ' : ''}${t('gf_points')} <b>${counts.points ?? pts.length}</b> · ${t('gf_new_tasks')} <b>${counts.tasks ?? 0}</b>
    · ${t('gf_merged')} <b>${counts.merged ?? 0}</b> · ${t('gf_outside')} <b>${counts.outside ?? 0}</b></p>
    ${(r.errors || []).length ? `<ul class="error">${r.errors.map((e) => `<li>${esc(e.message || e)}</li>`).join('')}</ul>` : ''}
    ${pts.length ? `<table id="fire-points"><thead><tr><th>${t('gf_acquired')}（${t('bj')}）</th><th>${t('gr_location')}</th><th>${t('unit')}</th><th>${t('gf_outcome')}</th></tr></thead><tbody>
    ${pts.map((p) => `<tr><td class="nowrap">${esc(p.acquired)}</td><td class="nowrap">${Number(p.lat).toFixed(4)}, ${Number(p.lon).toFixed(4)}</td><td>${esc(p.township ? unitName(units, p.township) : '—')}</td>
      <td>${p.outside_county ? `<span class="tag bad">${t('gf_outside')}</span>` : p.duplicate_of != null ? `${t('gf_merged_into')} <a href="#/task/${esc(p.duplicate_of)}">${esc(p.duplicate_of)}</a>`
        : p.task != null ? `<a href="#/task/${esc(p.task)}">${t('gr_task')} ${esc(p.task)}</a>` : esc(dry ? t('gf_would_create') : '—')}</td></tr>`).join('')}</tbody></table>` : ''}`;
}

/**
 * The daily summary: the fire-point tasks created each day (Beijing time) by township, and
 * how many of them are closed or still open, from the tasks' map points.
 */
async function loadSummary(from, to, units, gen) {
  let r;
  try { r = await api('/task-map?source=fire_point'); } catch (e) { $('#fire-summary').innerHTML = `<p class="error">${esc(e.message)}</p>`; return; }
  if (gen !== state.routing) return;
  const days = new Map();
  for (const p of r.points || []) {
    const day = (p.created || '').slice(0, 10);
    if (day < from || day > to) continue;
    const d = days.get(day) || { day, tasks: 0, closed: 0, open: 0, overdue: 0, by: new Map() };
    d.tasks += 1;
    if (p.state === 'approved') d.closed += 1; else d.open += 1;
    if (p.overdue) d.overdue += 1;
    d.by.set(p.township, (d.by.get(p.township) || 0) + 1);
    days.set(day, d);
  }
  const rows = [...days.values()].sort((a, b) => (a.day < b.day ? 1 : -1));
  if (!rows.length) { $('#fire-summary').innerHTML = `<p class="muted">${t('gf_no_points')}</p>`; return; }
  $('#fire-summary').innerHTML = `<table id="fire-summary-table"><thead><tr><th>${t('gf_day')}（${t('bj')}）</th><th class="num">${t('gf_new_tasks')}</th>
    <th class="num">${t('gr_closed')}</th><th class="num">${t('gr_open_n')}</th><th class="num">${t('gr_overdue')}</th><th>${t('gf_by_township')}</th></tr></thead><tbody>
    ${rows.map((d) => `<tr><td class="nowrap">${esc(d.day)}</td><td class="num">${d.tasks}</td><td class="num">${d.closed}</td><td class="num">${d.open}</td><td class="num${d.overdue ? ' bad' : ''}">${d.overdue}</td>
      <td>${[...d.by].map(([u, n]) => `<a href="#/tasks?source=fire_point&township=${encodeURIComponent(u)}&from=${esc(d.day.slice(0, 7))}&to=${esc(d.day.slice(0, 7))}">${esc(unitName(units, u))}</a> ${n}`).join('，')}</td></tr>`).join('')}</tbody></table>
    <p class="muted">${t('gf_summary_note')}</p>`;
}
