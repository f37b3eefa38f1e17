// The emergency reduction list (应急减排清单): each level's balance against the required
// share, and each enterprise's measures by level with its baseline emissions.
import { $, api, esc, fmt, state, t } from '../core.js';
import { levelBadge } from './warnings.js';

const LEVELS = ['yellow', 'orange', 'red'];

export async function reductionPage() {
  $('#view').innerHTML = `<h2>${t('nav_reduction')}</h2><p class="filters"><a id="reduction-xlsx" href="/api/v1/reduction-list?format=xlsx">${t('r_xlsx')}</a></p><div id="reduction">${t('loading')}</div>`;
  const gen = state.routing;
  const r = await api('/reduction-list');
  if (gen !== state.routing) return;
  const levels = r.levels.map((l) => `<section class="card level-summary" data-level="${l.level}">
    <div class="level-banner ${l.shortfall ? 'shortfall' : 'met'}">${levelBadge(l.level, l.level_zh)} <span class="message">${esc(l.message)}</span></div>
    <div class="table-wrap"><table class="balances"><thead><tr><th>${t('pollutant')}</th><th class="num">${t('r_total')}</th><th class="num">${t('r_required')}</th>
      <th class="num">${t('r_estimated')}</th><th class="num">${t('r_shortfall')}</th></tr></thead><tbody>
      ${l.balances.map((b) => `<tr><td>${esc(b.pollutant)}</td><td class="num">${fmt(b.total_kg_day, 1)}</td><td class="num">${fmt(b.required_kg_day, 1)}（${fmt(b.required_pct, 0)}%）</td>
        <td class="num">${fmt(b.estimated_kg_day, 1)}</td><td class="num ${b.shortfall_kg_day > 0 ? 'bad' : ''}">${fmt(b.shortfall_kg_day, 1)}</td></tr>`).join('') || `<tr><td colspan="5">${t('no_data')}</td></tr>`}
    </tbody></table></div></section>`).join('');
  const entry = (e) => {
    const byLevel = LEVELS.map((lv) => [lv, e.measures.filter((m) => m.level === lv)]).filter(([, ms]) => ms.length);
    return `<section class="card reduction-entry" data-id="${esc(e.enterprise_id)}"><h4><a href="#/enterprise/${encodeURIComponent(e.enterprise_id)}">${esc(e.name)}</a>
      <span class="muted">${t('ent_grade')}${t('colon')}${esc(e.grade || '—')} · ${esc(e.unit_name || '')}</span></h4>
      <p class="muted">${t('r_baseline')}${t('colon')}${e.baseline.map((b) => `${esc(b.pollutant)} ${fmt(b.kg_day, 1)} kg/d`).join(t('sep')) || '—'}</p>
      ${byLevel.map(([lv, ms]) => `<div class="measures" data-level="${lv}">${levelBadge(lv, ms[0].level_zh)}<ul>${ms.map((m) => `<li>${esc(m.text)}
        <span class="muted">（${esc(state.lang === 'zh' ? m.kind_zh : t('mk_' + m.kind))}${m.equipment_name || m.equipment ? ' · ' + esc(m.equipment_name || m.equipment) : ''}${m.cap_pct != null ? ' · ' + t('w_cap') + ' ' + fmt(m.cap_pct, 0) + '%' : ''}）</span>
        ${m.verifiable ? `<span class="tag ok">${t('r_verifiable')}</span>` : `<span class="tag info">${t('r_not_verifiable')}</span>`}</li>`).join('')}</ul></div>`).join('') || `<p class="muted">${t('r_no_measures')}</p>`}
    </section>`;
  };
  $('#reduction').innerHTML = `<p class="muted">${t('r_day_note')}${t('colon')}${esc(r.day)}</p>${levels}
    <h3>${t('r_enterprises')}（${r.entries.length}）</h3>${r.entries.map(entry).join('')}
    ${r.unlisted.length ? `<p class="notice">${t('r_unlisted')}${t('colon')}${r.unlisted.map(esc).join(t('sep'))}</p>` : ''}`;
}
