// The side panel: filters, layer switcher with legend, and (in match.js) site matching.
import { COLOURS } from '../common/labels.js';
import { onlyOne } from './sheets.js';
import { ALL_LAYERS, activeFilterCount } from './state.js';

const LAND_USES = ['industrial', 'warehouse', 'commercial', 'mixed', 'residential', 'public'];
const STATUSES = ['available', 'reserved', 'leased', 'sold', 'in_use'];
// Colours come from the server's style (frontend/src/generated/meta.json), as the map draws them.
const SWATCH = COLOURS.layers;

export function chips(container, values, selected, label, name) {
  container.innerHTML = values
    .map((v) => `<label class="chip"><input type="checkbox" name="${name}" value="${v}" ${selected.includes(v) ? 'checked' : ''}><span>${label(v)}</span></label>`)
    .join('');
}

export function setupPanels(ctx) {
  const { t, L, state, api, map } = ctx;
  const panel = document.getElementById('panel');
  const panelTitle = document.getElementById('panel-title');

  function show(name) {
    if (name) onlyOne(ctx, 'panel');
    state.panel = name;
    panel.hidden = !name;
    document.body.classList.toggle('panel-open', Boolean(name));
    panel.classList.toggle('with-results', name === 'filters');
    panel.querySelectorAll('[data-panel-body]').forEach((s) => {
      s.hidden = s.dataset.panelBody !== name;
    });
    document.querySelectorAll('[data-panel]').forEach((b) => b.classList.toggle('active', b.dataset.panel === name));
    if (name) panelTitle.textContent = t(name);
    ctx.save();
  }
  ctx.showPanel = show;
  document.querySelectorAll('[data-panel]').forEach((b) =>
    b.addEventListener('click', () => show(state.panel === b.dataset.panel ? null : b.dataset.panel)),
  );
  document.getElementById('panel-close').addEventListener('click', () => show(null));

  // --- filters ---
  const form = document.getElementById('filter-form');
  chips(document.getElementById('f-land-use'), LAND_USES, state.f.land_use, (v) => L('land_use', v), 'land_use');
  chips(document.getElementById('f-status'), STATUSES, state.f.status, (v) => L('supply_status', v), 'status');
  for (const k of ['area_min', 'area_max', 'price_min', 'price_max']) {
    if (state.f[k] !== null) form.elements[k].value = state.f[k];
  }
  const summary = document.getElementById('filter-summary');
  const districtSelect = document.getElementById('f-district');
  const parkSelect = document.getElementById('f-park');
  ctx.counties = [];
  const parkNames = {};
  ctx.parkName = (id) => parkNames[id] || `#${id}`;

  api.get('/api/divisions/', { level: 'county', page_size: 100, ordering: 'code' }).then((fc) => {
    ctx.counties = fc.features.map((f) => ({ code: f.properties.code, name: ctx.fmt.name(f.properties), geometry: f.geometry, props: f.properties }));
    for (const c of ctx.counties) districtSelect.add(new Option(c.name, c.code, false, c.code === state.f.district));
    ctx.onCounties && ctx.onCounties(ctx.counties);
    ctx.refreshResults && ctx.refreshResults(); // the rows name their county
  }).catch(() => {});
  api.get('/api/parks/', { page_size: 200, ordering: 'name' }).then((fc) => {
    for (const f of fc.features) {
      parkNames[f.id] = ctx.fmt.name(f.properties);
      parkSelect.add(new Option(parkNames[f.id], String(f.id), false, String(f.id) === state.f.park));
    }
    ctx.onParks && ctx.onParks();
  }).catch(() => {});

  const readNumber = (v) => (v === '' || Number.isNaN(Number(v)) ? null : Number(v));
  function fromForm() {
    const checked = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
    const before = state.f.district;
    state.f = {
      land_use: checked('land_use'),
      status: checked('status'),
      area_min: readNumber(form.elements.area_min.value),
      area_max: readNumber(form.elements.area_max.value),
      price_min: readNumber(form.elements.price_min.value),
      price_max: readNumber(form.elements.price_max.value),
      district: districtSelect.value,
      park: parkSelect.value,
    };
    renderSummary();
    ctx.refreshFilters();
    if (state.f.district && state.f.district !== before) zoomToDistrict(state.f.district);
  }
  // Filters set from elsewhere (a near miss in the results list): the form shows them too.
  ctx.setFilters = (f) => {
    for (const name of ['land_use', 'status']) {
      form.querySelectorAll(`input[name="${name}"]`).forEach((i) => { i.checked = f[name].includes(i.value); });
    }
    for (const k of ['area_min', 'area_max', 'price_min', 'price_max']) form.elements[k].value = f[k] === null ? '' : f[k];
    districtSelect.value = f.district;
    parkSelect.value = f.park;
    fromForm();
  };
  function renderSummary() {
    const n = activeFilterCount(state.f);
    summary.textContent = n ? t('filter_summary', { n }) : t('filter_none');
    document.querySelector('[data-panel="filters"]').classList.toggle('has-filters', n > 0);
  }
  function zoomToDistrict(code) {
    const c = ctx.counties.find((x) => x.code === code);
    if (!c) return;
    let minx = 180, miny = 90, maxx = -180, maxy = -90;
    const walk = (a) => (typeof a[0] === 'number' ? ((minx = Math.min(minx, a[0])), (maxx = Math.max(maxx, a[0])), (miny = Math.min(miny, a[1])), (maxy = Math.max(maxy, a[1]))) : a.forEach(walk));
    walk(c.geometry.coordinates);
    map.fitBounds([[minx, miny], [maxx, maxy]], { padding: 40, duration: 600 });
  }
  let timer = null;
  form.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(fromForm, 350);
  });
  form.addEventListener('change', () => {
    clearTimeout(timer);
    fromForm();
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  form.addEventListener('reset', () => setTimeout(() => {
    form.querySelectorAll('input[type=checkbox]').forEach((i) => { i.checked = false; });
    fromForm();
  }, 0));
  renderSummary();

  // --- layers ---
  const list = document.getElementById('layer-list');
  list.innerHTML = ALL_LAYERS.map(
    (k) => `<label class="layer-row"><input type="checkbox" value="${k}" ${state.layers.includes(k) ? 'checked' : ''}><i data-swatch="${SWATCH[k]}"></i><span>${t(k)}</span></label>`,
  ).join('');
  list.addEventListener('change', (e) => ctx.setLayerVisible(e.target.value, e.target.checked));
  document.getElementById('legend').innerHTML = `<h3>${t('land_use')}</h3>${LAND_USES
    .map((k) => `<div class="legend-row"><i data-swatch="${COLOURS.land_use[k]}"></i>${L('land_use', k)}</div>`)
    .join('')}`;
  // Colours through the CSSOM: the Content-Security-Policy refuses style="" attributes.
  document.querySelectorAll('#layer-list [data-swatch], #legend [data-swatch]').forEach((i) => { i.style.background = i.dataset.swatch; });

  show(state.panel);
}
