// Dust sites (#/sites) and non-road machinery (#/machinery): the lists with the bureau's
// forms: a site with its township, dust monitor and limit, its last inspection of the
// "six 100 %" (六个百分之百), its latest month's dustfall against 5 t/(km²·month) and its
// exceedance episodes; a machine (编码登记) with its owner, type, emission stage, site and
// inspections.
import { $, api, apiAll, bjToday, esc, fmt, state, t } from '../core.js';
import { gridTabs, hasAct, monthOptions, opt, unitName, unitsById } from './grid.js';

export const SITE_KINDS = ['construction', 'road', 'yard', 'other'];
export const STAGES = ['cn1', 'cn2', 'cn3', 'cn4'];

/** A form's inputs as an object (`data-k` names the field; numbers from `type=number`). */
function formValues(form) {
  const out = {};
  form.querySelectorAll('[data-k]').forEach((el) => {
    const v = el.type === 'checkbox' ? el.checked : el.value.trim();
    if (v === '') return;
    out[el.dataset.k] = el.type === 'number' ? Number(v) : v;
  });
  return out;
}

/** The rows of a list answer (an array, or an object holding one under a key). */
const rowsOf = (r, key) => (Array.isArray(r) ? r : r[key] || r.items || []);

export async function sitesPage() {
  const gen = state.routing;
  // Every site (a county's register: the forms below choose among them), 1000 a request.
  const [units, r] = await Promise.all([unitsById(), apiAll('/sites')]);
  if (gen !== state.routing) return;
  const items = rowsOf(r, 'sites');
  const may = hasAct('manage_sites');
  // `opt` escapes the label.
  const siteOptions = items.map((s) => opt(s.id, s.name, '')).join('');
  $('#view').innerHTML = `${gridTabs('sites')}<h2>${t('gd_title')}</h2><p class="muted">${t('gd_note')}</p>
    <div class="table-wrap" id="site-list">${items.length ? `<table id="site-table"><thead><tr><th>${t('gd_id')}</th><th>${t('gd_name')}</th><th>${t('gd_kind')}</th><th>${t('unit')}</th>
      <th>${t('gd_monitor')}</th><th class="num">${t('gd_limit')}</th><th>${t('gd_six')}</th><th class="num">${t('gd_dustfall')}</th><th class="num">${t('gd_episodes')}</th></tr></thead><tbody>
      ${items.map((s) => `<tr data-id="${esc(s.id)}"><td class="nowrap">${esc(s.id)}</td><td>${esc(s.name)}</td><td class="nowrap">${esc(t('gdk_' + s.kind))}</td>
        <td class="nowrap">${esc(unitName(units, s.township))}</td><td>${esc(s.monitor_station_id || '—')}</td><td class="num">${fmt(s.limit_ug_m3, 0)}</td>
        <td class="nowrap">${s.last_inspection ? `${esc(s.last_inspection)} <span class="tag ${s.last_inspection_passed ? 'ok' : 'warn'}">${t(s.last_inspection_passed ? 'gd_six_met' : 'gd_six_not_met')}</span>` : '—'}</td>
        <td class="num${s.dustfall && s.dustfall.over ? ' bad' : ''}">${s.dustfall ? `${fmt(s.dustfall.value_t_km2, 2)} <span class="muted">(${esc(s.dustfall.month)})</span>` : '—'}</td>
        <td class="num">${s.episodes ?? 0}</td></tr>`).join('')}</tbody></table>` : `<p class="muted">${t('gr_none')}</p>`}</div>
    ${may ? `<h3>${t('gd_add')}</h3><form id="site-form" class="row">
      <label>${t('gd_id')} <input data-k="id" required maxlength="64"></label><label>${t('gd_name')} <input data-k="name" required maxlength="100"></label>
      <label>${t('gd_kind')} <select data-k="kind">${SITE_KINDS.map((k) => opt(k, t('gdk_' + k), '')).join('')}</select></label>
      <label>${t('gd_owner')} <input data-k="owner" maxlength="100"></label>
      <label>${t('gr_lat')} <input data-k="lat" type="number" step="any" required></label><label>${t('gr_lon')} <input data-k="lon" type="number" step="any" required></label>
      <label>${t('gd_monitor')} <input data-k="monitor" maxlength="64"></label><label>${t('gd_limit')} <input data-k="limit_ug_m3" type="number" step="any" required></label>
      <button class="primary" type="submit">${t('submit')}</button><span id="site-error" class="error"></span></form>
      <p class="muted">${t('gd_township_by_place')}</p>` : ''}
    ${may && items.length ? `<h3>${t('gd_dustfall_enter')}</h3><form id="dustfall-form" class="row"><label>${t('gd_name')} <select data-k="site">${siteOptions}</select></label>
      <label>${t('month')} <select data-k="month">${monthOptions(bjToday().slice(0, 7))}</select></label><label>${t('gd_dustfall')} <input data-k="value_t_km2" type="number" step="any" min="0" required></label>
      <button class="primary" type="submit">${t('submit')}</button><span id="dustfall-error" class="error"></span></form>` : ''}`;
  if ($('#site-form')) {
    $('#site-form').onsubmit = async (e) => {
      e.preventDefault();
      try { await api('/sites', { method: 'POST', body: JSON.stringify(formValues(e.target)) }); await sitesPage(); } catch (err) { $('#site-error').textContent = err.message; }
    };
  }
  if ($('#dustfall-form')) {
    $('#dustfall-form').onsubmit = async (e) => {
      e.preventDefault();
      try { await api('/dustfall', { method: 'POST', body: JSON.stringify({ entries: [formValues(e.target)] }) }); await sitesPage(); } catch (err) { $('#dustfall-error').textContent = err.message; }
    };
  }
}

export async function machineryPage() {
  const gen = state.routing;
  // Every machine of the register (the inspection form chooses among them), 1000 a request.
  const r = await apiAll('/machinery');
  if (gen !== state.routing) return;
  const items = rowsOf(r, 'machinery');
  const may = hasAct('manage_sites');
  // `opt` escapes the label.
  const codeOptions = items.map((m) => opt(m.code, m.code, '')).join('');
  const last = (m) => (m.inspections || []).slice(-1)[0];
  $('#view').innerHTML = `${gridTabs('machinery')}<h2>${t('gm_title')}</h2><p class="muted">${t('gm_note')}</p>
    <div class="table-wrap" id="machinery-list">${items.length ? `<table id="machinery-table"><thead><tr><th>${t('gm_code')}</th><th>${t('gm_owner')}</th><th>${t('gm_type')}</th><th>${t('gm_stage')}</th>
      <th class="num">${t('gm_power')}</th><th>${t('gm_site')}</th><th>${t('gm_registered')}</th><th>${t('gm_last_inspection')}</th></tr></thead><tbody>
      ${items.map((m) => { const i = last(m); return `<tr data-code="${esc(m.code)}"><td class="nowrap">${esc(m.code)}</td><td>${esc(m.owner)}</td><td>${esc(m.kind)}</td><td class="nowrap">${esc(t('gms_' + m.stage))}</td>
        <td class="num">${fmt(m.engine_kw, 0)}</td><td>${esc(m.site_id || '—')}</td><td class="nowrap">${esc(m.registered)}</td>
        <td class="nowrap">${i ? `${esc(i.date)} <span class="tag ${i.passed ? 'ok' : 'bad'}">${t(i.passed ? 'gm_passed' : 'gm_failed')}</span>` : '—'}</td></tr>`; }).join('')}</tbody></table>` : `<p class="muted">${t('gr_none')}</p>`}</div>
    ${may ? `<h3>${t('gm_add')}</h3><form id="machinery-form" class="row">
      <label>${t('gm_code')} <input data-k="code" required maxlength="64"></label><label>${t('gm_owner')} <input data-k="owner" required maxlength="100"></label>
      <label>${t('gm_type')} <input data-k="kind" required maxlength="60" placeholder="${esc(t('gm_type_hint'))}"></label>
      <label>${t('gm_stage')} <select data-k="stage">${STAGES.map((s) => opt(s, t('gms_' + s), '')).join('')}</select></label>
      <label>${t('gm_power')} <input data-k="engine_kw" type="number" step="any" min="0"></label><label>${t('gm_site')} <input data-k="site" maxlength="64"></label>
      <button class="primary" type="submit">${t('submit')}</button><span id="machinery-error" class="error"></span></form>` : ''}
    ${may && items.length ? `<h3>${t('gm_inspect')}</h3><form id="inspection-form" class="row"><label>${t('gm_code')} <select data-k="code">${codeOptions}</select></label>
      <label>${t('ent_day')} <input data-k="date" type="date" required></label>
      <label><input data-k="passed" type="checkbox" checked> ${t('gm_passed')}</label>
      <label>${t('gm_opacity')} <input data-k="opacity_m1" type="number" step="any" min="0"></label><label>${t('gr_act_note')} <input data-k="note" maxlength="200"></label>
      <button class="primary" type="submit">${t('submit')}</button><span id="inspection-error" class="error"></span></form>` : ''}`;
  if ($('#machinery-form')) {
    $('#machinery-form').onsubmit = async (e) => {
      e.preventDefault();
      try { await api('/machinery', { method: 'POST', body: JSON.stringify(formValues(e.target)) }); await machineryPage(); } catch (err) { $('#machinery-error').textContent = err.message; }
    };
  }
  if ($('#inspection-form')) {
    $('#inspection-form').onsubmit = async (e) => {
      e.preventDefault();
      const v = formValues(e.target);
      try { await api('/machinery/' + encodeURIComponent(v.code) + '/inspections', { method: 'POST', body: JSON.stringify(v) }); await machineryPage(); } catch (err) { $('#inspection-error').textContent = err.message; }
    };
  }
}
