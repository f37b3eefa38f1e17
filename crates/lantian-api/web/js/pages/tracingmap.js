// Tracing map (#/tracing-map): the county's interpolated concentration surface hour by hour
// (IDW or ordinary kriging, computed by the server) as an image over the map, each station's
// wind as an arrow, a play button and a slider stepping through the hours; the hour shown
// is Beijing time, the method and its leave-one-out error are stated.
import { $, addDays, api, bj, bjToday, esc, fmt, state, t } from '../core.js';

let mapObj = null;
let timer = null;

const POLLUTANTS = ['PM2.5', 'PM10', 'O3', 'NO2', 'SO2', 'CO'];
/** Milliseconds per hour while playing. */
const STEP_MS = 250;

/** A colour ramp (blue → green → yellow → red) for a value in [0, 1]. */
function ramp(x) {
  const stops = [[49, 54, 149], [69, 117, 180], [116, 173, 209], [171, 217, 233], [254, 224, 144], [253, 174, 97], [244, 109, 67], [215, 48, 39], [165, 0, 38]];
  const p = Math.max(0, Math.min(1, x)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(p));
  const f = p - i;
  return stops[i].map((c, k) => Math.round(c + f * (stops[i + 1][k] - c)));
}

/** The hour's grid as a PNG data URL (one pixel per cell; missing cells transparent). */
function gridImage(values, cells, lo, hi) {
  const c = document.createElement('canvas');
  c.width = cells;
  c.height = cells;
  const ctx = c.getContext('2d');
  const img = ctx.createImageData(cells, cells);
  values.forEach((v, i) => {
    if (v == null) return;
    const [r, g, b] = ramp(hi > lo ? (v - lo) / (hi - lo) : 0.5);
    img.data.set([r, g, b, 255], i * 4);
  });
  ctx.putImageData(img, 0, 0);
  return c.toDataURL('image/png');
}

/** Query parameters of the page's hash (`#/tracing-map?from=…&to=…`). */
const params = (rest) => new URLSearchParams(rest.replace(/^\?/, ''));

export async function tracingMapPage(rest) {
  if (timer) { clearInterval(timer); timer = null; }
  const q = params(rest);
  const to = q.get('to') || bjToday();
  const from = q.get('from') || addDays(to, -29);
  const pollutant = q.get('pollutant') || 'PM2.5';
  const method = q.get('method') || 'idw';
  const opt = (v, label, sel) => `<option value="${esc(v)}" ${sel ? 'selected' : ''}>${esc(label)}</option>`;
  $('#view').innerHTML = `<h2>${t('tracing_map_title')}</h2>
    <p class="filters">${t('pollutant')}: <select id="tm-pollutant">${POLLUTANTS.map((p) => opt(p, p, p === pollutant)).join('')}</select>
    ${t('tr_from')}: <input id="tm-from" type="date" value="${esc(from)}"> ${t('tr_to')}: <input id="tm-to" type="date" value="${esc(to)}"> (${t('bj')})
    ${t('tracing_method')}: <select id="tm-method">${opt('idw', t('tracing_idw'), method === 'idw')}${opt('kriging', t('tracing_kriging'), method === 'kriging')}</select>
    <button id="tm-load" type="button">${t('tracing_load')}</button></p>
    <p class="filters"><button id="tm-play" type="button">${t('tracing_play')}</button>
    <input id="tm-slider" type="range" min="0" max="0" value="0" style="width:50%">
    <b id="tm-hour">…</b></p>
    <div id="map"></div>
    <div id="tm-legend" class="muted"></div>
    <p class="muted" id="tm-method-text"></p><p class="muted" id="tm-loo"></p>
    <h3>${t('tracing_transport')}</h3><p id="tm-transport">…</p><p class="muted" id="tm-transport-method"></p>`;
  $('#tm-load').onclick = () => {
    location.hash = `#/tracing-map?pollutant=${encodeURIComponent($('#tm-pollutant').value)}&from=${$('#tm-from').value}&to=${$('#tm-to').value}&method=${$('#tm-method').value}`;
  };
  if (mapObj) { mapObj.remove(); mapObj = null; }
  const centre = state.county ? state.county.center : { lat: 37.92, lon: 115.28 };
  mapObj = L.map('map').setView([centre.lat, centre.lon], 10);
  const geo = await fetch('/data/boundaries.geojson').then((r) => r.json()).catch(() => null);
  if (geo) L.geoJSON(geo, { style: { color: '#1769aa', weight: 1, fillOpacity: 0 } }).addTo(mapObj);
  const mine = state.routing;
  $('#tm-hour').textContent = t('loading');
  const r = await api(`/tracing/surface?pollutant=${encodeURIComponent(pollutant)}&from=${from}&to=${to}&basis=${method}`);
  if (mine !== state.routing) return;
  const g = r.grid;
  const bounds = [[g.lat_min, g.lon_min], [g.lat_max, g.lon_max]];
  if (r.sites.length) mapObj.fitBounds(bounds);
  // The colour scale: the smallest value to the 98th percentile of all hours' cells (an
  // episode's few highest cells would otherwise leave every other hour in one colour).
  const all = r.hours.flatMap((h) => h.values.filter((v) => v != null)).sort((a, b) => a - b);
  const lo = all.length ? all[0] : 0;
  const hi = all.length ? all[Math.floor(0.98 * (all.length - 1))] : 1;
  $('#tm-legend').innerHTML = `${esc(r.pollutant)} (${esc(r.unit)}): ${fmt(lo)} <span class="tracing-ramp">${[0, 0.25, 0.5, 0.75, 1].map((x) => `<span style="background:rgb(${ramp(x).join(',')})">&nbsp;&nbsp;&nbsp;&nbsp;</span>`).join('')}</span> ≥ ${fmt(hi)} (${t('tracing_p98')}) · ${r.sites.length} ${t('stations')} · ${t('tracing_arrows')}`;
  $('#tm-method-text').textContent = `${t('tracing_method')}${t('colon')}${r.method_text} · ${r.view === 'raw' ? t('view_raw') : t('view_audited')} · ${r.from} – ${r.to} ${t('bj')}`;
  // Transport and local over the same period: the network mean's inflow and local shares.
  api(`/tracing/transport?pollutant=${encodeURIComponent(pollutant)}&from=${from}&to=${to}`).then((tr) => {
    if (mine !== state.routing) return;
    const pct = (x) => (x == null || !isFinite(x) ? '—' : (100 * x).toFixed(1) + '%');
    $('#tm-transport').textContent = `${t('tracing_inflow')} ${pct(tr.total.inflow_share)} · ${t('tracing_local')} ${pct(tr.total.local_share)} · ${t('tracing_hours_counted')} ${tr.total.hours} / ${tr.hours} (${t('tracing_calm')} ${tr.hours_calm})`;
    $('#tm-transport-method').textContent = tr.method_text;
  }).catch((e) => { $('#tm-transport').textContent = e.message; });
  $('#tm-loo').textContent = r.loo ? `${t('tracing_loo')}${t('colon')}MAE ${fmt(r.loo.mae)}, RMSE ${fmt(r.loo.rmse)}, ${t('tracing_bias')} ${fmt(r.loo.bias)} ${r.unit} (n = ${r.loo.n})` : '';
  const overlay = L.imageOverlay(gridImage([], g.cells, lo, hi), bounds, { opacity: 0.65, className: 'tracing-surface' }).addTo(mapObj);
  const markers = r.sites.map((s) => L.marker([s.lat, s.lon], { icon: L.divIcon({ className: 'wind-arrow', html: '', iconSize: [28, 28] }) })
    .bindTooltip(esc(s.name)).addTo(mapObj));
  const slider = $('#tm-slider');
  slider.max = String(Math.max(0, r.hours.length - 1));
  const show = (i) => {
    const h = r.hours[i];
    if (!h) { $('#tm-hour').textContent = t('no_data'); return; }
    overlay.setUrl(gridImage(h.values, g.cells, lo, hi));
    h.sites.forEach(([c, ws, wd], k) => {
      // The arrow points where the wind blows to (from wd + 180°); none when calm or missing.
      const arrow = wd == null ? '<div style="height:28px;font:bold 20px/28px sans-serif">·</div>'
        : `<svg width="28" height="28" viewBox="-14 -14 28 28" style="display:block;margin:auto;transform:rotate(${(wd + 180) % 360}deg)"><path d="M0,-13 L6,-3 L2,-3 L2,13 L-2,13 L-2,-3 L-6,-3 Z" fill="#111" stroke="#fff" stroke-width="1"/></svg>`;
      markers[k].setIcon(L.divIcon({ className: 'wind-arrow', html: `${arrow}<div style="font:12px sans-serif;text-align:center;background:rgba(255,255,255,0.8);border-radius:3px">${c == null ? '—' : fmt(c, 0)}</div>`, iconSize: [40, 46], iconAnchor: [20, 14] }));
      markers[k].setTooltipContent(`${esc(r.sites[k].name)}: ${fmt(c)} ${esc(r.unit)} · ${fmt(ws)} m/s ${wd == null ? '' : Math.round(wd) + '°'}`);
    });
    $('#tm-hour').textContent = `${bj(h.time)} (${t('tracing_hour_ending')}) · ${h.n_stations} ${t('stations')}`;
    $('#tm-hour').dataset.index = String(i);
    slider.value = String(i);
  };
  slider.oninput = () => show(Number(slider.value));
  $('#tm-play').onclick = () => {
    if (timer) { clearInterval(timer); timer = null; $('#tm-play').textContent = t('tracing_play'); return; }
    $('#tm-play').textContent = t('tracing_pause');
    timer = setInterval(() => {
      if (mine !== state.routing) { clearInterval(timer); timer = null; return; }
      show((Number(slider.value) + 1) % Math.max(1, r.hours.length));
    }, STEP_MS);
  };
  $('#map').dataset.hours = String(r.hours.length);
  // The hour whose stations differ most (where the surface shows most).
  const ranges = r.hours.map((h) => { const v = h.sites.map((x) => x[0]).filter((x) => x != null); return v.length > 1 ? Math.min(hi, Math.max(...v)) - Math.max(lo, Math.min(...v)) : -1; });
  $('#map').dataset.widest = String(ranges.indexOf(Math.max(...ranges)));
  show(0);
}
