// The open-data portal (开放数据, docs/open-data.md): the data's licence, how to get an API
// key (the sign-up form), API examples, the monthly bulk files with their digests, the
// public changelog of corrections, and links to the station and enterprise portal pages.
import { $, addDays, api, bjToday, esc, state } from '../core.js';

/** The words of the open-data pages (this page and the two portal pages), Chinese first. */
const WORDS = {
  zh: {
    title: '开放数据', intro: '本平台公开发布国控、省控及对照站点的小时和日数据，以及公开自行监测数据的重点排污单位的排放数据。每个数值标明“初步”（所在月份尚未审核关账）或“已审核”，并给出审核版本（该站点该月已记录的修正次数）；经修正或作废的数值带有标记。所有时间均为北京时间。',
    licence: '数据许可', attribution: '引用要求', demo_licence: '演示站点的数据另有来源与许可',
    key_title: '申请 API 密钥', key_intro: '不带密钥也可调用（按访问地址限流）；申请免费密钥可获得更高的调用额度。密钥只显示一次，请妥善保存。',
    key_name: '姓名或单位', key_email: '电子邮箱', key_purpose: '用途', key_submit: '申请密钥', key_issued: '您的 API 密钥（只显示这一次）',
    key_use: '调用时在请求头 X-API-Key 中携带密钥，或加参数 ?api_key=。',
    examples: '接口示例', examples_note: '分页：page、per_page（最多 1000），响应头 Link 给出上一页/下一页；小时数据每次最多 31 天，日数据最多 400 天，整月数据请用批量文件。',
    stations: '公开站点', enterprises: '公开自行监测数据的企业', none: '暂无。',
    bulk: '批量下载（按月）', month: '月份', station: '站点', all: '全部公开站点', kind: '数据', hourly: '小时值', daily: '日均值', format: '格式', rows: '行数', size: '大小', sha256: 'SHA-256', status: '状态', version: '审核版本', download: '下载',
    preliminary: '初步', audited: '已审核',
    changelog: '数据修正记录', from: '起', to: '止', apply: '查询',
    at: '修正时间（北京时间）', span: '时段（北京时间）', hour: '时段（北京时间，按结束时刻）', pollutant: '污染物', before: '修正前', after: '修正后', reason: '原因', rule_set: '审核规则', by: '修正方', no_changes: '所选期间没有修正记录。',
    act_correct: '修正', act_invalidate: '作废', act_restore: '恢复原值',
    portal: '公开页面', today: '今日', now_aqi: '当前 AQI', last30: '近 30 天日均值', calendar: '日历（日 AQI）', downloads: '数据下载', latest_hour: '最新小时值',
    unit: '单位', value: '浓度', flag: '标记', corrected: '已修正', invalidated: '已作废', no_data: '暂无数据', bj: '北京时间',
    outlets: '排放口', limit: '限值', converted: '折算浓度', exceeds: '超标', stopped: '停运', date: '日期', emissions_csv: '下载该日小时数据（CSV）', note: '企业说明',
    not_published: '该企业未公开自行监测数据。', back: '返回开放数据',
  },
  en: {
    title: 'Open data', intro: 'The hourly and daily data of the national, provincial and background stations, and the emissions of the key polluters that publish their self-monitoring data. Every value is marked preliminary (its month not yet closed after the audit) or audited, with its audit version (the corrections recorded for that station and month); corrected or invalidated values are flagged. All times are Beijing time.',
    licence: 'Licence', attribution: 'Attribution', demo_licence: 'The demonstration stations\' data have their own source and licence',
    key_title: 'Get an API key', key_intro: 'The API works without a key (limited per address); a free key gets a higher limit. The key is shown once: keep it.',
    key_name: 'Name or organisation', key_email: 'E-mail', key_purpose: 'Purpose', key_submit: 'Get a key', key_issued: 'Your API key (shown only this once)',
    key_use: 'Send it in the X-API-Key header, or as ?api_key=.',
    examples: 'API examples', examples_note: 'Paging: page, per_page (at most 1000), Link headers for prev/next; hourly requests span at most 31 days, daily 400; whole months are in the bulk files.',
    stations: 'Published stations', enterprises: 'Enterprises publishing their monitoring', none: 'None.',
    bulk: 'Bulk downloads (monthly)', month: 'Month', station: 'Station', all: 'All published stations', kind: 'Data', hourly: 'hourly', daily: 'daily', format: 'Format', rows: 'Rows', size: 'Size', sha256: 'SHA-256', status: 'Status', version: 'Audit version', download: 'Download',
    preliminary: 'preliminary', audited: 'audited',
    changelog: 'Corrections log', from: 'From', to: 'To', apply: 'Show',
    at: 'Corrected (Beijing time)', span: 'Hour (Beijing time)', hour: 'Hour (Beijing time, by its end)', pollutant: 'Pollutant', before: 'Before', after: 'After', reason: 'Reason', rule_set: 'Rule set', by: 'By', no_changes: 'No corrections in this period.',
    act_correct: 'corrected', act_invalidate: 'invalidated', act_restore: 'restored',
    portal: 'Public page', today: 'Today', now_aqi: 'AQI now', last30: 'Daily means, last 30 days', calendar: 'Calendar (daily AQI)', downloads: 'Downloads', latest_hour: 'Latest hour',
    unit: 'Unit', value: 'Value', flag: 'Flag', corrected: 'corrected', invalidated: 'invalidated', no_data: 'No data', bj: 'Beijing time',
    outlets: 'Outlets', limit: 'Limit', converted: 'Normalised', exceeds: 'exceeds', stopped: 'stopped', date: 'Date', emissions_csv: 'Download the day\'s hours (CSV)', note: 'The enterprise\'s note',
    not_published: 'This enterprise does not publish its monitoring data.', back: 'Back to open data',
  },
};

/** A word of the open-data pages in the reader's language. */
export const w = (k) => (WORDS[state.lang] && WORDS[state.lang][k]) || WORDS.zh[k] || k;

/** `：` in Chinese, `: ` in English. */
export const colon = () => (state.lang === 'zh' ? '：' : ': ');

/** Bytes as people read them. */
const size = (n) => (n >= 1048576 ? (n / 1048576).toFixed(1) + ' MB' : n >= 1024 ? (n / 1024).toFixed(1) + ' KB' : n + ' B');

/** The licence card. */
export function licenceCard(l) {
  const demo = l.demo ? `<p class="muted" id="demo-licence">${w('demo_licence')}${colon()}${esc(l.demo.attribution)} (<a href="${esc(l.demo.url)}" rel="noopener">${esc(l.demo.name)}</a>)</p>` : '';
  return `<div class="card" id="licence"><h3>${w('licence')}</h3><p><a href="${esc(l.url)}" rel="noopener" id="licence-name">${esc(l.name)}</a></p>
    <p>${w('attribution')}${colon()}${esc(state.lang === 'zh' ? l.attribution_zh : l.attribution_en)}</p>${demo}</div>`;
}

/** A bulk file's row. */
export const bulkRow = (f) => `<tr data-path="${esc(f.path)}"><td>${esc(f.station === 'all' ? w('all') : f.station)}</td><td>${w(f.kind)}</td><td>${esc(f.format)}</td>
  <td class="num">${f.rows}</td><td class="num">${size(f.bytes)}</td><td><code title="${esc(f.sha256)}">${esc(f.sha256.slice(0, 12))}…</code></td>
  <td>${w(f.status)}</td><td class="num">${f.audit_version}</td><td><a class="bulk-link" href="/api/v1/open/${esc(f.path)}" download>${w('download')}</a></td></tr>`;

export const bulkHead = () => `<tr><th>${w('station')}</th><th>${w('kind')}</th><th>${w('format')}</th><th class="num">${w('rows')}</th><th class="num">${w('size')}</th><th>${w('sha256')}</th><th>${w('status')}</th><th class="num">${w('version')}</th><th></th></tr>`;

export async function opendataPage() {
  const gen = state.routing;
  const [stations, ents] = await Promise.all([api('/open/stations'), api('/open/enterprises')]);
  if (gen !== state.routing) return;
  const origin = location.origin;
  const ex = [
    `curl -H 'X-API-Key: KEY' '${origin}/api/v1/open/stations'`,
    `curl -H 'X-API-Key: KEY' '${origin}/api/v1/open/hourly?station=${stations.stations[0] ? stations.stations[0].id : 'ID'}&from=${addDays(bjToday(), -1)}&to=${bjToday()}&per_page=100'`,
    `curl '${origin}/api/v1/open/daily?from=${addDays(bjToday(), -29)}&to=${bjToday()}'`,
    `curl '${origin}/api/v1/open/bulk'`,
    `curl -O '${origin}/api/v1/open/bulk/all/${bjToday().slice(0, 7)}/hourly.parquet'`,
    `curl '${origin}/api/v1/open/changelog?from=${addDays(bjToday(), -29)}&to=${bjToday()}'`,
  ];
  $('#view').innerHTML = `<h2>${w('title')}</h2><p class="muted">${w('intro')}</p>${licenceCard(stations.licence)}
    <div class="card" id="signup"><h3>${w('key_title')}</h3><p class="muted">${w('key_intro')}</p>
      <form id="key-form" class="filters"><label>${w('key_name')} <input id="key-name" required maxlength="100"></label>
      <label>${w('key_email')} <input id="key-email" type="email" required maxlength="200"></label>
      <label>${w('key_purpose')} <input id="key-purpose" required maxlength="500"></label>
      <button type="submit" id="key-submit">${w('key_submit')}</button></form><div id="key-result"></div></div>
    <h3>${w('examples')}</h3><p class="muted">${w('examples_note')}</p><pre class="examples" id="examples" style="overflow-x:auto;max-width:100%;background:#f6f8fa;padding:.6rem;border-radius:6px">${ex.map(esc).join('\n')}</pre>
    <h3>${w('stations')}</h3><ul id="open-stations">${stations.stations.map((s) => `<li><a href="#/portal/station/${encodeURIComponent(s.id)}">${esc(s.name)}</a> <span class="muted">(${esc(s.id)}${s.unit ? ' · ' + esc(s.unit) : ''}${s.demo ? ' · demo' : ''})</span></li>`).join('') || `<li>${w('none')}</li>`}</ul>
    <h3>${w('enterprises')}</h3><ul id="open-enterprises">${ents.enterprises.map((e) => `<li><a href="#/portal/enterprise/${encodeURIComponent(e.id)}">${esc(e.name)}</a>${e.unit ? ` <span class="muted">(${esc(e.unit)})</span>` : ''}</li>`).join('') || `<li>${w('none')}</li>`}</ul>
    <h3>${w('bulk')}</h3><p class="filters">${w('month')}: <select id="bulk-month"></select></p><div class="table-wrap"><table id="bulk"><thead>${bulkHead()}</thead><tbody></tbody></table></div>
    <h3>${w('changelog')}</h3><p class="filters">${w('from')} <input type="date" id="log-from" value="${addDays(bjToday(), -29)}"> ${w('to')} <input type="date" id="log-to" value="${bjToday()}"> <button id="log-apply">${w('apply')}</button></p>
    <div class="table-wrap"><table id="changelog"><thead><tr><th>${w('at')}</th><th>${w('station')}</th><th>${w('hour')}</th><th>${w('pollutant')}</th><th class="num">${w('before')}</th><th class="num">${w('after')}</th><th>${w('reason')}</th><th>${w('by')}</th><th>${w('rule_set')}</th><th class="num">${w('version')}</th></tr></thead><tbody></tbody></table></div>`;
  $('#key-form').onsubmit = async (ev) => {
    ev.preventDefault();
    $('#key-submit').disabled = true;
    try {
      const body = JSON.stringify({ name: $('#key-name').value, email: $('#key-email').value, purpose: $('#key-purpose').value });
      const k = await api('/open/keys', { method: 'POST', body });
      $('#key-result').innerHTML = `<p>${w('key_issued')}${colon()}<code id="issued-key">${esc(k.key)}</code></p><p class="muted">${w('key_use')} ${esc(k.notice || '')}</p>`;
    } catch (err) {
      $('#key-result').innerHTML = `<p class="error">${esc(err.message)}</p>`;
    } finally {
      $('#key-submit').disabled = false;
    }
  };
  const bulk = async (month) => {
    const list = await api('/open/bulk' + (month ? '?month=' + month : ''));
    if (gen !== state.routing) return;
    $('#bulk-month').innerHTML = list.months.map((m) => `<option ${m === list.month ? 'selected' : ''}>${esc(m)}</option>`).join('');
    $('#bulk tbody').innerHTML = list.files.map(bulkRow).join('');
  };
  $('#bulk-month').onchange = () => bulk($('#bulk-month').value);
  const log = async () => {
    const r = await api(`/open/changelog?from=${$('#log-from').value}&to=${$('#log-to').value}`);
    if (gen !== state.routing) return;
    const zh = state.lang === 'zh';
    $('#changelog tbody').innerHTML = r.changes.map((c) => `<tr><td class="nowrap">${esc(c.at_bj.slice(0, 16).replace('T', ' '))}</td><td>${esc(c.station_name)}</td><td class="nowrap">${esc(c.hour_bj.slice(0, 16).replace('T', ' '))}</td>
      <td>${esc(c.pollutant)}</td><td class="num">${c.before ?? '—'}</td><td class="num">${c.after ?? '—'} <span class="muted">${w('act_' + c.action)}</span></td>
      <td>${esc(zh ? c.reason_zh : c.reason_en)} <span class="muted">(${esc(c.reason_code)})</span></td><td>${esc(zh ? c.by_role_zh : c.by_role)}</td><td class="muted">${esc(c.rule_set)}</td><td class="num">${c.audit_version}</td></tr>`).join('')
      || `<tr><td colspan="10" class="muted">${w('no_changes')}</td></tr>`;
  };
  $('#log-apply').onclick = log;
  await Promise.all([bulk(null), log()]);
}
