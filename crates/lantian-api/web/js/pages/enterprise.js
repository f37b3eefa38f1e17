// One enterprise: its register entry; per outlet a day of CEMS hours (normalised 折算
// concentrations against the limits, stopped hours, exceedances, the device's own figures
// checked) charted and tabled, with the day's totals; the enterprise's daily and monthly
// totals; its equipment hour by hour with the findings; vehicles at its gate (monthly
// clean-transport shares, a day's passages, the gate-record upload); and its disclosure.
import { $, addDays, api, bj, bjToday, esc, fmt, hourSpan, state, t, upload } from '../core.js';
import { actsFor, unitName } from './enterprises.js';

/** The flue-gas pollutants of CEMS, in the order shown, with their chart colours. */
const POLLUTANTS = [['a21026', '#1769aa'], ['a21002', '#7b3294'], ['a34013', '#e08214']];
const HOUR_S = 3600;
const DAY_S = 86400;
/** Months of clean-transport shares shown, ending with the chosen day's. */
const SHARE_MONTHS = 12;

const pollutantName = (code) => t('code_' + code);
/** Rows of pollutants in the order shown. */
const byCode = (items) => POLLUTANTS.flatMap(([c]) => items.filter((x) => x.code === c)).concat(items.filter((x) => !POLLUTANTS.some(([c]) => c === x.code)));
/** `YYYY-MM-DD HH:MM` (Beijing time) as Beijing wall-clock seconds, read as UTC. */
const wallSeconds = (text) => Date.parse(text.slice(0, 10) + 'T' + text.slice(11, 16) + ':00Z') / 1000;
/** A section's message when the API refuses it or fails. */
const refused = (err) => `<p class="muted">${esc(state.me ? err.message : t('ent_login_to_see'))}</p>`;

export async function enterprisePage(rest) {
  const [idPart, query] = rest.split('?');
  const id = decodeURIComponent(idPart);
  const q = new URLSearchParams(query || '');
  const today = bjToday();
  const date = /^\d{4}-\d{2}-\d{2}$/.test(q.get('date') || '') ? q.get('date') : today;
  const gen = state.routing;
  const e = await api('/enterprises/' + encodeURIComponent(id));
  if (gen !== state.routing) return;
  const me = state.me;
  const acts = actsFor(e);
  const yn = (b) => (b ? t('yes') : t('no'));
  const kv = (k, v, attr = '') => `<div><span class="muted">${k}${t('colon')}</span><span ${attr}>${v}</span></div>`;
  const target = e.clean_transport_target_pct == null ? '—' : `${e.clean_transport_target_pct}%`;
  $('#view').innerHTML = `<h2 id="enterprise-name">${esc(e.name)}${e.demo ? ` <span class="muted">(${t('demo')})</span>` : ''}</h2>
    ${e.demo ? `<p class="notice">${t('ent_demo_notice')}</p>` : ''}
    <div class="card kv" id="enterprise-info">
      ${kv(t('ent_credit_code'), esc(e.credit_code || '—'))}${kv(t('unit'), esc(unitName(e) || '—'))}${kv(t('ent_industry'), esc(e.industry || '—'))}
      ${kv(t('ent_grade'), esc(e.grade || '—'), 'id="enterprise-grade"')}${kv(t('ent_key_polluter'), yn(e.key_polluter))}${kv(t('ent_permit'), esc(e.permit_no || '—'))}
      ${kv(t('ent_clean_target'), target)}${kv(t('ent_disclosure'), e.discloses ? `<b>${t('ent_published')}</b>` : t('ent_not_published'), 'id="enterprise-discloses"')}
      ${e.disclosure_note ? `<div class="wide"><span class="muted">${t('ent_treatment_note')}${t('colon')}</span><span id="enterprise-note">${esc(e.disclosure_note)}</span></div>` : ''}
    </div>
    <p class="filters day-bar"><label>${t('ent_day')}（${t('bj')}） <input id="day" type="date" value="${esc(date)}" max="${today}"></label>
      <button type="button" id="day-prev">${t('prev_day')}</button> <button type="button" id="day-next" ${date >= today ? 'disabled' : ''}>${t('next_day')}</button>
      <button type="button" id="day-today">${t('today')}</button> <button type="button" id="day-yesterday">${t('yesterday')}</button></p>
    <h3>${t('ent_outlets_cems')}</h3><div id="outlets"></div>
    <h3>${t('ent_totals')}</h3><div id="totals"></div>
    <h3>${t('ent_working_condition')}</h3><div id="working"></div>
    <h3>${t('ent_vehicles')}</h3><div id="vehicles"></div>
    ${acts ? disclosureForm(e) : ''}`;
  const goDay = (d) => { location.hash = `#/enterprise/${encodeURIComponent(id)}?date=${d}`; };
  $('#day').onchange = () => { if ($('#day').value) goDay($('#day').value); };
  $('#day-prev').onclick = () => goDay(addDays(date, -1));
  $('#day-next').onclick = () => goDay(addDays(date, 1));
  $('#day-today').onclick = () => goDay(today);
  $('#day-yesterday').onclick = () => goDay(addDays(today, -1));
  if (acts) bindDisclosure(e);

  if (!e.outlets.length) {
    $('#outlets').innerHTML = `<p class="muted" id="no-outlets">${me ? t('ent_no_outlets') : t('ent_not_published_public')}</p>`;
  } else {
    $('#outlets').innerHTML = e.outlets.map((o) => `<section class="card outlet" id="outlet-${esc(o.id)}" data-outlet="${esc(o.id)}"><p>${t('loading')}</p></section>`).join('');
  }
  // Each section loads on its own; one the API refuses (or that fails) says so in its place.
  const section = (el, load) => load().catch((err) => { if (gen === state.routing) el().innerHTML = refused(err); });
  const jobs = e.outlets.map((o) => section(() => sectionOf(o.id), () => outletSection(o, date, gen)));
  if (e.outlets.length) jobs.push(section(() => $('#totals'), () => totalsSection(e, date, gen)));
  else $('#totals').innerHTML = '<p class="muted">—</p>';
  if (me) {
    jobs.push(section(() => $('#working'), () => workingSection(e, date, gen)));
    jobs.push(section(() => $('#vehicles'), () => vehiclesSection(e, date, acts, gen)));
  } else {
    $('#working').innerHTML = $('#vehicles').innerHTML = `<p class="muted">${t('ent_login_to_see')}</p>`;
  }
  await Promise.all(jobs);
}

const sectionOf = (outletId) => document.querySelector(`section.outlet[data-outlet="${CSS.escape(outletId)}"]`);

/** The enterprise's own account and the bureau publish or withdraw its monitoring data. */
function disclosureForm(e) {
  return `<div class="card" id="disclosure"><h3>${t('ent_disclosure')}</h3><p class="muted">${t('ent_disclosure_basis')}</p>
    <p>${t('ent_disclosure_now')}${t('colon')}<b id="disclosure-state">${e.discloses ? t('ent_published') : t('ent_not_published')}</b></p>
    <label class="block">${t('ent_treatment_note')}<textarea id="disclosure-note" rows="3" maxlength="2000" placeholder="${esc(t('ent_treatment_placeholder'))}">${esc(e.disclosure_note || '')}</textarea></label>
    <p><button class="primary" type="button" id="disclose-on">${e.discloses ? t('ent_update_publication') : t('ent_publish')}</button>
    ${e.discloses ? ` <button class="secondary" type="button" id="disclose-off">${t('ent_withdraw')}</button>` : ''} <span id="disclosure-result"></span></p></div>`;
}

function bindDisclosure(e) {
  const send = async (discloses) => {
    try {
      await api('/enterprises/' + encodeURIComponent(e.id) + '/disclosure', { method: 'POST', body: JSON.stringify({ discloses, note: $('#disclosure-note').value }) });
      const hash = location.hash;
      await enterprisePage(hash.replace(/^#\/enterprise\//, ''));
      $('#disclosure-result').textContent = t('saved');
    } catch (err) {
      $('#disclosure-result').innerHTML = `<span class="error">${esc(err.message)}</span>`;
    }
  };
  $('#disclose-on').onclick = () => send(true);
  if ($('#disclose-off')) $('#disclose-off').onclick = () => send(false);
}

/** One outlet's day: the chart of normalised concentrations, the hourly table, the totals. */
async function outletSection(o, date, gen) {
  const base = `/outlets/${encodeURIComponent(o.id)}/emissions?from=${date}&to=${date}`;
  const [hours, totals] = await Promise.all([api(base + '&per_page=1000'), api(base + '&totals=day')]);
  if (gen !== state.routing) return;
  const limitOf = (code) => (o.limits.find((l) => l.code === code) || {}).limit_mg_m3;
  const codes = POLLUTANTS.map(([c]) => c).filter((c) => limitOf(c) != null || hours.items.some((r) => r.code === c));
  // Rows by hour start, then by code.
  const byHour = new Map();
  hours.items.forEach((r) => {
    if (!byHour.has(r.hour)) byHour.set(r.hour, {});
    byHour.get(r.hour)[r.code] = r;
  });
  const starts = [...byHour.keys()].sort();
  // Every hour of the day up to the last with data, so that a missing hour shows.
  const lastH = starts.length ? Number(starts[starts.length - 1].slice(11, 13)) : -1;
  const allStarts = Array.from({ length: lastH + 1 }, (_, h) => `${date} ${String(h).padStart(2, '0')}:00`);
  const limits = codes.filter((c) => limitOf(c) != null).map((c) => `${pollutantName(c)} ${limitOf(c)}`).join(t('sep'));
  const source = [...new Set(o.limits.map((l) => l.source).filter((s) => s))].join(t('sep'));
  const sec = sectionOf(o.id);
  const exportQ = `/api/v1${base}&lang=${state.lang}`;
  sec.innerHTML = `<h4>${esc(o.name)} <span class="muted">(${esc(o.id)})</span></h4>
    <p class="muted">${t('ent_o2_ref')} ${o.o2_ref_pct == null ? '—' : o.o2_ref_pct + '%'} · ${t('ent_height')} ${o.height_m == null ? '—' : o.height_m + ' m'} · ${t('ent_limits')}（mg/m³）${t('colon')}${esc(limits || '—')}${source ? ` · ${t('ent_limit_source')}${t('colon')}${esc(source)}` : ''}</p>
    <div class="chart"></div>
    <p class="muted chart-note">${t('ent_chart_note')}</p>
    <p class="filters"><a href="${exportQ}&format=csv" class="hours-csv">${t('ent_hours_csv')}</a> · <a href="${exportQ}&format=xlsx" class="hours-xlsx">Excel</a></p>
    <div class="table-wrap">${hourTable(allStarts, byHour, codes, limitOf)}</div>
    <h5>${t('ent_day_totals')}（${esc(date)}）</h5>
    <div class="table-wrap"><table class="day-totals"><thead><tr><th>${t('pollutant')}</th><th class="num">${t('ent_emission')}（kg）</th><th class="num">${t('ent_hours_counted')}</th><th class="num">${t('ent_exceedance_hours')}</th><th class="num">${t('ent_stopped_hours')}</th><th class="num">${t('ent_mismatch_hours')}</th></tr></thead>
    <tbody>${byCode(totals.items).map((x) => `<tr data-code="${x.code}"><td>${pollutantName(x.code)}</td><td class="num">${fmt(x.emission_kg, 2)}</td><td class="num">${x.hours_counted}</td><td class="num ${x.exceedance_hours ? 'bad' : ''}">${x.exceedance_hours}</td><td class="num ${x.stopped_hours ? 'info' : ''}">${x.stopped_hours}</td><td class="num ${x.mismatch_hours ? 'warn' : ''}">${x.mismatch_hours}</td></tr>`).join('') || `<tr><td colspan="6">${t('no_data')}</td></tr>`}</tbody></table></div>`;
  sec.dataset.rows = String(hours.items.length);
  sec.dataset.date = date;
  drawChart(sec.querySelector('.chart'), date, allStarts, byHour, codes, limitOf);
}

/** The hourly table: one row per hour, per pollutant measured, normalised and emitted. */
function hourTable(allStarts, byHour, codes, limitOf) {
  const head1 = `<tr><th rowspan="2">${t('hour')}（${t('bj')}）</th><th rowspan="2">${t('ent_o2')}（%）</th><th rowspan="2">${t('ent_flow')}（m³/h）</th><th rowspan="2">${t('ent_state')}</th>`
    + codes.map((c) => `<th colspan="3" class="group">${pollutantName(c)} <span class="muted">${t('ent_limit')} ${limitOf(c) ?? '—'} mg/m³</span></th>`).join('') + '</tr>';
  const head2 = '<tr>' + codes.map(() => `<th>${t('ent_measured')}<br><span class="muted">mg/m³</span></th><th>${t('ent_converted')}<br><span class="muted">mg/m³</span></th><th>${t('ent_emission')}<br><span class="muted">kg</span></th>`).join('') + '</tr>';
  const body = allStarts.map((h) => {
    const rs = byHour.get(h);
    if (!rs) return `<tr class="missing" data-hour="${h}"><td class="nowrap">${hourSpan(h)}</td><td colspan="${3 + codes.length * 3}" class="muted">${t('ent_no_hour')}</td></tr>`;
    const any = Object.values(rs)[0];
    const stopped = Object.values(rs).some((r) => r.stopped);
    const exceeds = Object.values(rs).some((r) => r.exceeds);
    const mismatch = Object.values(rs).some((r) => r.device_mismatch);
    const declared = Object.values(rs).find((r) => r.declared)?.declared;
    const tags = [declared ? `<span class="tag info" data-declared="${esc(declared)}" title="${esc(t('dlk_' + declared))}">${t('dl_declared_tag')}</span>` : '', stopped ? `<span class="tag info">${t('ent_stopped')}</span>` : '', exceeds ? `<span class="tag bad">${t('ent_exceeds')}</span>` : '', mismatch ? `<span class="tag warn">${t('ent_mismatch')}</span>` : ''].join(' ').trim();
    const cells = codes.map((c) => {
      const r = rs[c];
      if (!r) return '<td class="num muted">—</td><td class="num muted">—</td><td class="num muted">—</td>';
      const device = r.device_mismatch
        ? ` title="${esc(t('ent_device_figures'))}${t('colon')}${fmt(r.device_converted)} mg/m³, ${fmt(r.device_emission_kg, 3)} kg"`
        : '';
      const conv = r.converted == null ? (r.stopped ? t('ent_stopped_short') : '—') : fmt(r.converted);
      const deviceLine = r.device_mismatch ? `<br><span class="device">${t('ent_device')} ${fmt(r.device_converted)}</span>` : '';
      return `<td class="num">${fmt(r.measured)}</td><td class="num converted ${r.exceeds ? 'exceeds' : ''} ${r.device_mismatch ? 'mismatch' : ''}" data-code="${c}" data-value="${r.converted ?? ''}"${device}>${conv}${deviceLine}</td><td class="num">${fmt(r.emission_kg, 3)}</td>`;
    }).join('');
    return `<tr data-hour="${h}" class="${stopped ? 'stopped' : ''} ${exceeds ? 'exceeding' : ''}"><td class="nowrap">${hourSpan(h)}</td><td class="num">${fmt(any.o2)}</td><td class="num">${fmt(any.flow, 0)}</td><td class="state">${tags || t('ent_normal')}</td>${cells}</tr>`;
  }).join('');
  return `<table class="hours"><thead>${head1}${head2}</thead><tbody>${body || `<tr><td colspan="${4 + codes.length * 3}">${t('no_data')}</td></tr>`}</tbody></table>`;
}

/**
 * The chart: each pollutant's normalised concentration (its hour labelled by its end, as
 * every hour Lantian shows) against its limit (dashed), exceedances as red points, stopped
 * hours shaded. x values are Beijing wall-clock seconds read in UTC, so no browser zone
 * moves them; a missing or stopped hour breaks the line.
 */
function drawChart(el, date, allStarts, byHour, codes, limitOf) {
  const xs = allStarts.map((h) => wallSeconds(h) + HOUR_S);
  if (!xs.length) { el.innerHTML = `<p class="muted">${t('no_data')}</p>`; return; }
  const data = [xs];
  const series = [{ label: t('hour'), value: (u, x) => (x == null ? '--' : `${hourSpan(new Date((x - HOUR_S) * 1000).toISOString().slice(0, 16).replace('T', ' '), true)}`) }];
  codes.forEach((c) => {
    const colour = POLLUTANTS.find(([k]) => k === c)[1];
    data.push(allStarts.map((h) => { const r = (byHour.get(h) || {})[c]; return r && r.converted != null ? r.converted : null; }));
    series.push({ label: `${pollutantName(c)} ${t('ent_converted')}`, stroke: colour, width: 1.8, value: (u, v) => (v == null ? '—' : v.toFixed(1)) });
    if (limitOf(c) != null) {
      data.push(xs.map(() => limitOf(c)));
      series.push({ label: `${pollutantName(c)} ${t('ent_limit')}`, stroke: colour, width: 1, dash: [6, 4], points: { show: false } });
    }
  });
  data.push(allStarts.map((h) => { const rs = Object.values(byHour.get(h) || {}).filter((r) => r.exceeds); return rs.length ? Math.max(...rs.map((r) => r.converted)) : null; }));
  series.push({ label: t('ent_exceeds'), stroke: '#d7301f', fill: '#d7301f', width: 0, paths: () => null, points: { show: true, size: 10, fill: '#d7301f', stroke: '#d7301f' }, value: (u, v) => (v == null ? '—' : v.toFixed(1)) });
  const stoppedXs = allStarts.filter((h) => Object.values(byHour.get(h) || {}).some((r) => r.stopped)).map((h) => wallSeconds(h) + HOUR_S);
  const tz = (x) => uPlot.tzDate(new Date(x * 1000), 'Etc/UTC');
  const fmtHour = uPlot.fmtDate('{HH}:{mm}');
  const fmtDay = uPlot.fmtDate('{MM}-{DD}');
  const day0 = wallSeconds(date + ' 00:00');
  el.innerHTML = '';
  const chart = new uPlot({
    width: Math.max(300, Math.min(1040, el.clientWidth || 1000)), height: 280, title: `${t('ent_chart_title')}（mg/m³）`,
    tzDate: tz,
    axes: [{ label: t('bj'), values: (u, splits) => splits.map((x) => (x % DAY_S === 0 ? fmtDay(tz(x)) : fmtHour(tz(x)))) }, { label: 'mg/m³' }],
    scales: { x: { time: true, range: () => [day0, day0 + DAY_S] }, y: { range: (u, lo, hi) => [0, Math.max(hi || 0, 1) * 1.1] } },
    series,
    hooks: {
      // Stopped hours: a grey band over the hour, under the lines.
      drawClear: [(u) => {
        const ctx = u.ctx;
        ctx.save();
        ctx.fillStyle = 'rgba(120,130,140,0.18)';
        stoppedXs.forEach((end) => {
          const x0 = u.valToPos(end - HOUR_S, 'x', true), x1 = u.valToPos(end, 'x', true);
          ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
        });
        ctx.restore();
      }],
    },
  }, data, el);
  el.uplot = chart;
  el.dataset.points = String(byHour.size);
  el.dataset.stopped = String(stoppedXs.length);
}

/** The enterprise's totals over all its outlets: the month's days and the year's months. */
async function totalsSection(e, date, gen) {
  const id = encodeURIComponent(e.id);
  const monthStart = date.slice(0, 8) + '01';
  const yearStart = date.slice(0, 5) + '01-01';
  const [days, months] = await Promise.all([
    api(`/enterprises/${id}/emissions?from=${monthStart}&to=${date}&totals=day&per_page=1000`),
    api(`/enterprises/${id}/emissions?from=${yearStart}&to=${date}&totals=month&per_page=1000`),
  ]);
  if (gen !== state.routing) return;
  const pivot = (items, tableId, label) => {
    const periods = [...new Set(items.map((x) => x.span))].sort();
    const codes = POLLUTANTS.map(([c]) => c).filter((c) => items.some((x) => x.code === c));
    const cell = (p, c) => items.find((x) => x.span === p && x.code === c);
    const sum = (c) => items.filter((x) => x.code === c).reduce((a, x) => a + x.emission_kg, 0);
    const exc = (p) => items.filter((x) => x.span === p).reduce((a, x) => a + x.exceedance_hours, 0);
    return `<div class="table-wrap"><table id="${tableId}" class="totals"><thead><tr><th>${label}</th>${codes.map((c) => `<th class="num">${pollutantName(c)}（kg）</th>`).join('')}<th class="num">${t('ent_exceedance_hours')}</th></tr></thead><tbody>
      ${periods.map((p) => `<tr data-period="${p}"><td class="nowrap">${p}</td>${codes.map((c) => `<td class="num">${fmt((cell(p, c) || {}).emission_kg, 2)}</td>`).join('')}<td class="num ${exc(p) ? 'bad' : ''}">${exc(p)}</td></tr>`).join('') || `<tr><td colspan="${codes.length + 2}">${t('no_data')}</td></tr>`}
      ${periods.length ? `<tr class="sum"><td>${t('ent_sum')}</td>${codes.map((c) => `<td class="num">${fmt(sum(c), 2)}</td>`).join('')}<td class="num">${periods.reduce((a, p) => a + exc(p), 0)}</td></tr>` : ''}</tbody></table></div>`;
  };
  $('#totals').innerHTML = `<p class="muted">${t('ent_totals_note')}</p><div class="two-cols"><div><h4>${t('ent_month_by_day')}（${esc(monthStart)} – ${esc(date)}）</h4>${pivot(days.items, 'totals-days', t('ent_day'))}</div>
    <div><h4>${t('ent_year_by_month')}（${esc(yearStart)} – ${esc(date)}）</h4>${pivot(months.items, 'totals-months', t('month'))}</div></div>`;
}

const FINDING_KINDS = ['production_without_treatment', 'production_while_cems_stopped'];

/** The equipment hour by hour (running, load), and the findings of the day. */
async function workingSection(e, date, gen) {
  const r = await api(`/enterprises/${encodeURIComponent(e.id)}/working-condition?from=${date}&to=${date}`);
  if (gen !== state.routing) return;
  const eq = e.equipment || [];
  const ids = [...new Set([...eq.map((q) => q.id), ...r.hours.map((h) => h.equipment)])];
  // A finding's hour is marked on the equipment it concerns: the treatment named, or the
  // production equipment of the outlet (the one the treatment serves, or the one the CEMS
  // says stopped).
  const outletOf = (eqId) => (eq.find((x) => x.id === eqId) || {}).outlet_id;
  const flagged = (q, hour) => r.findings.some((f) => f.hour === hour && (f.subject === q.id
    || (q.kind === 'production' && q.outlet_id != null && (f.subject === q.outlet_id || outletOf(f.subject) === q.outlet_id))));
  const hoursOf = (id) => new Map(r.hours.filter((h) => h.equipment === id).map((h) => [h.hour, h]));
  const cols = Array.from({ length: 24 }, (_, h) => `${date} ${String(h).padStart(2, '0')}:00`);
  const row = (id) => {
    const q = eq.find((x) => x.id === id) || { id, name: id, kind: (r.hours.find((h) => h.equipment === id) || {}).kind };
    const hs = hoursOf(id);
    const cells = cols.map((c) => {
      const h = hs.get(c);
      const cls = !h || h.running == null ? 'none' : h.running ? 'run' : 'off';
      const text = h && h.load_pct != null ? Math.round(h.load_pct) : h && h.running === false ? t('ent_off_short') : '';
      const title = `${hourSpan(c)} ${t('bj')}${t('colon')}${!h || h.running == null ? t('no_data') : h.running ? t('ent_running') : t('ent_off')}${h && h.power_kw != null ? ` · ${fmt(h.power_kw)} kW` : ''}${h && h.load_pct != null ? ` · ${t('ent_load')} ${fmt(h.load_pct)}%` : ''}`;
      return `<td class="${cls} ${flagged(q, c) ? 'flagged' : ''}" data-hour="${c}" title="${esc(title)}">${text}</td>`;
    }).join('');
    return `<tr data-equipment="${esc(id)}"><th class="eq-name">${esc(q.name)}<br><span class="muted">${t('eq_' + q.kind)}${q.outlet_id ? ' · ' + esc(q.outlet_id) : ''}</span></th>${cells}</tr>`;
  };
  $('#working').innerHTML = `<p class="muted">${t('ent_working_note')}</p>
    <div class="table-wrap"><table class="timeline" id="timeline"><thead><tr><th class="eq-name">${t('ent_equipment')}</th>${cols.map((c) => `<th>${c.slice(11, 13)}</th>`).join('')}</tr></thead>
    <tbody>${ids.map(row).join('') || `<tr><td colspan="25">${t('no_data')}</td></tr>`}</tbody></table></div>
    <p class="legend"><span class="legend-item"><span class="dot run"></span>${t('ent_running')}</span><span class="legend-item"><span class="dot off"></span>${t('ent_off')}</span><span class="legend-item"><span class="dot none"></span>${t('no_data')}</span><span class="legend-item"><span class="dot flagged"></span>${t('ent_finding_hour')}</span></p>
    <h4>${t('ent_findings')}（${r.findings.length}）</h4>
    ${r.findings.length ? `<ul id="findings">${r.findings.map((f) => `<li data-kind="${esc(f.kind)}" data-hour="${esc(f.hour)}"><b class="nowrap">${esc(bj(hourSpan(f.hour, true)))}</b> <span class="tag bad">${esc(FINDING_KINDS.includes(f.kind) ? t('finding_' + f.kind) : f.kind)}</span> ${esc(state.lang === 'zh' ? f.detail : f.detail_en)}</li>`).join('')}</ul>` : `<p class="muted" id="findings-none">${t('ent_no_findings')}</p>`}`;
}

/** Months `YYYY-MM` from `n - 1` months before `date`'s to its own. */
function monthsEnding(date, n) {
  let y = Number(date.slice(0, 4)), m = Number(date.slice(5, 7)) - (n - 1);
  while (m < 1) { m += 12; y -= 1; }
  return `${y}-${String(m).padStart(2, '0')}`;
}

const standardName = (s) => (state.lang === 'zh' ? s : s === '新能源' ? 'new energy' : s.replace(/^国/, 'China '));

/** Monthly clean-transport shares, the day's passages, and the gate-record upload. */
async function vehiclesSection(e, date, acts, gen) {
  const id = encodeURIComponent(e.id);
  const [shares, passages] = await Promise.all([
    api(`/enterprises/${id}/vehicles/shares?from=${monthsEnding(date, SHARE_MONTHS)}&to=${date.slice(0, 7)}`),
    api(`/enterprises/${id}/vehicles?from=${date}&to=${date}&per_page=1000`),
  ]);
  if (gen !== state.routing) return;
  const bar = (s) => {
    if (s.share_pct == null) return '<span class="muted">—</span>';
    const tick = s.target_pct == null ? '' : `<span class="target" style="left:${Math.min(100, s.target_pct)}%"></span>`;
    return `<span class="share-bar"><span class="fill ${s.meets_target === false ? 'below' : ''}" style="width:${Math.min(100, s.share_pct)}%"></span>${tick}</span> <span class="share-value">${fmt(s.share_pct)}%</span>`;
  };
  const meets = (s) => (s.meets_target == null ? '—' : s.meets_target ? `<span class="tag ok">${t('ent_meets')}</span>` : `<span class="tag bad">${t('ent_below_target')}</span>`);
  const barred = passages.items.filter((p) => p.barred_in_warning);
  const vq = `/api/v1/enterprises/${id}/vehicles?from=${date}&to=${date}&lang=${state.lang}`;
  $('#vehicles').innerHTML = `<h4>${t('ent_shares')}</h4><p class="muted">${t('ent_shares_note')}</p>
    <div class="table-wrap"><table id="shares"><thead><tr><th>${t('month')}</th><th class="num">${t('ent_heavy_trips')}</th><th class="num">${t('ent_clean_trips')}</th><th>${t('ent_share')}</th><th class="num">${t('target')}</th><th>${t('ent_meets_target')}</th></tr></thead>
    <tbody>${shares.items.map((s) => `<tr data-month="${s.month}"><td class="nowrap">${s.month}</td><td class="num">${s.heavy_trips}</td><td class="num">${s.clean_trips}</td><td class="nowrap">${bar(s)}</td><td class="num">${s.target_pct == null ? '—' : s.target_pct + '%'}</td><td>${meets(s)}</td></tr>`).join('')}</tbody></table></div>
    <h4>${t('ent_passages')}（${esc(date)}${t('sep')}${t('bj')}）</h4>
    <p class="filters"><label><input type="checkbox" id="barred-only"> ${t('ent_barred_only')}</label> <span class="muted" id="passages-count">${passages.total} ${t('ent_n_passages')}${t('sep')}${t('ent_barred_count')}${barred.length}</span> · <a href="${vq}&format=csv">CSV</a> · <a href="${vq}&format=xlsx">Excel</a></p>
    <div class="table-wrap"><table id="passages"><thead><tr><th>${t('time')}（${t('bj')}）</th><th>${t('ent_plate')}</th><th>${t('ent_direction')}</th><th>${t('ent_vehicle_type')}</th><th>${t('ent_standard')}</th><th>${t('ent_fuel')}</th><th>${t('ent_barred_col')}</th></tr></thead>
    <tbody>${passages.items.map((p) => `<tr class="${p.barred_in_warning ? 'barred' : ''}"><td class="nowrap">${esc(p.at)}</td><td class="nowrap">${esc(p.plate)}</td><td>${t('dir_' + p.direction)}</td><td>${esc(p.vehicle_type)}</td><td>${esc(standardName(p.standard))}</td><td>${t('fuel_' + p.fuel)}</td><td>${p.barred_in_warning ? `<span class="tag bad">${t('ent_barred')}</span>` : ''}</td></tr>`).join('') || `<tr><td colspan="7">${t('no_data')}</td></tr>`}</tbody></table></div>
    ${passages.total > passages.items.length ? `<p class="muted">${t('ent_first_n')} ${passages.items.length} / ${passages.total}</p>` : ''}
    ${acts ? `<div class="card" id="vehicle-upload"><label>${t('ent_vehicle_upload')} <input id="vehicle-file" type="file" accept=".csv,.xlsx"></label><p class="muted">${t('ent_vehicle_upload_hint')}</p><div id="vehicle-report"></div></div>` : ''}`;
  $('#barred-only').onchange = () => {
    const only = $('#barred-only').checked;
    document.querySelectorAll('#passages tbody tr').forEach((tr) => { tr.hidden = only && !tr.classList.contains('barred'); });
  };
  if ($('#vehicle-file')) $('#vehicle-file').onchange = () => importVehicles(e, date);
}

/** Gate records: a dry run names the bad rows; then the import. */
async function importVehicles(e, date) {
  const f = $('#vehicle-file').files[0];
  const out = $('#vehicle-report');
  if (!f) return;
  const path = `/enterprises/${encodeURIComponent(e.id)}/vehicles`;
  try {
    const r = await upload(path + '?dry_run=1', f);
    if (r.errors.length) {
      out.innerHTML = `<p class="error">${t('ent_import_errors')}</p><div class="table-wrap"><table id="vehicle-errors"><thead><tr><th>${t('row')}</th><th>${t('problem')}</th></tr></thead><tbody>${r.errors.map((p) => `<tr><td class="num">${p.row}</td><td>${esc(p.problem)}</td></tr>`).join('')}</tbody></table></div>`;
      return;
    }
    out.innerHTML = `<p id="vehicle-ready">${t('ent_vehicle_ready')}${t('colon')}${r.records}</p><button class="primary" type="button" id="vehicle-import">${t('ent_import_confirm')}</button>`;
    $('#vehicle-import').onclick = async () => {
      try {
        const done = await upload(path, f);
        if (done.errors.length) throw new Error(done.errors.map((p) => `${t('row')} ${p.row}: ${p.problem}`).join('; '));
        await vehiclesSection(e, date, true, state.routing);
        $('#vehicle-report').innerHTML = `<p id="vehicle-done">${t('ent_vehicle_done')}${t('colon')}${done.records}${t('sep')}${t('ent_new')} ${done.new}</p>`;
      } catch (err) { out.innerHTML = `<p class="error">${esc(err.message)}</p>`; }
    };
  } catch (err) {
    out.innerHTML = `<p class="error">${esc(err.message)}</p>`;
  }
}
