// The public investment map (招商地图): MapLibre over the platform's own vector tiles.
import maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import '../../css/map.css';

import { makeApi, withParams } from '../common/api.js';
import { makeFormat } from '../common/format.js';
import { applyI18n, makeT } from '../common/i18n.js';
import { COLOURS, makeLabel } from '../common/labels.js';
import { markMilestones, onFirstDataRender } from '../common/marks.js';
import { readWatermarkConfig, startWatermark } from '../common/watermark.js';
import META from '../generated/meta.json';
import { setupCompare } from './compare.js';
import { DICT } from './dict.js';
import { setupDrawer } from './drawer.js';
import { setupHoverCard } from './hovercard.js';
import { setupInterest } from './interest.js';
import { fitMembers, setupClusters } from './clusters.js';
import { setupLegend } from './legend.js';
import { setupSaved } from './saved.js';
import { setupSheets } from './sheets.js';
import { setupIndustries } from './industries.js';
import { setupMatch } from './match.js';
import { setupPanels } from './panels.js';
import { setupResults } from './results.js';
import { setupSearch } from './search.js';
import { ALL_LAYERS, landOnly, readState, tileFilters, writeState } from './state.js';

performance.mark('geoportal:script-start');
// Start MapLibre's tile workers now: booting them is most of the wait for the first tile.
maplibregl.setWorkerCount(2);
maplibregl.prewarm();
const cfg = JSON.parse(document.getElementById('page-config').textContent);
const lang = cfg.lang === 'en' ? 'en' : 'zh';
const t = makeT(DICT, lang);
const L = makeLabel(lang);
const fmt = makeFormat(lang);
const api = makeApi({ lang });
const state = readState();
if (!state.lang && new URLSearchParams(window.location.search).has('lang')) state.lang = lang;

applyI18n(document, t);
const langLink = document.getElementById('lang-switch');
langLink.textContent = t('lang_switch');
langLink.addEventListener('click', (e) => {
  e.preventDefault();
  state.lang = lang === 'en' ? 'zh' : 'en';
  writeState(state);
  window.location.reload();
});

const ORIGIN = window.location.origin;
// Carrier layers that carry counts below their detail zoom (the tiles' clustering), with that zoom.
const AGGREGATED = Object.fromEntries(['parcels', 'buildings', 'amenities'].map((n) => [n, META.layers[n].detail_minzoom]));
const CLICKABLE = ['parcels-fill', 'buildings-fill', 'buildings-points', 'parks-fill', 'amenities-points', 'panoramas-points'];
const FILTERED = ['parcels', 'buildings'];
const REF = 'ref';
export const sourceOf = (layer) => (FILTERED.includes(layer) ? layer : REF);
const DATA_LAYERS = ['parcels-aggregates', 'parcels-fill', 'buildings-aggregates', 'buildings-fill', 'buildings-points', 'parks-fill'];

let saveTimer = null;
function save() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => writeState(state), 150);
}

// The style's own tile URL of each filtered layer: for an anonymous visitor it carries the data
// version (?v=), so a CDN, nginx and the browser keep the tiles until an edit changes the URL.
const TILE_BASE = {};

function tileUrl(layer) {
  return withParams(TILE_BASE[layer] || `${ORIGIN}/tiles/${layer}/{z}/{x}/{y}.mvt`, tileFilters(state.f, layer))
    .replace('%7Bz%7D', '{z}')
    .replace('%7Bx%7D', '{x}')
    .replace('%7By%7D', '{y}');
}

// Whether a layer's features are drawn: switched on, and (for buildings) not set aside by a
// condition only land has (state.landOnly).
const drawn = (layer) => state.layers.includes(layer) && !(layer === 'buildings' && landOnly(state.f));

// The layer a style layer draws: its source layer, a layer's label points (<name>_labels) included.
const layerOf = (styleLayer) => (styleLayer['source-layer'] || styleLayer.source || '').replace(/_labels$/, '');

function showLayer(map, name) {
  for (const layer of map.getStyle().layers) {
    if (layerOf(layer) === name && !layer.id.startsWith('district-')) {
      map.setLayoutProperty(layer.id, 'visibility', drawn(name) ? 'visible' : 'none');
    }
  }
}

function adaptStyle(style) {
  // Tiles with the current filters; the selection and the district mask use feature-state/filters.
  // Parcels and buildings keep sources of their own (the filters go on their tile URLs); the
  // reference layers share one composite source, so a view needs a third of the tile requests.
  const ref = [];
  let bounds = null;
  for (const [name, source] of Object.entries(style.sources)) {
    if (source.type !== 'vector') continue;
    bounds = bounds || source.bounds;
    // The tiles carry the record id as the MVT feature id (not as a property), which is what
    // MapLibre uses when promoteId is absent; with promoteId "id" every id would be undefined.
    delete source.promoteId;
    if (FILTERED.includes(name)) {
      TILE_BASE[name] = source.tiles[0];
      source.tiles = [tileUrl(name)];
    } else {
      ref.push(name);
      delete style.sources[name];
    }
  }
  if (ref.length) {
    style.sources[REF] = {
      type: 'vector',
      tiles: [`${ORIGIN}/tiles/${ref.join(',')}/{z}/{x}/{y}.mvt`],
      minzoom: Math.min(...ref.map((n) => META.layers[n].minzoom)),
      maxzoom: META.tiles.source_maxzoom,
      bounds: bounds || undefined,
    };
    for (const layer of style.layers) {
      if (ref.includes(layer.source)) layer.source = REF;
    }
  }
  const selected = ['boolean', ['feature-state', 'selected'], false];
  // A row of the results list under the pointer (results.js) lights its plot like a selection.
  const lit = ['any', selected, ['boolean', ['feature-state', 'hover'], false]];
  for (const layer of style.layers) {
    const source = layer['source-layer'] || layer.source;
    if (layer.id.endsWith('-aggregates')) {
      // Drawn as the clusters' pills (clusters.js); the circles stay for the legend and for taps.
      layer.paint['circle-opacity'] = 0;
      layer.paint['circle-stroke-opacity'] = 0;
    }
    if ((source === 'parcels' || source === 'buildings' || source === 'parks') && layer.type === 'line') {
      layer.paint['line-width'] = ['case', lit, 4, layer.paint['line-width'] || 1];
      layer.paint['line-color'] = ['case', lit, '#d7263d', layer.paint['line-color']];
    }
    if ((source === 'parcels' || source === 'buildings') && layer.type === 'fill') {
      // What is for sale stands out; what is sold, leased or in use recedes (legend.js says so).
      const byStatus = ['match', ['get', 'supply_status'], 'available', 0.7, 'reserved', 0.45, 0.15];
      layer.paint['fill-opacity'] = ['case', lit, 0.8, byStatus];
    }
    if (source === 'divisions' && layer.type === 'fill') layer.paint['fill-opacity'] = 0.03;
    // A configured base map (tiles/basemap.py) is always drawn.
    if (layer.type === 'raster') continue;
    layer.layout = { ...(layer.layout || {}), visibility: drawn(layerOf(layer)) ? 'visible' : 'none' };
  }
  style.sources.nearby = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };
  style.sources.matches = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };
  style.layers.push(
    {
      id: 'district-mask',
      type: 'fill',
      source: REF,
      'source-layer': 'divisions',
      filter: ['==', ['get', 'code'], '__none__'],
      paint: { 'fill-color': '#3b4252', 'fill-opacity': 0.35 },
    },
    {
      id: 'district-outline',
      type: 'line',
      source: REF,
      'source-layer': 'divisions',
      filter: ['==', ['get', 'code'], '__none__'],
      paint: { 'line-color': '#d7263d', 'line-width': 2.5 },
    },
    {
      id: 'matches-fill',
      type: 'fill',
      source: 'matches',
      filter: ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]],
      paint: { 'fill-color': '#0b7a75', 'fill-opacity': 0.35 },
    },
    {
      id: 'matches-line',
      type: 'line',
      source: 'matches',
      paint: { 'line-color': '#0b7a75', 'line-width': 2.5 },
    },
    {
      id: 'nearby-points',
      type: 'circle',
      source: 'nearby',
      paint: {
        'circle-radius': 6,
        'circle-color': COLOURS.layers.amenities,
        'circle-stroke-color': '#fff',
        'circle-stroke-width': 2,
      },
    },
  );
  return style;
}

async function start() {
  const status = document.getElementById('map-status');
  let style;
  try {
    const res = await fetch(cfg.styleUrl, { credentials: 'same-origin' });
    style = adaptStyle(await res.json());
  } catch (err) {
    status.hidden = false;
    status.textContent = t('load_failed', { msg: err.message });
    return;
  }
  const bounds = style.sources.parcels && style.sources.parcels.bounds;
  const view = state.view || { center: style.center, zoom: style.zoom || 9, bearing: 0 };
  const map = new maplibregl.Map({
    container: 'map',
    style,
    // Chinese labels are drawn from the browser's own font; the style's glyphs hold the rest.
    localIdeographFontFamily: (style.metadata || {})['geoportal:localIdeographFontFamily'],
    center: view.center,
    zoom: view.zoom,
    bearing: view.bearing || 0,
    // With no view in the URL, open on the whole city.
    bounds: !state.view && bounds ? [[bounds[0], bounds[1]], [bounds[2], bounds[3]]] : undefined,
    fitBoundsOptions: { padding: 24 },
    maxBounds: bounds ? [[bounds[0] - 1, bounds[1] - 1], [bounds[2] + 1, bounds[3] + 1]] : undefined,
    attributionControl: false,
    dragRotate: false,
    pitchWithRotate: false,
    fadeDuration: 0,
  });
  map.touchZoomRotate.disableRotation();
  // 看数水印 for a signed-in viewer, who may see records the public does not (common/watermark.js).
  const watermarkConfig = readWatermarkConfig();
  if (watermarkConfig) startWatermark(watermarkConfig, { lang }).addHost(map.getCanvasContainer());
  markMilestones(map);
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  map.on('moveend', () => {
    const c = map.getCenter();
    state.view = { center: [c.lng, c.lat], zoom: map.getZoom(), bearing: map.getBearing() };
    save();
  });

  const ctx = { map, api, t, L, fmt, state, cfg, lang, save, maplibregl, bounds, sourceOf };
  window.__geoportal = { map, ctx, firstDataRender: null };
  onFirstDataRender(map, () => DATA_LAYERS);
  setupClusters(ctx, AGGREGATED);

  ctx.refreshFilters = () => {
    // The list's one request first: the new tiles would otherwise take every connection the
    // browser opens to the server, and the list would wait behind them.
    ctx.refreshResults && ctx.refreshResults();
    for (const name of ['parcels', 'buildings']) {
      const source = map.getSource(name);
      if (source) source.setTiles([tileUrl(name)]);
    }
    showLayer(map, 'buildings');
    applyDistrictMask(ctx);
    save();
  };
  ctx.setLayerVisible = (name, on) => {
    state.layers = on ? [...new Set([...state.layers, name])] : state.layers.filter((l) => l !== name);
    state.layers.sort((a, b) => ALL_LAYERS.indexOf(a) - ALL_LAYERS.indexOf(b));
    showLayer(map, name);
    save();
  };

  setupSheets(t);
  setupDrawer(ctx);
  setupCompare(ctx);
  setupInterest(ctx);
  setupMatch(ctx);
  setupPanels(ctx);
  setupIndustries(ctx);
  setupResults(ctx);
  setupSaved(ctx);
  setupSearch(ctx);
  setupLegend(ctx);
  setupHoverCard(ctx);

  map.on('mousemove', (e) => {
    const hit = map.queryRenderedFeatures(e.point, { layers: clickableLayers(map) });
    map.getCanvas().style.cursor = hit.length ? 'pointer' : '';
  });
  map.on('click', (e) => onClick(ctx, e));
  map.once('load', () => {
    applyDistrictMask(ctx);
    if (state.sel) {
      const [layer, id] = state.sel.split(':');
      ctx.openDetail(layer, Number(id), { fly: !state.view });
    }
  });
}

function clickableLayers(map) {
  return [...CLICKABLE, ...Object.keys(AGGREGATED).map((n) => `${n}-aggregates`)].filter((id) => map.getLayer(id));
}

function onClick(ctx, e) {
  const { map } = ctx;
  const hits = map.queryRenderedFeatures(e.point, { layers: clickableLayers(map) });
  if (!hits.length) return;
  const priority = ['parcels', 'buildings', 'panoramas', 'amenities', 'parks'];
  hits.sort((a, b) => priority.indexOf(a.sourceLayer) - priority.indexOf(b.sourceLayer));
  const f = hits[0];
  const layer = f.sourceLayer;
  if (f.properties.aggregated) {
    fitMembers(map, f.properties, layer, AGGREGATED[layer]);
    return;
  }
  if (layer === 'amenities') {
    new ctx.maplibregl.Popup({ closeButton: false })
      .setLngLat(e.lngLat)
      .setText(`${f.properties.name} · ${ctx.L('category', f.properties.category)}`)
      .addTo(map);
    return;
  }
  if (layer === 'panoramas') {
    ctx.openPanorama(f.id ?? f.properties.id);
    return;
  }
  ctx.openDetail(layer, Number(f.id ?? f.properties.id));
}

function applyDistrictMask(ctx) {
  const { map, state } = ctx;
  if (!map.isStyleLoaded() && !map.getLayer('district-mask')) return;
  const code = state.f.district;
  const prefix = code ? code.slice(0, 6) : null;
  const inDistrict = prefix ? ['==', ['slice', ['to-string', ['get', 'code']], 0, 6], prefix] : null;
  map.setFilter('district-mask', prefix ? ['!', inDistrict] : ['==', ['get', 'code'], '__none__']);
  map.setFilter('district-outline', prefix ? ['==', ['get', 'code'], code] : ['==', ['get', 'code'], '__none__']);
  // Below the detail zoom the carriers are counts per division: keep the chosen district's only.
  for (const name of Object.keys(AGGREGATED)) {
    const id = `${name}-aggregates`;
    if (!map.getLayer(id)) continue;
    const base = ['==', ['get', 'aggregated'], true];
    map.setFilter(id, prefix ? ['all', base, inDistrict] : base);
  }
  ctx.updateClusters && ctx.updateClusters();
}


start();
