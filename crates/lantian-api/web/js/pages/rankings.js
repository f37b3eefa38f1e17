// Township ranking (audited data) for a month (default: this month, Beijing time) or a year,
// under a chosen method with its formula stated; units without a station or valid data are
// listed last without a rank; exports.
import { $, api, bjToday, esc, state, t } from '../core.js';

export const METHODS = ['composite_index', 'pm25_so2_sum', 'pm25', 'improvement', 'weighted'];

/** The method picker's options. */
export const methodOptions = () => METHODS.map((m) => `<option value="${m}">${esc(t('rm_' + m))}</option>`).join('');

/** A number or a dash. */
export const n = (v) => (v == null ? '—' : String(v));

/** The ranking's table rows: rank (— when unranked), unit, figure, 同比, 环比, coverage, reason. */
export function rankingRows(r) {
  return r.map((x) => `<tr data-unit="${esc(x.unit)}" data-rank="${x.rank ?? ''}"><td>${x.rank ?? '—'}</td><td>${esc(state.lang === 'zh' ? x.name_zh : x.name_en)}</td><td>${n(x.value)}</td><td>${n(x.composite_index)}</td><td>${n(x.pm25)}</td><td>${n(x.pm10)}</td><td>${n(x.so2)}</td><td>${n(x.yoy_pct)}</td><td>${n(x.mom_pct)}</td><td>${x.valid_days}/${x.days}</td><td>${esc(state.lang === 'zh' ? x.reason_zh ?? '' : x.reason_en ?? '')}</td></tr>`).join('');
}

export const rankingHead = () => `<tr><th>${t('rank')}</th><th>${t('unit')}</th><th>${t('rm_value')}</th><th>${t('composite')}</th><th>PM2.5</th><th>PM10</th><th>SO2</th><th>${t('rm_yoy')}</th><th>${t('rm_mom')}</th><th>${t('valid_days')}</th><th>${t('rm_note')}</th></tr>`;

export async function rankingsPage() {
  const today = bjToday();
  $('#view').innerHTML = `<h2>${t('nav_rankings')}</h2><p>${t('year')} <input id="year" type="number" value="${today.slice(0, 4)}" style="width:6em"> ${t('month')} <select id="month"><option value="">${t('rm_whole_year')}</option>${Array.from({ length: 12 }, (_, i) => `<option>${i + 1}</option>`).join('')}</select>
    ${t('rm_method')} <select id="method">${methodOptions()}</select>
    <a id="rk-csv" href="#">CSV</a> · <a id="rk-xlsx" href="#">Excel</a> <span class="muted">${t('note_audited')}</span></p>
    <p id="rk-formula" class="muted"></p>
    <table id="rank-table"><thead>${rankingHead()}</thead><tbody></tbody></table>`;
  $('#month').value = String(Number(today.slice(5, 7)));
  // A later choice wins over an earlier answer still on its way.
  let seq = 0;
  const gen = state.routing;
  const load = async () => {
    const mine = ++seq;
    const q = `/rankings?year=${$('#year').value}&method=${$('#method').value}` + ($('#month').value ? `&month=${$('#month').value}` : '');
    $('#rk-csv').href = '/api/v1' + q + '&format=csv';
    $('#rk-xlsx').href = '/api/v1' + q + '&format=xlsx';
    const r = await api(q);
    if (mine !== seq || gen !== state.routing) return;
    $('#rk-formula').textContent = state.lang === 'zh' ? r.formula_zh : r.formula_en;
    $('#rank-table tbody').innerHTML = rankingRows(r.items) || `<tr><td colspan="11">${t('no_data')}</td></tr>`;
  };
  $('#year').onchange = load;
  $('#month').onchange = load;
  $('#method').onchange = load;
  await load();
}
