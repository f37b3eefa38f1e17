// The rule library (规则): each rule with its name, severity and thresholds, how many alarms
// it raised, how many the reviews confirmed or found false, and so its precision.
import { $, api, esc, fmt, state, t } from '../core.js';
import { sevBadge, tabs } from './alarms.js';

/** A rule's thresholds as `name = value` lines, whatever shape the API sends them in. */
function thresholds(th) {
  if (th == null) return '—';
  if (typeof th !== 'object') return esc(th);
  const pairs = Array.isArray(th) ? th.map((x) => [x.name, x.value]) : Object.entries(th);
  if (!pairs.length) return '—';
  return `<ul class="thresholds">${pairs.map(([k, v]) => `<li><code>${esc(k)}</code> = ${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</li>`).join('')}</ul>`;
}

export async function rulesPage() {
  const gen = state.routing;
  $('#view').innerHTML = `${tabs('rules')}<h2>${t('ig_rules')}</h2><p class="muted">${t('ig_precision_note')}</p><div id="rules">${t('loading')}</div>`;
  const list = await api('/integrity/rules');
  if (gen !== state.routing) return;
  const items = Array.isArray(list) ? list : list.items || [];
  $('#rules').innerHTML = `<div class="table-wrap"><table id="rules-table"><thead><tr><th>${t('ig_rule')}</th><th>${t('ig_worst_severity')}</th><th>${t('ig_thresholds')}</th>
    <th class="num">${t('ig_alarms_n')}</th><th class="num">${t('out_confirm')}</th><th class="num">${t('out_false_positive')}</th><th class="num">${t('ig_precision')}</th></tr></thead><tbody>
    ${items.map((r) => `<tr data-rule="${esc(r.rule)}"><td><strong>${esc(state.lang === 'zh' ? r.name_zh : r.name_en || r.name_zh)}</strong><br><code class="muted">${esc(r.rule)}</code></td>
      <td>${sevBadge(r.severity)}</td><td>${thresholds(r.thresholds)}</td>
      <td class="num"><a href="#/alarms?rule=${encodeURIComponent(r.rule)}">${r.alarms ?? 0}</a></td><td class="num">${r.confirmed ?? 0}</td><td class="num">${r.false_positive ?? 0}</td>
      <td class="num precision ${r.precision != null && r.precision < 0.5 ? 'bad' : ''}" data-k="precision">${r.precision == null ? '—' : fmt(r.precision * 100, 0) + '%'}</td></tr>`).join('')
      || `<tr><td colspan="7">${t('no_data')}</td></tr>`}</tbody></table></div>`;
}
