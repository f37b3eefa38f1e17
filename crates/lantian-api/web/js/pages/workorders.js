// Operations work orders (运维工单): open and closed, the deadline with overdue ones
// highlighted, closing with a note (the evidence of the repair), time to repair.
import { $, api, esc, pager, state, t, wirePager } from '../core.js';
import { LIST_ROWS_MAX, ordersTable, stationNames, tabs, wireOrderClose } from './alarms.js';

export async function workOrdersPage(rest) {
  const params = new URLSearchParams(rest.replace(/^\?/, ''));
  const gen = state.routing;
  const st = params.has('state') ? params.get('state') : 'open';
  const station = params.get('station') || '';
  $('#view').innerHTML = `${tabs('workorders')}<h2>${t('nav_workorders')}</h2><p class="muted">${t('wo_note_page')}</p><div id="wo-filters"></div><div id="work-orders">${t('loading')}</div>`;
  const names = await stationNames();
  if (gen !== state.routing) return;
  const opt = (v, label, sel) => `<option value="${esc(v)}"${sel === v ? ' selected' : ''}>${esc(label)}</option>`;
  $('#wo-filters').innerHTML = `<form class="filters"><label>${t('status')} <select id="wo-state">${opt('open', t('wo_state_open'), st)}${opt('closed', t('wo_state_closed'), st)}${opt('', t('all'), st)}</select></label>
    <label>${t('station')} <select id="wo-station">${opt('', t('all'), station)}${[...names].map(([id, n]) => opt(id, n, station)).join('')}</select></label></form>`;
  const apply = () => {
    const q = new URLSearchParams();
    q.set('state', $('#wo-state').value);
    if ($('#wo-station').value) q.set('station', $('#wo-station').value);
    location.hash = '#/workorders?' + q;
  };
  $('#wo-state').onchange = apply;
  $('#wo-station').onchange = apply;
  let page = 1;
  const load = async () => {
    const q = new URLSearchParams();
    if (st) q.set('state', st);
    if (station) q.set('station', station);
    const exportQ = '/api/v1/work-orders?' + q + (q.toString() ? '&' : '');
    q.set('per_page', String(LIST_ROWS_MAX));
    q.set('page', String(page));
    const r = await api('/work-orders?' + q);
    if (gen !== state.routing) return;
    const items = (Array.isArray(r) ? r : r.items || []).map((o) => ({ ...o, station_name: o.station_name || names.get(o.station) }));
    const total = r.total ?? items.length;
    $('#work-orders').innerHTML = `<p class="muted filters">${t('ig_total')}${t('colon')}${total}
      · <a id="orders-csv" href="${exportQ}format=csv">CSV</a> · <a id="orders-xlsx" href="${exportQ}format=xlsx">Excel</a></p>${ordersTable(items, true)}${pager(r, 'orders-pages')}`;
    wireOrderClose($('#work-orders'), load);
    wirePager($('#work-orders'), (n) => { page = n; load(); });
  };
  await load();
}
