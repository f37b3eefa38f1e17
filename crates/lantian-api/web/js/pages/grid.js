// Grid supervision (网格任务): what its pages share: the tabs, task states and sources with
// their colours, the townships' names, a Leaflet map with the county's township boundaries,
// deadlines read as Beijing time, and a photo sent as a request body.
import { $, api, bj, bjToday, esc, state, t, upload } from '../core.js';

export const TASK_STATES = ['dispatched', 'signed', 'handling', 'finished', 'approved', 'returned'];
/** The states whose task still waits for someone (the map draws them filled). */
export const OPEN_STATES = ['dispatched', 'signed', 'handling', 'finished', 'returned'];
export const SOURCES = ['fire_point', 'dust', 'complaint', 'inspection', 'alarm', 'smoky_vehicle', 'machinery', 'manual'];
export const COMPLAINT_CATEGORIES = ['cooking_fumes', 'odour', 'smoke', 'open_burning', 'dust', 'other'];
/** A state's colour on the map, in the legend and in its tag. */
export const STATE_COLOUR = {
  dispatched: '#d7301f', signed: '#f28e2b', handling: '#e6b800', finished: '#1769aa', approved: '#2e9e4f', returned: '#8e44ad',
};

/** The most rows a list shows (the export has every row). */
export const LIST_ROWS_MAX = 500;

/** The tabs of the grid pages; `here` is the current one. Sites and machinery only for staff. */
export function gridTabs(here) {
  const all = [['tasks', '#/tasks', 'gr_tasks'], ['fire', '#/fire', 'gr_fire'], ['sites', '#/sites', 'gr_sites'], ['machinery', '#/machinery', 'gr_machinery']];
  return `<p class="tabs">${all.map(([k, href, key]) => `<a href="${href}" class="${k === here ? 'here' : ''}" data-tab="${k}">${esc(t(key))}</a>`).join('')}</p>`;
}

/** A task state as a coloured tag. */
export const stateTag = (s) => `<span class="tag task-state" data-state="${esc(s)}" style="background:${STATE_COLOUR[s] || '#8c96a0'};color:#fff">${esc(t('gs_' + s))}</span>`;

/** A source's name. */
export const sourceName = (s) => t('gsrc_' + s);

/** The county's units by id (`{ name_zh, name_en, kind }`), for names and the township filter. */
export async function unitsById() {
  const r = await api('/units?per_page=1000').catch(() => ({ items: [] }));
  return new Map((r.items || r || []).map((u) => [u.id, u]));
}

/** A unit's name in the page's language (its id when unknown). */
export const unitName = (units, id) => {
  if (!id) return '—';
  const u = units.get(id);
  return u ? (state.lang === 'zh' ? u.name_zh : u.name_en || u.name_zh) : id;
};

/** The units a task may go to: towns, townships and the zone, in the county's order. */
export const townships = (units) => [...units.values()].filter((u) => ['town', 'township', 'zone'].includes(u.kind));

/**
 * A Leaflet map in `el` over the county's township boundaries (`/data/boundaries.geojson`),
 * each township named in a tooltip; returns `{ map, boundaries }` (the GeoJSON layer).
 */
export async function countyMap(el, old) {
  if (old) old.remove();
  const centre = state.county ? state.county.center : { lat: 37.92, lon: 115.28 };
  const map = L.map(el, { attributionControl: false }).setView([centre.lat, centre.lon], 10);
  const geo = await fetch('/data/boundaries.geojson').then((r) => r.json()).catch(() => null);
  let boundaries = null;
  if (geo) {
    boundaries = L.geoJSON(geo, {
      style: { color: '#1769aa', weight: 1, fillOpacity: 0.03 },
      onEachFeature: (f, l) => l.bindTooltip(esc(state.lang === 'zh' ? f.properties.name_zh : f.properties.name_en || f.properties.name_zh), { className: 'township-tooltip', sticky: true }),
    }).addTo(map);
    if (boundaries.getBounds().isValid()) map.fitBounds(boundaries.getBounds());
  }
  return { map, boundaries, approximate: !!(geo && (geo.features || []).some((f) => f.properties && f.properties.approximate)) };
}

/** A Beijing-time text (`YYYY-MM-DD HH:MM`) as milliseconds of that wall-clock time read in UTC. */
export const wallMs = (text) => Date.parse(text.slice(0, 10) + 'T' + (text.slice(11, 16) || '00:00') + ':00Z');
/** Now as milliseconds of Beijing wall-clock time read in UTC (comparable with `wallMs`). */
export const nowWallMs = () => Date.now() + 8 * 3600e3;

/** The API's words (`{ zh, en }`) in the page's language. */
export const words = (w) => (w ? (state.lang === 'zh' ? w.zh : w.en || w.zh) : '');

/**
 * Whether a task is overdue: the API's word when it sends one (`sign`, `finish` or null in a
 * task, a boolean on a map point), else its deadline has passed while open.
 */
export function overdue(task) {
  if (typeof task.overdue === 'boolean') return task.overdue;
  if ('overdue' in task) return task.overdue != null;
  const d = task.deadline || task.finish_deadline;
  return !!d && OPEN_STATES.includes(task.state) && wallMs(d) < nowWallMs();
}

/** Which deadline a task missed, as a red tag (none when on time). */
export const overdueTag = (task) => (!overdue(task) ? '' : ` <span class="tag bad overdue-tag">${t(task.overdue === 'sign' ? 'gr_overdue_sign' : 'gr_overdue')}</span>`);

/** A deadline as text with 北京时间, red when overdue. */
export const deadlineCell = (task) => {
  const d = task.deadline || task.finish_deadline;
  return `<td class="deadline nowrap${overdue(task) ? ' late' : ''}">${esc(bj(d))}${overdueTag(task)}</td>`;
};

/** Sends a file as the body of a POST (its name in `X-Filename`, percent-encoded) through
 * core.js's `upload` (CSRF token, the reader's language); returns the API's JSON answer. */
export const sendFile = (path, file, extra = {}) =>
  upload(path, file, { 'Content-Type': file.type || 'application/octet-stream', 'X-Filename': encodeURIComponent(file.name || 'file'), ...extra });

/** Whether the session's account has `act` (one of `state.me.acts`). */
export const hasAct = (act) => !!(state.me && (state.me.acts || []).includes(act));

/** An `<option>` with its value, label and selection. */
export const opt = (v, label, sel) => `<option value="${esc(v)}"${String(sel) === String(v) ? ' selected' : ''}>${esc(label)}</option>`;

/** Writes an error into `el` (or the page) as a sentence. */
export function showError(el, err) {
  (el || $('#view')).innerHTML = `<p class="error">${esc(err.message || err)}</p>`;
}

/**
 * A file picker whose words follow the page's language (the browser's own button speaks the
 * browser's): the input is hidden inside a label that looks like a button, and the chosen
 * file's name is shown beside it.
 */
export const filePicker = (id, accept) => `<label class="file-pick"><input id="${esc(id)}" type="file" accept="${esc(accept)}"><span class="file-button">${t('gr_choose_file')}</span>
  <span class="file-name" id="${esc(id)}-name">${t('gr_no_file')}</span></label>`;

/** Shows the chosen file's name of a [`filePicker`] (call after the page is written). */
export function wireFilePicker(id) {
  const input = document.getElementById(id);
  if (!input) return;
  input.addEventListener('change', () => { document.getElementById(id + '-name').textContent = input.files[0] ? input.files[0].name : t('gr_no_file'); });
}

/** How many months back the month filters offer. */
const MONTHS_OFFERED = 36;

/** `<option>`s of the last months (Beijing time), newest first, `sel` selected (offered even when older). */
export function monthOptions(sel) {
  const now = bjToday();
  let y = Number(now.slice(0, 4)), m = Number(now.slice(5, 7));
  const out = [];
  for (let i = 0; i < MONTHS_OFFERED; i += 1) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    m -= 1;
    if (m === 0) { m = 12; y -= 1; }
  }
  if (sel && !out.includes(sel)) out.push(sel);
  return out.map((v) => opt(v, v, sel)).join('');
}

