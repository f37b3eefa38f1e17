// Township ranking (audited data) for a month (default: this month, Beijing time) or a year,
// under a chosen method with its formula stated; every town, township and the zone listed,
// those without a station or a valid month last, marked 不参与排名 with the reason (never
// rank 0); 同比/环比 as arrows; exports.
import { $, api, bjToday, esc, state, t } from '../core.js';

export const METHODS = ['composite_index', 'pm25_so2_sum', 'pm25', 'improvement', 'weighted'];

/** The method picker's options. */
export const methodOptions = () => METHODS.map((m) => `<option value="${m}">${esc(t('rm_' + m))}</option>`).join('');

/** A number or a dash. */
export const n = (v) => (v == null ? '—' : String(v));

/**
 * 同比 or 环比 (per cent, positive when the figure rose): an arrow, red when the figure
 * rose (worse air), green when it fell.
 */
export function change(pct) {
  if (pct == null) return '—';
  const [arrow, colour] = pct > 0 ? ['↑', '#c0392b'] : pct < 0 ? ['↓', '#1e8449'] : ['→', '#555'];
  return `<span style="color:${colour};white-space:nowrap" title="${esc(t(pct > 0 ? 'rk_worse' : pct < 0 ? 'rk_better' : 'rk_same'))}">${arrow} ${Math.abs(pct).toFixed(1)}</span>`;
}

/**
 * The ranking's table rows: rank (a tag, not 0, for a unit without a valid month), unit,
 * figure, 同比, 环比, coverage, reason.
 */
export function rankingRows(r) {
  return r.map((x) => {
    const rank = x.rank ?? `<span class="tag info">${t('rk_unranked')}</span>`;
    return `<tr data-unit="${esc(x.unit)}" data-rank="${x.rank ?? ''}"><td>${rank}</td><td>${esc(state.lang === 'zh' ? x.name_zh : x.name_en)}</td><td>${n(x.value)}</td><td>${n(x.composite_index)}</td><td>${n(x.pm25)}</td><td>${n(x.pm10)}</td><td>${n(x.so2)}</td><td>${change(x.yoy_pct)}</td><td>${change(x.mom_pct)}</td><td>${x.valid_days}/${x.days}</td><td>${esc(state.lang === 'zh' ? x.reason_zh ?? '' : x.reason_en ?? '')}</td></tr>`;
  }).join('');
}

export const rankingHead = () => `<tr><th>${t('rank')}</th><th>${t('unit')}</th><th>${t('rm_value')}</th><th>${t('composite')}</th><th>PM2.5</th><th>PM10</th><th>SO2</th><th>${t('rm_yoy')}</th><th>${t('rm_mom')}</th><th>${t('valid_days')}</th><th>${t('rm_note')}</th></tr>`;

export async function rankingsPage() {
  const today = bjToday();
  $('#view').innerHTML = `<h2>${t('nav_rankings')}</h2><p class="filters">${t('year')} <input id="year" type="number" value="${today.slice(0, 4)}" style="width:6em"> ${t('month')} <select id="month"><option value="">${t('rm_whole_year')}</option>${Array.from({ length: 12 }, (_, i) => `<option value="${i + 1}">${i + 1}</option>`).join('')}</select>
    ${t('rm_method')} <select id="method">${methodOptions()}</select>
    <a id="rk-csv" href="#">CSV</a> · <a id="rk-xlsx" href="#">Excel</a></p>
    <p><b id="rk-period"></b> · <span class="muted">${t('note_audited')}</span></p>
    <p><b>${t('rk_formula')}</b>${t('colon')}<span id="rk-formula"></span></p>
    <p id="rk-summary" class="muted"></p><p id="rk-error" class="error"></p>
    <div style="overflow-x:auto"><table id="rank-table" style="min-width:48rem"><thead>${rankingHead()}</thead><tbody></tbody></table></div>
    <p class="muted">${t('rk_note')}</p>`;
  // The current month (Beijing time) unless the reader chooses another period.
  $('#month').value = String(Number(today.slice(5, 7)));
  // A later choice wins over an earlier answer still on its way.
  let seq = 0;
  const gen = state.routing;
  const load = async () => {
    const mine = ++seq;
    const q = `/rankings?year=${$('#year').value}&method=${$('#method').value}` + ($('#month').value ? `&month=${$('#month').value}` : '');
    $('#rk-csv').href = '/api/v1' + q + '&format=csv';
    $('#rk-xlsx').href = '/api/v1' + q + '&format=xlsx';
    let r;
    try {
      r = await api(q);
    } catch (err) {
      // A refused period (a year out of range) is said on the page, in the reader's language.
      if (mine === seq && gen === state.routing) { $('#rk-error').textContent = err.message; $('#rank-table tbody').innerHTML = ''; }
      return;
    }
    if (mine !== seq || gen !== state.routing) return;
    $('#rk-error').textContent = '';
    $('#rk-period').textContent = r.month ? t('rk_period_month').replace('{y}', r.year).replace('{m}', r.month) : t('rk_period_year').replace('{y}', r.year);
    $('#rk-formula').textContent = state.lang === 'zh' ? r.formula_zh : r.formula_en;
    const ranked = r.items.filter((x) => x.rank != null).length;
    $('#rk-summary').textContent = t('rk_summary').replace('{n}', r.items.length).replace('{r}', ranked).replace('{u}', r.items.length - ranked);
    $('#rank-table tbody').innerHTML = rankingRows(r.items) || `<tr><td colspan="11">${t('no_data')}</td></tr>`;
  };
  $('#year').onchange = load;
  $('#month').onchange = load;
  $('#method').onchange = load;
  await load();
}
