// The view state lives in the URL's query string, so a link reproduces the view.

export const DEFAULT_LAYERS = ['parcels', 'buildings', 'parks', 'divisions', 'transport', 'panoramas'];
export const ALL_LAYERS = ['parcels', 'buildings', 'parks', 'amenities', 'panoramas', 'divisions', 'transport', 'orthophotos'];

// The results list's orders (results.js), by name in the URL (?sort=), as the layer API's ordering.
export const SORTS = {
  price_asc: 'price_wan_per_mu',
  price_desc: '-price_wan_per_mu',
  area_desc: '-area_mu',
  area_asc: 'area_mu',
};
const DEFAULT_SORT = 'price_asc';

const list = (s) => (s ? s.split(',').filter(Boolean) : []);
const num = (s) => (s === null || s === '' || Number.isNaN(Number(s)) ? null : Number(s));

export function readState(search = window.location.search) {
  const p = new URLSearchParams(search);
  const state = {
    view: null,
    layers: p.has('layers') ? list(p.get('layers')).filter((l) => ALL_LAYERS.includes(l)) : [...DEFAULT_LAYERS],
    f: {
      land_use: list(p.get('lu')),
      area_min: num(p.get('amin')),
      area_max: num(p.get('amax')),
      price_min: num(p.get('pmin')),
      price_max: num(p.get('pmax')),
      district: p.get('district') || '',
      park: p.get('park') || '',
      status: list(p.get('st')),
    },
    sel: /^(parcels|buildings|parks):\d+$/.test(p.get('sel') || '') ? p.get('sel') : null,
    cmp: list(p.get('cmp')).filter((r) => /^(parcels|buildings):\d+$/.test(r)).slice(0, 3),
    panel: ['filters', 'layers', 'match', 'chains'].includes(p.get('panel')) ? p.get('panel') : null,
    industry: /^[a-z0-9_-]{1,40}$/.test(p.get('industry') || '') ? p.get('industry') : null,
    sort: Object.hasOwn(SORTS, p.get('sort') || '') ? p.get('sort') : DEFAULT_SORT,
    lang: p.get('lang') || null,
  };
  const m = (p.get('map') || '').split('/').map(Number);
  if (m.length >= 3 && m.every((v) => Number.isFinite(v))) {
    state.view = { zoom: m[0], center: [m[2], m[1]], bearing: m[3] || 0 };
  }
  return state;
}

export function writeState(state) {
  const p = new URLSearchParams();
  if (state.lang) p.set('lang', state.lang);
  if (state.view) {
    const { zoom, center, bearing } = state.view;
    const parts = [zoom.toFixed(2), center[1].toFixed(5), center[0].toFixed(5)];
    if (bearing) parts.push(bearing.toFixed(1));
    p.set('map', parts.join('/'));
  }
  const layers = state.layers.join(',');
  if (layers !== DEFAULT_LAYERS.join(',')) p.set('layers', layers);
  const f = state.f;
  if (f.land_use.length) p.set('lu', f.land_use.join(','));
  if (f.area_min !== null) p.set('amin', f.area_min);
  if (f.area_max !== null) p.set('amax', f.area_max);
  if (f.price_min !== null) p.set('pmin', f.price_min);
  if (f.price_max !== null) p.set('pmax', f.price_max);
  if (f.district) p.set('district', f.district);
  if (f.park) p.set('park', f.park);
  if (f.status.length) p.set('st', f.status.join(','));
  if (state.sel) p.set('sel', state.sel);
  if (state.cmp.length) p.set('cmp', state.cmp.join(','));
  if (state.panel) p.set('panel', state.panel);
  if (state.industry) p.set('industry', state.industry);
  if (state.sort && state.sort !== DEFAULT_SORT) p.set('sort', state.sort);
  const qs = p.toString().replace(/%2C/g, ',').replace(/%2F/g, '/').replace(/%3A/g, ':');
  const url = `${window.location.pathname}${qs ? '?' + qs : ''}`;
  if (url !== window.location.pathname + window.location.search) window.history.replaceState(null, '', url);
}

/** Tile query parameters for the attribute filters (the tile and REST APIs share their names). */
// Conditions only land has (use, area, price): while one is set, the buildings are not what the
// investor asked for, and the map does not draw them (their counts would ignore the conditions).
export function landOnly(f) {
  return f.land_use.length > 0 || f.area_min !== null || f.area_max !== null || f.price_min !== null || f.price_max !== null;
}

export function tileFilters(f, layer) {
  const q = {};
  if (layer === 'parcels') {
    if (f.land_use.length) q.land_use__in = f.land_use.join(',');
    if (f.area_min !== null) q.area_mu__gte = f.area_min;
    if (f.area_max !== null) q.area_mu__lte = f.area_max;
    if (f.price_min !== null) q.price_wan_per_mu__gte = f.price_min;
    if (f.price_max !== null) q.price_wan_per_mu__lte = f.price_max;
  }
  if (layer === 'parcels' || layer === 'buildings') {
    if (f.status.length) q.supply_status__in = f.status.join(',');
    if (f.park) q.park = f.park;
    if (f.district) q.division = f.district;
  }
  return q;
}

// The filter's conditions as the near misses drop them, one at a time (results.js).
const GROUPS = {
  land_use: (f) => f.land_use.length > 0,
  area_min: (f) => f.area_min !== null,
  area_max: (f) => f.area_max !== null,
  price: (f) => f.price_min !== null || f.price_max !== null,
  district: (f) => Boolean(f.district),
  park: (f) => Boolean(f.park),
  status: (f) => f.status.length > 0,
};
const CLEARED = {
  land_use: { land_use: [] },
  area_min: { area_min: null },
  area_max: { area_max: null },
  price: { price_min: null, price_max: null },
  district: { district: '' },
  park: { park: '' },
  status: { status: [] },
};

export const activeGroups = (f) => Object.keys(GROUPS).filter((g) => GROUPS[g](f));
export const withoutGroup = (f, group) => ({ ...f, ...CLEARED[group] });

export function activeFilterCount(f) {
  return (
    (f.land_use.length ? 1 : 0) +
    (f.area_min !== null || f.area_max !== null ? 1 : 0) +
    (f.price_min !== null || f.price_max !== null ? 1 : 0) +
    (f.district ? 1 : 0) +
    (f.park ? 1 : 0) +
    (f.status.length ? 1 : 0)
  );
}
