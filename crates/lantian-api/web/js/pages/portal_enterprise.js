// A key polluter's public page (plan §9(三)): an enterprise that publishes its
// self-monitoring data, its outlets with their limits, a day's hourly normalised
// concentrations against the limits (charted and tabled, exceedances marked) and the
// download of those hours, and its environmental penalties and rectification (环保违法处罚及整改
// 信息: its entries of the public credit list in their publication period, or 无). Only what
// the public may read (`/enterprises/ID` answers the public for an enterprise that publishes;
// `/credit/public` is public). Times are Beijing time.
import { $, addDays, api, apiAll, bjToday, esc, fmt, hourSpan, state, t } from '../core.js';
import { colon, w } from './opendata.js';
import { textInLang } from './cases.js';

/** The flue-gas pollutants of CEMS in the order shown: code, name, chart colour. */
const POLLUTANTS = [['a21026', 'SO2', '#1769aa'], ['a21002', 'NOx', '#7b3294'], ['a34013', '颗粒物 / PM', '#e08214']];
const HOUR_S = 3600;

/** Whether public credit entry `x` is enterprise `e`'s. */
const isOwn = (x, e) => x.subject_kind === 'enterprise' && x.subject_id === e.id;

/** The enterprise's entries of the public credit list, or 无 / None. */
function creditSection(e, list) {
  if (list.error) return `<p class="error" id="portal-credit-error">${esc(list.error)}</p>`;
  const own = (list.entries || []).filter((x) => isOwn(x, e));
  if (!own.length) return `<p id="portal-credit-none" data-n="0">${t('pe_credit_none')}</p>`;
  const zhEn = (o, k) => (state.lang === 'zh' ? o[k + '_zh'] : o[k + '_en'] || o[k + '_zh']) ?? '';
  return `<div class="table-wrap"><table id="portal-credit" data-n="${own.length}"><thead><tr><th>${t('cs_no')}</th><th>${t('cc_level')}</th><th>${t('cs_violation')}</th><th>${t('pe_credit_decision')}</th><th>${t('cc_period_bj')}</th></tr></thead><tbody>
    ${own.map((x) => `<tr data-id="${x.id}" data-case="${esc(x.case_no)}"><td class="nowrap">${esc(x.case_no)}</td>
      <td><span class="tag ${x.level === 'serious' ? 'bad' : 'warn'}">${esc(zhEn(x, 'level'))}</span>${x.under_objection ? ` <span class="tag info">${t('cc_under_objection')}</span>` : ''}</td>
      <td>${esc(zhEn(x, 'violation'))}</td><td>${esc(textInLang(x.decision_line))}</td><td class="nowrap period">${esc(x.publish_from)} — ${esc(x.publish_until)}</td></tr>`).join('')}</tbody></table></div>`;
}

export async function portalEnterprisePage(rest) {
  const [id, query] = rest.split('?');
  const date = new URLSearchParams(query || '').get('date') || addDays(bjToday(), -1);
  const gen = state.routing;
  const [e, credit] = await Promise.all([
    api('/enterprises/' + encodeURIComponent(decodeURIComponent(id))),
    // Every entry of the public list: this enterprise's are picked out of it.
    apiAll('/credit/public', 'entries').catch((err) => ({ error: err.message })),
  ]);
  if (gen !== state.routing) return;
  const base = `#/portal/enterprise/${encodeURIComponent(e.id)}?date=`;
  $('#view').innerHTML = `<p><a href="#/opendata">← ${w('back')}</a></p><h2 id="portal-enterprise-name">${esc(e.name)}</h2>
    <p class="muted">${esc(e.unit_name || '')}${e.credit_code ? ' · ' + esc(e.credit_code) : ''}</p>
    ${e.discloses ? (e.disclosure_note ? `<p>${w('note')}${colon()}${esc(e.disclosure_note)}</p>` : '') : `<p class="muted">${w('not_published')}</p>`}
    <p class="filters">${w('date')}${colon()}<a href="${base}${addDays(date, -1)}" id="portal-prev">‹</a> <input type="date" id="portal-date" value="${esc(date)}"> <a href="${base}${addDays(date, 1)}" id="portal-next">›</a> <span class="muted">${w('bj')}</span></p>
    <h3>${t('pe_credit_title')}</h3><p class="muted">${t('pe_credit_note')}</p><div id="portal-credit-wrap">${creditSection(e, credit)}</div>
    <h3>${w('outlets')}</h3><div id="portal-outlets"></div>`;
  $('#portal-date').onchange = () => { location.hash = base + $('#portal-date').value; };
  for (const o of e.outlets) {
    const sec = document.createElement('section');
    sec.className = 'card portal-outlet';
    sec.dataset.outlet = o.id;
    $('#portal-outlets').append(sec);
    const path = `/outlets/${encodeURIComponent(o.id)}/emissions?from=${date}&to=${date}`;
    const hours = await api(path + '&per_page=1000');
    if (gen !== state.routing) return;
    const limitOf = (code) => (o.limits.find((l) => l.code === code) || {}).limit_mg_m3;
    const codes = POLLUTANTS.filter(([c]) => limitOf(c) != null || hours.items.some((r) => r.code === c));
    const byHour = new Map();
    hours.items.forEach((r) => {
      if (!byHour.has(r.hour)) byHour.set(r.hour, {});
      byHour.get(r.hour)[r.code] = r;
    });
    const starts = [...byHour.keys()].sort();
    const cell = (r, c) => {
      if (!r) return '<td class="num muted">—</td>';
      const text = r.converted == null ? (r.stopped ? w('stopped') : '—') : fmt(r.converted);
      return `<td class="num ${r.exceeds ? 'exceeds bad' : ''}" data-code="${c}">${text}${r.exceeds ? ` <span class="tag bad">${w('exceeds')}</span>` : ''}</td>`;
    };
    sec.innerHTML = `<h4>${esc(o.name)} <span class="muted">(${esc(o.id)})</span></h4>
      <p class="muted">${w('limit')} (mg/m³)${colon()}${codes.map(([c, n]) => `${esc(n)} ${limitOf(c) ?? '—'}`).join(' · ')}</p>
      <div class="chart"></div>
      <p class="filters"><a class="portal-csv" href="/api/v1${path}&format=csv&lang=${state.lang}" download>${w('emissions_csv')}</a></p>
      <div class="table-wrap"><table class="portal-hours"><thead><tr><th>${w('span')}</th>${codes.map(([, n]) => `<th class="num">${esc(n)} ${w('converted')}</th>`).join('')}</tr></thead>
      <tbody>${starts.map((h) => `<tr data-hour="${esc(h)}"><td class="nowrap">${hourSpan(h)}</td>${codes.map(([c]) => cell(byHour.get(h)[c], c)).join('')}</tr>`).join('') || `<tr><td colspan="${1 + codes.length}" class="muted">${w('no_data')}</td></tr>`}</tbody></table></div>`;
    sec.dataset.rows = String(hours.items.length);
    chart(sec.querySelector('.chart'), starts, byHour, codes, limitOf);
  }
  if (!e.outlets.length) $('#portal-outlets').innerHTML = `<p class="muted">${w('none')}</p>`;
}

/** Normalised concentrations by hour end against dashed limits; Beijing wall-clock seconds read in UTC. */
function chart(el, starts, byHour, codes, limitOf) {
  if (!starts.length || typeof uPlot === 'undefined') return;
  const xs = starts.map((h) => Date.parse(h.slice(0, 10) + 'T' + h.slice(11, 16) + ':00Z') / 1000 + HOUR_S);
  const data = [xs];
  const series = [{ label: w('hour') }];
  codes.forEach(([c, n, colour]) => {
    data.push(starts.map((h) => (byHour.get(h)[c] || {}).converted ?? null));
    series.push({ label: n, stroke: colour, width: 1.5 });
    if (limitOf(c) != null) {
      data.push(xs.map(() => limitOf(c)));
      series.push({ label: `${n} ${w('limit')}`, stroke: colour, width: 1, dash: [6, 4], points: { show: false } });
    }
  });
  const tz = (x) => uPlot.tzDate(new Date(x * 1000), 'Etc/UTC');
  const fmtHour = uPlot.fmtDate('{HH}:{mm}');
  new uPlot({
    width: Math.min(1000, window.innerWidth - 60), height: 240, tzDate: tz,
    axes: [{ label: w('bj'), values: (u, splits) => splits.map((x) => fmtHour(tz(x))) }, { label: 'mg/m³' }],
    series, scales: { x: { time: true } },
  }, data, el);
}
