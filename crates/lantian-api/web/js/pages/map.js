// Map: the county's townships and every station coloured by its AQI now. Leaflet's
// tooltips and popups take HTML: every text from the county profile or the API is escaped.
import { $, api, badge, demoBanner, esc, state, t } from '../core.js';

let mapObj = null;

export async function mapPage() {
  $('#view').innerHTML = '<div id="map"></div><p class="muted" id="map-note"></p>';
  if (mapObj) { mapObj.remove(); mapObj = null; }
  const centre = state.county ? state.county.center : { lat: 37.92, lon: 115.28 };
  mapObj = L.map('map', { attributionControl: true }).setView([centre.lat, centre.lon], 10);
  const geo = await fetch('/data/boundaries.geojson').then((r) => r.json());
  const layer = L.geoJSON(geo, { style: { color: '#1769aa', weight: 1, fillOpacity: 0.05 }, onEachFeature: (f, l) => l.bindTooltip(esc(state.lang === 'zh' ? f.properties.name_zh : f.properties.name_en), { className: 'township-tooltip' }) }).addTo(mapObj);
  if (layer.getBounds().isValid()) mapObj.fitBounds(layer.getBounds());
  if ((geo.features || []).some((f) => f.properties && f.properties.approximate)) $('#map-note').textContent = t('approximate_boundaries');
  const now = await api('/aqi/now');
  demoBanner(now.stations);
  now.stations.filter((s) => s.lat != null && s.lon != null).forEach((s) => {
    const colour = s.aqi && s.aqi.colour ? s.aqi.colour : '#999999';
    L.circleMarker([s.lat, s.lon], { radius: 10, color: '#333', weight: 1, fillColor: colour, fillOpacity: 0.9, className: 'station-marker' })
      .bindPopup(`<b>${esc(s.name)}</b><br>${badge(s.aqi)}<br><a href="#/station/${encodeURIComponent(s.id)}">${t('to_station')}</a>`)
      .addTo(mapObj);
  });
}
