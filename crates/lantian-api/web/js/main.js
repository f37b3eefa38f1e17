// Lantian web UI: hash routes to pages (one ES module each), the language switch, the
// session. Chinese first, English available; every time shown is Beijing time.
import { $, api, refreshMe, session, state, t } from './core.js';
import { accountsPage, adminPage, seesAdmin } from './pages/accounts.js';
import { adminAuditPage } from './pages/admin_audit.js';
import { adminSettingsPage } from './pages/admin_settings.js';
import { adminStationsPage } from './pages/admin_stations.js';
import { ACT, alarmsPage, can } from './pages/alarms.js';
import { enterprisePage } from './pages/enterprise.js';
import { enterprisesPage } from './pages/enterprises.js';
import { complainPage, lookupPage } from './pages/complain.js';
import { firePage } from './pages/fire.js';
import { hasAct } from './pages/grid.js';
import { machineryPage, sitesPage } from './pages/sites.js';
import { sanluanwuPage } from './pages/sanluanwu.js';
import { declarationsMenu, declarationsPage } from './pages/declarations.js';
import { casesPage } from './pages/cases.js';
import { casePage } from './pages/case.js';
import { creditPage, creditPublicPage } from './pages/credit.js';
import { apikeysPage } from './pages/apikeys.js';
import { alertsPage } from './pages/alerts.js';
import { deviceControlPage } from './pages/device_control.js';
import { deviceKeysPage } from './pages/device_keys.js';
import { taskPage, tasksPage } from './pages/tasks.js';
import { ledgerPage, measurePage } from './pages/ledger.js';
import { loginPage, logout } from './pages/login.js';
import { mapPage } from './pages/map.js';
import { operationsPage } from './pages/operations.js';
import { opendataPage } from './pages/opendata.js';
import { portalEnterprisePage } from './pages/portal_enterprise.js';
import { portalStationPage } from './pages/portal_station.js';
import { passwordPage } from './pages/account.js';
import { overview } from './pages/overview.js';
import { publicPage } from './pages/public.js';
import { rankingsPage } from './pages/rankings.js';
import { reductionPage } from './pages/reduction.js';
import { reportsPage } from './pages/reports.js';
import { rulesPage } from './pages/rules.js';
import { stationPage } from './pages/station.js';
import { comparePage } from './pages/compare.js';
import { targetsPage } from './pages/targets.js';
import { tracingPage } from './pages/tracing.js';
import { tracingMapPage } from './pages/tracingmap.js';
import { warningsPage } from './pages/warnings.js';
import { workOrdersPage } from './pages/workorders.js';

/** Path prefix → page; the first match wins. */
const ROUTES = [
  ['/map', (rest) => mapPage(rest)],
  ['/station/', (rest) => stationPage(decodeURIComponent(rest))],
  ['/compare', (rest) => comparePage(rest)],
  ['/rankings', () => rankingsPage()],
  ['/targets', (rest) => targetsPage(rest)],
  ['/reports', (rest) => reportsPage(rest)],
  ['/ledger', (rest) => ledgerPage(rest.replace(/^\?/, ''))],
  ['/measure/', (rest) => measurePage(decodeURIComponent(rest))],
  ['/enterprises', (rest) => enterprisesPage(rest.replace(/^\?/, ''))],
  ['/enterprise/', (rest) => enterprisePage(rest)],
  ['/warnings', (rest) => warningsPage(rest)],
  ['/reduction', () => reductionPage()],
  ['/public', () => publicPage()],
  ['/opendata', () => opendataPage()],
  ['/apikeys', () => apikeysPage()],
  ['/portal/station/', (rest) => portalStationPage(decodeURIComponent(rest))],
  ['/portal/enterprise/', (rest) => portalEnterprisePage(rest)],
  ['/login', () => loginPage(applyStatic)],
  ['/password', () => passwordPage()],
  ['/accounts', () => accountsPage()],
  ['/admin/stations', (rest) => adminStationsPage(rest)], ['/admin/audit', (rest) => adminAuditPage(rest)], ['/admin/settings', () => adminSettingsPage()], ['/admin', () => adminPage()],
  ['/alarms', (rest) => alarmsPage(rest)],
  ['/alerts', (rest) => alertsPage(rest)],
  ['/device-control', (rest) => deviceControlPage(rest)],
  ['/device-keys', () => deviceKeysPage()],
  ['/rules', () => rulesPage()],
  ['/workorders', (rest) => workOrdersPage(rest)],
  ['/operations', (rest) => operationsPage(rest)],
  ['/tracing-map', (rest) => tracingMapPage(rest)],
  ['/tracing', (rest) => tracingPage(rest)],
  ['/tasks', (rest) => tasksPage(rest)],
  ['/task/', (rest) => taskPage(decodeURIComponent(rest))],
  ['/fire', (rest) => firePage(rest)],
  ['/sites', () => sitesPage()],
  ['/machinery', () => machineryPage()],
  ['/sanluanwu', (rest) => sanluanwuPage(rest)],
  ['/declarations', (rest) => declarationsPage(rest)],
  ['/cases', (rest) => casesPage(rest)],
  ['/case/', (rest) => casePage(decodeURIComponent(rest))],
  ['/credit-public', () => creditPublicPage()],
  ['/credit', (rest) => creditPage(rest)],
  ['/complain', () => complainPage()],
  ['/lookup', (rest) => lookupPage(rest)],
  ['/logout', () => logout()],
];

// Targets and the monthly 通报 after 乡镇排名 (the 通报 needs a government login: shown by applyStatic).
for (const [href, id, key] of [['#/reports', 'nav-reports', 'nav_reports'], ['#/targets', 'nav-targets', 'nav_targets']]) {
  const a = document.createElement('a');
  a.href = href;
  a.id = id;
  a.dataset.i18n = key;
  document.querySelector('nav a[href="#/rankings"]').after(a);
}
// The emergency-response pages' menu entries, before 公众 (index.html lists the others).
for (const [href, key] of [['#/warnings', 'nav_warnings'], ['#/reduction', 'nav_reduction']]) {
  const a = document.createElement('a');
  a.href = href;
  a.dataset.i18n = key;
  document.querySelector('nav a[href="#/public"]').before(a);
}
// Several stations on one chart (站点对比), after the map.
{ const a = document.createElement('a'); a.href = '#/compare'; a.id = 'nav-compare'; a.dataset.i18n = 'nav_compare'; document.querySelector('nav a[href="#/map"]').after(a); }
// Source tracing (溯源), after the map.
{ const a = document.createElement('a'); a.href = '#/tracing'; a.dataset.i18n = 'nav_tracing'; document.querySelector('nav a[href="#/map"]').after(a); }
// The admin console (系统管理: accounts, stations and devices, audit log, settings), for the accounts with any of its tabs (shown by applyStatic), before 修改密码.
{
  const a = document.createElement('a');
  a.href = '#/admin';
  a.id = 'nav-accounts';
  a.dataset.i18n = 'nav_admin';
  a.hidden = true;
  $('#nav-password').before(a);
}
// Data quality and operations, for the accounts whose acts include them (shown by applyStatic).
for (const [href, id, key] of [['#/alarms', 'nav-alarms', 'nav_alarms'], ['#/workorders', 'nav-workorders', 'nav_workorders']]) {
  const a = document.createElement('a');
  a.href = href;
  a.id = id;
  a.dataset.i18n = key;
  a.hidden = true;
  document.querySelector('nav a[href="#/public"]').before(a);
}

// Grid supervision (网格任务, for the accounts whose acts include it, shown by applyStatic) and
// the public's complaint form, before 公众.
for (const [href, id, key, hidden] of [['#/tasks', 'nav-tasks', 'nav_tasks', true], ['#/complain', 'nav-complain', 'nav_complain', false]]) {
  const a = document.createElement('a');
  a.href = href;
  a.id = id;
  a.dataset.i18n = key;
  a.hidden = hidden;
  document.querySelector('nav a[href="#/public"]').before(a);
}

// Enforcement cases and credit records (shown by applyStatic), and the public credit list (信用公示), before 公众.
{ const a = document.createElement('a'); a.href = '#/cases'; a.id = 'nav-cases'; a.dataset.i18n = 'nav_cases'; a.hidden = true; document.querySelector('nav a[href="#/public"]').before(a); }
{ const a = document.createElement('a'); a.href = '#/credit'; a.id = 'nav-credit'; a.dataset.i18n = 'nav_credit'; a.hidden = true; document.querySelector('nav a[href="#/public"]').before(a); }
{ const a = document.createElement('a'); a.href = '#/credit-public'; a.id = 'nav-credit-public'; a.dataset.i18n = 'nav_credit_public'; document.querySelector('nav a[href="#/public"]').after(a); }
// 散乱污 (government accounts, shown by applyStatic), before 公众.
// Enterprise declarations (企业申报: enterprises, operations, the bureau), before 公众.
declarationsMenu(document.querySelector('nav a[href="#/public"]'));
{ const a = document.createElement('a'); a.href = '#/sanluanwu'; a.id = 'nav-sanluanwu'; a.dataset.i18n = 'nav_sanluanwu'; a.hidden = true; document.querySelector('nav a[href="#/public"]').before(a); }

// Open data (开放数据, public), after 公众.
{ const a = document.createElement('a'); a.href = '#/opendata'; a.id = 'nav-opendata'; a.dataset.i18n = 'nav_opendata'; document.querySelector('nav a[href="#/public"]').after(a); }
// The bureau's open-data keys (shown by applyStatic to the accounts that manage them), after 开放数据.
{ const a = document.createElement('a'); a.href = '#/apikeys'; a.id = 'nav-apikeys'; a.dataset.i18n = 'nav_apikeys'; a.hidden = true; $('#nav-opendata').after(a); }
// Alerts (预警推送: the inbox of government accounts, shown by applyStatic), before 公众.
{ const a = document.createElement('a'); a.href = '#/alerts'; a.id = 'nav-alerts'; a.dataset.i18n = 'nav_alerts'; a.hidden = true; document.querySelector('nav a[href="#/public"]').before(a); }
// Reverse control and back-fill (设备反控与补传, shown by applyStatic to the accounts that see devices), before 公众.
{ const a = document.createElement('a'); a.href = '#/device-control'; a.id = 'nav-device-control'; a.dataset.i18n = 'nav_device_control'; a.hidden = true; document.querySelector('nav a[href="#/public"]').before(a); }
// HJ 212-2025 device keys and MN assignment (设备密钥与赋码, shown by applyStatic to the accounts that manage the register), before 公众.
{ const a = document.createElement('a'); a.href = '#/device-keys'; a.id = 'nav-device-keys'; a.dataset.i18n = 'nav_device_keys'; a.hidden = true; document.querySelector('nav a[href="#/public"]').before(a); }

function applyStatic() {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  const c = state.county;
  if (c) {
    const name = state.lang === 'zh' ? c.titles.platform_zh : c.titles.platform_en;
    $('#brand').textContent = t('brand') + ' · ' + name;
    document.title = t('brand') + ' · ' + name;
  }
  $('#lang').textContent = state.lang === 'zh' ? 'English' : '中文';
  const nav = $('#nav-login');
  nav.textContent = state.me ? t('nav_logout') + ' (' + state.me.username + ')' : t('nav_login');
  nav.href = state.me ? '#/logout' : '#/login';
  $('#nav-password').hidden = !state.me;
  $('#nav-accounts').hidden = !seesAdmin();
  $('#nav-alarms').hidden = !can(ACT.see);
  $('#nav-workorders').hidden = !can(ACT.see);
  $('#nav-tasks').hidden = !hasAct('see_tasks');
  $('#nav-sanluanwu').hidden = !hasAct('see_sanluanwu');
  $('#nav-apikeys').hidden = !hasAct('manage_api_keys');
  $('#nav-alerts').hidden = !hasAct('see_alerts');
  $('#nav-device-control').hidden = !hasAct('see_devices');
  $('#nav-device-keys').hidden = !hasAct('manage_register');
  // The cases menu is the case desk (the bureau, townships, operations); an enterprise finds its own cases under its credit records.
  const caseDesk = hasAct('see_cases') && (hasAct('manage_cases') || hasAct('see_sanluanwu') || hasAct('see_integrity'));
  $('#nav-cases').hidden = !caseDesk;
  $('#nav-credit').hidden = !(hasAct('manage_credit') || (hasAct('see_cases') && !caseDesk));
  $('#nav-reports').hidden = !(state.me && (state.me.acts || []).includes('see_township_report'));
}

async function route() {
  applyStatic();
  let h = location.hash.replace(/^#/, '') || '/';
  // An initial password is changed before anything else (the API refuses the rest).
  if (state.me && state.me.must_change_password && h !== '/logout') h = '/password';
  const mine = ++state.routing;
  try {
    const hit = ROUTES.find(([prefix]) => h.startsWith(prefix));
    if (hit) await hit[1](h.slice(hit[0].length));
    else await overview();
  } catch (err) {
    // A page left before it finished loading does not report its errors.
    if (mine !== state.routing) return;
    $('#view').innerHTML = '';
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = err.message;
    $('#view').append(p);
  }
}

$('#lang').onclick = () => { state.lang = state.lang === 'zh' ? 'en' : 'zh'; localStorage.setItem('lang', state.lang); route(); };
window.addEventListener('hashchange', route);
// A note on a change of session stays until the reader moves on.
window.addEventListener('hashchange', () => { const n = $('#session-note'); if (n) n.remove(); });

// One session for every tab (one cookie): who is logged in is read again when a tab opens,
// comes back into view or gets the focus, and when another tab logs in or out; a change of
// account redraws the page and says so.
session.onChange = (whoChanged, first) => {
  applyStatic();
  if (!whoChanged || first) return;
  let note = $('#session-note');
  if (!note) {
    note = document.createElement('p');
    note.id = 'session-note';
    note.setAttribute('role', 'status');
    note.style.cssText = 'margin:0;padding:.4rem 1rem;background:#fff4ce;border-bottom:1px solid #e0c96b';
    $('#view').before(note);
  }
  note.textContent = state.me ? t('session_now').replace('{user}', state.me.username) : t('session_ended');
  if (location.hash !== '#/logout') route();
};
const recheck = () => { if (document.visibilityState === 'visible') refreshMe(); };
document.addEventListener('visibilitychange', recheck);
window.addEventListener('focus', recheck);
if (session.channel) session.channel.onmessage = () => refreshMe();
window.addEventListener('storage', (e) => { if (e.key === 'lantian-session') refreshMe(); });

(async () => {
  [state.county, state.ui] = await Promise.all([api('/county').catch(() => null), api('/ui-config').catch(() => null)]);
  await refreshMe();
  route();
})();
