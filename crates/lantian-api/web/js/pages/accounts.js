// Accounts (administrators): the list with each account's role, unit and state; another role
// and unit, disabling (its sessions end at once; undone by enabling) and enabling; a new account, which changes its
// initial password at first login. The API decides again and refuses the last administrator.
import { $, api, esc, state, t } from '../core.js';

const ROLES = ['admin', 'bureau', 'department', 'township', 'operations', 'enterprise', 'commander'];

const roleOptions = (selected) => ROLES.map((r) => `<option value="${r}"${r === selected ? ' selected' : ''}>${esc(t('urole_' + r))}</option>`).join('');

export async function accountsPage() {
  const mine = state.routing;
  const [list, units] = await Promise.all([api('/users?per_page=1000'), api('/units?per_page=1000').catch(() => ({ items: [] }))]);
  if (mine !== state.routing) return;
  const unitList = `<datalist id="acc-units">${units.items.map((u) => `<option value="${esc(u.id)}">${esc(state.lang === 'zh' ? u.name_zh : u.name_en)}</option>`).join('')}</datalist>`;
  const rows = list.items.map((u) => `<tr data-user="${esc(u.username)}">
      <td>${esc(u.username)}${u.must_change_password ? ` <span class="muted">(${t('acc_must_change')})</span>` : ''}</td>
      <td><select class="acc-role">${roleOptions(u.role)}</select></td>
      <td><input class="acc-unit" list="acc-units" value="${esc(u.unit ?? '')}" placeholder="${esc(t('acc_unit_hint'))}"></td>
      <td><button type="button" class="acc-save">${t('acc_save')}</button></td>
      <td class="acc-state">${u.disabled ? `<span class="error">${t('acc_disabled')}</span>` : t('acc_enabled')}</td>
      <td><button type="button" class="acc-toggle" data-disabled="${u.disabled}">${u.disabled ? t('acc_enable') : t('acc_disable')}</button></td>
      <td class="nowrap">${esc(u.created)}</td></tr>`).join('');
  $('#view').innerHTML = `<h2>${t('nav_accounts')}</h2><p class="muted">${t('acc_last_admin_note')}</p>
    <div id="accounts-result" role="status"></div>${unitList}
    <div class="table-wrap"><table id="accounts-table"><thead><tr><th>${t('username')}</th><th>${t('acc_role')}</th><th>${t('acc_unit')}</th><th></th><th>${t('acc_state')}</th><th></th><th>${t('acc_created')}（${t('bj')}）</th></tr></thead>
    <tbody>${rows}</tbody></table></div>
    <h3>${t('acc_new')}</h3>
    <form class="login" id="account-form">
      <label>${t('username')}<input id="acc-username" autocomplete="off"></label>
      <label>${t('acc_initial_password')}<input id="acc-password" type="password" autocomplete="new-password"></label>
      <label>${t('acc_role')}<select id="acc-role">${roleOptions('bureau')}</select></label>
      <label>${t('acc_unit')}<input id="acc-unit" list="acc-units" placeholder="${esc(t('acc_unit_hint'))}"></label>
      <button class="primary" type="submit">${t('acc_create')}</button></form>`;
  // The page is drawn again after each change: the result goes into the new one.
  const show = (ok, message) => {
    const out = $('#accounts-result');
    out.textContent = '';
    const span = document.createElement('span');
    span.className = ok ? 'notice' : 'error';
    span.textContent = message;
    out.append(span);
  };
  // Each change is sent, then the list is read again, so that it shows what the server has.
  const act = async (path, body) => {
    try {
      await api(path, { method: 'POST', body: JSON.stringify(body) });
      await accountsPage();
      show(true, t('acc_done'));
    } catch (err) {
      show(false, err.message);
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
  });
  $('#account-form').onsubmit = (e) => {
    e.preventDefault();
    const unit = $('#acc-unit').value.trim();
    act('/users', { username: $('#acc-username').value.trim(), password: $('#acc-password').value, role: $('#acc-role').value, unit: unit || null });
  };
}
