// Lantian web UI: hash-routed pages over the JSON API. Chinese first, English available.
'use strict';

const I18N = {
  zh: {
    brand: '蓝天 · 辛集市空气质量监管平台', nav_overview: '总览', nav_map: '地图', nav_rankings: '乡镇排名', nav_public: '公众',
    nav_login: '登录', nav_logout: '退出', footer: '蓝天 Lantian · 开源空气质量监管平台',
    demo_banner: '演示数据：以下站点与数据为演示用途（来源：UCI 北京多站点空气质量数据，CC BY 4.0），并非辛集市实测数据。',
    city_aqi_now: '全市 AQI（实时）', pm25_year: '今年 PM2.5 平均浓度', target: '目标', allowed: '剩余天数允许的平均浓度上限',
    heavy_days: '今年重度及以上污染天数', stations: '站点', station: '站点', aqi: 'AQI', level: '级别', primary: '首要污染物',
    no_data: '暂无数据', unreachable: '已无法达标', final: '全年结果', hour: '时段', rank: '排名', unit: '乡镇', composite: '综合指数',
    good_ratio: '优良天数比例(%)', valid_days: '有效天数', export: '导出', username: '用户名', password: '密码', login: '登录',
    login_failed: '登录失败', pollutant: '污染物', days: '天数', chart_title: '小时浓度', advice: '健康建议', month: '月份', year: '年份',
    logged_in_as: '当前用户', updated: '数据时间', role: '类型', demo: '演示',
    role_assessment: '国控/省控点', role_background: '对照点', role_township: '乡镇站', role_micro: '微站',
    nav_ledger: '措施台账', my_measures: '本单位措施', all: '全部', category: '类别', task: '重点工作', measure: '工作措施', lead: '牵头单位',
    supporting: '配合单位', deadline: '完成时限', status: '状态', deadline_before: '时限不晚于', history: '历史记录', action: '操作',
    act_report: '报送进展', act_confirm: '确认完成', act_close: '销号', act_reopen: '重新打开', submit: '提交', evidence: '上传证明材料(PDF/JPG/PNG，≤5MB)',
    targets: '量化目标', city_aqi_today: '全市今日 AQI（日报）', monthly_targets: '月度分解目标', today_pending: '当日有效小时数不足，暂不发布', section: '方案条款', saved: '已保存', at_risk: '临近时限',
    st_not_started: '未启动', st_in_progress: '推进中', st_completed: '已完成', st_closed: '已销号', st_overdue: '逾期',
  },
  en: {
    brand: 'Lantian · Xinji Air Quality Supervision', nav_overview: 'Overview', nav_map: 'Map', nav_rankings: 'Township ranking', nav_public: 'Public',
    nav_login: 'Log in', nav_logout: 'Log out', footer: 'Lantian · open-source air-quality supervision platform',
    demo_banner: 'Demo data: these stations and values are for demonstration (source: UCI Beijing Multi-Site Air-Quality Data, CC BY 4.0), not measurements in Xinji.',
    city_aqi_now: 'City AQI (now)', pm25_year: 'PM2.5 mean this year', target: 'Target', allowed: 'Highest mean allowed for the rest of the year',
    heavy_days: 'Heavy-or-worse days this year', stations: 'Stations', station: 'Station', aqi: 'AQI', level: 'Level', primary: 'Primary pollutant',
    no_data: 'No data yet', unreachable: 'Target no longer reachable', final: 'Final for the year', hour: 'Hour', rank: 'Rank', unit: 'Township', composite: 'Composite index',
    good_ratio: 'Good-day ratio (%)', valid_days: 'Valid days', export: 'Export', username: 'User name', password: 'Password', login: 'Log in',
    login_failed: 'Login failed', pollutant: 'Pollutant', days: 'Days', chart_title: 'Hourly concentration', advice: 'Health advice', month: 'Month', year: 'Year',
    logged_in_as: 'Logged in as', updated: 'Data time', role: 'Role', demo: 'demo',
    role_assessment: 'assessment', role_background: 'background', role_township: 'township', role_micro: 'micro',
    nav_ledger: 'Measures ledger', my_measures: 'My measures', all: 'All', category: 'Category', task: 'Key task', measure: 'Measure', lead: 'Lead units',
    supporting: 'Supporting units', deadline: 'Deadline', status: 'Status', deadline_before: 'Deadline by', history: 'History', action: 'Action',
    act_report: 'Report progress', act_confirm: 'Confirm completion', act_close: 'Close (销号)', act_reopen: 'Reopen', submit: 'Submit', evidence: 'Upload evidence (PDF/JPG/PNG, ≤5 MB)',
    targets: 'Targets', city_aqi_today: 'City AQI today (daily)', monthly_targets: 'Monthly breakdown', today_pending: 'not enough valid hours yet today', section: 'Plan section', saved: 'Saved', at_risk: 'deadline near',
    st_not_started: 'Not started', st_in_progress: 'In progress', st_completed: 'Completed', st_closed: 'Closed', st_overdue: 'Overdue',
  },
};
let lang = localStorage.getItem('lang') || 'zh';
const t = (k) => (I18N[lang] && I18N[lang][k]) || I18N.zh[k] || k;
const $ = (s) => document.querySelector(s);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
let me = null;

function applyStatic() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  $('#lang').textContent = lang === 'zh' ? 'English' : '中文';
  const nav = $('#nav-login');
  nav.textContent = me ? t('nav_logout') + ' (' + me.username + ')' : t('nav_login');
  nav.href = me ? '#/logout' : '#/login';
}

async function api(path, opts = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (me && opts.method && opts.method !== 'GET') headers['X-CSRF-Token'] = me.csrf;
  const r = await fetch('/api/v1' + path + (path.includes('?') ? '&' : '?') + 'lang=' + lang, { credentials: 'same-origin', headers, ...opts });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((body.error && body.error.message) || r.statusText);
  return body;
}

function hourText(ts) {
  if (ts == null) return '';
  const d = new Date((ts + 3600) * 1000); // stored hour start, shown as the hour it ends (CST)
  return d.toISOString().slice(0, 16).replace('T', ' ') + ' CST';
}

function badge(a) {
  if (!a || a.aqi == null) return `<span class="badge" style="background:#ccc">${t('no_data')}</span>`;
  const dark = a.level >= 4;
  return `<span class="badge" style="background:${a.colour};color:${dark ? '#fff' : '#000'}">${a.aqi}${a.above_range ? '+' : ''} ${esc(a.category)}</span>`;
}

async function overview() {
  const v = $('#view');
  v.innerHTML = `<div class="cards">
    <div class="card"><h3>${t('city_aqi_now')}</h3><div class="big" id="city-aqi">…</div><div class="muted" id="city-aqi-time"></div><div class="muted" id="city-advice"></div></div>
    <div class="card"><h3>${t('city_aqi_today')}</h3><div class="big" id="city-aqi-today">…</div><div class="muted" id="city-aqi-today-note"></div></div>
    <div class="card"><h3>${t('pm25_year')}</h3><div class="big" id="pm25-year">…</div><div class="muted" id="pm25-target"></div><div class="muted" id="pm25-allowed"></div></div>
    <div class="card"><h3>${t('heavy_days')}</h3><div class="big" id="heavy-days">…</div></div>
  </div><h2>${t('stations')}</h2><table id="station-table"><thead><tr><th>${t('station')}</th><th>${t('role')}</th><th>${t('aqi')}</th><th>${t('primary')}</th><th>${t('updated')}</th></tr></thead><tbody></tbody></table>`;
  const [now, tg] = await Promise.all([api('/aqi/now'), api('/targets')]);
  $('#demo-banner').hidden = !now.stations.some((s) => s.demo);
  const c = now.city;
  $('#city-aqi').innerHTML = c ? badge(c.aqi) : t('no_data');
  $('#city-aqi-time').textContent = c ? hourText(c.hour_start) : '';
  $('#city-advice').textContent = c && c.aqi.advice ? t('advice') + '：' + c.aqi.advice : '';
  const td = now.today;
  $('#city-aqi-today').innerHTML = td && td.aqi && td.aqi.aqi != null ? badge(td.aqi) : 'NA';
  $('#city-aqi-today-note').textContent = td ? td.date + (td.aqi.aqi == null ? ' · ' + t('today_pending') : '') : '';
  $('#pm25-year').textContent = tg.pm25_mean_so_far == null ? t('no_data') : tg.pm25_mean_so_far + ' µg/m³';
  $('#pm25-target').textContent = t('target') + ' ' + tg.target_pm25 + ' µg/m³';
  const al = tg.allowed;
  $('#pm25-allowed').textContent = !al ? '' : al.status === 'allowed' ? t('allowed') + '：' + al.mean_max.toFixed(1) + ' µg/m³' : al.status === 'unreachable' ? t('unreachable') : t('final');
  $('#heavy-days').textContent = tg.heavy_or_worse_days;
  $('#station-table tbody').innerHTML = now.stations.map((s) => `<tr><td><a href="#/station/${encodeURIComponent(s.id)}">${esc(s.name)}</a>${s.demo ? ' <span class="muted">(' + t('demo') + ')</span>' : ''}</td><td>${esc(t('role_' + s.role))}</td><td>${badge(s.aqi)}</td><td>${esc(((s.aqi && s.aqi.primary) || []).join(', '))}</td><td class="muted">${hourText(s.hour_start)}</td></tr>`).join('');
}

let mapObj = null;
async function mapPage() {
  $('#view').innerHTML = '<div id="map"></div>';
  if (mapObj) { mapObj.remove(); mapObj = null; }
  mapObj = L.map('map', { attributionControl: true }).setView([37.92, 115.28], 10);
  const geo = await fetch('/data/boundaries.geojson').then((r) => r.json());
  const layer = L.geoJSON(geo, { style: { color: '#1769aa', weight: 1, fillOpacity: 0.05 }, onEachFeature: (f, l) => l.bindTooltip(lang === 'zh' ? f.properties.name_zh : f.properties.name_en) }).addTo(mapObj);
  mapObj.fitBounds(layer.getBounds());
  const now = await api('/aqi/now');
  $('#demo-banner').hidden = !now.stations.some((s) => s.demo);
  now.stations.filter((s) => s.lat != null && s.lon != null).forEach((s) => {
    const colour = s.aqi && s.aqi.colour ? s.aqi.colour : '#999999';
    L.circleMarker([s.lat, s.lon], { radius: 10, color: '#333', weight: 1, fillColor: colour, fillOpacity: 0.9, className: 'station-marker' })
      .bindPopup(`<b>${esc(s.name)}</b><br>${badge(s.aqi)}<br><a href="#/station/${encodeURIComponent(s.id)}">${t('chart_title')}</a>`)
      .addTo(mapObj);
  });
}

async function stationPage(id) {
  const codes = [['a34004', 'PM2.5'], ['a34002', 'PM10'], ['a05024', 'O3'], ['a21004', 'NO2'], ['a21026', 'SO2'], ['a21005', 'CO']];
  $('#view').innerHTML = `<h2 id="station-name">…</h2><p>${t('pollutant')}: <select id="code">${codes.map(([c, n]) => `<option value="${c}">${n}</option>`).join('')}</select>
    ${t('days')}: <select id="days"><option>7</option><option selected>30</option><option>90</option></select>
    <a id="csv" href="#">CSV</a> · <a id="xlsx" href="#">Excel</a></p><div id="chart"></div><p class="muted" id="chart-info"></p>`;
  const s = await api('/stations/' + encodeURIComponent(id));
  $('#station-name').textContent = s.name + (s.demo ? ' (' + t('demo') + ')' : '');
  const draw = async () => {
    const code = $('#code').value, days = $('#days').value;
    const q = `/stations/${encodeURIComponent(id)}/series?code=${code}&days=${days}`;
    $('#csv').href = '/api/v1' + q + '&format=csv';
    $('#xlsx').href = '/api/v1' + q + '&format=xlsx';
    const r = await api(q);
    const xs = r.points.map((p) => p.ts + 3600), ys = r.points.map((p) => p.value);
    $('#chart').innerHTML = '';
    $('#chart-info').textContent = `${r.pollutant} (${r.unit}) · ${r.points.length} ${t('hour')}`;
    $('#chart').dataset.points = String(r.points.length);
    $('#chart').dataset.last = ys.length ? String(ys[ys.length - 1]) : '';
    new uPlot({ width: Math.min(1060, window.innerWidth - 40), height: 320, title: t('chart_title'), series: [{}, { label: r.pollutant, stroke: '#1769aa', width: 1.5 }] }, [xs, ys], $('#chart'));
  };
  $('#code').onchange = draw;
  $('#days').onchange = draw;
  await draw();
}

async function rankingsPage() {
  const y = new Date().getFullYear();
  $('#view').innerHTML = `<h2>${t('nav_rankings')}</h2><p>${t('year')} <input id="year" type="number" value="${y}" style="width:6em"> ${t('month')} <select id="month"><option value="">—</option>${Array.from({ length: 12 }, (_, i) => `<option>${i + 1}</option>`).join('')}</select>
    <a id="rk-csv" href="#">CSV</a> · <a id="rk-xlsx" href="#">Excel</a></p>
    <table id="rank-table"><thead><tr><th>${t('rank')}</th><th>${t('unit')}</th><th>${t('composite')}</th><th>PM2.5</th><th>PM10</th><th>${t('good_ratio')}</th><th>${t('valid_days')}</th></tr></thead><tbody></tbody></table>`;
  const load = async () => {
    const q = `/rankings?year=${$('#year').value}` + ($('#month').value ? `&month=${$('#month').value}` : '');
    $('#rk-csv').href = '/api/v1' + q + '&format=csv';
    $('#rk-xlsx').href = '/api/v1' + q + '&format=xlsx';
    const r = await api(q);
    $('#rank-table tbody').innerHTML = r.items.map((x) => `<tr><td>${x.rank}</td><td>${esc(lang === 'zh' ? x.name_zh : x.name_en)}</td><td>${x.composite_index ?? ''}</td><td>${x.pm25 ?? ''}</td><td>${x.pm10 ?? ''}</td><td>${x.good_day_ratio ?? ''}</td><td>${x.valid_days}</td></tr>`).join('') || `<tr><td colspan="7">${t('no_data')}</td></tr>`;
  };
  $('#year').onchange = load;
  $('#month').onchange = load;
  await load();
}

async function publicPage() {
  const now = await api('/aqi/now');
  const c = now.city;
  $('#view').innerHTML = `<div class="card"><h3>${t('city_aqi_now')}</h3><div class="big" id="public-aqi">${c ? badge(c.aqi) : t('no_data')}</div>
    <p>${c && c.aqi.advice ? esc(t('advice') + '：' + c.aqi.advice) : ''}</p><p class="muted">${c ? hourText(c.hour_start) : ''}</p></div>
    <h2>${t('stations')}</h2><table><tbody>${now.stations.map((s) => `<tr><td>${esc(s.name)}</td><td>${badge(s.aqi)}</td></tr>`).join('')}</tbody></table>`;
}

function loginPage() {
  $('#view').innerHTML = `<h2>${t('login')}</h2><form class="login" id="login-form"><input id="username" autocomplete="username" placeholder="${t('username')}">
    <input id="password" type="password" autocomplete="current-password" placeholder="${t('password')}"><button class="primary" type="submit">${t('login')}</button><div class="error" id="login-error"></div></form>`;
  $('#login-form').onsubmit = async (e) => {
    e.preventDefault();
    try {
      const r = await api('/login', { method: 'POST', body: JSON.stringify({ username: $('#username').value, password: $('#password').value }) });
      me = r.user;
      sessionStorage.setItem('me', JSON.stringify(me));
      applyStatic();
      location.hash = '#/';
    } catch (err) {
      $('#login-error').textContent = t('login_failed') + ': ' + err.message;
    }
  };
}

async function ledgerPage(params) {
  const q = new URLSearchParams(params);
  if (q.get('mine') && me && me.unit_id) q.set('unit', me.unit_id);
  q.delete('mine');
  const all = await api('/ledger?per_page=1000');
  const cats = [...new Set(all.items.map((m) => m.category))];
  const units = [...new Set(all.items.flatMap((m) => (m.lead_units + '、' + m.supporting_units).split('、')).filter((u) => u))];
  const sel = (id, label, values, cur) => `${label} <select id="${id}"><option value="">${t('all')}</option>${values.map((v) => `<option value="${esc(v[0])}" ${v[0] === cur ? 'selected' : ''}>${esc(v[1])}</option>`).join('')}</select>`;
  const statuses = ['not_started', 'in_progress', 'completed', 'closed', 'overdue'].map((s) => [s, t('st_' + s)]);
  $('#view').innerHTML = `<h2>${t('nav_ledger')}</h2><p class="filters">${sel('f-cat', t('category'), cats.map((c) => [c, c]), q.get('category'))}
    ${sel('f-unit', t('lead') + '/' + t('supporting'), units.map((u) => [u, u]), q.get('unit'))} ${sel('f-status', t('status'), statuses, q.get('status'))}
    ${t('deadline_before')} <input id="f-deadline" type="date" value="${esc(q.get('deadline_before') || '')}">
    ${me && me.unit_id ? `<a href="#/ledger?mine=1">${t('my_measures')}</a> ·` : ''} <a id="ledger-xlsx" href="#">Excel 台账</a> · <a id="ledger-csv" href="#">CSV</a></p>
    <table id="ledger-table"><thead><tr><th>#</th><th>${t('task')}</th><th>${t('measure')}</th><th>${t('lead')}</th><th>${t('deadline')}</th><th>${t('status')}</th></tr></thead><tbody></tbody></table>`;
  const r = await api('/ledger?per_page=1000&' + q.toString());
  $('#ledger-xlsx').href = '/api/v1/ledger?format=xlsx&' + q.toString();
  $('#ledger-csv').href = '/api/v1/ledger?format=csv&' + q.toString();
  $('#ledger-table tbody').innerHTML = r.items.map((m) => `<tr><td><a href="#/measure/${esc(m.id)}">${esc(m.id)}</a></td><td>${esc(m.task)}</td><td>${esc(m.measure.slice(0, 60))}${m.measure.length > 60 ? '…' : ''}</td><td>${esc(m.lead_units)}</td><td>${esc(m.deadlines)}</td><td class="status">${esc(m.status_zh)}${m.at_risk ? ' ⚠' : ''}</td></tr>`).join('') || `<tr><td colspan="6">${t('no_data')}</td></tr>`;
  const go = () => {
    const n = new URLSearchParams();
    [['category', '#f-cat'], ['unit', '#f-unit'], ['status', '#f-status'], ['deadline_before', '#f-deadline']].forEach(([k, id]) => { if ($(id).value) n.set(k, $(id).value); });
    location.hash = '#/ledger?' + n.toString();
  };
  ['#f-cat', '#f-unit', '#f-status', '#f-deadline'].forEach((id) => { $(id).onchange = go; });
}

async function measurePage(id) {
  const m = await api('/ledger/' + encodeURIComponent(id));
  const targets = (m.targets || []).map((x) => esc(x.text)).join('；');
  const monthly = (m.monthly_targets || []).map((x) => `${esc(x.month)}: ${esc(x.value)}`).join('；');
  $('#view').innerHTML = `<h2 id="measure-title">${esc(m.id)} · ${esc(m.task)}</h2>
    <div class="card"><p>${esc(m.measure)}</p><p class="muted">${t('section')} ${esc(m.section)} · ${esc(m.category)}</p>
    <p>${t('lead')}: ${esc((m.lead_units || []).join('、'))}<br>${t('supporting')}: ${esc((m.supporting_units || []).join('、'))}</p>
    <p>${t('deadline')}: ${esc((m.deadlines || []).join('、'))} · ${t('targets')}: ${targets || '—'}</p>
    ${monthly ? `<p>${t('monthly_targets')}: <span id="monthly-targets">${monthly}</span></p>` : ''}
    <p>${t('status')}: <b id="measure-status">${esc(m.status_zh)}</b></p></div>
    ${me ? `<h3>${t('action')}</h3><form id="act-form" class="login"><select id="act"><option value="report">${t('act_report')}</option><option value="confirm">${t('act_confirm')}</option><option value="close">${t('act_close')}</option><option value="reopen">${t('act_reopen')}</option></select>
      <input id="act-month" type="month"><textarea id="act-text" rows="3"></textarea><button class="primary" type="submit">${t('submit')}</button><div id="act-result"></div></form>
      <p>${t('evidence')} <input id="evidence" type="file" accept=".pdf,.jpg,.jpeg,.png"></p>` : ''}
    <h3>${t('history')}</h3><table id="history"><tbody>${(m.history || []).slice().reverse().map((e) => `<tr><td>${new Date(e.at_ms).toISOString().slice(0, 16).replace('T', ' ')}</td><td>${esc(e.actor)}</td><td>${esc(e.unit || '')}</td><td>${esc(e.action)}</td><td>${esc(e.month || '')}</td><td>${esc(e.text)}</td></tr>`).join('')}</tbody></table>`;
  if (!me) return;
  $('#act-form').onsubmit = async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('/ledger/' + encodeURIComponent(id) + '/events', { method: 'POST', body: JSON.stringify({ action: $('#act').value, month: $('#act-month').value || null, text: $('#act-text').value }) });
      $('#act-result').textContent = t('saved') + ': ' + r.status_zh;
      await measurePage(id);
    } catch (err) { $('#act-result').innerHTML = `<span class="error">${esc(err.message)}</span>`; }
  };
  $('#evidence').onchange = async () => {
    const f = $('#evidence').files[0];
    if (!f) return;
    const r = await fetch('/api/v1/ledger/' + encodeURIComponent(id) + '/evidence', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': me.csrf, 'X-Filename': f.name }, body: f });
    const body = await r.json().catch(() => ({}));
    alert(r.ok ? t('saved') : (body.error && body.error.message) || r.statusText);
    if (r.ok) await measurePage(id);
  };
}

async function route() {
  applyStatic();
  const h = location.hash.replace(/^#/, '') || '/';
  try {
    if (h === '/') await overview();
    else if (h === '/map') await mapPage();
    else if (h.startsWith('/station/')) await stationPage(decodeURIComponent(h.slice(9)));
    else if (h === '/rankings') await rankingsPage();
    else if (h === '/ledger' || h.startsWith('/ledger?')) await ledgerPage(h.split('?')[1] || '');
    else if (h.startsWith('/measure/')) await measurePage(decodeURIComponent(h.slice(9)));
    else if (h === '/public') await publicPage();
    else if (h === '/login') loginPage();
    else if (h === '/logout') {
      await api('/logout', { method: 'POST' }).catch(() => {});
      me = null;
      sessionStorage.removeItem('me');
      location.hash = '#/';
    } else await overview();
  } catch (err) {
    $('#view').innerHTML = `<p class="error">${esc(err.message)}</p>`;
  }
}

$('#lang').onclick = () => { lang = lang === 'zh' ? 'en' : 'zh'; localStorage.setItem('lang', lang); route(); };
window.addEventListener('hashchange', route);
(async () => {
  const saved = sessionStorage.getItem('me');
  if (saved) {
    try { me = (await api('/me')).user; } catch (_) { me = null; sessionStorage.removeItem('me'); }
  }
  route();
})();
