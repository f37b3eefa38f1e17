// Township ranking by composite index (audited data), with exports.
import { $, api, esc, state, t } from '../core.js';

export async function rankingsPage() {
  const y = new Date().getFullYear();
  $('#view').innerHTML = `<h2>${t('nav_rankings')}</h2><p>${t('year')} <input id="year" type="number" value="${y}" style="width:6em"> ${t('month')} <select id="month"><option value="">—</option>${Array.from({ length: 12 }, (_, i) => `<option>${i + 1}</option>`).join('')}</select>
    <a id="rk-csv" href="#">CSV</a> · <a id="rk-xlsx" href="#">Excel</a> <span class="muted">${t('note_audited')}</span></p>
    <table id="rank-table"><thead><tr><th>${t('rank')}</th><th>${t('unit')}</th><th>${t('composite')}</th><th>PM2.5</th><th>PM10</th><th>${t('good_ratio')}</th><th>${t('valid_days')}</th></tr></thead><tbody></tbody></table>`;
  const load = async () => {
    const q = `/rankings?year=${$('#year').value}` + ($('#month').value ? `&month=${$('#month').value}` : '');
    $('#rk-csv').href = '/api/v1' + q + '&format=csv';
    $('#rk-xlsx').href = '/api/v1' + q + '&format=xlsx';
    const r = await api(q);
    $('#rank-table tbody').innerHTML = r.items.map((x) => `<tr><td>${x.rank}</td><td>${esc(state.lang === 'zh' ? x.name_zh : x.name_en)}</td><td>${x.composite_index ?? ''}</td><td>${x.pm25 ?? ''}</td><td>${x.pm10 ?? ''}</td><td>${x.good_day_ratio ?? ''}</td><td>${x.valid_days}</td></tr>`).join('') || `<tr><td colspan="7">${t('no_data')}</td></tr>`;
  };
  $('#year').onchange = load;
  $('#month').onchange = load;
  await load();
}
