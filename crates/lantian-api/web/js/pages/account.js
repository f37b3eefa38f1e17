// One's own account: changing the password (required after the first login; the account's
// other sessions end).
import { $, api, esc, state, t } from '../core.js';

export function passwordPage() {
  const must = state.me && state.me.must_change_password;
  $('#view').innerHTML = `<h2>${t('nav_password')}</h2>${must ? `<p class="notice" id="must-change">${t('must_change')}</p>` : ''}
    <form class="login" id="password-form">
      <label>${t('old_password')}<input id="old-password" type="password" autocomplete="current-password"></label>
      <label>${t('new_password')}<input id="new-password" type="password" autocomplete="new-password"></label>
      <label>${t('new_password_again')}<input id="new-password-2" type="password" autocomplete="new-password"></label>
      <button class="primary" type="submit">${t('submit')}</button><div id="password-result"></div></form>`;
  $('#password-form').onsubmit = async (e) => {
    e.preventDefault();
    const out = $('#password-result');
    if ($('#new-password').value !== $('#new-password-2').value) {
      out.innerHTML = `<span class="error">${t('password_mismatch')}</span>`;
      return;
    }
    try {
      await api('/password', { method: 'POST', body: JSON.stringify({ old: $('#old-password').value, new: $('#new-password').value }) });
      const was = state.me.must_change_password;
      state.me.must_change_password = false;
      out.textContent = t('password_changed');
      // The pages refused until now can be shown: the county's names, then the overview.
      if (was) {
        state.county = await api('/county').catch(() => state.county);
        if (location.hash === '#/') window.dispatchEvent(new HashChangeEvent('hashchange'));
        else location.hash = '#/';
      }
    } catch (err) {
      out.innerHTML = `<span class="error">${esc(err.message)}</span>`;
    }
  };
}
