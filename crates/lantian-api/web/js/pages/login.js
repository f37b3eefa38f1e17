// Logging in and out; the other tabs are told (core.js announceSession).
import { $, announceSession, api, state, t } from '../core.js';

export function loginPage(onChange) {
  $('#view').innerHTML = `<h2>${t('login')}</h2><form class="login" id="login-form"><input id="username" autocomplete="username" placeholder="${t('username')}">
    <input id="password" type="password" autocomplete="current-password" placeholder="${t('password')}"><button class="primary" type="submit">${t('login')}</button><div class="error" id="login-error"></div></form>`;
  $('#login-form').onsubmit = async (e) => {
    e.preventDefault();
    try {
      const r = await api('/login', { method: 'POST', body: JSON.stringify({ username: $('#username').value, password: $('#password').value }) });
      state.me = r.user;
      announceSession('login');
      onChange();
      location.hash = r.user.must_change_password ? '#/password' : '#/';
    } catch (err) {
      $('#login-error').textContent = t('login_failed') + ': ' + err.message;
    }
  };
}

/**
 * Logs out in any tab: a session another tab already ended (401) is logged out all the
 * same; any other failure is shown (the session may still be alive). The other tabs hear it.
 */
export async function logout() {
  try {
    await api('/logout', { method: 'POST' });
  } catch (err) {
    if (err.status !== 401) throw new Error(t('logout_failed') + t('colon') + err.message);
  }
  state.me = null;
  announceSession('logout');
  location.hash = '#/';
}
