// The public page: AQI now of the city and of every station, with health advice.
import { $, api, badge, bj, demoBanner, esc, t } from '../core.js';

export async function publicPage() {
  const now = await api('/aqi/now');
  demoBanner(now.stations);
  const c = now.city;
  $('#view').innerHTML = `<div class="card"><h3>${t('city_aqi_now')}</h3><div class="big" id="public-aqi">${c ? badge(c.aqi) : t('no_data')}</div>
    <p>${c && c.aqi.advice ? esc(t('advice') + t('colon') + c.aqi.advice) : ''}</p><p class="muted">${c ? esc(bj(c.time)) + ' · ' + t('note_raw') : ''}</p></div>
    <h2>${t('stations')}</h2><table><thead><tr><th>${t('station')}</th><th>${t('aqi')}</th><th>${t('updated')}（${t('bj')}）</th></tr></thead>
    <tbody>${now.stations.map((s) => `<tr><td>${esc(s.name)}${s.demo ? ' <span class="muted">(' + t('demo') + ')</span>' : ''}</td><td>${badge(s.aqi)}</td><td class="muted">${esc(s.time || '')}</td></tr>`).join('')}</tbody></table>`;
}
