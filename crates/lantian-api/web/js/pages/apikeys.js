// The bureau's open-data API keys (开放数据密钥, #/apikeys; docs/open-data.md "Keys"): every
// key with its holder, e-mail, purpose, creation and last use (北京时间), requests served, its
// limit (its own or the server's default) and its revocation with the reason; a key's own
// limit set or returned to the default (inline form), a key revoked with a required reason
// (inline form), and a key made for someone (shown once, with a copy button). The menu entry
// is shown to the accounts whose acts include `manage_api_keys`; the API decides again.
import { $, api, esc, pager, state, t, wirePager } from '../core.js';

/** `3600/小时 · 突发 120` in the page's language. */
const limitText = (l) => `${Number(l.per_hour).toLocaleString()}${t('ak_per_hour_unit')} · ${t('ak_burst')} ${Number(l.burst).toLocaleString()}`;

/** A time the API sends (`YYYY-MM-DD HH:MM 北京时间`): the date and time kept together. */
const when = (s) => `<span class="nowrap">${esc(String(s).replace(/\s*北京时间\s*$/, ''))}</span> <span class="muted">${t('bj')}</span>`;

/** A key's limit: its own, or the default (marked as such). */
function limitCell(k, defaults) {
  if (k.per_hour != null && k.burst != null) {
    return `<span class="ak-limit" data-own="true" data-per-hour="${k.per_hour}" data-burst="${k.burst}">${limitText(k)}</span>`;
  }
  return `<span class="ak-limit muted" data-own="false">${t('ak_default')}${defaults ? ` (${limitText(defaults)})` : ''}</span>`;
}

/** A key's state: in use, or revoked when, by whom and why. */
function stateCell(k) {
  if (!k.revoked) return `<span class="tag ok ak-state" data-revoked="false">${t('ak_active')}</span>`;
  return `<span class="tag bad ak-state" data-revoked="true">${t('ak_revoked')}</span><br><span class="muted">${when(k.revoked_bj)}${k.revoked_by ? ` · ${esc(k.revoked_by)}` : ''}</span>
    ${k.revoked_reason ? `<br><span class="ak-reason">${t('ak_reason')}${t('colon')}${esc(k.revoked_reason)}</span>` : ''}`;
}

function row(k, defaults) {
  return `<tr data-id="${k.id}" data-prefix="${esc(k.prefix)}" data-revoked="${k.revoked}">
    <td class="nowrap mono">${esc(k.prefix)}…</td>
    <td>${esc(k.name)}<br><a class="muted" href="mailto:${esc(k.email)}">${esc(k.email)}</a></td>
    <td class="ak-purpose">${esc(k.purpose)}</td>
    <td>${when(k.created_bj)}<br><span class="muted">${esc(k.created_by)}</span></td>
    <td>${k.last_used_bj ? when(k.last_used_bj) : `<span class="muted">${t('ak_never')}</span>`}</td>
    <td class="num ak-requests">${Number(k.requests).toLocaleString()}</td>
    <td>${limitCell(k, defaults)}</td>
    <td>${stateCell(k)}</td>
    <td class="ak-acts">${k.revoked ? '' : `<button type="button" class="secondary ak-limit-open">${t('ak_set_limit')}</button> <button type="button" class="secondary ak-revoke-open">${t('ak_revoke')}</button>`}</td></tr>`;
}

/** Keys per page (newest first; 上一页 / 下一页 walk the rest: anyone may sign up). */
const PER_PAGE = 100;
/** The page shown (kept while the page is drawn again after a change). */
let page = 1;

export async function apikeysPage(n = 1) {
  page = n;
  const gen = state.routing;
  const r = await api(`/apikeys?page=${page}&per_page=${PER_PAGE}`);
  if (gen !== state.routing) return;
  const keys = r.keys || [];
  const d = r.defaults || {};
  $('#view').innerHTML = `<h2>${t('ak_title')}</h2>
    <p class="muted">${t('ak_note')} <a href="#/opendata">${t('nav_opendata')}</a></p>
    ${d.key ? `<p class="muted" id="ak-defaults">${t('ak_defaults')}${t('colon')}${t('ak_key_bucket')} ${limitText(d.key)}; ${t('ak_public_bucket')} ${limitText(d.public)}; ${t('ak_signup_bucket')} ${limitText(d.signup)}</p>` : ''}
    <div id="ak-result" role="status"></div>
    <div class="table-wrap">${keys.length ? `<table id="apikeys-table"><thead><tr><th>${t('ak_prefix')}</th><th>${t('ak_holder')}</th><th>${t('ak_purpose')}</th><th>${t('ak_created')}</th>
      <th>${t('ak_last_used')}</th><th class="num nowrap">${t('ak_requests')}</th><th>${t('ak_limit')}</th><th>${t('status')}</th><th></th></tr></thead>
      <tbody>${keys.map((k) => row(k, d.key)).join('')}</tbody></table><p class="muted">${t('cs_total')} ${r.total ?? keys.length}</p>${pager(r, 'apikeys-pages')}`
      : `<p class="muted" id="apikeys-none">${t('ak_none')}</p>`}</div>
    <h3>${t('ak_create')}</h3><p class="muted">${t('ak_create_note')}</p>
    <form id="ak-create" class="row">
      <label>${t('ak_name')} <input id="ak-name" required maxlength="100"></label>
      <label>${t('ak_email')} <input id="ak-email" type="email" required maxlength="254"></label>
      <label>${t('ak_purpose')} <input id="ak-purpose" required minlength="2" maxlength="2000" size="30"></label>
      <label>${t('ak_per_hour')} <input id="ak-per-hour" type="number" min="1" max="1000000" step="1" placeholder="${esc(t('ak_default_short'))}"></label>
      <label>${t('ak_burst_label')} <input id="ak-burst" type="number" min="1" max="100000" step="1" placeholder="${esc(t('ak_default_short'))}"></label>
      <button class="primary" type="submit" id="ak-create-submit">${t('ak_create_submit')}</button></form>
    <div id="ak-issued"></div>`;
  wirePager($('#view'), (n) => apikeysPage(n));
  wire(keys);
}

/** Shows a result above the table (the page is drawn again after each change). */
function show(ok, message) {
  const out = $('#ak-result');
  out.textContent = '';
  const p = document.createElement('p');
  p.className = ok ? 'notice' : 'error';
  p.textContent = message;
  out.append(p);
}

/** `{ per_hour, burst }` from two inputs: both numbers, or neither (the default). */
function limitBody(perHour, burst) {
  const [p, b] = [perHour.value.trim(), burst.value.trim()];
  if (!p && !b) return {};
  if (!p || !b) throw new Error(t('ak_both'));
  return { per_hour: Number(p), burst: Number(b) };
}

/** An inline form after the row's buttons (one at a time per row). */
function inlineForm(tr, cls, html, onsubmit) {
  const cell = tr.querySelector('.ak-acts');
  cell.querySelectorAll('form').forEach((f) => f.remove());
  const form = document.createElement('form');
  form.className = `row ${cls}`;
  form.innerHTML = `${html} <button type="button" class="secondary ak-cancel">${t('sl_cancel')}</button>`;
  cell.append(form);
  form.querySelector('input').focus();
  form.querySelector('.ak-cancel').onclick = () => form.remove();
  form.onsubmit = async (e) => {
    e.preventDefault();
    const btns = form.querySelectorAll('button');
    btns.forEach((b) => { b.disabled = true; });
    try {
      const message = await onsubmit(form, e.submitter);
      await apikeysPage(page);
      show(true, message);
    } catch (err) {
      btns.forEach((b) => { b.disabled = false; });
      show(false, err.message);
    }
  };
  return form;
}

function wire(keys) {
  const byId = new Map(keys.map((k) => [String(k.id), k]));
  document.querySelectorAll('#apikeys-table tbody tr').forEach((tr) => {
    const k = byId.get(tr.dataset.id);
    const path = `/apikeys/${k.id}`;
    const limitOpen = tr.querySelector('.ak-limit-open');
    if (limitOpen) {
      limitOpen.onclick = () => inlineForm(tr, 'ak-limit-form', `<label>${t('ak_per_hour')} <input class="ak-f-per-hour" type="number" min="1" max="1000000" step="1" value="${k.per_hour ?? ''}"></label>
        <label>${t('ak_burst_label')} <input class="ak-f-burst" type="number" min="1" max="100000" step="1" value="${k.burst ?? ''}"></label>
        <button type="submit" class="primary ak-limit-save">${t('ak_save')}</button> <button type="submit" class="secondary ak-limit-default" data-default="true">${t('ak_to_default')}</button>`,
      async (form, by) => {
        const body = by && by.dataset.default ? {} : limitBody(form.querySelector('.ak-f-per-hour'), form.querySelector('.ak-f-burst'));
        await api(path + '/limit', { method: 'POST', body: JSON.stringify(body) });
        return `${k.prefix}… ${t('ak_limit_set')}${t('colon')}${body.per_hour ? limitText(body) : t('ak_default')}`;
      });
    }
    const revokeOpen = tr.querySelector('.ak-revoke-open');
    if (revokeOpen) {
      revokeOpen.onclick = () => inlineForm(tr, 'ak-revoke-form', `<label>${t('ak_reason')} <input class="ak-f-reason" required minlength="2" maxlength="500" size="24"></label>
        <button type="submit" class="primary ak-revoke-confirm">${t('ak_revoke')}</button>`,
      async (form) => {
        await api(path + '/revoke', { method: 'POST', body: JSON.stringify({ reason: form.querySelector('.ak-f-reason').value.trim() }) });
        return `${k.prefix}… ${t('ak_revoked_done')}`;
      });
    }
  });
  $('#ak-create').onsubmit = async (e) => {
    e.preventDefault();
    const btn = $('#ak-create-submit');
    btn.disabled = true;
    try {
      const body = { name: $('#ak-name').value.trim(), email: $('#ak-email').value.trim(), purpose: $('#ak-purpose').value.trim(), ...limitBody($('#ak-per-hour'), $('#ak-burst')) };
      const k = await api('/apikeys', { method: 'POST', body: JSON.stringify(body) });
      await apikeysPage(page);
      // The key is in this answer only: shown once, after the list is drawn again.
      $('#ak-issued').innerHTML = `<div class="notice" id="ak-issued-box"><p>${t('ak_issued')} ${esc(k.name)}${t('colon')}<code id="ak-issued-key">${esc(k.key)}</code>
        <button type="button" class="secondary" id="ak-copy">${t('ak_copy')}</button> <span id="ak-copied" role="status"></span></p><p class="muted">${t('ak_issued_note')}</p></div>`;
      $('#ak-copy').onclick = () => copy(k.key);
    } catch (err) {
      btn.disabled = false;
      show(false, err.message);
    }
  };
}

/** Copies `text` to the clipboard (the selection is the fallback where the browser refuses). */
async function copy(text) {
  const out = $('#ak-copied');
  try {
    await navigator.clipboard.writeText(text);
    out.textContent = t('ak_copied');
    out.dataset.copied = 'true';
  } catch {
    const range = document.createRange();
    range.selectNodeContents($('#ak-issued-key'));
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    out.textContent = t('ak_copy_by_hand');
    out.dataset.copied = 'false';
  }
}
