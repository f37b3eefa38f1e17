// Pollution-source enterprises (污染源企业): the register with filters and exports, each
// enterprise's day at a glance (with a login: CEMS exceedance, stopped and mismatch hours,
// working-condition findings), the bureau's import of the list (a dry run first), and a map.
import { $, api, apiAll, bj, bjToday, esc, hourSpan, state, t, upload } from '../core.js';

let mapObj = null;

/** Marker and tag colours of a day's status. */
export const STATUS_COLOURS = { exceedance: '#d7301f', problem: '#f28e2b', ok: '#2e9e4f', nodata: '#9aa5b1', register: '#1769aa' };

/**
 * What a day's status (`/enterprises/status`) amounts to: an exceedance; another problem
 * (working-condition findings, the device's own figures inconsistent); data without a
 * problem; no data. Stopped hours alone are no problem (a plant may stop).
 */
export function statusKind(s) {
  if (!s) return 'register';
  if (s.exceedance_hours > 0) return 'exceedance';
  if (s.findings > 0 || s.mismatch_hours > 0) return 'problem';
  if (!s.hours) return 'nodata';
  return 'ok';
}

/**
 * Whether the logged-in account manages the register (imports the list): the bureau and
 * administrators, as `policy::MANAGE` says. Only decides which controls to show; the API
 * decides, and refuses anyone else with its own message.
 */
export const managesRegister = () => !!state.me && (state.me.acts || []).includes('manage_register');

/**
 * Whether the logged-in account acts for enterprise `id` (publishes its data, imports its
 * gate records), as `policy::acts_for_enterprise` says: the enterprise's own account, the
 * bureau, administrators. The API's `allowed`, when it sends one, decides.
 */
export function actsFor(e) {
  return (e.allowed || []).includes('disclose');
}

/** The name of a township-level unit in the reader's language. */
export function unitName(e) {
  if (state.lang === 'en' && e.unit_name_en) return e.unit_name_en;
  return e.unit_name || '';
}

/** A count of hours (or findings) as a cell, highlighted when above zero. */
const countCell = (n, cls, id) => `<td class="num ${n > 0 ? cls : ''}" data-k="${id}">${n ?? '—'}</td>`;

export async function enterprisesPage(params, notice = '') {
  const q = new URLSearchParams(params);
  // Only a date reaches the page (and the links it makes): anything else in the URL is ignored.
  const date = /^\d{4}-\d{2}-\d{2}$/.test(q.get('date') || '') ? q.get('date') : bjToday();
  const me = state.me;
  const gen = state.routing;
  const [list, status] = await Promise.all([
    api('/enterprises?per_page=1000'),
    me ? apiAll('/enterprises/status?date=' + encodeURIComponent(date)).then((r) => r.items).catch(() => null) : null,
  ]);
  if (gen !== state.routing) return;
  const statusOf = (id) => (status ? status.find((s) => s.enterprise === id) : null);
  const all = list.items;
  const sel = (id, label, values, cur) => `<label>${label} <select id="${id}"><option value="">${t('all')}</option>${values.map(([v, l]) => `<option value="${esc(v)}" ${v === cur ? 'selected' : ''}>${esc(l)}</option>`).join('')}</select></label>`;
  const unitsSeen = [...new Map(all.filter((e) => e.admin_unit_id).map((e) => [e.admin_unit_id, unitName(e)])).entries()];
  const industries = [...new Set(all.map((e) => e.industry).filter((x) => x))].map((x) => [x, x]);
  const grades = [...new Set(all.map((e) => e.grade).filter((x) => x))].sort().map((x) => [x, x]);
  const shown = all.filter((e) => (!q.get('unit') || e.admin_unit_id === q.get('unit'))
    && (!q.get('industry') || e.industry === q.get('industry'))
    && (!q.get('grade') || e.grade === q.get('grade'))
    && (!q.get('problems') || !status || ['exceedance', 'problem'].includes(statusKind(statusOf(e.id)))));
  const demo = all.some((e) => e.demo);
  // Two header rows: the register's columns, and the day's status under one heading.
  const rs = status ? ' rowspan="2"' : '';
  // Status headers break before their unit, so that the table fits a laptop's width.
  const sh = (k) => t(k).replace('(', '<br>(');
  const head = `<tr><th${rs}>${t('ent_name')}</th><th${rs}>${t('unit')}</th><th${rs}>${t('ent_industry')}</th><th${rs}>${t('ent_grade')}</th><th${rs} class="num">${t('ent_outlets')}</th>`
    + (status ? `<th colspan="6" class="group">${t('ent_status_of')} ${esc(date)}（${t('bj')}）</th>` : '')
    + `<th${rs}>${t('ent_disclosure')}</th></tr>`
    + (status ? `<tr><th class="num">${sh('ent_hours')}</th><th class="num">${sh('ent_exceedance_hours')}</th><th class="num">${sh('ent_stopped_hours')}</th><th class="num">${sh('ent_mismatch_hours')}</th><th class="num">${sh('ent_findings_n')}</th><th>${t('ent_latest_hour')}</th></tr>` : '');
  const row = (e) => {
    const s = statusOf(e.id);
    const outlets = e.outlets.length ? e.outlets.length : e.discloses || me ? 0 : '—';
    const cells = status
      ? s
        ? `<td class="num">${s.hours}</td>${countCell(s.exceedance_hours, 'bad', 'exceedance')}${countCell(s.stopped_hours, 'info', 'stopped')}${countCell(s.mismatch_hours, 'warn', 'mismatch')}${countCell(s.findings, 'bad', 'findings')}<td class="nowrap muted">${esc(s.latest_hour ? hourSpan(s.latest_hour) : '—')}</td>`
        : '<td colspan="6" class="muted">—</td>'
      : '';
    const disclosure = e.discloses ? `<a href="#/enterprise/${encodeURIComponent(e.id)}?date=${encodeURIComponent(date)}" class="published" title="${esc(t('ent_published'))}">${t('ent_published_data')}</a>` : `<span class="muted">${t('ent_not_published')}</span>`;
    return `<tr data-id="${esc(e.id)}" class="status-${statusKind(s)}"><td class="ent-name"><a href="#/enterprise/${encodeURIComponent(e.id)}?date=${encodeURIComponent(date)}">${esc(e.name)}</a>${e.demo ? ` <span class="muted">(${t('demo')})</span>` : ''}${e.key_polluter ? ` <span class="tag key">${t('ent_key_polluter')}</span>` : ''}</td>
      <td>${esc(unitName(e))}</td><td class="nowrap">${esc(e.industry || '')}</td><td class="nowrap">${esc(e.grade || '')}</td><td class="num">${outlets}</td>${cells}<td class="keep">${disclosure}</td></tr>`;
  };
  const legend = (status ? ['exceedance', 'problem', 'ok', 'nodata'] : ['register']).map((k) => `<span class="legend-item"><span class="dot" style="background:${STATUS_COLOURS[k]}"></span>${t('ent_status_' + k)}</span>`).join('');
  $('#view').innerHTML = `<h2>${t('nav_enterprises')}</h2>
    ${demo ? `<p class="notice">${t('ent_demo_notice')}</p>` : ''}
    ${notice ? `<p class="notice" id="enterprises-notice">${esc(notice)}</p>` : ''}
    <p class="filters">${sel('f-unit', t('unit'), unitsSeen, q.get('unit'))} ${sel('f-industry', t('ent_industry'), industries, q.get('industry'))} ${sel('f-grade', t('ent_grade'), grades, q.get('grade'))}
      ${me ? `<label>${t('ent_day')}（${t('bj')}） <input id="f-date" type="date" value="${esc(date)}"></label> <label><input id="f-problems" type="checkbox" ${q.get('problems') ? 'checked' : ''}> ${t('ent_problems_only')}</label>` : ''}
      <span class="nowrap"><a id="ent-xlsx" href="/api/v1/enterprises?format=xlsx&lang=${state.lang}">${t('ent_xlsx')}</a> · <a id="ent-csv" href="/api/v1/enterprises?format=csv&lang=${state.lang}">CSV</a></span></p>
    ${managesRegister() ? `<div class="card" id="import-card"><label>${t('ent_import')} <input id="import-file" type="file" accept=".csv,.xlsx"></label> <span class="muted">${t('ent_import_hint')}</span><div id="import-report"></div></div>` : ''}
    <p class="muted">${status ? t('ent_status_note') : me ? '' : t('ent_public_note')}</p>
    <div class="table-wrap"><table id="enterprise-table"><thead>${head}</thead><tbody>${shown.map(row).join('') || `<tr><td colspan="12">${t('no_data')}</td></tr>`}</tbody></table></div>
    <h3>${t('ent_map')}</h3><div id="enterprise-map"></div><p class="legend">${legend}</p>`;
  const go = () => {
    const n = new URLSearchParams();
    [['unit', '#f-unit'], ['industry', '#f-industry'], ['grade', '#f-grade'], ['date', '#f-date']].forEach(([k, id]) => { if ($(id) && $(id).value) n.set(k, $(id).value); });
    if ($('#f-problems') && $('#f-problems').checked) n.set('problems', '1');
    location.hash = '#/enterprises?' + n.toString();
  };
  ['#f-unit', '#f-industry', '#f-grade', '#f-date', '#f-problems'].forEach((id) => { if ($(id)) $(id).onchange = () => go(); });
  if ($('#import-file')) $('#import-file').onchange = () => importList(params);
  await drawMap(shown, statusOf, date, gen);
}

/** The bureau's import of the enterprise list: a dry run shows the rows' errors first. */
async function importList(params) {
  const f = $('#import-file').files[0];
  const out = $('#import-report');
  if (!f) return;
  try {
    const r = await upload('/enterprises/import?dry_run=1', f);
    if (r.errors.length) {
      out.innerHTML = `<p class="error" id="import-errors-title">${t('ent_import_errors')}</p><div class="table-wrap"><table id="import-errors"><thead><tr><th>${t('row')}</th><th>${t('problem')}</th></tr></thead><tbody>${r.errors.map((p) => `<tr><td class="num">${p.row}</td><td>${esc(p.problem)}</td></tr>`).join('')}</tbody></table></div>`;
      return;
    }
    out.innerHTML = `<p id="import-ready">${t('ent_import_ready')}${t('colon')}${r.enterprises} ${t('ent_n_enterprises')}${t('sep')}${r.outlets} ${t('ent_n_outlets')}</p>${(r.warnings || []).length ? `<ul class="muted" id="import-warnings">${r.warnings.map((p) => `<li>${t('row')} ${p.row}${t('colon')}${esc(p.problem)}</li>`).join('')}</ul>` : ''}<button class="primary" id="import-confirm" type="button">${t('ent_import_confirm')}</button>`;
    $('#import-confirm').onclick = async () => {
      try {
        const done = await upload('/enterprises/import', f);
        if (done.errors.length) throw new Error(done.errors.map((p) => `${t('row')} ${p.row}: ${p.problem}`).join('; '));
        await enterprisesPage(params, `${t('ent_imported')}${t('colon')}${done.enterprises} ${t('ent_n_enterprises')}${t('sep')}${done.outlets} ${t('ent_n_outlets')}`);
      } catch (err) { out.innerHTML = `<p class="error">${esc(err.message)}</p>`; }
    };
  } catch (err) {
    out.innerHTML = `<p class="error">${esc(err.message)}</p>`;
  }
}

async function drawMap(shown, statusOf, date, gen) {
  const geo = await fetch('/data/boundaries.geojson').then((r) => r.json()).catch(() => null);
  if (gen !== state.routing) return;
  if (mapObj) { mapObj.remove(); mapObj = null; }
  const centre = state.county ? state.county.center : { lat: 37.92, lon: 115.28 };
  mapObj = L.map('enterprise-map', { zoomSnap: 0.25 }).setView([centre.lat, centre.lon], 10);
  if (geo) {
    const layer = L.geoJSON(geo, { style: { color: '#1769aa', weight: 1, fillOpacity: 0.03 }, interactive: false }).addTo(mapObj);
    if (layer.getBounds().isValid()) mapObj.fitBounds(layer.getBounds());
  }
  shown.filter((e) => e.lat != null && e.lon != null).forEach((e) => {
    const s = statusOf(e.id);
    const kind = statusKind(s);
    const summary = s
      ? `${t('ent_exceedance_hours')} <b>${s.exceedance_hours}</b> · ${t('ent_stopped_hours')} <b>${s.stopped_hours}</b><br>${t('ent_mismatch_hours')} <b>${s.mismatch_hours}</b> · ${t('ent_findings_n')} <b>${s.findings}</b><br><span class="muted">${t('ent_latest_hour')}${t('colon')}${esc(s.latest_hour ? bj(hourSpan(s.latest_hour, true)) : '—')}</span>`
      : `${t('ent_status_' + kind)}`;
    L.circleMarker([e.lat, e.lon], { radius: 9, color: '#333', weight: 1, fillColor: STATUS_COLOURS[kind], fillOpacity: 0.9, className: `enterprise-marker enterprise-${kind}` })
      .bindPopup(`<b>${esc(e.name)}</b>${e.demo ? ` (${t('demo')})` : ''}<br>${esc(unitName(e))} · ${esc(e.industry || '')} · ${t('ent_grade')} ${esc(e.grade || '—')}<br>${summary}<br><a href="#/enterprise/${encodeURIComponent(e.id)}?date=${encodeURIComponent(date)}">${t('ent_details')}</a>`)
      .addTo(mapObj);
  });
}
