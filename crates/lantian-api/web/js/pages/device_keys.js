// HJ 212-2025 device keys and MN assignment (设备密钥与赋码, #/device-keys; docs/hj212-2025.md):
// each device's SM4 keys (version, state, wire form, created, activated, rotation due in 北京时间,
// overdue flagged), a key set (random unless typed in) or rotated (the gateway sends it with
// 1014), the key shown once with a copy button; loggers that announced their hardware serial
// (1001) with an assign form (the gateway sends the MN with 1002). The menu entry is shown to
// the accounts whose acts include `manage_register`; the API decides again.
import { $, api, apiAll, esc, state, t } from '../core.js';

/** A time the API sends (`YYYY-MM-DD HH:MM`, Beijing time). */
const when = (s) => (s ? `<span class="nowrap">${esc(s)}</span> <span class="muted">${t('bj')}</span>` : '<span class="muted">—</span>');

const STATE_CLASS = { active: 'ok', pending: 'warn', retiring: 'warn', retired: 'info' };

function keyState(k) {
  const label = state.lang === 'zh' ? k.state_zh : t(`dk_state_${k.state}`);
  return `<span class="tag ${STATE_CLASS[k.state] || ''} dk-state" data-state="${esc(k.state)}">${esc(label)}</span>`;
}

function keyRow(k) {
  const due = k.rotation_due
    ? `${when(k.rotation_due)}${k.overdue ? ` <span class="tag bad dk-overdue">${t('dk_overdue')}</span>` : ''}`
    : '<span class="muted">—</span>';
  const extra = k.state === 'retiring' ? `<br><span class="muted">${t('dk_grace_until')} ${when(k.retire_after)}</span>`
    : k.state === 'pending' ? `<br><span class="muted">${k.sent ? `${t('dk_sent')} ${when(k.sent)}` : t('dk_not_sent')}</span>` : '';
  return `<tr data-mn="${esc(k.mn)}" data-version="${k.version}" data-state="${esc(k.state)}">
    <td class="mono nowrap">${esc(k.mn)}</td><td class="num">v${k.version}</td><td>${keyState(k)}${extra}</td>
    <td>${esc(k.wire === 'hex' ? t('dk_wire_hex') : t('dk_wire_binary'))}</td>
    <td>${when(k.created)}<br><span class="muted">${esc(k.created_by)}</span></td><td>${when(k.activated)}</td><td>${due}</td>
    <td>${k.state === 'active' ? `<button type="button" class="secondary dk-rotate">${t('dk_rotate')}</button>` : ''}</td></tr>`;
}

function serialRow(s) {
  const label = state.lang === 'zh' ? s.state_zh : t(`dk_serial_${s.state}`);
  return `<tr data-serial="${esc(s.serial)}" data-state="${esc(s.state)}">
    <td class="mono">${esc(s.serial)}</td><td class="mono">${esc(s.cpu_id || '—')}<br><span class="muted">${esc(s.mac || '')}</span></td>
    <td class="mono">${esc(s.claimed_mn || '—')}<br><span class="muted">${esc(s.peer)}</span></td>
    <td>${when(s.first)}<br>${when(s.last)} <span class="muted">(${s.uploads})</span></td>
    <td><span class="tag ${s.state === 'confirmed' ? 'ok' : 'warn'} dk-serial-state">${esc(label)}</span>${s.assigned_mn ? `<br><span class="mono">${esc(s.assigned_mn)}</span>` : ''}</td>
    <td><form class="row dk-assign"><input class="dk-assign-mn mono" required maxlength="24" size="26" placeholder="${esc(t('dk_mn'))}" value="${esc(s.assigned_mn || '')}">
      <button type="submit" class="secondary">${t('dk_assign')}</button></form></td></tr>`;
}

export async function deviceKeysPage() {
  const gen = state.routing;
  // Every device's keys and every serial (a county's: hundreds), a page of 1000 at a time.
  const [kr, sr] = await Promise.all([apiAll('/device-keys', 'keys'), apiAll('/logger-serials', 'serials')]);
  if (gen !== state.routing) return;
  const keys = kr.keys || [];
  const serials = sr.serials || [];
  $('#view').innerHTML = `<style>#dk-set label.dk-wrap { flex-wrap: wrap; white-space: normal; max-width: 100%; } #dk-set input { max-width: 100%; box-sizing: border-box; }</style>
    <h2>${t('dk_title')}</h2>
    <p class="muted">${t('dk_note')}</p>
    <div id="dk-result" role="status"></div>
    <h3>${t('dk_keys')}</h3>
    <div class="table-wrap">${keys.length ? `<table id="dk-keys"><thead><tr><th>${t('dk_mn')}</th><th>${t('dk_version')}</th><th>${t('status')}</th><th>${t('dk_wire')}</th>
      <th>${t('dk_created')}</th><th>${t('dk_activated')}</th><th>${t('dk_due')}</th><th></th></tr></thead>
      <tbody>${keys.map(keyRow).join('')}</tbody></table>` : `<p class="muted" id="dk-none">${t('dk_none')}</p>`}</div>
    <h3>${t('dk_set')}</h3><p class="muted">${t('dk_set_note')}</p>
    <form id="dk-set" class="row">
      <label class="dk-wrap">${t('dk_mn')} <input id="dk-set-mn" class="mono" required maxlength="24" size="24"></label>
      <label class="dk-wrap">${t('dk_key')} <input id="dk-set-key" class="mono" maxlength="32" size="32" placeholder="${esc(t('dk_key_random'))}"></label>
      <label>${t('dk_wire')} <select id="dk-set-wire"><option value="binary">${t('dk_wire_binary')}</option><option value="hex">${t('dk_wire_hex')}</option></select></label>
      <button class="primary" type="submit" id="dk-set-submit">${t('dk_set_submit')}</button></form>
    <div id="dk-issued"></div>
    <h3>${t('dk_serials')}</h3><p class="muted">${t('dk_serials_note')}</p>
    <div class="table-wrap">${serials.length ? `<table id="dk-serials"><thead><tr><th>${t('dk_serial')}</th><th>${t('dk_cpu_mac')}</th><th>${t('dk_used_mn')}</th>
      <th>${t('dk_first_last')}</th><th>${t('status')}</th><th>${t('dk_assign')}</th></tr></thead>
      <tbody>${serials.map(serialRow).join('')}</tbody></table>` : `<p class="muted" id="dk-serials-none">${t('dk_serials_none')}</p>`}</div>`;
  wire();
}

function show(ok, message) {
  const out = $('#dk-result');
  out.textContent = '';
  const p = document.createElement('p');
  p.className = ok ? 'notice' : 'error';
  p.textContent = message;
  out.append(p);
}

/** The key of a set or rotation: in this answer only, shown once with a copy button. */
/** The new key, shown once: a rotation travels by 1014 itself, a key set by hand does not. */
function issued(c, rotated = false) {
  $('#dk-issued').innerHTML = `<div class="notice" id="dk-issued-box"><p>${esc(c.key.mn)} v${c.key.version}${t('colon')}<code id="dk-issued-key">${esc(c.secret_hex)}</code>
    <button type="button" class="secondary" id="dk-copy">${t('ak_copy')}</button></p><p class="muted">${t(rotated ? 'dk_rotated_note' : 'dk_issued_note')}</p></div>`;
  $('#dk-copy').onclick = async () => {
    if (!navigator.clipboard) return;
    await navigator.clipboard.writeText(c.secret_hex).then(() => { $('#dk-copy').textContent = t('dk_copied'); }, () => {});
  };
}

async function act(run, message) {
  try {
    const r = await run();
    await deviceKeysPage();
    show(true, message(r));
    return r;
  } catch (err) {
    show(false, err.message);
    return null;
  }
}

function wire() {
  document.querySelectorAll('#dk-keys .dk-rotate').forEach((b) => {
    const mn = b.closest('tr').dataset.mn;
    b.onclick = async () => {
      b.disabled = true;
      const c = await act(() => api(`/devices/${encodeURIComponent(mn)}/key/rotate`, { method: 'POST', body: '{}' }),
        (r) => `${mn} v${r.key.version} ${t('dk_rotated')}`);
      if (c) issued(c, true);
      else b.disabled = false;
    };
  });
  $('#dk-set').onsubmit = async (e) => {
    e.preventDefault();
    const mn = $('#dk-set-mn').value.trim();
    const body = { key: $('#dk-set-key').value.trim() || null, wire: $('#dk-set-wire').value };
    $('#dk-set-submit').disabled = true;
    const c = await act(() => api(`/devices/${encodeURIComponent(mn)}/key`, { method: 'POST', body: JSON.stringify(body) }),
      (r) => `${mn} v${r.key.version} ${t('dk_set_done')}`);
    if (c) issued(c);
    else $('#dk-set-submit').disabled = false;
  };
  document.querySelectorAll('#dk-serials form.dk-assign').forEach((f) => {
    const serial = f.closest('tr').dataset.serial;
    f.onsubmit = async (e) => {
      e.preventDefault();
      const mn = f.querySelector('.dk-assign-mn').value.trim();
      await act(() => api(`/logger-serials/${encodeURIComponent(serial)}/mn`, { method: 'POST', body: JSON.stringify({ mn }) }),
        () => `${serial} → ${mn} ${t('dk_assigned')}`);
    };
  });
}
