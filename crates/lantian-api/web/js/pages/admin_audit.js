// The admin console's audit log (administrators, the bureau): who did what to which object,
// from where, newest first; filters by actor, action, object, text and Beijing dates kept in
// the address (a search can be bookmarked or sent), pages of 100, and the same search
// exported as CSV or Excel. Actions are named in the page's language, their code beside.
import { $, api, esc, state, t } from '../core.js';
import { adminTabs } from './accounts.js';

const PER_PAGE = 100;
const FILTERS = ['actor', 'action', 'object', 'text', 'from', 'to'];
/** Action prefixes offered in the filter (any other can be typed). */
const ACTIONS = ['login', 'user.', 'password.', 'station.', 'device.', 'setting', 'ledger.', 'denied.'];

/** An action's name in the page's language (a refusal: "refused: " and the act's name). */
export function actionName(code) {
  const known = (k) => {
    const v = t('aact_' + k);
    return v === 'aact_' + k ? null : v;
  };
  if (code.startsWith('denied.')) return t('aact_denied') + (known(code.slice(7)) || code.slice(7));
  return known(code) || code;
}

export async function adminAuditPage(rest = '') {
  const mine = state.routing;
  const params = new URLSearchParams(rest.replace(/^\?/, ''));
  const page = Math.max(1, Number(params.get('page')) || 1);
  const query = new URLSearchParams();
  for (const k of FILTERS) if (params.get(k)) query.set(k, params.get(k));
  const r = await api(`/admin/audit?${query}&page=${page}&per_page=${PER_PAGE}`);
  if (mine !== state.routing) return;
  const pages = Math.max(1, Math.ceil((r.total ?? r.items.length) / PER_PAGE));
  const value = (k) => esc(params.get(k) || '');
  const file = (format) => `/api/v1/admin/audit?${query}${query.toString() ? '&' : ''}format=${format}&lang=${state.lang}`;
  const rows = r.items.map((e) => `<tr data-id="${e.id}">
      <td class="nowrap">${esc(e.at)}</td><td>${esc(e.actor)}</td>
      <td><span class="audit-action">${esc(actionName(e.action))}</span><br><code class="muted">${esc(e.action)}</code></td>
      <td>${esc(e.object)}</td><td class="why">${esc(e.detail)}</td><td class="nowrap">${esc(e.source)}</td></tr>`).join('');
  $('#view').innerHTML = `${adminTabs('audit')}<p class="muted">${t('adm_audit_note')}</p>
    <form class="row filters" id="audit-filters">
      <label>${t('adm_actor')}<input id="af-actor" value="${value('actor')}" size="10"></label>
      <label>${t('adm_action')}<input id="af-action" list="af-actions" value="${value('action')}" size="12" placeholder="${esc(t('adm_action_any'))}"></label>
      <datalist id="af-actions">${ACTIONS.map((a) => `<option value="${a}">${esc(actionName(a.replace(/\.$/, '')))}</option>`).join('')}</datalist>
      <label>${t('adm_object')}<input id="af-object" value="${value('object')}" size="10"></label>
      <label>${t('adm_text')}<input id="af-text" value="${value('text')}" size="10"></label>
      <label>${t('adm_from')}<input id="af-from" type="date" value="${value('from')}"></label>
      <label>${t('adm_to')}<input id="af-to" type="date" value="${value('to')}"></label>
      <button class="primary" type="submit">${t('adm_search')}</button> <button type="button" id="af-clear">${t('adm_reset_filters')}</button>
    </form>
    <p><span id="audit-count">${esc(t('adm_rows').replace('{n}', r.total ?? r.items.length))}</span> ·
      <a id="audit-csv" href="${esc(file('csv'))}" download>${t('adm_export_csv')}</a> · <a id="audit-xlsx" href="${esc(file('xlsx'))}" download>${t('adm_export_xlsx')}</a></p>
    ${r.items.length ? `<div class="table-wrap"><table id="audit-table"><thead><tr><th>${t('adm_time')}（${t('bj')}）</th><th>${t('adm_actor')}</th><th>${t('adm_action')}</th>
      <th>${t('adm_object')}</th><th>${t('adm_detail')}</th><th>${t('adm_source')}</th></tr></thead><tbody>${rows}</tbody></table></div>
    <p class="filters"><button type="button" id="audit-prev"${page <= 1 ? ' disabled' : ''}>${t('adm_prev')}</button>
      <span id="audit-page">${esc(t('adm_page').replace('{p}', page).replace('{n}', pages))}</span>
      <button type="button" id="audit-next"${page >= pages ? ' disabled' : ''}>${t('adm_next')}</button></p>`
    : `<p id="audit-none">${t('adm_none')}</p>`}`;
  const go = (p) => {
    const q = new URLSearchParams();
    for (const k of FILTERS) {
      const v = $('#af-' + k).value.trim();
      if (v) q.set(k, v);
    }
    if (p > 1) q.set('page', p);
    location.hash = '#/admin/audit' + (q.toString() ? '?' + q : '');
  };
  $('#audit-filters').onsubmit = (e) => { e.preventDefault(); go(1); };
  $('#af-clear').onclick = () => { location.hash = '#/admin/audit'; };
  if ($('#audit-prev')) {
    $('#audit-prev').onclick = () => go(page - 1);
    $('#audit-next').onclick = () => go(page + 1);
  }
}
