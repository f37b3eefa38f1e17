// Alerts pushed to people (预警推送, #/alerts; docs/ui.md "Alerts"): the inbox (every
// government account: the alerts concerning its unit, the bureau every one; unread first
// marked, each linking to its station, measure or alarm), and for the bureau the rules (AQI
// above a level, station offline, measure due or overdue, integrity alarm opened; threshold,
// scope, cool-down, channels), the webhook channels (WeCom 企业微信 and DingTalk robots, a
// generic SMS gateway; keys and secrets never shown back) and the delivery log (each alert
// to each channel with its status and every attempt). Times are Beijing time.
import { $, api, esc, pager, state, t, wirePager } from '../core.js';
import { hasAct } from './grid.js';

const KINDS = ['aqi_above', 'station_offline', 'measure_due', 'measure_overdue', 'alarm_opened', 'forward_queue_full'];
const CHANNEL_KINDS = ['wecom', 'dingtalk', 'sms'];
/** A rule kind's threshold: its unit and default, or none. */
const THRESHOLD = { aqi_above: ['al_unit_aqi', 200], station_offline: ['al_unit_hours', 3], measure_due: ['al_unit_days', 7] };
const HOUR_MS = 3600e3;
/** Alerts and deliveries per page (上一页 / 下一页 walk the rest, newest first). */
const PER_PAGE = 100;

/** `YYYY-MM-DD HH:MM 北京时间` of an instant in Unix milliseconds. */
const when = (ms) => (ms ? `<span class="nowrap">${new Date(ms + 8 * HOUR_MS).toISOString().slice(0, 16).replace('T', ' ')} <span class="muted">${t('bj')}</span></span>` : '—');
const en = () => state.lang === 'en';

function tabs(here) {
  const all = [['inbox', '#/alerts', 'al_tab_inbox']];
  if (hasAct('manage_alerts')) all.push(['rules', '#/alerts/rules', 'al_tab_rules'], ['channels', '#/alerts/channels', 'al_tab_channels'], ['log', '#/alerts/log', 'al_tab_log']);
  return `<h2>${t('al_title')}</h2><p class="tabs" id="alerts-tabs">${all.map(([k, href, key]) => `<a href="${href}" class="${k === here ? 'here' : ''}" data-tab="${k}">${esc(t(key))}</a>`).join('')}</p><div id="al-result" role="status"></div>`;
}

function show(ok, message) {
  const out = $('#al-result');
  if (!out) return;
  out.textContent = '';
  const p = document.createElement('p');
  p.className = ok ? 'notice' : 'error';
  p.textContent = message;
  out.append(p);
}

export async function alertsPage(rest = '') {
  const tab = (rest.replace(/^\//, '').split(/[?/]/)[0]) || 'inbox';
  if (tab === 'rules') return rulesTab();
  if (tab === 'channels') return channelsTab();
  if (tab === 'log') return logTab();
  return inboxTab();
}

async function inboxTab(page = 1) {
  const gen = state.routing;
  const r = await api(`/alerts/inbox?page=${page}&per_page=${PER_PAGE}`);
  if (gen !== state.routing) return;
  const rows = r.events.map((e) => `<tr data-id="${e.id}" data-read="${e.read}" class="${e.read ? '' : 'al-unread'}">
    <td>${when(e.at_ms)}</td><td><span class="tag ${['aqi_above', 'measure_overdue', 'forward_queue_full'].includes(e.kind) ? 'bad' : 'warn'}">${esc(t('alk_' + e.kind))}</span></td>
    <td style="min-width:15em"><a href="${esc(e.link)}">${esc(en() ? e.title_en : e.title_zh)}</a><br><span class="muted">${esc(en() ? e.text_en : e.text_zh)}</span></td>
    <td>${e.read ? `<span class="muted">${t('al_read')}</span>` : `<button type="button" class="secondary al-mark">${t('al_mark_read')}</button>`}</td></tr>`).join('');
  $('#view').innerHTML = `${tabs('inbox')}
    <p class="muted">${t('al_inbox_note')}</p>
    <p id="al-unread">${t('al_unread').replace('{n}', r.unread)} ${r.unread ? `<button type="button" class="secondary" id="al-mark-all">${t('al_mark_all')}</button>` : ''}</p>
    <div class="table-wrap">${r.events.length ? `<table id="al-inbox"><thead><tr><th>${t('al_time')}</th><th>${t('al_kind')}</th><th>${t('al_alert')}</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
      : `<p class="muted" id="al-none">${t('al_none')}</p>`}</div>${pager(r, 'al-inbox-pages')}`;
  wirePager($('#view'), (p) => inboxTab(p));
  const mark = async (ids) => {
    try {
      await api('/alerts/inbox/read', { method: 'POST', body: JSON.stringify({ ids }) });
      await inboxTab(page);
    } catch (err) { show(false, err.message); }
  };
  const all = $('#al-mark-all');
  if (all) all.onclick = () => mark([]);
  document.querySelectorAll('#al-inbox .al-mark').forEach((b) => { b.onclick = () => mark([Number(b.closest('tr').dataset.id)]); });
}

function ruleRow(r, channels) {
  const th = THRESHOLD[r.kind];
  const names = r.channel_ids.map((id) => esc((channels.find((c) => c.id === id) || { name: '#' + id }).name)).join('、') || `<span class="muted">${t('al_inbox_only')}</span>`;
  return `<tr data-id="${r.id}" data-enabled="${r.enabled}"><td class="nowrap">${esc(r.name)}</td><td class="nowrap">${esc(t('alk_' + r.kind))}</td>
    <td class="num nowrap">${th ? `${r.threshold} ${t(th[0])}` : '—'}</td><td class="nowrap">${r.scope ? esc(r.scope) : `<span class="muted">${t('al_all')}</span>`}</td>
    <td class="num nowrap">${r.cooldown_min} ${t('al_unit_min')}</td><td class="nowrap">${names}</td>
    <td class="nowrap"><span class="tag ${r.enabled ? 'ok' : ''}">${t(r.enabled ? 'al_on' : 'al_off')}</span></td>
    <td><button type="button" class="secondary al-toggle">${t(r.enabled ? 'al_disable' : 'al_enable')}</button></td></tr>`;
}

async function rulesTab() {
  const gen = state.routing;
  const [{ rules }, { channels }] = await Promise.all([api('/alerts/rules'), api('/alerts/channels')]);
  if (gen !== state.routing) return;
  $('#view').innerHTML = `${tabs('rules')}<p class="muted">${t('al_rules_note')}</p>
    <div class="table-wrap">${rules.length ? `<table id="al-rules"><thead><tr><th class="nowrap">${t('al_name')}</th><th class="nowrap">${t('al_kind')}</th><th class="num nowrap">${t('al_threshold')}</th><th class="nowrap">${t('al_scope')}</th>
      <th class="num nowrap">${t('al_cooldown')}</th><th class="nowrap">${t('al_channels')}</th><th class="nowrap">${t('status')}</th><th></th></tr></thead><tbody>${rules.map((r) => ruleRow(r, channels)).join('')}</tbody></table>`
      : `<p class="muted" id="al-rules-none">${t('al_rules_none')}</p>`}</div>
    <h3>${t('al_new_rule')}</h3>
    <form id="al-rule-form" class="row">
      <label>${t('al_name')} <input id="al-r-name" required maxlength="100"></label>
      <label>${t('al_kind')} <select id="al-r-kind">${KINDS.map((k) => `<option value="${k}">${esc(t('alk_' + k))}</option>`).join('')}</select></label>
      <label>${t('al_threshold')} <input id="al-r-threshold" type="number" step="any" min="0" size="6"> <span id="al-r-unit" class="muted"></span></label>
      <label>${t('al_scope')} <input id="al-r-scope" maxlength="100" placeholder="${esc(t('al_scope_hint'))}"></label>
      <label>${t('al_cooldown')} <input id="al-r-cooldown" type="number" min="1" max="43200" step="1" value="180" size="6"> ${t('al_unit_min')}</label>
      <fieldset id="al-r-channels"><legend>${t('al_channels')}</legend>${channels.length ? channels.map((c) => `<label><input type="checkbox" value="${c.id}"> ${esc(c.name)}</label>`).join(' ') : `<span class="muted">${t('al_no_channels')}</span>`}</fieldset>
      <button class="primary" type="submit" id="al-r-submit">${t('al_save')}</button></form>`;
  const kind = $('#al-r-kind');
  const unit = () => {
    const th = THRESHOLD[kind.value];
    $('#al-r-threshold').disabled = !th;
    $('#al-r-threshold').value = th ? th[1] : '';
    $('#al-r-unit').textContent = th ? t(th[0]) : t('al_no_threshold');
  };
  kind.onchange = unit;
  unit();
  $('#al-rule-form').onsubmit = async (e) => {
    e.preventDefault();
    const th = $('#al-r-threshold').value.trim();
    const body = {
      name: $('#al-r-name').value.trim(), kind: kind.value, threshold: th === '' ? null : Number(th), scope: $('#al-r-scope').value.trim() || null,
      cooldown_min: Number($('#al-r-cooldown').value), channel_ids: [...document.querySelectorAll('#al-r-channels input:checked')].map((i) => Number(i.value)),
    };
    try {
      await api('/alerts/rules', { method: 'POST', body: JSON.stringify(body) });
      await rulesTab();
      show(true, t('al_saved') + t('colon') + body.name); // shown as text
    } catch (err) { show(false, err.message); }
  };
  document.querySelectorAll('#al-rules .al-toggle').forEach((b) => {
    const r = rules.find((x) => String(x.id) === b.closest('tr').dataset.id);
    b.onclick = async () => {
      try {
        await api(`/alerts/rules/${r.id}`, { method: 'POST', body: JSON.stringify({ ...r, enabled: !r.enabled }) });
        await rulesTab();
        show(true, r.name + t('colon') + t(r.enabled ? 'al_off' : 'al_on')); // shown as text
      } catch (err) { show(false, err.message); }
    };
  });
}

function channelRow(c) {
  return `<tr data-id="${c.id}" data-enabled="${c.enabled}"><td class="nowrap">${esc(c.name)}</td><td class="nowrap">${esc(t('alc_' + c.kind))}</td>
    <td class="mono al-url">${esc(c.url_masked)}</td><td>${c.kind === 'sms' ? '—' : esc(t('alf_' + c.format))}</td>
    <td>${c.mobiles.map(esc).join(', ') || '—'}</td><td>${c.has_secret ? t('al_secret_set') : '—'}</td>
    <td class="nowrap"><span class="tag ${c.enabled ? 'ok' : ''}">${t(c.enabled ? 'al_on' : 'al_off')}</span></td>
    <td><button type="button" class="secondary al-toggle">${t(c.enabled ? 'al_disable' : 'al_enable')}</button></td></tr>`;
}

async function channelsTab() {
  const gen = state.routing;
  const { channels } = await api('/alerts/channels');
  if (gen !== state.routing) return;
  $('#view').innerHTML = `${tabs('channels')}<p class="muted">${t('al_channels_note')}</p>
    <div class="table-wrap">${channels.length ? `<table id="al-channels"><thead><tr><th>${t('al_name')}</th><th>${t('al_kind')}</th><th>${t('al_url')}</th><th>${t('al_format')}</th>
      <th>${t('al_mobiles')}</th><th>${t('al_secret')}</th><th>${t('status')}</th><th></th></tr></thead><tbody>${channels.map(channelRow).join('')}</tbody></table>`
      : `<p class="muted" id="al-channels-none">${t('al_no_channels')}</p>`}</div>
    <h3>${t('al_new_channel')}</h3>
    <form id="al-channel-form" class="row">
      <label>${t('al_name')} <input id="al-c-name" required maxlength="100"></label>
      <label>${t('al_kind')} <select id="al-c-kind">${CHANNEL_KINDS.map((k) => `<option value="${k}">${esc(t('alc_' + k))}</option>`).join('')}</select></label>
      <label>${t('al_url')} <input id="al-c-url" required type="url" size="40" maxlength="2000" placeholder="https://"></label>
      <label id="al-c-format-l">${t('al_format')} <select id="al-c-format"><option value="markdown">${t('alf_markdown')}</option><option value="text">${t('alf_text')}</option></select></label>
      <label id="al-c-secret-l">${t('al_secret')} <input id="al-c-secret" type="password" autocomplete="off" maxlength="200" placeholder="SEC…"></label>
      <label>${t('al_mobiles')} <input id="al-c-mobiles" maxlength="500" placeholder="13800000000, 13900000000"></label>
      <label id="al-c-template-l">${t('al_template')} <input id="al-c-template" size="40" maxlength="2000" placeholder='{"to":"{mobiles}","content":"{text}"}'></label>
      <button class="primary" type="submit" id="al-c-submit">${t('al_save')}</button></form>
    <p class="muted" id="al-c-hint"></p>`;
  const kind = $('#al-c-kind');
  const fit = () => {
    const k = kind.value;
    $('#al-c-format-l').hidden = k === 'sms';
    $('#al-c-secret-l').hidden = k !== 'dingtalk';
    $('#al-c-template-l').hidden = k !== 'sms';
    $('#al-c-hint').textContent = t('al_hint_' + k);
  };
  kind.onchange = fit;
  fit();
  $('#al-channel-form').onsubmit = async (e) => {
    e.preventDefault();
    const k = kind.value;
    const body = {
      name: $('#al-c-name').value.trim(), kind: k, url: $('#al-c-url').value.trim(), format: $('#al-c-format').value,
      secret: k === 'dingtalk' ? $('#al-c-secret').value.trim() || null : null,
      mobiles: $('#al-c-mobiles').value.split(/[,，\s]+/).filter(Boolean), template: k === 'sms' ? $('#al-c-template').value.trim() : null,
    };
    try {
      await api('/alerts/channels', { method: 'POST', body: JSON.stringify(body) });
      await channelsTab();
      show(true, t('al_saved') + t('colon') + body.name); // shown as text
    } catch (err) { show(false, err.message); }
  };
  document.querySelectorAll('#al-channels .al-toggle').forEach((b) => {
    const c = channels.find((x) => String(x.id) === b.closest('tr').dataset.id);
    b.onclick = async () => {
      try {
        // No URL and no secret: the stored ones are kept (they are never shown back).
        await api(`/alerts/channels/${c.id}`, { method: 'POST', body: JSON.stringify({ name: c.name, url: '', format: c.format, mobiles: c.mobiles, template: c.template, enabled: !c.enabled }) });
        await channelsTab();
        show(true, c.name + t('colon') + t(c.enabled ? 'al_off' : 'al_on')); // shown as text
      } catch (err) { show(false, err.message); }
    };
  });
}

async function logTab(page = 1) {
  const gen = state.routing;
  const r = await api(`/alerts/deliveries?page=${page}&per_page=${PER_PAGE}`);
  const { deliveries } = r;
  if (gen !== state.routing) return;
  const rows = deliveries.map((d) => {
    const last = d.attempt_log[d.attempt_log.length - 1];
    const answer = last ? `${last.http_status != null ? `HTTP ${last.http_status} ` : ''}${esc(last.answer.slice(0, 120))}` : '';
    return `<tr data-id="${d.id}" data-status="${d.status}"><td>${when(d.created_ms)}</td><td>${esc(en() ? d.title_en : d.title_zh)}</td>
      <td>${esc(d.channel)}${d.channel_kind ? ` <span class="muted">${esc(t('alc_' + d.channel_kind))}</span>` : ''}</td>
      <td><span class="tag ${d.status === 'sent' ? 'ok' : d.status === 'failed' ? 'bad' : 'warn'}">${t('als_' + d.status)}</span></td>
      <td class="num">${d.attempts}</td><td>${when(d.last_ms)}${d.status === 'pending' && d.attempts ? `<br><span class="muted">${t('al_next')} ${when(d.next_ms)}</span>` : ''}</td>
      <td class="mono al-answer">${answer}</td></tr>`;
  }).join('');
  $('#view').innerHTML = `${tabs('log')}<p class="muted">${t('al_log_note')}</p>
    <div class="table-wrap">${deliveries.length ? `<table id="al-log"><thead><tr><th>${t('al_time')}</th><th>${t('al_alert')}</th><th>${t('al_channel')}</th><th>${t('status')}</th>
      <th class="num">${t('al_attempts')}</th><th>${t('al_last_attempt')}</th><th>${t('al_answer')}</th></tr></thead><tbody>${rows}</tbody></table>`
      : `<p class="muted" id="al-log-none">${t('al_log_none')}</p>`}</div>${pager(r, 'al-log-pages')}`;
  wirePager($('#view'), (p) => logTab(p));
}

