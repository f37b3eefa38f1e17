// Overview: the city's AQI now (raw, real time) and today, this year's PM2.5 against the
// target (audited), and every station's AQI now.
import { $, api, badge, bj, demoBanner, esc, t } from '../core.js';

export async function overview() {
  $('#view').innerHTML = `<div class="cards">
    <div class="card"><h3>${t('city_aqi_now')}</h3><div class="big" id="city-aqi">…</div><div class="muted" id="city-aqi-time"></div><div class="muted" id="city-advice"></div><div class="muted note">${t('note_raw')}</div></div>
    <div class="card"><h3>${t('city_aqi_today')}</h3><div class="big" id="city-aqi-today">…</div><div class="muted" id="city-aqi-today-note"></div><div class="muted note">${t('note_raw')}</div></div>
    <div class="card"><h3>${t('pm25_year')}</h3><div class="big" id="pm25-year">…</div><div class="muted" id="pm25-target"></div><div class="muted" id="pm25-allowed"></div><div class="muted note">${t('note_audited')}</div></div>
    <div class="card"><h3>${t('heavy_days')}</h3><div class="big" id="heavy-days">…</div><div class="muted note">${t('note_audited')}</div></div>
  </div><h2>${t('stations')}</h2><table id="station-table"><thead><tr><th>${t('station')}</th><th>${t('role')}</th><th>${t('aqi')}</th><th>${t('primary')}</th><th>${t('updated')}（${t('bj')}）</th></tr></thead><tbody></tbody></table>`;
  const [now, tg] = await Promise.all([api('/aqi/now'), api('/targets')]);
  demoBanner(now.stations);
  const c = now.city;
  $('#city-aqi').innerHTML = c ? badge(c.aqi) : t('no_data');
  $('#city-aqi-time').textContent = c ? bj(c.time) : '';
  $('#city-advice').textContent = c && c.aqi.advice ? t('advice') + t('colon') + c.aqi.advice : '';
  const td = now.today;
  $('#city-aqi-today').innerHTML = td && td.aqi && td.aqi.aqi != null ? badge(td.aqi) : 'NA';
  $('#city-aqi-today-note').textContent = td ? td.date + (td.aqi.aqi == null ? ' · ' + t('today_pending') : '') : '';
  $('#pm25-year').textContent = tg.pm25_mean_so_far == null ? t('no_data') : tg.pm25_mean_so_far + ' µg/m³';
  $('#pm25-target').textContent = t('target') + ' ' + tg.target_pm25 + ' µg/m³';
  const al = tg.allowed;
  $('#pm25-allowed').textContent = !al ? '' : al.status === 'allowed' ? t('allowed') + t('colon') + al.mean_max.toFixed(1) + ' µg/m³' : al.status === 'unreachable' ? t('unreachable') : t('final');
  $('#heavy-days').textContent = tg.heavy_or_worse_days;
  $('#station-table tbody').innerHTML = now.stations.map((s) => `<tr><td><a href="#/station/${encodeURIComponent(s.id)}">${esc(s.name)}</a>${s.demo ? ' <span class="muted">(' + t('demo') + ')</span>' : ''}</td><td>${esc(t('role_' + s.role))}</td><td>${badge(s.aqi)}</td><td>${esc(((s.aqi && s.aqi.primary) || []).join(', '))}</td><td class="muted station-time">${esc(s.time || '')}</td></tr>`).join('');
}
