// The admin console's accounts tab (administrators): the list with each account's role, unit
// and state; another role and unit, disabling (its sessions end at once; undone by enabling)
// and enabling; a password reset (a generated password shown once, changed at the next
// login); a new account, which changes its initial password at first login. The API decides
// again and refuses the last administrator. Also the console's tabs, shared by its pages.
import { $, api, esc, state, t } from '../core.js';

const ROLES = ['admin', 'bureau', 'department', 'township', 'operations', 'enterprise', 'commander'];

const roleOptions = (selected) => ROLES.map((r) => `<option value="${r}"${r === selected ? ' selected' : ''}>${esc(t('urole_' + r))}</option>`).join('');

const acts = () => (state.me && state.me.acts) || [];

/** The console's tabs the caller's acts open, in order: [key, hash, label key, act]. */
const TABS = [
  ['accounts', '#/accounts', 'adm_tab_accounts', 'manage_accounts'],
  ['stations', '#/admin/stations', 'adm_tab_stations', 'see_devices'],
  ['audit', '#/admin/audit', 'adm_tab_audit', 'see_audit'],
  ['settings', '#/admin/settings', 'adm_tab_settings', 'manage_register'],
];

/** Whether the caller has any tab of the console (the menu's 系统管理). */
export const seesAdmin = () => TABS.some(([, , , act]) => acts().includes(act));

/** The console's tab bar with `here` marked. */
export function adminTabs(here) {
  const mine = TABS.filter(([, , , act]) => acts().includes(act));
  return `<h2>${t('adm_title')}</h2><p class="tabs" id="admin-tabs">${mine.map(([k, href, key]) => `<a href="${href}" class="${k === here ? 'here' : ''}" data-tab="${k}">${esc(t(key))}</a>`).join('')}</p>`;
}

/** `#/admin`: the first tab the caller may open. */
export function adminPage() {
  const first = TABS.find(([, , , act]) => acts().includes(act));
  if (!first) throw new Error(t(state.me ? 'err_403' : 'err_401'));
  location.replace(first[1]);
}

/** Shows `message` in `#sel` as a notice (`ok`) or an error; the text is never HTML. */
export function showResult(sel, ok, message) {
  const out = $(sel);
  if (!out) return;
  out.textContent = '';
  const span = document.createElement('span');
  span.className = ok ? 'notice' : 'error';
  span.textContent = message;
  out.append(span);
}

/** A unit's name in the page's language, from the `/units` list. */
export const unitName = (units, id) => {
  const u = units.find((x) => x.id === id);
  return u ? (state.lang === 'zh' ? u.name_zh : u.name_en) : '';
};

export async function accountsPage() {
  const mine = state.routing;
  const [list, units] = await Promise.all([api('/users?per_page=1000'), api('/units?per_page=1000').catch(() => ({ items: [] }))]);
  if (mine !== state.routing) return;
  const unitList = `<datalist id="acc-units">${units.items.map((u) => `<option value="${esc(u.id)}">${esc(state.lang === 'zh' ? u.name_zh : u.name_en)}</option>`).join('')}</datalist>`;
  const rows = list.items.map((u) => `<tr data-user="${esc(u.username)}">
      <td>${esc(u.username)}${u.must_change_password ? ` <span class="muted acc-must">(${t('acc_must_change')})</span>` : ''}</td>
      <td><select class="acc-role" aria-label="${esc(t('acc_role'))}">${roleOptions(u.role)}</select></td>
      <td><input class="acc-unit" list="acc-units" value="${esc(u.unit ?? '')}" placeholder="${esc(t('acc_unit_hint'))}" aria-label="${esc(t('acc_unit'))}"> <span class="muted acc-unit-name">${esc(unitName(units.items, u.unit))}</span></td>
      <td><button type="button" class="acc-save">${t('acc_save')}</button></td>
      <td class="acc-state">${u.disabled ? `<span class="error">${t('acc_disabled')}</span>` : t('acc_enabled')}</td>
      <td class="nowrap"><button type="button" class="acc-toggle" data-disabled="${u.disabled}">${u.disabled ? t('acc_enable') : t('acc_disable')}</button>
        <button type="button" class="acc-reset">${t('adm_reset_pw')}</button></td>
      <td class="nowrap">${esc(u.created)}</td></tr>`).join('');
  $('#view').innerHTML = `${adminTabs('accounts')}<p class="muted">${t('acc_last_admin_note')}</p>
    <div id="accounts-result" role="status"></div><div id="accounts-password" role="status"></div>${unitList}
    <div class="table-wrap"><table id="accounts-table"><thead><tr><th>${t('username')}</th><th>${t('acc_role')}</th><th>${t('acc_unit')}</th><th></th><th>${t('acc_state')}</th><th>${t('adm_actions')}</th><th>${t('acc_created')}（${t('bj')}）</th></tr></thead>
    <tbody>${rows}</tbody></table></div>
    <h3>${t('acc_new')}</h3>
    <form class="login" id="account-form">
      <label>${t('username')}<input id="acc-username" autocomplete="off"></label>
      <label>${t('acc_initial_password')}<input id="acc-password" type="password" autocomplete="new-password"></label>
      <label>${t('acc_role')}<select id="acc-role">${roleOptions('bureau')}</select></label>
      <label>${t('acc_unit')}<input id="acc-unit" list="acc-units" placeholder="${esc(t('acc_unit_hint'))}"></label>
      <button class="primary" type="submit">${t('acc_create')}</button></form>`;
  // The page is drawn again after each change: the result goes into the new one.
  const show = (ok, message) => showResult('#accounts-result', ok, message);
  // Each change is sent, then the list is read again, so that it shows what the server has.
  const act = async (path, body) => {
    try {
      const r = await api(path, { method: 'POST', body: JSON.stringify(body) });
      await accountsPage();
      show(true, t('acc_done'));
      return r;
    } catch (err) {
      show(false, err.message);
      return null;
    }
  };
  document.querySelectorAll('#accounts-table tbody tr').forEach((tr) => {
    const name = tr.dataset.user;
    const path = '/users/' + encodeURIComponent(name);
    tr.querySelector('.acc-save').onclick = () => {
      const unit = tr.querySelector('.acc-unit').value.trim();
      act(path + '/role', { role: tr.querySelector('.acc-role').value, unit: unit || null });
    };
    const toggle = tr.querySelector('.acc-toggle');
    toggle.onclick = () => {
      if (toggle.dataset.disabled === 'true') act(path + '/enable', {});
      else act(path + '/disable', {});
    };
    tr.querySelector('.acc-reset').onclick = async () => {
      if (!window.confirm(t('adm_reset_confirm').replace('{user}', name))) return;
      const r = await act(path + '/reset-password', {});
      if (!r) return;
      // Shown once: the server keeps only its hash.
      const out = $('#accounts-password');
      out.innerHTML = `<p class="notice">${esc(t('adm_new_pw').replace('{user}', name))} <code id="reset-password-value">${esc(r.password)}</code></p>`;
    };
  });
  $('#account-form').onsubmit = (e) => {
    e.preventDefault();
    const unit = $('#acc-unit').value.trim();
    act('/users', { username: $('#acc-username').value.trim(), password: $('#acc-password').value, role: $('#acc-role').value, unit: unit || null });
  };
}
