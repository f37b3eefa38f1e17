// The admin console's settings (the bureau, administrators): the base map's tile URL and
// attribution, the open-data licence, the credit rules, the grid's deadlines, the operations
// and integrity thresholds; each with its value in force (defaults filled in), whether it
// is set or the default, a link to the page it changes, and a save that the server checks as
// the setting's use case reads it (a refused value says why). Every change is audited.
import { $, api, esc, state, t } from '../core.js';
import { adminTabs, showResult } from './accounts.js';

/** Help text with the codes in it (keys, URL examples, placeholders) set as code on a Chinese page. */
const codes = (text) => (state.lang === 'zh'
  ? text.split(/([A-Za-z][\w.:/{}…-]*)/).map((part, i) => (i % 2 ? `<code>${esc(part)}</code>` : esc(part))).join('')
  : esc(text));

function card(s) {
  const name = state.lang === 'zh' ? s.name_zh : s.name_en;
  const help = state.lang === 'zh' ? s.help_zh : s.help_en;
  const input = s.kind === 'json'
    ? `<textarea class="set-value" style="font-family: monospace; width: 100%" rows="${Math.min(16, Math.max(4, s.value.split('\n').length))}" spellcheck="false" aria-label="${esc(name)}">${esc(s.value)}</textarea>`
    : `<input class="set-value" value="${esc(s.value)}" style="width: 100%; box-sizing: border-box" aria-label="${esc(name)}">`;
  return `<section class="card setting" data-key="${esc(s.key)}">
    <h3>${esc(name)} <span class="tag ${s.stored ? 'ok' : ''}">${s.stored ? t('adm_stored') : t('adm_default')}</span></h3>
    <p class="muted" style="overflow-wrap: anywhere">${codes(help)}</p>
    <div class="block-field">${input}</div>
    <p><button type="button" class="primary set-save">${t('adm_save')}</button>
      ${s.page ? `<a href="${esc(s.page)}" class="set-page">${t('adm_see_page')}</a>` : ''}</p>
    <div class="set-result" role="status"></div></section>`;
}

export async function adminSettingsPage() {
  const mine = state.routing;
  const r = await api('/admin/settings');
  if (mine !== state.routing) return;
  $('#view').innerHTML = `${adminTabs('settings')}<p class="muted">${t('adm_settings_note')}</p>
    <div id="settings-list">${r.items.map(card).join('')}</div>`;
  document.querySelectorAll('#settings-list section.setting').forEach((sec) => {
    const key = sec.dataset.key;
    sec.querySelector('.set-save').onclick = async () => {
      const sel = `#settings-list section[data-key="${key}"] .set-result`;
      try {
        const s = await api('/admin/settings', { method: 'POST', body: JSON.stringify({ key, value: sec.querySelector('.set-value').value }) });
        // Drawn again with the values in force (a JSON setting as the server reads it).
        if (s) await adminSettingsPage();
        showResult(sel, true, t('adm_setting_saved'));
      } catch (err) {
        showResult(sel, false, err.message);
      }
    };
  });
}
