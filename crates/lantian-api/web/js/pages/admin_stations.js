// The admin console's stations and devices: every air-quality station with its type, unit,
// contractor, last data (Beijing time), unit factors and devices (gateway status, last
// packet, this month's online and capture rates); the bureau and administrators register and
// edit stations, set unit factors, register devices (a generated password shown once),
// disable and enable them and give them new passwords. Operations read the page only.
import { $, api, apiAll, bj, bjToday, esc, fmt, state, t } from '../core.js';
import { adminTabs, showResult, unitName } from './accounts.js';

const ROLES = ['assessment', 'background', 'township', 'micro'];
/** Hours without any data after which a station counts as silent (the outage order's default). */
const SILENT_HOURS = 6;

const acts = () => (state.me && state.me.acts) || [];

/** `YYYY-MM-DD HH:MM` (Beijing time) → hours before now. */
const hoursAgo = (text) => (Date.now() + 8 * 3600e3 - Date.parse(text.replace(' ', 'T') + ':00Z')) / 3600e3;

function deviceStatus(d) {
  if (d.disabled) return `<span class="tag bad">${t('adm_dev_disabled')}</span>`;
  if (d.connected == null) return `<span class="tag">${t('adm_dev_unknown')}</span>`;
  return d.connected ? `<span class="tag ok">${t('adm_dev_online')}</span>` : `<span class="tag warn">${t('adm_dev_offline')}</span>`;
}

const pct = (v) => (v == null ? '—' : `${fmt(v, 1)}%`);

function deviceRow(d, manage) {
  return `<li class="adm-device" data-mn="${esc(d.mn)}"><code>${esc(d.mn)}</code> ${deviceStatus(d)}
    <span class="muted">HJ 212-${esc(d.edition)} · ${t('adm_last_packet')} ${d.last_packet ? esc(bj(d.last_packet)) : '—'} · ${t('adm_online')} ${pct(d.online_pct)} · ${t('adm_capture')} ${pct(d.capture_pct)}</span>
    ${manage ? `<button type="button" class="dev-toggle part-act" data-disabled="${d.disabled}">${d.disabled ? t('adm_dev_enable') : t('adm_dev_disable')}</button>
    <button type="button" class="dev-password part-act">${t('adm_dev_newpw')}</button>` : ''}</li>`;
}

function stationRow(s, units, manage) {
  const stale = !s.last_data || hoursAgo(s.last_data) > SILENT_HOURS;
  const factors = s.factors.map((f) => `<code>${esc(f.code)}</code>×${esc(f.factor)}${f.unit && f.unit !== 'configured' ? ` (${esc(f.unit)})` : ''}`).join('<br>');
  return `<tr data-station="${esc(s.id)}">
    <td class="nowrap"><a href="#/station/${encodeURIComponent(s.id)}">${esc(s.name)}</a><br><code class="muted">${esc(s.id)}</code>${s.demo ? ` <span class="tag">${t('adm_demo')}</span>` : ''}</td>
    <td class="nowrap">${esc(t('srole_' + s.role))}</td>
    <td class="nowrap">${esc(unitName(units, s.unit) || s.unit || '—')}</td>
    <td class="nowrap">${esc(s.contractor || '—')}</td>
    <td class="nowrap adm-last ${stale ? 'warn' : ''}">${s.last_data ? esc(bj(s.last_data)) : t('adm_no_data')}</td>
    <td class="num adm-capture">${pct(s.capture_pct)}</td>
    <td><ul class="plain">${s.devices.length ? s.devices.map((d) => deviceRow(d, manage)).join('') : `<li class="muted">${t('adm_no_devices')}</li>`}</ul></td>
    <td class="nowrap">${factors || '—'}</td>
    ${manage ? `<td><button type="button" class="st-edit part-act">${t('adm_edit')}</button></td>` : ''}</tr>`;
}

const roleOptions = (selected) => ROLES.map((r) => `<option value="${r}"${r === selected ? ' selected' : ''}>${esc(t('srole_' + r))}</option>`).join('');

function stationForm(units) {
  const unitOptions = `<option value=""></option>${units.filter((u) => ['city', 'town', 'township', 'zone'].includes(u.kind)).map((u) => `<option value="${esc(u.id)}">${esc(state.lang === 'zh' ? u.name_zh : u.name_en)}</option>`).join('')}`;
  return `<h3 id="st-form-title">${t('adm_new_station')}</h3>
    <form class="row" id="station-form" data-edit="">
      <label>${t('adm_id')}<input id="st-id" required maxlength="64" autocomplete="off"></label>
      <label>${t('adm_name')}<input id="st-name" required></label>
      <label>${t('adm_station_type')}<select id="st-role">${roleOptions('township')}</select></label>
      <label>${t('acc_unit')}<select id="st-unit">${unitOptions}</select></label>
      <label>${t('adm_lat')}<input id="st-lat" type="number" step="0.000001" min="-90" max="90"></label>
      <label>${t('adm_lon')}<input id="st-lon" type="number" step="0.000001" min="-180" max="180"></label>
      <label>${t('adm_contractor')}<input id="st-contractor"></label>
      <label>${t('adm_pollutants')}<input id="st-pollutants" size="40"></label>
      <button class="primary" type="submit">${t('adm_save')}</button> <button type="button" id="st-cancel" hidden>${t('adm_cancel')}</button></form>`;
}

// The station selects stand beside their labels: a label's text is the page's words, the options are names.
function deviceForm(stations) {
  const options = stations.map((s) => `<option value="${esc(s.id)}">${esc(s.name)} (${esc(s.id)})</option>`).join('');
  return `<h3>${t('adm_new_device')}</h3>
    <form class="row" id="device-form">
      <label>${t('adm_mn')}<input id="dev-mn" required maxlength="24" autocomplete="off"></label>
      <label for="dev-station">${t('adm_station')}</label><select id="dev-station">${options}</select>
      <label>${t('adm_edition')}<select id="dev-edition"><option>2017</option><option>2005</option><option>2025</option></select></label>
      <button class="primary" type="submit">${t('adm_register')}</button></form>
    <h3>${t('adm_new_factor')}</h3>
    <form class="row" id="factor-form">
      <label for="fac-station">${t('adm_station')}</label><select id="fac-station">${options}</select>
      <label>${t('adm_code')}<input id="fac-code" required maxlength="16" placeholder="a34004"></label>
      <label>${t('adm_unit')}<input id="fac-unit" placeholder="mg/m³"></label>
      <label>${t('adm_factor')}<input id="fac-factor" type="number" step="any" min="0" required></label>
      <button class="primary" type="submit">${t('adm_save')}</button></form>`;
}

/** The last 12 months (`YYYY-MM`, Beijing time) as options, `selected` marked; digits read the same in every language. */
function months(selected) {
  const [y, m] = bjToday().split('-').map(Number);
  return Array.from({ length: 12 }, (_, i) => {
    const d = new Date(Date.UTC(y, m - 1 - i, 1)).toISOString().slice(0, 7);
    return `<option value="${d}"${d === selected ? ' selected' : ''}>${d}</option>`;
  }).join('');
}

export async function adminStationsPage(rest = '') {
  const mine = state.routing;
  const month = new URLSearchParams(rest.replace(/^\?/, '')).get('month') || bjToday().slice(0, 7);
  const [data, units] = await Promise.all([
    // Every station of the register (a county's: tens), 1000 a request: the summary counts them all.
    apiAll('/admin/stations?month=' + encodeURIComponent(month), 'stations'),
    api('/units?per_page=1000').then((r) => r.items).catch(() => []),
  ]);
  if (mine !== state.routing) return;
  const manage = acts().includes('manage_register');
  const devices = data.stations.flatMap((s) => s.devices);
  const silent = data.stations.filter((s) => !s.last_data || hoursAgo(s.last_data) > SILENT_HOURS).length;
  const summary = t('adm_summary').replace('{s}', data.stations.length).replace('{d}', devices.length)
    .replace('{on}', devices.filter((d) => d.connected && !d.disabled).length).replace('{silent}', silent);
  $('#view').innerHTML = `${adminTabs('stations')}
    <form class="row" id="adm-month-form"><label for="adm-month">${t('adm_month')}</label><select id="adm-month">${months(data.month)}</select></form>
    <p id="adm-summary">${esc(summary)}</p><p class="muted">${t('adm_stations_note')}${manage ? '' : ' ' + t('adm_readonly')}</p>
    <div id="admin-result" role="status"></div><div id="admin-password" role="status"></div>
    <div class="table-wrap"><table id="admin-stations"><thead><tr><th>${t('adm_station')}</th><th>${t('adm_station_type')}</th><th>${t('acc_unit')}</th>
      <th>${t('adm_contractor')}</th><th>${t('adm_last_data')}（${t('bj')}）</th><th class="num">${t('adm_capture')}</th><th>${t('adm_devices')}</th><th>${t('adm_factors')}</th>${manage ? `<th>${t('adm_actions')}</th>` : ''}</tr></thead>
    <tbody>${data.stations.map((s) => stationRow(s, units, manage)).join('')}</tbody></table></div>
    ${manage ? stationForm(units) + deviceForm(data.stations) : ''}`;
  $('#adm-month').onchange = () => { location.hash = '#/admin/stations?month=' + $('#adm-month').value; };
  if (!manage) return;
  const reload = async (message, password) => {
    await adminStationsPage(rest);
    showResult('#admin-result', true, message);
    if (password) $('#admin-password').innerHTML = `<p class="notice">${esc(password[0])} <code id="device-password-value">${esc(password[1])}</code></p>`;
  };
  const post = async (path, body) => {
    try {
      return await api(path, { method: 'POST', body: JSON.stringify(body) });
    } catch (err) {
      showResult('#admin-result', false, err.message);
      return null;
    }
  };
  document.querySelectorAll('#admin-stations li.adm-device').forEach((li) => {
    const mn = li.dataset.mn;
    const toggle = li.querySelector('.dev-toggle');
    toggle.onclick = async () => {
      if (await post('/admin/devices/state', { mn, disabled: toggle.dataset.disabled !== 'true' })) await reload(t('adm_saved'));
    };
    li.querySelector('.dev-password').onclick = async () => {
      const r = await post('/admin/devices/password', { mn });
      if (r) await reload(t('adm_saved'), [t('adm_dev_pw').replace('{mn}', mn), r.password]);
    };
  });
  const form = $('#station-form');
  document.querySelectorAll('#admin-stations .st-edit').forEach((b) => {
    b.onclick = () => {
      const s = data.stations.find((x) => x.id === b.closest('tr').dataset.station);
      form.dataset.edit = s.id;
      $('#st-form-title').textContent = t('adm_edit_station').replace('{id}', s.id);
      $('#st-id').value = s.id;
      $('#st-id').disabled = true;
      $('#st-name').value = s.name;
      $('#st-role').value = s.role;
      $('#st-unit').value = s.unit || '';
      $('#st-lat').value = s.lat ?? '';
      $('#st-lon').value = s.lon ?? '';
      $('#st-contractor').value = s.contractor || '';
      $('#st-pollutants').value = s.pollutants.join(',');
      $('#st-cancel').hidden = false;
      form.scrollIntoView();
    };
  });
  $('#st-cancel').onclick = () => adminStationsPage(rest);
  form.onsubmit = async (e) => {
    e.preventDefault();
    const num = (sel) => ($(sel).value === '' ? null : Number($(sel).value));
    const body = {
      name: $('#st-name').value.trim(), role: $('#st-role').value, unit: $('#st-unit').value || null,
      lat: num('#st-lat'), lon: num('#st-lon'), contractor: $('#st-contractor').value.trim(),
      pollutants: $('#st-pollutants').value.split(/[,，\s]+/).filter(Boolean),
    };
    const edit = form.dataset.edit;
    const r = edit
      ? await post('/admin/stations/' + encodeURIComponent(edit), body)
      : await post('/stations', { id: $('#st-id').value.trim(), ...body });
    if (r) await reload(t('adm_saved'));
  };
  $('#device-form').onsubmit = async (e) => {
    e.preventDefault();
    const mn = $('#dev-mn').value.trim();
    const r = await post('/admin/devices', { mn, station: $('#dev-station').value, edition: $('#dev-edition').value });
    if (r) await reload(t('adm_saved'), [t('adm_dev_pw').replace('{mn}', mn), r.password]);
  };
  $('#factor-form').onsubmit = async (e) => {
    e.preventDefault();
    const id = $('#fac-station').value;
    const r = await post('/admin/stations/' + encodeURIComponent(id) + '/factors', { code: $('#fac-code').value.trim(), unit: $('#fac-unit').value.trim(), factor: Number($('#fac-factor').value) });
    if (r) await reload(t('adm_saved'));
  };
}
