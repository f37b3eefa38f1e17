// Logging in and out.
import { $, api, state, t } from '../core.js';

export function loginPage(onChange) {
  $('#view').innerHTML = `<h2>${t('login')}</h2><form class="login" id="login-form"><input id="username" autocomplete="username" placeholder="${t('username')}">
    <input id="password" type="password" autocomplete="current-password" placeholder="${t('password')}"><button class="primary" type="submit">${t('login')}</button><div class="error" id="login-error"></div></form>`;
  $('#login-form').onsubmit = async (e) => {
    e.preventDefault();
    try {
      const r = await api('/login', { method: 'POST', body: JSON.stringify({ username: $('#username').value, password: $('#password').value }) });
      state.me = r.user;
      onChange();
      location.hash = r.user.must_change_password ? '#/password' : '#/';
    } catch (err) {
      $('#login-error').textContent = t('login_failed') + ': ' + err.message;
    }
  };
}

export async function logout() {
  await api('/logout', { method: 'POST' }).catch(() => {});
  state.me = null;
  location.hash = '#/';
}
