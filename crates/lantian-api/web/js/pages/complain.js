// The public's complaint (#/complain) and its lookup by code (#/lookup): a category, the text,
// the place picked on the map (a click), an optional photo; the form's token and a hidden
// honeypot field (spam resistance without third-party services); after sending, the lookup
// code shown large with a note to keep it. No login needed.
import { $, api, bj, esc, fmt, state, t } from '../core.js';
import { COMPLAINT_CATEGORIES, countyMap, filePicker, opt, wireFilePicker, words } from './grid.js';

let mapObj = null;

export async function complainPage() {
  const gen = state.routing;
  $('#view').innerHTML = `<h2>${t('gc_title')}</h2><p class="muted">${t('gc_intro')}</p>
    <form id="complaint-form" class="complaint-form" novalidate>
      <label class="block">${t('gc_category')}<select id="gc-category">${COMPLAINT_CATEGORIES.map((c) => opt(c, t('gcat_' + c), '')).join('')}</select></label>
      <label class="block">${t('gc_text')}<textarea id="gc-text" rows="4" maxlength="1000" placeholder="${esc(t('gc_text_hint'))}"></textarea></label>
      <div><span class="muted">${t('gc_place')}</span> <b id="gc-place">${t('gc_place_none')}</b></div>
      <div id="complaint-map"></div>
      <label class="block">${t('gc_address')}<input id="gc-address" type="text" maxlength="200"></label>
      <label class="block">${t('gc_contact')}<input id="gc-contact" type="text" maxlength="100" autocomplete="tel"></label>
      <div class="block-field"><span class="muted">${t('gc_photo')}</span> ${filePicker('gc-photo', 'image/jpeg,image/png,.jpg,.jpeg,.png')}</div>
      <div class="hp" aria-hidden="true"><label>Website <input id="gc-website" name="website" type="text" tabindex="-1" autocomplete="off"></label></div>
      <button type="submit" class="primary" id="gc-submit">${t('gc_submit')}</button>
      <p id="gc-error" class="error"></p>
    </form>
    <div id="complaint-done" hidden></div>
    <p><a href="#/lookup">${t('gc_to_lookup')}</a></p>`;
  wireFilePicker('gc-photo');
  let token = '';
  api('/complaints/form-token').then((r) => { token = r.token; $('#complaint-form').dataset.token = 'ready'; }).catch((err) => { $('#gc-error').textContent = err.message; });
  const m = await countyMap('complaint-map', mapObj);
  mapObj = m.map;
  if (gen !== state.routing) return;
  let point = null;
  let marker = null;
  mapObj.on('click', (e) => {
    point = { lat: e.latlng.lat, lon: e.latlng.lng };
    if (marker) marker.setLatLng(e.latlng); else marker = L.marker(e.latlng, { icon: L.divIcon({ className: 'picked-place', iconSize: [18, 18] }) }).addTo(mapObj);
    $('#gc-place').textContent = `${fmt(point.lat, 5)}, ${fmt(point.lon, 5)}`;
    $('#complaint-map').dataset.picked = '1';
  });
  $('#complaint-form').onsubmit = async (e) => {
    e.preventDefault();
    $('#gc-error').textContent = '';
    const photo = $('#gc-photo').files[0];
    // The API checks everything again and says what is wrong in its words; these two save a round trip.
    if (!point) { $('#gc-error').textContent = t('gc_need_place'); return; }
    if (photo && photo.size > PHOTO_BYTES_MAX) { $('#gc-error').textContent = t('gc_photo_too_big'); return; }
    $('#gc-submit').disabled = true;
    try {
      const body = {
        category: $('#gc-category').value, text: $('#gc-text').value.trim(), lat: point.lat, lon: point.lon, address: $('#gc-address').value.trim(),
        contact: $('#gc-contact').value.trim() || null, form_token: token, website: $('#gc-website').value,
        photo_base64: photo ? await dataUrl(photo) : null,
      };
      const r = await api('/complaints', { method: 'POST', body: JSON.stringify(body) });
      $('#complaint-form').hidden = true;
      $('#complaint-done').hidden = false;
      $('#complaint-done').innerHTML = `<div class="card code-card"><h3>${t('gc_done')}</h3><p>${t('gc_your_code')}</p>
        <div class="lookup-code" id="lookup-code">${esc(r.code)}</div><p class="notice">${t('gc_keep_code')}</p>
        <p class="muted" id="gc-message">${esc(state.lang === 'zh' ? r.message_zh : r.message_en)}</p>
        <p><a href="#/lookup?code=${encodeURIComponent(r.code)}" id="gc-lookup-link">${t('gc_lookup_now')}</a></p></div>`;
    } catch (err) {
      $('#gc-error').textContent = err.message;
      $('#gc-submit').disabled = false;
    }
  };
}

/** The largest photo the API accepts (5 MiB; lantian_app::complaints::PHOTO_BYTES_MAX). */
const PHOTO_BYTES_MAX = 5 * 1024 * 1024;

/** A file as a `data:` URL (the API takes the photo in base64 inside the JSON body). */
const dataUrl = (file) => new Promise((resolve, reject) => {
  const r = new FileReader();
  r.onload = () => resolve(r.result);
  r.onerror = () => reject(new Error(t('gc_photo_unreadable')));
  r.readAsDataURL(file);
});

export async function lookupPage(rest) {
  const code = new URLSearchParams(rest.replace(/^\?/, '')).get('code') || '';
  $('#view').innerHTML = `<h2>${t('gc_lookup_title')}</h2><form id="lookup-form" class="row"><label>${t('gc_code')} <input id="gl-code" type="text" value="${esc(code)}" maxlength="40" autocomplete="off"></label>
    <button type="submit" class="primary">${t('gc_lookup')}</button></form><div id="lookup-result"></div><p><a href="#/complain">${t('gc_new')}</a></p>`;
  $('#lookup-form').onsubmit = (e) => { e.preventDefault(); location.hash = '#/lookup?code=' + encodeURIComponent($('#gl-code').value.trim()); };
  if (!code) return;
  const gen = state.routing;
  try {
    const r = await api('/complaints/lookup/' + encodeURIComponent(code));
    if (gen !== state.routing) return;
    $('#lookup-result').innerHTML = `<div class="card" id="lookup-card"><div class="kv">
      <div>${t('gc_code')}${t('colon')}<b>${esc(r.code)}</b></div>
      <div>${t('gc_category')}${t('colon')}${esc(words(r.category))}</div>
      <div>${t('gc_received')}${t('colon')}${esc(bj(r.submitted))}</div>
      <div>${t('unit')}${t('colon')}${esc(words(r.township) || '—')}</div>
      <div>${t('status')}${t('colon')}<b id="lookup-state" data-closed="${r.closed ? '1' : '0'}">${esc(words(r.status))}</b>${r.closed ? ` <span class="tag ok">${t('gc_closed')}</span>` : ''}</div></div>
      <h4>${t('gc_steps')}</h4><ol class="wtl" id="lookup-steps">${(r.steps || []).map((x) => `<li><span class="wtl-time">${esc(bj(x.at))}</span><span>${esc(words(x.status))}</span></li>`).join('')}</ol></div>`;
  } catch (err) {
    if (gen === state.routing) $('#lookup-result').innerHTML = `<p class="error">${esc(err.message)}</p>`;
  }
}
