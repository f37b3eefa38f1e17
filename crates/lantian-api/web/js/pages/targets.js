// Targets (目标): every unit's targets per year with their history, the bureau's edits and
// monthly breakdowns, and progress for a month and the year to date (docs/targets.md).
import { $, api, esc, fmt, state, t } from '../core.js';

const INDICATORS = ['pm25', 'good_day_ratio', 'heavy_days', 'heavy_day_ratio', 'composite_index'];
const name = (r) => (state.lang === 'zh' ? r.name_zh : r.name_en || r.name_zh);
const indName = (code) => t('tg_ind_' + code.split(':')[0]) + (code.includes(':') ? ' ' + code.split(':')[1] : '');
const met = (v) => (v == null ? '—' : v ? `<span class="ok">${t('rp_met')}</span>` : `<span class="bad">${t('rp_missed')}</span>`);

export async function targetsPage(rest) {
  const gen = state.routing;
  const q = new URLSearchParams(rest.replace(/^\?/, ''));
  const today = new Date(Date.now() + 8 * 3600e3);
  const year = Number(q.get('year')) || today.getUTCFullYear();
  const month = Number(q.get('month')) || (year === today.getUTCFullYear() ? today.getUTCMonth() + 1 : 12);
  const rules = q.get('rules') || 'auto';
  const edit = !!(state.me && (state.me.acts || []).includes('edit_targets'));
  const indOptions = INDICATORS.map((i) => `<option value="${i}">${esc(indName(i))}</option>`).join('');
  $('#view').innerHTML = `<h2>${t('tg_title')}</h2>
    <form id="tg-pick" class="row">
      <label>${t('year')} <input name="year" type="number" min="2000" max="2100" value="${year}"></label>
      <label>${t('month')} <input name="month" type="number" min="1" max="12" value="${month}"></label>
      <label>${t('tg_rules')} <select name="rules">${['auto', '2012', '2026'].map((r) => `<option ${r === rules ? 'selected' : ''}>${r}</option>`).join('')}</select></label>
      <button class="primary">${t('submit')}</button></form>
    <h3>${t('rp_progress')}</h3><div id="tg-progress">${t('loading')}</div>
    <h3>${t('tg_targets')}</h3><div id="tg-list">${t('loading')}</div>
    ${edit ? `<h3>${t('tg_edit')}</h3><form id="tg-set" class="row">
      <label>${t('unit')} <select name="unit" class="tg-units" required></select></label>
      <label>${t('rp_indicator')} <select name="indicator" required>${indOptions}</select></label>
      <label>${t('target')} <input name="value" type="number" step="any"></label>
      <label>${t('rm_note')} <input name="note"></label>
      <button class="primary">${t('tg_set')}</button></form>
      <form id="tg-breakdown" class="row">
      <label>${t('unit')} <select name="unit" class="tg-units" required></select></label>
      <label>${t('rp_indicator')} <select name="indicator" required>${indOptions}</select></label>
      <label>${t('tg_method')} <select name="method"><option value="even">${t('tg_even')}</option><option value="seasonal">${t('tg_seasonal')}</option><option value="typed">${t('tg_typed')}</option></select></label>
      <label>${t('tg_values')} <input name="values" placeholder="1-12: a,b,c…"></label>
      <button class="primary">${t('tg_breakdown')}</button></form><p id="tg-msg"></p>` : ''}`;
  if (edit) {
    // The units a target is set for: the city and every township (the ranking lists them all).
    const c = state.county;
    api(`/rankings?year=${year}`).then((r) => r.items).catch(() => []).then((towns) => {
      if (gen !== state.routing) return;
      const units = (c ? [[c.id, state.lang === 'zh' ? c.name_zh : c.name_en]] : []).concat(towns.map((x) => [x.unit, name(x)]));
      document.querySelectorAll('.tg-units').forEach((sel) => { sel.innerHTML = units.map(([id, n]) => `<option value="${esc(id)}">${esc(n)}</option>`).join(''); });
    });
  }
  $('#tg-pick').onsubmit = (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    location.hash = `#/targets?year=${f.get('year')}&month=${f.get('month')}&rules=${f.get('rules')}`;
  };
  if (edit) {
    const done = (p) => p.then(() => { $('#tg-msg').textContent = t('saved'); targetsPage(rest); })
      .catch((err) => { $('#tg-msg').textContent = err.message; });
    $('#tg-set').onsubmit = (e) => {
      e.preventDefault();
      const f = new FormData(e.target);
      const v = f.get('value');
      done(api(`/targets/${year}`, { method: 'POST', body: JSON.stringify({ unit: f.get('unit'), indicator: f.get('indicator'), value: v === '' ? null : Number(v), note: f.get('note') }) }));
    };
    $('#tg-breakdown').onsubmit = (e) => {
      e.preventDefault();
      const f = new FormData(e.target);
      const values = String(f.get('values') || '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
      done(api(`/targets/${year}/breakdowns`, { method: 'POST', body: JSON.stringify({ unit: f.get('unit'), indicator: f.get('indicator'), method: f.get('method'), values, rules }) }));
    };
  }
  const [progress, list] = await Promise.all([
    api(`/targets/${year}/progress?month=${month}&rules=${rules}`).catch((err) => ({ error: err.message })),
    api(`/targets/${year}`),
  ]);
  if (gen !== state.routing) return;
  if (progress.error) {
    $('#tg-progress').textContent = progress.error;
  } else {
    const items = progress.items || [];
    const first = items[0];
    $('#tg-progress').innerHTML = `<p class="muted">${first ? `${t('tg_through')} ${esc(first.through)} ${t('bj')} · ${t('rp_rule_sets')}${t('colon')}${esc(first.rule_set || '—')}${first.rule_change_in_year ? ' · ' + t('tg_rule_change') : ''}` : ''}</p>
      <div class="table-wrap"><table id="tg-progress-table" class="heads-nowrap"><thead><tr><th>${t('unit')}</th><th>${t('rp_indicator')}</th><th class="num">${t('target')}</th>
      <th class="num">${t('rp_target_month')}</th><th class="num">${t('rp_actual_month')}</th><th>${t('month')}</th>
      <th class="num">${t('rp_target_ytd')}</th><th class="num">${t('rp_actual_ytd')}</th><th>${t('tg_ytd')}</th>
      <th>${t('rp_still_allowed')}</th><th class="num">${t('tg_projection')}</th><th class="num">${t('valid_days')}</th></tr></thead><tbody>
      ${items.map((p) => `<tr data-unit="${esc(p.unit)}" data-indicator="${esc(p.indicator)}"><td class="nowrap">${esc(name(p))}</td><td class="nowrap">${esc(indName(p.indicator))} ${esc(p.unit_of_value)}</td>
        <td class="num">${fmt(p.target_year, 1)}</td><td class="num">${fmt(p.target_month, 1)}</td><td class="num">${fmt(p.actual_month, 1)}</td><td>${met(p.met_month)}</td>
        <td class="num">${fmt(p.target_ytd, 1)}</td><td class="num">${fmt(p.actual_ytd, 1)}</td><td>${met(p.met_ytd)}</td>
        <td>${esc((state.lang === 'zh' ? p.still_allowed_zh : p.still_allowed_en) || '—')}</td>
        <td class="num" title="${esc((state.lang === 'zh' ? p.projection_assumptions_zh : p.projection_assumptions_en) || '')}">${fmt(p.projection_year_end, 1)}</td>
        <td class="num">${p.valid_days_ytd}/${p.days_ytd}</td></tr>`).join('') || `<tr><td colspan="12">${t('no_data')}</td></tr>`}</tbody></table></div>
      <p class="muted">${t('tg_projection_note')}</p>`;
  }
  $('#tg-list').innerHTML = `<div class="table-wrap"><table id="tg-list-table" class="heads-nowrap"><thead><tr><th>${t('unit')}</th><th>${t('rp_indicator')}</th><th class="num">${t('target')}</th>
    <th>${t('tg_source')}</th><th>${t('tg_method')}</th><th>${t('rm_note')}</th></tr></thead><tbody>
    ${(list.items || []).map((r) => `<tr data-unit="${esc(r.unit)}" data-indicator="${esc(r.indicator)}"><td class="nowrap">${esc(name(r))}</td><td class="nowrap">${esc(indName(r.indicator))} ${esc(r.unit_of_value)}</td>
      <td class="num">${r.value == null ? t('tg_to_enter') : fmt(r.value, 1)}</td><td class="nowrap">${esc({ 'county.json': t('tg_src_county'), bureau: t('tg_src_bureau') }[r.source] || r.source)}</td><td>${esc(r.breakdown ? t('tg_' + r.breakdown) : t('tg_even'))}</td><td>${esc(r.note)}</td></tr>`).join('')
      || `<tr><td colspan="6">${t('no_data')}</td></tr>`}</tbody></table></div>`;
}
