// The monthly township 通报: month (default: this month, Beijing time) and method pickers,
// the formula stated, the ranking, first and last three, targets and progress, incentives
// and (for the bureau and administrators) penalties; downloads as Excel and PDF.
import { $, api, bjToday, esc, state, t } from '../core.js';
import { methodOptions, n, rankingHead, rankingRows } from './rankings.js';

/** A figure of the progress table with one decimal at most (no float noise). */
const d1 = (v) => (v == null ? '—' : String(Math.round(v * 10) / 10));

const met = (v) => (v == null ? '—' : v ? t('rp_met') : t('rp_missed'));

export async function reportsPage(rest = '') {
  const gen = state.routing;
  const month = new URLSearchParams(rest.replace(/^\?/, '')).get('month') || bjToday().slice(0, 7);
  // A later choice wins over an earlier answer still on its way.
  let seq = 0;
  $('#view').innerHTML = `<h2>${t('nav_reports')}</h2><p>${t('month')} <input id="rp-month" type="month" value="${esc(month)}">
    ${t('rm_method')} <select id="rp-method">${methodOptions()}</select>
    <a id="rp-xlsx" href="#">Excel</a> · <a id="rp-pdf" href="#">PDF</a> <span class="muted">${t('note_audited')}</span></p>
    <div id="rp-body"></div>`;
  const load = async () => {
    const q = `/reports/township?month=${$('#rp-month').value}&method=${$('#rp-method').value}`;
    $('#rp-xlsx').href = '/api/v1' + q + '&format=xlsx';
    $('#rp-pdf').href = '/api/v1' + q + '&format=pdf';
    if (!state.me) {
      $('#rp-body').innerHTML = `<p>${t('rp_login')}</p>`;
      return;
    }
    const mine = ++seq;
    const r = await api(q);
    if (mine !== seq || gen !== state.routing) return;
    const zh = state.lang === 'zh';
    const names = (v) => v.map((x) => `${esc(x.name_zh)} (${x.rank})`).join('、') || '—';
    const progress = r.progress.map((p) => `<tr><td>${esc(zh ? p.name_zh : p.name_en)}</td><td>${esc(p.indicator_zh)} ${esc(p.indicator_unit)}</td><td>${d1(p.target_month)}</td><td>${d1(p.actual_month)}</td><td>${met(p.met_month)}</td><td>${d1(p.target_ytd)}</td><td>${d1(p.actual_ytd)}</td><td>${met(p.met_ytd)}</td><td>${d1(p.still_allowed)}</td><td>${p.valid_days_month}/${p.days_month}</td></tr>`).join('');
    const incentives = r.incentives.map((i) => `<li>${esc(i.name_zh)} · ${esc(i.grade_zh)}: ${esc(i.detail_zh)}</li>`).join('') || `<li>—</li>`;
    const penalties = r.penalties == null ? `<p class="muted">${t('rp_penalties_internal')}</p>`
      : `<ul>${r.penalties.map((p) => `<li><b>${esc(p.sanction_zh)}</b> ${esc(p.name_zh)}: ${esc(p.detail_zh)}</li>`).join('') || '<li>—</li>'}</ul>`;
    $('#rp-body').innerHTML = `<h3>${esc(r.title_zh)}</h3><p class="muted">${t('rp_issued')}: ${esc(r.issued_zh)} · ${t('rp_rule_sets')}: ${esc(r.rule_sets.join(', ') || '—')} · ${t('rp_coverage')}: ${n(r.coverage_pct)}%</p>
      <p>${esc(zh ? r.ranking.formula_zh : r.ranking.formula_en)}</p>
      <table><thead>${rankingHead()}</thead><tbody>${rankingRows(r.ranking.rows)}</tbody></table>
      <p>${t('rp_first_three')}: ${names(r.first_three)} · ${t('rp_last_three')}: ${names(r.last_three)}</p>
      <h3>${t('rp_progress')}</h3><table><thead><tr><th>${t('unit')}</th><th>${t('rp_indicator')}</th><th>${t('rp_target_month')}</th><th>${t('rp_actual_month')}</th><th></th><th>${t('rp_target_ytd')}</th><th>${t('rp_actual_ytd')}</th><th></th><th>${t('rp_still_allowed')}</th><th>${t('valid_days')}</th></tr></thead><tbody>${progress || `<tr><td colspan="10">${t('no_data')}</td></tr>`}</tbody></table>
      <h3>${t('rp_incentives')}</h3><ul>${incentives}</ul>
      <h3>${t('rp_penalties')}</h3><p class="muted">${esc(zh ? r.rule_zh : r.rule_en)}</p>${penalties}`;
  };
  $('#rp-month').onchange = load;
  $('#rp-method').onchange = load;
  await load();
}
