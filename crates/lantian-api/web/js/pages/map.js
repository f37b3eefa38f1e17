// Map: the county's townships shaded by a chosen indicator (AQI or one pollutant's 1-hour
// value, coloured by its AQI level) and every station as a labelled marker, at an hour the
// time slider picks among the last days (Beijing time), with the legend; an optional base
// map whose tile URL is a setting (/api/v1/ui-config; none: the vector layer only, as
// offline deployments run). Leaflet's tooltips and popups take HTML: every text from the
// county profile or the API is escaped.
import { $, api, demoBanner, esc, fmt, state, t } from '../core.js';

let mapObj = null;
let timer = null;

/** Milliseconds per hour while playing. */
const STEP_MS = 600;
const GREY = '#b0b7bf';
const UNITS = { aqi: '', pm25: 'μg/m³', pm10: 'μg/m³', o3: 'μg/m³', no2: 'μg/m³', so2: 'μg/m³', co: 'mg/m³' };
const LABEL = { aqi: 'AQI', pm25: 'PM2.5', pm10: 'PM10', o3: 'O3', no2: 'NO2', so2: 'SO2', co: 'CO' };

/** The page's own styles, once (the CSP admits inline styles, not other files). */
function styles() {
  if ($('#map-page-style')) return;
  const s = document.createElement('style');
  s.id = 'map-page-style';
  s.textContent = `.map-controls { display: flex; flex-wrap: wrap; gap: .4rem .9rem; align-items: center; margin: .4rem 0; }
  .map-controls input[type=range] { flex: 1 1 16rem; min-width: 12rem; }
  .map-legend { background: #fff; padding: .4rem .6rem; border-radius: 6px; box-shadow: 0 1px 4px rgba(0,0,0,.3); font-size: .8rem; line-height: 1.35; }
  .map-legend i { display: inline-block; width: 1rem; height: .8rem; margin-right: .35rem; vertical-align: middle; border: 1px solid #8887; }
  .map-label { background: transparent; border: 0; box-shadow: none; font-weight: 600; color: #173b5c; text-shadow: 0 0 3px #fff, 0 0 3px #fff; padding: 0; }
  .map-label::before { display: none; }
  .station-label { background: rgba(255,255,255,.85); border: 1px solid #8aa; font-size: .75rem; padding: 0 .3rem; }
  #map-hour { font-weight: 700; white-space: nowrap; }
  #map-units td.v { text-align: right; white-space: nowrap; }
  @media (max-width: 600px) { .map-legend { font-size: .7rem; } .map-label { font-size: .7rem; } .station-label { display: none; } }`;
  document.head.append(s);
}

/** A township's or station's name in the reader's language. */
const unitName = (u) => (state.lang === 'zh' ? u.name_zh : u.name_en);

/** The value and AQI level of a place's series at hour `i` for `ind`. */
function at(series, ind, i) {
  if (!series) return { v: null, level: null };
  return { v: series.values[ind][i], level: series.levels[ind][i] };
}

/** Why a unit has no value: no station, or stations whose data need a login. */
const noStation = (u) => (u.stations_total ? t('map_login_to_see') : t('map_no_station'));

const colourOf = (legend, level) => (level ? legend[level - 1].colour : GREY);

/** A value as shown: the AQI whole, CO with three decimals, the others with one. */
const shown = (ind, v) => (v == null ? '—' : ind === 'aqi' ? String(Math.round(v)) : fmt(v, ind === 'co' ? 3 : 1));

function legendControl(legend, ind) {
  const c = L.control({ position: 'bottomright' });
  c.onAdd = () => {
    const d = L.DomUtil.create('div', 'map-legend');
    d.id = 'map-legend';
    const rows = legend.map((l) => `<div data-level="${l.level}"><i style="background:${esc(l.colour)}"></i>${l.to == null ? '≥' + l.from : l.from + '–' + l.to} ${esc(l.category)}</div>`).join('');
    const basis = ind === 'aqi' ? t('map_legend_aqi') : t('map_legend_iaqi').replace('{p}', LABEL[ind]);
    d.innerHTML = `<b>${esc(basis)}</b>${rows}<div><i style="background:${GREY}"></i>${esc(t('map_no_value'))}</div>`;
    return d;
  };
  return c;
}

export async function mapPage(rest = '') {
  if (timer) { clearInterval(timer); timer = null; }
  styles();
  const q = new URLSearchParams(rest.replace(/^\?/, ''));
  const ind = ['aqi', 'pm25', 'pm10', 'o3', 'no2', 'so2', 'co'].includes(q.get('ind')) ? q.get('ind') : 'aqi';
  const days = ['1', '3', '7'].includes(q.get('days')) ? q.get('days') : '3';
  const opt = (v, label, sel) => `<option value="${esc(v)}" ${sel ? 'selected' : ''}>${esc(label)}</option>`;
  $('#view').innerHTML = `<h2>${t('map_title')}</h2>
    <div class="map-controls"><label>${t('map_indicator')} <select id="map-ind">${Object.keys(LABEL).map((k) => opt(k, LABEL[k], k === ind)).join('')}</select></label>
    <label>${t('map_days')} <select id="map-days">${['1', '3', '7'].map((d) => opt(d, t('map_days_' + d), d === days)).join('')}</select></label>
    <button id="map-play" type="button">${t('map_play')}</button>
    <input id="map-slider" type="range" min="0" max="0" value="0" aria-label="${esc(t('map_hour'))}">
    <span id="map-hour">${t('loading')}</span></div>
    <div id="map"></div>
    <p class="muted" id="map-note"></p>
    <h3>${t('map_units')}</h3>
    <table id="map-units"><thead><tr><th>${t('unit')}</th><th>${t('map_n_stations')}</th><th id="map-units-ind">${esc(LABEL[ind])}</th><th>${t('level')}</th></tr></thead><tbody></tbody></table>`;
  const reload = () => { location.hash = `#/map?ind=${$('#map-ind').value}&days=${$('#map-days').value}`; };
  $('#map-ind').onchange = reload;
  $('#map-days').onchange = reload;
  if (mapObj) { mapObj.remove(); mapObj = null; }
  const centre = state.county ? state.county.center : { lat: 37.92, lon: 115.28 };
  mapObj = L.map('map', { attributionControl: true }).setView([centre.lat, centre.lon], 10);
  const notes = [];
  const ui = state.ui || {};
  if (ui.tile_url) {
    // The base map under the vector layer, as configured; its credit line as its licence asks.
    L.tileLayer(ui.tile_url, { maxZoom: 18, attribution: esc(ui.tile_attribution || '') }).addTo(mapObj);
  } else {
    notes.push(t('map_no_base'));
  }
  const mine = state.routing;
  const [geo, r] = await Promise.all([
    fetch('/data/boundaries.geojson').then((x) => x.json()).catch(() => ({ features: [] })),
    api(`/map/hours?days=${days}`),
  ]);
  if (mine !== state.routing) return;
  demoBanner(r.stations);
  if ((geo.features || []).some((f) => f.properties && f.properties.approximate)) notes.push(t('approximate_boundaries'));
  notes.push(t('map_hour_note'));
  $('#map-note').textContent = notes.join(' ');
  const units = new Map(r.units.map((u) => [u.id, u]));
  // Townships: shaded polygons with their names on the map.
  const areas = [];
  const layer = L.geoJSON(geo, {
    style: { color: '#1769aa', weight: 1.2, fillOpacity: 0.45, fillColor: GREY },
    onEachFeature: (f, l) => {
      const u = units.get(f.properties.id) || { ...f.properties, stations: 0, series: null };
      l.bindTooltip(esc(unitName(u)), { permanent: true, direction: 'center', className: 'map-label' });
      areas.push([u, l]);
    },
  }).addTo(mapObj);
  if (layer.getBounds().isValid()) mapObj.fitBounds(layer.getBounds());
  // Stations: markers with their names; values only where the reader sees the station's data.
  const marks = r.stations.filter((s) => s.lat != null && s.lon != null).map((s) => {
    const m = L.circleMarker([s.lat, s.lon], { radius: 9, color: '#333', weight: 1, fillColor: GREY, fillOpacity: 0.95, className: 'station-marker' })
      .bindTooltip(esc(s.name), { permanent: true, direction: 'right', offset: [8, 0], className: 'station-label' })
      .addTo(mapObj);
    return [s, m];
  });
  const legend = r.legend;
  legendControl(legend, ind).addTo(mapObj);
  const last = r.hours.length - 1;
  const slider = $('#map-slider');
  slider.max = String(last);
  slider.value = String(last);
  const draw = (i) => {
    $('#map-hour').textContent = `${r.hours[i]} ${t('bj')}`;
    const rows = [];
    for (const [u, l] of areas) {
      const { v, level } = at(u.series, ind, i);
      l.setStyle({ fillColor: colourOf(legend, level), fillOpacity: level ? 0.55 : 0.25, dashArray: u.stations ? null : '4 4' });
      const why = u.stations ? (v == null ? t('map_no_value') : `${LABEL[ind]} ${shown(ind, v)} ${UNITS[ind]}`) : noStation(u);
      l.bindPopup(`<b>${esc(unitName(u))}</b><br>${esc(why)}`);
      rows.push([u, v, level]);
    }
    for (const [s, m] of marks) {
      const { v, level } = at(s.series, ind, i);
      m.setStyle({ fillColor: colourOf(legend, level) });
      m.setTooltipContent(esc(s.name) + (s.series ? ` ${esc(shown(ind, v))}` : ''));
      const body = s.series
        ? `${esc(LABEL[ind])} ${esc(shown(ind, v))} ${esc(UNITS[ind])}`
        : esc(t('map_login_to_see'));
      m.bindPopup(`<b>${esc(s.name)}</b><br>${body}<br>${esc(r.hours[i])} ${esc(t('bj'))}<br><a href="#/station/${encodeURIComponent(s.id)}">${t('to_station')}</a>`);
    }
    // The table under the map: every town, township and zone, worst first, those without a value last.
    rows.sort((a, b) => (b[1] ?? -1) - (a[1] ?? -1));
    $('#map-units tbody').innerHTML = rows.map(([u, v, level]) => {
      const lv = level ? legend[level - 1] : null;
      const cell = lv ? `<span class="badge" style="background:${esc(lv.colour)};color:${level >= 4 ? '#fff' : '#000'}">${esc(lv.category)}</span>` : `<span class="muted">${esc(u.stations ? t('map_no_value') : noStation(u))}</span>`;
      return `<tr data-unit="${esc(u.id)}" data-level="${level ?? ''}"><td>${esc(unitName(u))}</td><td>${u.stations}</td><td class="v">${esc(shown(ind, v))}</td><td>${cell}</td></tr>`;
    }).join('');
  };
  slider.oninput = () => draw(Number(slider.value));
  $('#map-play').onclick = () => {
    if (timer) { clearInterval(timer); timer = null; $('#map-play').textContent = t('map_play'); return; }
    $('#map-play').textContent = t('map_pause');
    if (Number(slider.value) >= last) slider.value = '0';
    timer = setInterval(() => {
      // Stop when the reader left the page or the last hour is reached.
      if (mine !== state.routing || !document.body.contains(slider)) { clearInterval(timer); timer = null; return; }
      const next = Number(slider.value) + 1;
      if (next > last) { clearInterval(timer); timer = null; $('#map-play').textContent = t('map_play'); return; }
      slider.value = String(next);
      draw(next);
    }, STEP_MS);
  };
  draw(last);
}
