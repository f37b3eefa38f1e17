// Reverse control and back-fill (设备反控与补传, #/device-control; docs/reverse-control.md):
// every device the account may control with its online state, the logger's clock drift at
// the last read, the last week's history requests (records asked for and received); for the
// chosen device a form per command (time, intervals, calibration, sampling, sample
// retention, parameters, a history request for a chosen span), the command log with the
// device's answers, and the hours marked back-filled. Every time is Beijing time. The menu
// entry is shown to the accounts whose acts include `see_devices`; the API decides again.
import { $, addDays, api, apiAll, bjToday, esc, inLang, pager, state, t, wirePager } from '../core.js';

/** The commands of the form: [kind, label key, fields]. */
const KINDS = [
  ['get_time', 'dc_k_get_time', []],
  ['set_time', 'dc_k_set_time', []],
  ['get_rtd_interval', 'dc_k_get_rtd', []],
  ['set_rtd_interval', 'dc_k_set_rtd', ['seconds']],
  ['get_min_interval', 'dc_k_get_min', []],
  ['set_min_interval', 'dc_k_set_min', ['minutes']],
  ['calibrate', 'dc_k_calibrate', ['pol_id']],
  ['sample', 'dc_k_sample', ['pol_id']],
  ['retain', 'dc_k_retain', ['pol_id']],
  ['get_info', 'dc_k_get_info', ['pol_id', 'info_id']],
  ['set_param', 'dc_k_set_param', ['pol_id', 'info_id', 'value']],
  ['history', 'dc_k_history', ['period', 'begin', 'end']],
];

const FIELDS = {
  seconds: () => `<label>${t('dc_f_seconds')} <input id="dc-seconds" type="number" min="30" max="3600" step="1" value="60" required></label>`,
  minutes: () => `<label>${t('dc_f_minutes')} <select id="dc-minutes">${[1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30].map((m) => `<option>${m}</option>`).join('')}</select></label>`,
  pol_id: () => `<label>${t('dc_f_pol_id')} <input id="dc-pol_id" maxlength="24" size="10" placeholder="a34004" required></label>`,
  info_id: () => `<label>${t('dc_f_info_id')} <input id="dc-info_id" maxlength="24" size="10" placeholder="i13004" required></label>`,
  value: () => `<label>${t('dc_f_value')} <input id="dc-value" maxlength="24" size="10" required></label>`,
  period: () => `<label>${t('dc_f_period')} <select id="dc-period"><option value="hour">${t('dc_p_hour')}</option><option value="min">${t('dc_p_min')}</option><option value="day">${t('dc_p_day')}</option></select></label>`,
  begin: () => `<label>${t('dc_f_begin')} <input id="dc-begin" type="datetime-local" required value="${addDays(bjToday(), -1)}T00:00"></label>`,
  end: () => `<label>${t('dc_f_end')} <input id="dc-end" type="datetime-local" required value="${addDays(bjToday(), -1)}T23:00"></label>`,
};

const STATE_CLASS = { done: 'ok', ready: 'warn', sent: 'warn', queued: '', refused: 'bad', failed: 'bad', timeout: 'bad', expired: 'bad' };

const bjCell = (s) => (s ? `<span class="nowrap">${esc(s)}</span>` : '<span class="muted">—</span>');
/** A time with its zone said (the device table has no column saying it). */
const when = (s) => `<span class="muted nowrap">${esc(s)} ${t('bj')}</span>`;

function devicesTable(devices, mn) {
  const online = (d) => {
    if (d.connected == null) return `<span class="tag">${t('dc_no_gateway')}</span>`;
    return d.connected ? `<span class="tag ok">${t('dc_online')}</span>` : `<span class="tag bad">${t('dc_offline')}</span>`;
  };
  const drift = (d) => (d.drift_s == null ? `<span class="muted">${t('dc_not_read')}</span>`
    : `<span class="${Math.abs(d.drift_s) > 60 ? 'bad' : ''}">${d.drift_s > 0 ? '+' : ''}${d.drift_s} ${t('dc_s')}</span><br>${when(d.drift_at)}`);
  return `<div class="table-wrap"><table id="dc-devices"><thead><tr><th>${t('dc_mn')}</th><th>${t('dc_station')}</th><th>${t('dc_state')}</th>
    <th>${t('dc_drift')}</th><th class="num">${t('dc_requests')}</th><th class="num">${t('dc_records')}</th><th class="num">${t('dc_queued')}</th><th></th></tr></thead><tbody>
    ${devices.map((d) => `<tr data-mn="${esc(d.mn)}" class="${d.mn === mn ? 'here' : ''}"><td class="mono">${esc(d.mn)}</td><td>${esc(d.station)}</td><td>${online(d)}${d.last_seen ? `<br>${when(d.last_seen)}` : ''}</td>
      <td>${drift(d)}</td><td class="num">${d.requests}${d.requests_incomplete ? ` <span class="tag bad">${d.requests_incomplete} ${t('dc_incomplete')}</span>` : ''}</td>
      <td class="num dc-records">${d.records_received} / ${d.records_asked}</td><td class="num">${d.queued}</td>
      <td><a href="#/device-control?mn=${encodeURIComponent(d.mn)}">${t('dc_choose')}</a></td></tr>`).join('')}</tbody></table></div>`;
}

function logTable(commands) {
  if (!commands.length) return `<p class="muted" id="dc-log-none">${t('dc_log_none')}</p>`;
  const name = (c) => (state.lang === 'zh' ? c.name_zh : c.name_en);
  const stateText = (c) => t('dc_st_' + c.state);
  const note = (c) => inLang(c.note);
  const extra = (c) => {
    if (c.note) return `<br><span class="muted">${esc(note(c))}</span>`;
    if (c.drift_s != null) return `<br>${t('dc_drift')}${t('colon')}${Number(c.drift_s)} ${t('dc_s')}`;
    return '';
  };
  return `<div class="table-wrap"><table id="dc-log"><thead><tr><th>${t('dc_created')}</th><th>${t('dc_command')}</th><th>${t('dc_origin')}</th><th>${t('dc_state')}</th>
    <th>${t('dc_answers')}</th><th class="num">${t('dc_records')}</th><th>${t('dc_reply')}</th><th>${t('dc_by')}</th></tr></thead><tbody>
    ${commands.map((c) => `<tr data-id="${c.id}" data-state="${esc(c.state)}" data-cn="${c.cn}"><td>${bjCell(c.created)}</td>
      <td><span class="muted">#${c.id}</span> <span class="mono">CN=${c.cn}</span> ${esc(name(c))}${c.begin ? `<br><span class="muted nowrap">${esc(c.begin)} – ${esc(c.end)}</span>` : ''}</td>
      <td>${t('dc_o_' + c.origin)}</td><td><span class="tag ${STATE_CLASS[c.state] || ''}">${esc(stateText(c))}</span>${c.state === 'queued' ? ` <button type="button" class="secondary dc-cancel">${t('dc_cancel')}</button>` : ''}</td>
      <td class="nowrap">QnRtn=${c.qn_rtn ?? '—'}<br>ExeRtn=${c.exe_rtn ?? '—'}</td>
      <td class="num">${c.records_expected != null ? `${c.records_received} / ${c.records_expected}` : (c.records_received || '—')}</td>
      <td><span class="mono">${esc(c.reply).replace(/\n/g, '<br>')}</span>${extra(c)}</td>
      <td>${esc(c.requested_by === 'gateway' ? t('dc_gateway') : c.requested_by)}</td></tr>`).join('')}</tbody></table></div>`;
}

function marksTable(marks) {
  if (!marks.length) return `<p class="muted" id="dc-marks-none">${t('dc_marks_none')}</p>`;
  return `<div class="table-wrap"><table id="dc-marks"><thead><tr><th>${t('dc_hour')}</th><th>${t('dc_origin')}</th><th>${t('dc_command')}</th><th>${t('dc_received')}</th></tr></thead><tbody>
    ${marks.map((m) => `<tr data-origin="${esc(m.origin)}"><td>${bjCell(m.time)}</td><td>${t('dc_m_' + m.origin)}</td><td>${m.command_id != null ? `#${m.command_id}` : '—'}</td><td>${bjCell(m.received)}</td></tr>`).join('')}</tbody></table></div>`;
}

/** Commands per page of a device's log (newest first; 上一页 / 下一页 walk the rest). */
const LOG_PER_PAGE = 100;
/** The page of the log shown. */
let logPage = 1;

/** The log's page `page` of device `mn`. */
const logOf = (mn, page) => api(`/device-commands?mn=${encodeURIComponent(mn)}&page=${page}&per_page=${LOG_PER_PAGE}`);

/** The log box: the table and its pager. */
const logBox = (log) => logTable(log.commands || []) + pager(log, 'dc-log-pages');

export async function deviceControlPage(rest) {
  const gen = state.routing;
  const q = new URLSearchParams(rest.replace(/^\?/, ''));
  // Every device the account may control (a county's: hundreds), a page of 1000 at a time.
  const r = await apiAll('/device-control', 'devices');
  if (gen !== state.routing) return;
  const devices = r.devices || [];
  const mn = q.get('mn') || (devices[0] && devices[0].mn) || '';
  const device = devices.find((d) => d.mn === mn);
  let log = { commands: [] };
  let marks = { marks: [] };
  if (mn !== deviceControlPage.mn) logPage = 1;
  deviceControlPage.mn = mn;
  if (device) {
    const from = `${addDays(bjToday(), -7)} 00:00`;
    const to = `${addDays(bjToday(), 1)} 00:00`;
    [log, marks] = await Promise.all([
      logOf(mn, logPage),
      api(`/backfilled?station=${encodeURIComponent(device.station)}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`),
    ]);
    if (gen !== state.routing) return;
  }
  $('#view').innerHTML = `<h2>${t('dc_title')}</h2><p class="muted">${t('dc_note')}</p>
    ${devices.length ? devicesTable(devices, mn) : `<p class="muted" id="dc-none">${t('dc_none')}</p>`}
    ${device ? `<h3>${t('dc_send')} <span class="mono">${esc(mn)}</span></h3><p class="muted">${t('dc_send_note')}</p>
    <form id="dc-form" class="row"><label>${t('dc_command')} <select id="dc-kind">${KINDS.map(([k, key]) => `<option value="${k}">${t(key)}</option>`).join('')}</select></label>
      <span id="dc-fields"></span><label>${t('dc_expires')} <input id="dc-expires" type="number" min="1" max="168" value="24" size="4"></label>
      <button class="primary" type="submit" id="dc-submit">${t('dc_submit')}</button></form><div id="dc-result" role="status"></div>
    <h3>${t('dc_log')}</h3><div id="dc-log-box">${logBox(log)}</div>
    <h3>${t('dc_marks')}</h3><p class="muted">${t('dc_marks_note')}</p>${marksTable(marks.marks || [])}` : ''}`;
  if (device) {
    wire(mn, rest);
    wireLogPager(mn, rest, gen);
    watchLog(mn, rest, gen, log.commands || []);
  }
}

/** The log's pager shows another page of it (the rest of the page stays as it is). */
function wireLogPager(mn, rest, gen) {
  wirePager($('#dc-log-box'), async (n) => {
    logPage = n;
    const log = await logOf(mn, logPage);
    if (gen !== state.routing || !$('#dc-log-box')) return;
    $('#dc-log-box').innerHTML = logBox(log);
    wireCancel(rest);
    wireLogPager(mn, rest, gen);
  });
}

/** The page's latest drawing: an older one's watcher stops. */
let drawing = 0;
const PENDING = ['queued', 'sent', 'ready'];

/**
 * While a command of the log is not final, the log (only: a form being filled stays as it
 * is) is read again every 3 s, so that replies appear without a reload.
 */
function watchLog(mn, rest, gen, commands) {
  const mine = ++drawing;
  const tick = async (pending) => {
    if (!pending) return;
    await new Promise((ok) => { setTimeout(ok, 3000); });
    if (mine !== drawing || gen !== state.routing || !$('#dc-log-box')) return;
    try {
      const log = await logOf(mn, logPage);
      if (mine !== drawing || gen !== state.routing || !$('#dc-log-box')) return;
      $('#dc-log-box').innerHTML = logBox(log);
      wireCancel(rest);
      wireLogPager(mn, rest, gen);
      tick((log.commands || []).some((c) => PENDING.includes(c.state)));
    } catch { tick(true); }
  };
  tick(commands.some((c) => PENDING.includes(c.state)));
}

function wireCancel(rest) {
  document.querySelectorAll('#dc-log .dc-cancel').forEach((b) => {
    b.onclick = async () => {
      b.disabled = true;
      try {
        await api(`/device-commands/${b.closest('tr').dataset.id}/cancel`, { method: 'POST', body: '{}' });
        await deviceControlPage(rest);
      } catch (err) {
        b.disabled = false;
        const p = document.createElement('p');
        p.className = 'error';
        p.textContent = err.message;
        $('#dc-result').replaceChildren(p);
      }
    };
  });
}

function wire(mn, rest) {
  const drawFields = () => {
    const kind = KINDS.find(([k]) => k === $('#dc-kind').value);
    $('#dc-fields').innerHTML = kind[2].map((f) => FIELDS[f]()).join(' ');
  };
  $('#dc-kind').onchange = drawFields;
  drawFields();
  wireCancel(rest);
  $('#dc-form').onsubmit = async (e) => {
    e.preventDefault();
    const btn = $('#dc-submit');
    btn.disabled = true;
    const out = $('#dc-result');
    try {
      const kind = $('#dc-kind').value;
      const body = { kind, expires_h: Number($('#dc-expires').value) };
      for (const f of KINDS.find(([k]) => k === kind)[2]) {
        const v = $(`#dc-${f}`).value.trim();
        if (f === 'seconds' || f === 'minutes') body[f] = Number(v);
        else if (f === 'begin' || f === 'end') body[f] = v.replace('T', ' ');
        else if (v) body[f] = v;
      }
      const c = await api(`/devices/${encodeURIComponent(mn)}/commands`, { method: 'POST', body: JSON.stringify(body) });
      await deviceControlPage(rest);
      const p = document.createElement('p');
      p.className = 'notice';
      p.id = 'dc-queued';
      p.textContent = `${t('dc_queued_done')} ${c.id}${t('colon')}CN=${c.cn} ` + (state.lang === 'zh' ? c.name_zh : c.name_en);
      $('#dc-result').append(p);
    } catch (err) {
      btn.disabled = false;
      out.textContent = '';
      const p = document.createElement('p');
      p.className = 'error';
      p.textContent = err.message;
      out.append(p);
    }
  };
}
