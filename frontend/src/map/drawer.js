// The detail drawer of a carrier: attributes (area in m² and mu), photos, panorama, orthophoto
// overlay and nearby amenities with distances.
import { bboxOf, esc } from '../common/format.js';
import { industryNames, renderChainGaps } from './industries.js';
import { openPanoramaViewer } from './panorama.js';
import { onlyOne } from './sheets.js';

const VIEWED_KEY = 'geoportal.viewed';

export function loadViewed() {
  try {
    return JSON.parse(sessionStorage.getItem(VIEWED_KEY) || '[]');
  } catch {
    return [];
  }
}

function remember(ref, name) {
  const list = loadViewed().filter((v) => v.ref !== ref);
  list.unshift({ ref, name });
  sessionStorage.setItem(VIEWED_KEY, JSON.stringify(list.slice(0, 20)));
}

function mediaUrl(ctx, path) {
  if (!path) return '';
  return /^(https?:)?\//.test(path) ? path : ctx.cfg.mediaUrl + path;
}

function centreOf(geometry) {
  const b = bboxOf(geometry);
  return b ? [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2] : null;
}

export function setupDrawer(ctx) {
  const { map, api, t, L, fmt, state } = ctx;
  const drawer = document.getElementById('drawer');
  const body = document.getElementById('drawer-body');
  const title = document.getElementById('drawer-title');
  const sub = document.getElementById('drawer-sub');
  let selected = null;
  let request = 0;
  const cache = new Map();
  // The open panorama viewer holds a WebGL context; browsers keep only a few (about 16) and drop
  // the oldest, which would be the map's, so a viewer is destroyed as soon as it leaves the drawer.
  let viewer = null;
  let orthoId = null; // the orthophoto overlaid on the map, if any
  function closeViewer() {
    if (viewer) viewer.destroy();
    viewer = null;
  }
  async function showViewer(container, pano, mine) {
    const opened = await openPanoramaViewer(ctx, container, pano);
    if (mine === request) viewer = opened;
    else opened.destroy(); // the drawer moved on while Pannellum was loading
  }

  ctx.fetchFeature = async (layer, id) => {
    const key = `${layer}:${id}`;
    if (!cache.has(key)) cache.set(key, api.get(`/api/${layer}/${id}/`).catch((e) => { cache.delete(key); throw e; }));
    return cache.get(key);
  };

  function select(layer, id) {
    if (selected && map.getSource(selected.source)) map.setFeatureState(selected, { selected: false });
    selected = layer ? { source: ctx.sourceOf(layer), sourceLayer: layer, id } : null;
    if (selected && map.getSource(selected.source)) map.setFeatureState(selected, { selected: true });
  }

  function close() {
    request += 1;
    closeViewer();
    drawer.hidden = true;
    document.body.classList.remove('drawer-open');
    select(null);
    state.sel = null;
    map.getSource('nearby') && map.getSource('nearby').setData({ type: 'FeatureCollection', features: [] });
    removeOrtho();
    ctx.save();
  }
  ctx.closeDetail = close;
  document.getElementById('drawer-close').addEventListener('click', close);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !drawer.hidden) close();
  });

  const row = (label, value) => (value === null || value === undefined || value === '' || value === '—' ? '' : `<tr><th>${esc(label)}</th><td>${esc(value)}</td></tr>`);
  const unit = (v, u, digits = 2) => (v === null || v === undefined || v === '' ? null : `${fmt.num(v, digits)} ${u}`);

  function attributes(layer, p) {
    if (layer === 'parcels') {
      return [
        row(t('code'), p.code),
        row(t('area'), fmt.area(p.area_m2)),
        row(t('land_use'), L('land_use', p.land_use)),
        row(t('status'), L('supply_status', p.supply_status)),
        row(t('supply_mode'), L('supply_mode', p.supply_mode)),
        row(t('price'), p.price_wan_per_mu === null ? null : fmt.unitPrice(p.price_wan_per_mu)),
        row(t('total_price_label'), p.price_wan_per_mu === null || !p.area_mu ? null : fmt.money(Number(p.price_wan_per_mu) * p.area_mu)),
        row(t('rent'), unit(p.rent_yuan_m2_month, t('yuan_m2_month'))),
        row(t('term'), unit(p.term_years, t('years'), 0)),
        row(t('plot_ratio'), unit(p.plot_ratio, '')),
        row(t('building_density'), unit(p.building_density, '%')),
        row(t('green_ratio'), unit(p.green_ratio, '%')),
        row(t('height_limit'), unit(p.height_limit_m, t('metres'), 1)),
        row(t('serviced_level'), p.serviced_level ? L('serviced_level', p.serviced_level) : null),
        row(t('occupant'), p.occupant_enterprise),
      ].join('');
    }
    if (layer === 'buildings') {
      return [
        row(t('kind'), L('kind', p.kind)),
        row(t('status'), L('supply_status', p.supply_status)),
        row(t('floors'), unit(p.floors, t('floors_unit'), 0)),
        row(t('floor_area'), p.floor_area_m2 ? fmt.area(p.floor_area_m2) : null),
        row(t('leasable_area'), p.leasable_area_m2 ? fmt.area(p.leasable_area_m2) : null),
        row(t('vacant_area'), p.vacant_area_m2 ? fmt.area(p.vacant_area_m2) : null),
        row(t('floor_load'), unit(p.floor_load_kg_m2, t('kg_m2'), 0)),
        row(t('clear_height'), unit(p.clear_height_m, t('metres'), 1)),
        row(t('crane'), p.crane ? `${t('yes')}${p.crane_tonnage ? ` (${fmt.num(p.crane_tonnage)} t)` : ''}` : t('no')),
        row(t('power'), unit(p.power_kva, 'kVA', 0)),
        row(t('rent'), unit(p.rent_yuan_m2_month, t('yuan_m2_month'))),
        row(t('sale_price'), unit(p.sale_price_yuan_m2, t('yuan_m2'), 0)),
      ].join('');
    }
    return [
      row(t('level'), L('park_level', p.level)),
      row(t('industries'), (p.industries || []).join(t('list_sep'))),
      row(t('total_area'), fmt.area(p.area_m2)),
      row(t('available_area'), p.available_area_m2 ? fmt.area(p.available_area_m2) : null),
      row(t('contact'), [p.contact_name, p.contact_phone].filter(Boolean).join(' ')),
      row(t('power_capacity'), unit(p.power_capacity_kva, 'kVA', 0)),
      row(t('water_supply'), unit(p.water_supply_t_day, t('t_day'), 0)),
      row(t('gas_supply'), unit(p.gas_supply_m3_day, t('m3_day'), 0)),
      row(t('sewage_capacity'), unit(p.sewage_capacity_t_day, t('t_day'), 0)),
      row(t('policies'), (ctx.lang === 'en' && p.policies_en) || p.policies),
    ].join('') + planningRow(p.planning_files);
  }

  // 规划文件: linked where a file is published, named where it is kept on paper.
  function planningRow(files) {
    if (!files || !files.length) return '';
    const items = files.map((f) => (f.url ? `<li><a href="${esc(f.url)}" target="_blank" rel="noopener">${esc(f.title)}</a></li>` : `<li>${esc(f.title)}</li>`));
    return `<tr><th>${esc(t('planning_files'))}</th><td><ul class="plain">${items.join('')}</ul></td></tr>`;
  }

  // 招商联系人: the park's published investment officer, else the county's (InvestmentContact).
  async function contactOf(layer, p) {
    if (layer === 'parks') return p;
    if (p.park) return (await ctx.fetchFeature('parks', Number(p.park))).properties;
    const county = (ctx.counties || []).find((c) => (p.division_code || '').startsWith(c.code.slice(0, 6)));
    return county ? county.props : null;
  }

  function contactCard(c) {
    if (!c || !c.investment_contact_name) return '';
    const phone = c.investment_contact_phone;
    const email = c.investment_contact_email;
    return `<h3>${esc(t('investment_contact'))}</h3><div class="contact-card"><b>${esc(c.investment_contact_name)}</b> <span class="muted">${esc(c.investment_contact_title || '')}</span>
      <div>${phone ? `<a href="tel:${esc(phone.replace(/[^0-9+]/g, ''))}">${esc(phone)}</a>` : ''}${phone && email ? ' · ' : ''}${email ? `<a href="mailto:${esc(email)}">${esc(email)}</a>` : ''}</div></div>`;
  }

  ctx.openDetail = async (layer, id, { fly = true } = {}) => {
    const mine = ++request;
    closeViewer();
    removeOrtho(); // its switch goes with the previous carrier's details
    const ref = `${layer}:${id}`;
    state.sel = ref;
    ctx.save();
    onlyOne(ctx, 'drawer');
    drawer.hidden = false;
    document.body.classList.add('drawer-open');
    title.textContent = t('loading');
    sub.textContent = '';
    body.innerHTML = '';
    select(layer, id);
    let feature;
    try {
      feature = await ctx.fetchFeature(layer, id);
    } catch (err) {
      if (mine === request) title.textContent = t('load_failed', { msg: err.message });
      return;
    }
    if (mine !== request) return;
    const p = feature.properties;
    const name = fmt.name(p, `#${id}`);
    title.textContent = name;
    const kindLabel = layer === 'parcels' ? L('land_use', p.land_use) : layer === 'buildings' ? L('kind', p.kind) : t('parks');
    sub.innerHTML = `<span class="tag">${esc(kindLabel)}</span>${p.supply_status ? `<span class="tag tag-${esc(p.supply_status)}">${esc(L('supply_status', p.supply_status))}</span>` : ''}<span id="drawer-place"></span>`;
    const carrier = layer === 'parcels' || layer === 'buildings';
    if (carrier) remember(ref, name);
    const inCompare = state.cmp.includes(ref);
    body.innerHTML = `
      <div class="drawer-actions">
        ${carrier ? `<button type="button" class="btn btn-small" data-act="compare" ${inCompare ? 'disabled' : ''}>${esc(inCompare ? t('in_compare') : t('add_compare'))}</button>` : ''}
        <button type="button" class="btn btn-small" data-act="locate">${esc(t('locate'))}</button>
        ${carrier || layer === 'parks' ? `<button type="button" class="btn btn-small btn-primary" data-act="interest">${esc(t('express_interest'))}</button>` : ''}
        <a class="btn btn-small" data-act="brochure" href="/brochure/${esc(layer)}/${id}.pdf?lang=${ctx.lang}" target="_blank" rel="noopener">${esc(t('brochure'))}</a>
        <button type="button" class="btn btn-small" data-act="share" aria-expanded="false">${esc(t('share'))}</button>
      </div>
      <div class="share-box" data-part="share" hidden>
        <img class="share-qr" alt="${esc(t('share_qr'))}" width="132" height="132">
        <div><p class="hint">${esc(t('share_hint'))}</p><input type="text" readonly class="share-url">
        <button type="button" class="btn btn-small" data-act="copy">${esc(t('copy_link'))}</button></div>
      </div>
      <div data-part="contact"></div>
      <h3>${esc(t('attributes'))}</h3>
      <table class="attrs">${attributes(layer, p)}</table>
      <div data-part="photos"></div>
      <div data-part="panorama"></div>
      <div data-part="ortho"></div>
      ${carrier ? '<div data-part="carried" hidden></div>' : ''}
      <div data-part="chain" class="chain-near"></div>
      ${carrier || layer === 'parks' ? `<h3>${esc(t('nearby'))}</h3><div data-part="nearby" class="nearby">${esc(t('loading'))}</div>` : ''}`;
    body.querySelector('[data-act="locate"]').addEventListener('click', () => fit(feature.geometry));
    const cmpBtn = body.querySelector('[data-act="compare"]');
    if (cmpBtn) cmpBtn.addEventListener('click', () => {
      if (ctx.addCompare(ref)) {
        cmpBtn.disabled = true;
        cmpBtn.textContent = t('in_compare');
      }
    });
    // 分享: the link that reopens this record (and the language), and its QR code for WeChat.
    const shareBtn = body.querySelector('[data-act="share"]');
    const shareBox = body.querySelector('[data-part="share"]');
    shareBtn.addEventListener('click', () => {
      const open = shareBox.hidden;
      shareBox.hidden = !open;
      shareBtn.setAttribute('aria-expanded', String(open));
      if (!open) return;
      shareBox.querySelector('.share-url').value = `${window.location.origin}/?sel=${layer}:${id}&lang=${ctx.lang}`;
      shareBox.querySelector('.share-qr').src = `/brochure/${layer}/${id}/qr.svg?lang=${ctx.lang}`;
    });
    body.querySelector('[data-act="copy"]').addEventListener('click', async (e) => {
      const input = shareBox.querySelector('.share-url');
      input.select();
      try {
        await navigator.clipboard.writeText(input.value);
      } catch {
        document.execCommand('copy'); // a page served over plain http has no clipboard API
      }
      e.target.textContent = t('copied');
    });
    const intBtn = body.querySelector('[data-act="interest"]');
    if (intBtn) intBtn.addEventListener('click', () => ctx.openInterest(ref));
    if (fly) fit(feature.geometry);

    contactOf(layer, p)
      .then((c) => {
        const el = body.querySelector('[data-part="contact"]');
        if (mine === request && el) el.innerHTML = contactCard(c);
      })
      .catch(() => {});
    renderPhotos(p.photos || []);
    const centre = centreOf(feature.geometry);
    if (centre) {
      api.get('/api/spatial/locate', { lon: centre[0].toFixed(6), lat: centre[1].toFixed(6) }).then((loc) => {
        if (mine !== request) return;
        const names = (loc.divisions || []).filter((d) => d.level !== 'city').map((d) => fmt.name(d));
        if (loc.park && layer !== 'parks') names.push(fmt.name(loc.park));
        const el = document.getElementById('drawer-place');
        if (el) el.textContent = names.join(' · ');
      }).catch(() => {});
    }
    if (carrier) {
      api.get('/api/panoramas/', { [layer === 'parcels' ? 'parcel' : 'building']: id, page_size: 3 }).then((fc) => {
        if (mine === request) renderPanorama(fc.features || [], mine);
      }).catch(() => {});
    }
    const box = bboxOf(feature.geometry);
    if (box) {
      api.get('/api/orthophotos/', { bbox: box.map((v) => v.toFixed(6)).join(','), page_size: 3, ordering: '-captured_on' }).then((fc) => {
        if (mine === request) renderOrtho(fc.features || []);
      }).catch(() => {});
    }
    if (carrier || layer === 'parks') loadNearby(layer, id, mine);
    renderChainGaps(ctx, body.querySelector('[data-part="chain"]'), layer, id, () => mine === request).catch(() => {});
    if (layer === 'parks' && (p.industries || []).length) {
      // The row holds the codes until the catalogue names them in the reader's language.
      const cell = [...body.querySelectorAll('.attrs th')].find((th) => th.textContent === t('industries'));
      industryNames(ctx, p.industries).then((n) => {
        if (mine === request && cell) cell.nextElementSibling.textContent = n.join(t('list_sep'));
      }).catch(() => {});
    }
    if (carrier) loadCarried(layer, id, mine);
  };

  // 地块承载企业和项目: the server answers with what the caller may read, so the public sees
  // nothing here and staff see the enterprises and projects on the carrier.
  async function loadCarried(layer, id, mine) {
    const el = body.querySelector('[data-part="carried"]');
    try {
      const data = await api.get('/api/projects/carried/', { [layer === 'parcels' ? 'parcel' : 'building']: id });
      if (mine !== request || !(data.enterprises.length || data.projects.length)) return;
      const enterprises = data.enterprises.map((e) => `<li><span class="name">${esc(e.name)}</span><span class="cat">${esc(e.industry || '')}</span></li>`);
      const projects = data.projects.map((p) => `<li><span class="name">${esc(p.name)}</span><span class="cat">${esc(L('stage', p.stage))}${p.progress_percent != null ? ` · ${p.progress_percent}%` : ''}</span></li>`);
      el.innerHTML = `<h3>${esc(t('carried'))}</h3>${
        enterprises.length ? `<h4>${esc(t('carried_enterprises'))}</h4><ul class="nearby-list">${enterprises.join('')}</ul>` : ''
      }${projects.length ? `<h4>${esc(t('carried_projects'))}</h4><ul class="nearby-list">${projects.join('')}</ul>` : ''}`;
      el.hidden = false;
    } catch {
      /* the drawer is whole without this part */
    }
  }

  function fit(geometry) {
    const b = bboxOf(geometry);
    if (!b) return;
    const narrow = window.innerWidth < 700;
    map.fitBounds([[b[0], b[1]], [b[2], b[3]]], {
      padding: narrow ? { top: 60, bottom: window.innerHeight * 0.55, left: 20, right: 20 } : { top: 80, bottom: 80, left: 80, right: 460 },
      maxZoom: 15.5,
      duration: 600,
    });
  }

  function renderPhotos(photos) {
    const el = body.querySelector('[data-part="photos"]');
    if (!photos.length) return;
    el.innerHTML = `<h3>${esc(t('photos'))}</h3><div class="photos">${photos
      .map((ph) => {
        const url = mediaUrl(ctx, typeof ph === 'string' ? ph : ph.url || ph.path);
        return `<a href="${esc(url)}" target="_blank" rel="noopener"><img src="${esc(url)}" alt="" loading="lazy"></a>`;
      })
      .join('')}</div>`;
  }

  function renderPanorama(features, mine) {
    const el = body.querySelector('[data-part="panorama"]');
    if (!el || !features.length) return;
    const pano = features[0];
    const thumb = pano.properties.thumbnail ? mediaUrl(ctx, pano.properties.thumbnail) : '';
    el.innerHTML = `<h3>${esc(t('panorama'))}</h3>
      <button type="button" class="pano-thumb" data-act="pano">${thumb ? `<img src="${esc(thumb)}" alt="">` : ''}<span>${esc(t('panorama_open'))}</span></button>
      <div class="pano-view" hidden></div>`;
    el.querySelector('[data-act="pano"]').addEventListener('click', () => {
      const view = el.querySelector('.pano-view');
      view.hidden = false;
      el.querySelector('[data-act="pano"]').hidden = true;
      showViewer(view, pano, mine).catch(() => {
        view.textContent = t('panorama_failed');
      });
    });
  }

  ctx.openPanorama = async (id) => {
    const mine = ++request;
    closeViewer();
    try {
      const pano = await api.get(`/api/panoramas/${id}/`);
      if (mine !== request) return;
      const p = pano.properties;
      if (p.parcel) return ctx.openDetail('parcels', p.parcel, { fly: false });
      if (p.building) return ctx.openDetail('buildings', p.building, { fly: false });
      drawer.hidden = false;
      document.body.classList.add('drawer-open');
      title.textContent = p.title || t('panorama');
      sub.textContent = '';
      body.innerHTML = '<div class="pano-view"></div>';
      await showViewer(body.querySelector('.pano-view'), pano, mine);
    } catch {
      if (mine === request) body.textContent = t('panorama_failed');
    }
  };

  function removeOrtho() {
    if (orthoId === null) return;
    if (map.getLayer('ortho-raster')) map.removeLayer('ortho-raster');
    if (map.getSource('ortho-raster')) map.removeSource('ortho-raster');
    orthoId = null;
  }
  function renderOrtho(features) {
    const el = body.querySelector('[data-part="ortho"]');
    if (!el || !features.length) return;
    const ortho = features[0];
    const p = ortho.properties;
    el.innerHTML = `<h3>${esc(t('orthophoto'))}</h3><label class="check"><input type="checkbox" data-act="ortho"> ${esc(t('show_ortho'))}</label>
      <p class="hint">${esc(p.title || '')} ${p.captured_on ? esc(fmt.date(p.captured_on)) : ''} ${p.resolution_m ? `· ${esc(fmt.num(p.resolution_m, 2))} m` : ''}</p>`;
    el.querySelector('[data-act="ortho"]').addEventListener('change', (e) => {
      removeOrtho();
      if (!e.target.checked) return;
      const b = bboxOf(ortho.geometry);
      map.addSource('ortho-raster', {
        type: 'raster',
        tiles: [`${window.location.origin}/tiles/raster/${ortho.id}/{z}/{x}/{y}.png`],
        tileSize: 256,
        bounds: b || undefined,
        maxzoom: 20,
      });
      const before = map.getLayer('parcels-fill') ? 'parcels-fill' : undefined;
      map.addLayer({ id: 'ortho-raster', type: 'raster', source: 'ortho-raster', paint: { 'raster-opacity': 0.95 } }, before);
      orthoId = ortho.id;
    });
  }

  async function loadNearby(layer, id, mine) {
    const el = body.querySelector('[data-part="nearby"]');
    try {
      const fc = await api.get('/api/spatial/nearby', { layer: 'amenities', feature: `${layer}:${id}`, radius: 5000, limit: 12 });
      if (mine !== request) return;
      const features = fc.features || [];
      if (!features.length) {
        el.textContent = t('nearby_none');
        return;
      }
      el.innerHTML = `<ul class="nearby-list">${features
        .map((f) => `<li><span class="cat">${esc(L('category', f.properties.category))}</span><span class="name">${esc(f.properties.name)}</span><span class="dist">${esc(fmt.distance(f.properties.distance_m))}</span></li>`)
        .join('')}</ul>`;
      map.getSource('nearby').setData({ type: 'FeatureCollection', features: features.map((f) => ({ type: 'Feature', geometry: f.geometry, properties: { name: f.properties.name } })) });
    } catch (err) {
      if (mine === request) el.textContent = t('load_failed', { msg: err.message });
    }
  }
}
