// The big-screen wall (大屏): a dark city map with heat map and clusters, its legend and county
// names; per theme its headline numbers, counts by county, a breakdown, a year's trend with
// 环比/同比 and, for projects, the funnel and the annual target; the open grid events (by status,
// the late ones blinking) and a live feed of field points pushed by the server (SSE), dated.
// Themes rotate by themselves. Everything is reused across rotations (map layers, chart instances, DOM nodes), and
// every list is capped, so it can run for days without reloading or growing.
import maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import '../../css/wall.css';

import { makeApi } from '../common/api.js';
import { esc, makeFormat } from '../common/format.js';
import { applyI18n, makeT } from '../common/i18n.js';
import { COLOURS, STAGES, makeLabel } from '../common/labels.js';
import { markMilestones, onFirstDataRender } from '../common/marks.js';
import { readWatermarkConfig, startWatermark } from '../common/watermark.js';
import META from '../generated/meta.json';
import { WALL_DICT } from './dict.js';
import { barsOption, gaugeOption, trendOption } from './options.js';
import { makePanels } from './panels.js';


performance.mark('geoportal:script-start');
// Start MapLibre's tile workers now: booting them is most of the wait for the first tile.
maplibregl.setWorkerCount(2);
maplibregl.prewarm();
const cfg = JSON.parse(document.getElementById('page-config').textContent);
const lang = cfg.lang === 'en' ? 'en' : 'zh';
// The wall's own words, and those of the event theme from the server's catalogue (META.words).
const t = makeT({ zh: { ...WALL_DICT.zh, ...META.words.zh }, en: { ...WALL_DICT.en, ...META.words.en } }, lang);
const L = makeLabel(lang);
const fmt = makeFormat(lang);
const panels = makePanels({ t, L, fmt });
const api = makeApi({ lang, token: cfg.token });
const ORIGIN = window.location.origin;
const FEED_MAX = 30;
const LIVE_MAX = 300;
const HEAT_MAX = 6000;
const STAGE_COLOURS = COLOURS.stage;
const EVENT_COLOURS = COLOURS.event_status;
const EVENTS_REFRESH_MS = 30000;
const BLINK_MS = 700;
// A wall in a room of people who asked for less motion: the late events are ringed, not blinking.
const REDUCED_MOTION = window.matchMedia('(prefers-reduced-motion: reduce)');
// The layers' detail zooms (tiles/config.py): below them a layer is counts per division.
const DETAIL = Object.fromEntries(Object.entries(META.layers).map(([name, l]) => [name, l.detail_minzoom]));

applyI18n(document, t);
// 看数水印 (common/watermark.js): over the whole wall and inside the map's canvas container.
const watermarkConfig = readWatermarkConfig();
const watermark = watermarkConfig && startWatermark(watermarkConfig, { lang, tone: 'light' });

const THEMES = [
  {
    key: 'carriers',
    layers: ['parcels-aggregates', 'parcels-fill', 'buildings-aggregates', 'parks-fill', 'parks-line'],
    data: ['parcels-aggregates', 'parcels-fill', 'buildings-aggregates'],
    rollup: { layer: 'parcels', supply_status: 'available' },
    metric: 'area_mu',
    colour: '#f59e0b',
  },
  {
    key: 'governance',
    layers: ['heat', 'field_points-aggregates', 'field_points-points', 'live-points'],
    data: ['field_points-aggregates', 'field_points-points', 'heat'],
    rollup: { layer: 'field_points' },
    metric: 'count',
    colour: '#fb923c',
    trend: (s) => s.field_points.by_month,
  },
  {
    key: 'projects',
    layers: ['project_sites-aggregates', 'project_sites-points', 'parks-line'],
    data: ['project_sites-aggregates', 'project_sites-points'],
    rollup: { layer: 'project_sites' },
    metric: 'count',
    colour: '#e879f9',
    trend: (s) => s.signed.by_month,
    money: true,
  },
  {
    key: 'events',
    layers: ['events-points', 'events-late'],
    data: ['events-points'],
    rollup: null, // its counts by county come with the events (/api/wall/events/)
    metric: 'count',
    colour: '#ef4444',
    trend: (_s, e) => e && e.by_month,
  },
  {
    // 重点产业招商 (seed 001 L487): the chains, their leaders, and each county's missing links.
    key: 'industries',
    layers: ['parks-fill', 'parks-line'],
    data: ['parks-fill'],
    rollup: null, // its counts by county are the targeting list's (/api/industries/targets/)
    metric: 'count',
    colour: '#f59e0b',
  },
];
const ALL_THEME_LAYERS = [...new Set(THEMES.flatMap((th) => th.layers))];

const state = { theme: 0, summary: null, events: null, industries: null, categories: {}, counties: {}, heat: [], live: [], feed: 0, timers: [] };
window.__geoportal = { firstDataRender: null, events: 0, lastEventAt: null, theme: null, rotations: 0 };

// One composite source: a tile of every layer the themes draw comes in one request.
const TILE_LAYERS = ['divisions', 'parks', 'parcels', 'buildings', 'project_sites', 'field_points'];

// The map's sizes are in CSS pixels; the wall is laid out in rem (1/160 of the width), so map
// sizes scale with it too: as designed at 1920 wide, doubled on a 3840 × 2160 wall.
const SCALE = window.innerWidth / 1920;
const px = (n) => Math.round(n * SCALE * 10) / 10;
const BUILDINGS_SHIFT = [px(22), px(-16)]; // building counts sit beside the parcel counts

// A bubble is at least wide enough for its count (cluster-label, 1.2 rem bold): a four-digit
// count is never cut to its last digits by a smaller bubble's neighbour.
const fitCount = (radius) => ['max', radius, ['*', ['length', ['to-string', ['get', 'count']]], px(6)]];

function darkStyle(bounds, first) {
  // The first theme's layers are visible from the start, so their tiles load with the style.
  const shown = (id) => ({ visibility: THEMES[first].layers.includes(id) ? 'visible' : 'none' });

  const aggregates = (name, colour) => ({
    id: `${name}-aggregates`,
    type: 'circle',
    source: 'city',
    'source-layer': name,
    maxzoom: DETAIL[name],
    filter: ['==', ['get', 'aggregated'], true],
    layout: shown(`${name}-aggregates`),
    paint: {
      'circle-color': colour,
      'circle-opacity': 0.55,
      'circle-blur': 0.15,
      'circle-stroke-color': colour,
      'circle-stroke-width': px(2),
      'circle-radius': fitCount(['interpolate', ['linear'], ['sqrt', ['get', 'count']], 1, px(5), 30, px(18), 100, px(36)]),
    },
  });
  const stageColour = ['match', ['get', 'stage'], ...STAGES.flatMap((s) => [s, STAGE_COLOURS[s]]), '#94a3b8'];
  const eventColour = ['match', ['get', 'state'], ...Object.entries(EVENT_COLOURS).flat(), '#94a3b8'];
  return {
    version: 8,
    sources: {
      city: { type: 'vector', tiles: [`${ORIGIN}/tiles/${TILE_LAYERS.join(',')}/{z}/{x}/{y}.mvt`], bounds, maxzoom: META.tiles.source_maxzoom },
      heat: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
      live: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
      events: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#050d1a' } },
      { id: 'divisions-fill', type: 'fill', source: 'city', 'source-layer': 'divisions', paint: { 'fill-color': '#0b1e35', 'fill-opacity': 0.9 } },
      { id: 'divisions-line', type: 'line', source: 'city', 'source-layer': 'divisions', paint: { 'line-color': '#1d5fa8', 'line-width': px(1.2), 'line-opacity': 0.8 } },
      { id: 'parks-fill', type: 'fill', source: 'city', 'source-layer': 'parks', layout: shown('parks-fill'), paint: { 'fill-color': '#14b8a6', 'fill-opacity': 0.25 } },
      { id: 'parks-line', type: 'line', source: 'city', 'source-layer': 'parks', layout: shown('parks-line'), paint: { 'line-color': '#2dd4bf', 'line-width': px(1.5) } },
      { id: 'parcels-fill', type: 'fill', source: 'city', 'source-layer': 'parcels', minzoom: DETAIL.parcels, layout: shown('parcels-fill'), paint: { 'fill-color': '#f59e0b', 'fill-opacity': 0.5 } },
      {
        id: 'heat',
        type: 'heatmap',
        source: 'heat',
        layout: shown('heat'),
        paint: {
          'heatmap-radius': ['interpolate', ['linear'], ['zoom'], 8, px(10), 12, px(28)],
          // A month of points over a city: a low weight each, so only true hot spots turn red.
          'heatmap-weight': 0.35,
          'heatmap-intensity': ['interpolate', ['linear'], ['zoom'], 8, 0.6, 13, 1.5],
          'heatmap-opacity': 0.85,
          'heatmap-color': ['interpolate', ['linear'], ['heatmap-density'], 0, 'rgba(0,0,0,0)', 0.2, '#1e3a8a', 0.4, '#0891b2', 0.6, '#22c55e', 0.8, '#facc15', 1, '#ef4444'],
        },
      },
      aggregates('parcels', '#f59e0b'),
      { ...aggregates('buildings', '#a78bfa'), paint: { ...aggregates('buildings', '#a78bfa').paint, 'circle-translate': BUILDINGS_SHIFT, 'circle-radius': fitCount(['interpolate', ['linear'], ['sqrt', ['get', 'count']], 1, px(4), 30, px(16), 100, px(30)]) } },
      aggregates('field_points', '#fb923c'),
      { id: 'field_points-points', type: 'circle', source: 'city', 'source-layer': 'field_points', minzoom: DETAIL.field_points, filter: ['!=', ['get', 'aggregated'], true], layout: shown('field_points-points'), paint: { 'circle-color': '#fb923c', 'circle-radius': px(4) } },
      aggregates('project_sites', '#e879f9'),
      { id: 'project_sites-points', type: 'circle', source: 'city', 'source-layer': 'project_sites', minzoom: DETAIL.project_sites, filter: ['!=', ['get', 'aggregated'], true], layout: shown('project_sites-points'), paint: { 'circle-color': stageColour, 'circle-radius': px(7), 'circle-stroke-color': '#fff', 'circle-stroke-width': px(1) } },
      { id: 'live-points', type: 'circle', source: 'live', layout: shown('live-points'), paint: { 'circle-color': '#f43f5e', 'circle-radius': px(5), 'circle-stroke-color': '#fff', 'circle-stroke-width': px(1.5) } },
      { id: 'events-points', type: 'circle', source: 'events', layout: shown('events-points'), paint: { 'circle-color': eventColour, 'circle-radius': px(5), 'circle-stroke-color': '#050d1a', 'circle-stroke-width': px(1) } },
      // The late ones again, larger and ringed in red; blinkEvents() pulses their opacity.
      { id: 'events-late', type: 'circle', source: 'events', filter: ['==', ['get', 'late'], 1], layout: shown('events-late'), paint: { 'circle-color': eventColour, 'circle-radius': px(9), 'circle-stroke-color': '#ef4444', 'circle-stroke-width': px(3), 'circle-opacity': 1, 'circle-stroke-opacity': 1, 'circle-opacity-transition': { duration: BLINK_MS - 100 }, 'circle-stroke-opacity-transition': { duration: BLINK_MS - 100 } } },
    ],
  };
}

// --- map ----------------------------------------------------------------------------------------

let map;
function startMap() {
  const bounds = cfg.bounds || META.tiles.fallback_bounds;
  state.bounds = bounds;
  map = new maplibregl.Map({
    container: 'map',
    pixelRatio: mapPixelRatio(),
    style: darkStyle(bounds, 0),
    bounds: [[bounds[0], bounds[1]], [bounds[2], bounds[3]]],
    fitBoundsOptions: { padding: framePadding() },
    attributionControl: false,
    interactive: false,
    fadeDuration: 0,
    transformRequest: (url) => (cfg.token && url.startsWith(ORIGIN) ? { url, headers: { Authorization: `Token ${cfg.token}` } } : { url }),
  });
  window.__geoportal.map = map;
  if (watermark) watermark.addHost(map.getCanvasContainer());
  markMilestones(map);
  map.on('load', () => showTheme(0));
  onFirstDataRender(map, () => THEMES[state.theme].data, afterFirstRender);
  map.on('idle', updateClusterLabels);
  window.addEventListener('resize', () => map.fitBounds(cityBox(), { padding: framePadding(), duration: 0 }));
}

// Counts on the cluster bubbles of the theme on screen, as DOM markers in the page's own type (at
// least 1.2 rem, measured by the tests; the wall's dark style draws no text), kept in a pool and
// reused: after hours of rotation there are never more than the bubbles currently drawn.
const labels = new Map();
function updateClusterLabels() {
  const layers = THEMES[state.theme].layers.filter((id) => id.endsWith('-aggregates') && map.getLayer(id));
  const seen = new Set();
  for (const f of layers.length ? map.queryRenderedFeatures({ layers }).slice(0, 300) : []) {
    const key = `${f.sourceLayer}:${f.id}`;
    if (seen.has(key)) continue; // a bubble on a tile edge comes once per tile
    seen.add(key);
    let marker = labels.get(key);
    if (!marker) {
      const el = document.createElement('div');
      el.className = 'cluster-label';
      const offset = f.sourceLayer === 'buildings' ? BUILDINGS_SHIFT : [0, 0];
      marker = new maplibregl.Marker({ element: el, offset }).setLngLat(f.geometry.coordinates).addTo(map);
      labels.set(key, marker);
    }
    marker.getElement().textContent = fmt.count(f.properties.count);
  }
  for (const [key, marker] of labels) {
    if (!seen.has(key)) {
      marker.remove();
      labels.delete(key);
    }
  }
}

// With software WebGL (a wall PC without a working GPU driver; headless Chromium) every frame is
// drawn and read back on the CPU: at 3840 × 2160 that is over half a second a frame, so the first
// picture comes late and the theme animations stutter. There the map is drawn at about 1920 × 1080
// and scaled up; the panels and text stay sharp. ?pixelratio= on the wall's URL overrides this.
const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|software/i;
const SOFTWARE_MAX_PIXELS = 1920 * 1080;

function mapPixelRatio() {
  if (cfg.pixelRatio) return cfg.pixelRatio;
  const dpr = window.devicePixelRatio || 1;
  const pixels = window.innerWidth * window.innerHeight * dpr * dpr;
  if (pixels <= SOFTWARE_MAX_PIXELS * 1.2 || !softwareRenderer()) return dpr;
  return dpr * Math.sqrt(SOFTWARE_MAX_PIXELS / pixels);
}

function softwareRenderer() {
  const gl = document.createElement('canvas').getContext('webgl');
  if (!gl) return false;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  const lose = gl.getExtension('WEBGL_lose_context');
  if (lose) lose.loseContext(); // give the context back: browsers allow only a few at a time
  window.__geoportal.renderer = name;
  return SOFTWARE_GL.test(name);
}

function cityBox() {
  const b = state.bounds;
  return [[b[0], b[1]], [b[2], b[3]]];
}

function framePadding() {
  const w = window.innerWidth;
  const h = window.innerHeight;
  return { top: h * 0.09, bottom: h * 0.06, left: w * 0.24, right: w * 0.27 };
}

async function loadHeat() {
  try {
    const data = await api.get('/api/wall/points/', { days: 30, limit: 5000 });
    state.heat = data.points;
    pushHeat();
  } catch {
    /* the heat map stays empty; the clusters still show */
  }
}

let heatTimer = null;
function pushHeat() {
  // Events that come in a burst share one setData (the worker re-indexes the whole source each time).
  if (heatTimer) return;
  heatTimer = setTimeout(() => {
    heatTimer = null;
    if (!map || !map.getSource('heat')) return;
    map.getSource('heat').setData({ type: 'FeatureCollection', features: state.heat.map((c) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: c }, properties: {} })) });
    map.getSource('live').setData({ type: 'FeatureCollection', features: state.live.map((c) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: c }, properties: {} })) });
  }, 300);
}

// --- themes -------------------------------------------------------------------------------------

const dots = document.getElementById('theme-dots');
dots.innerHTML = THEMES.map((th, i) => `<span data-i="${i}">${esc(t(`theme_${th.key}`))}</span>`).join('');
const progress = document.getElementById('theme-progress');

function showTheme(i) {
  if (!map || !map.getLayer('heat')) return;
  state.theme = i;
  const theme = THEMES[i];
  window.__geoportal.theme = theme.key;
  document.getElementById('theme-name').textContent = t(`theme_${theme.key}`);
  dots.querySelectorAll('span').forEach((d, j) => d.classList.toggle('on', j === i));
  document.body.dataset.theme = theme.key;
  for (const id of ALL_THEME_LAYERS) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', theme.layers.includes(id) ? 'visible' : 'none');
  }
  updateClusterLabels(); // drops the last theme's counts now; the next idle adds this theme's
  map.easeTo({ bearing: [0, -6, 5][i % 3], duration: 2500 });
  if (started) loadCounties(theme);
  if (started && theme.key === 'events') loadEvents();
  if (started && theme.key === 'industries') loadIndustries();
  drawTheme(theme);
  blinkEvents(theme.key === 'events');
  // A transform, not the width: it runs on the compositor, with no layout or paint of a 4K page
  // on every frame for the whole rotation.
  progress.style.transition = 'none';
  progress.style.transform = 'scaleX(0)';
  void progress.offsetWidth; // restart the bar
  progress.style.transition = `transform ${cfg.rotate}s linear`;
  progress.style.transform = 'scaleX(1)';
}

// Tests and a kiosk's remote control bring a theme up by its key.
window.__geoportal.showTheme = (key) => showTheme(THEMES.findIndex((th) => th.key === key));

function rotate() {
  window.__geoportal.rotations += 1;
  showTheme((state.theme + 1) % THEMES.length);
}

// --- charts -------------------------------------------------------------------------------------

// ECharts comes in a bundle of its own (wall-charts.js), loaded after the map's first render.
let echarts = null;
const chart = {};
let chartsLoading = null;
function charts() {
  if (!chartsLoading) {
    chartsLoading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = cfg.chartsJs;
      script.onload = () => {
        echarts = window.GeoportalECharts;
        for (const name of ['county', 'breakdown', 'trend', 'gauge', 'events']) {
          const el = document.getElementById(`${name}-chart`);
          chart[name] = echarts.init(el, null, { renderer: 'canvas' });
          // The cards change size as their contents arrive: keep the charts fitted to them.
          new ResizeObserver(() => chart[name].resize()).observe(el);
        }
        window.__geoportal.charts = chart;
        resolve();
      };
      script.onerror = () => {
        chartsLoading = null;
        reject(new Error('charts'));
      };
      document.head.appendChild(script);
    });
  }
  return chartsLoading;
}

const unitLabel = (theme) => (v) => (theme.metric === 'area_mu' ? `${fmt.num(v, 0)}${t('mu')}` : fmt.num(v, 0));

async function loadCounties(theme) {
  const title = document.getElementById('county-title');
  title.textContent = theme.key === 'events' ? t('events_by_county') : t(`county_${theme.key}`);
  try {
    const counts = theme.rollup ? api.get('/api/spatial/rollup', { level: 'county', ...theme.rollup }) : theme.key === 'industries' ? industryCounties() : eventCounties();
    const [data] = await Promise.all([counts, charts()]);
    if (THEMES[state.theme] !== theme) return; // the wall has moved on meanwhile
    const rows = data.rows.map((r) => ({ name: fmt.name(r), value: theme.metric === 'area_mu' ? Math.round(r.area_mu || 0) : r.count }));
    chart.county.setOption(barsOption(echarts, rows, { colour: theme.colour, label: unitLabel(theme) }), { notMerge: true });
  } catch {
    /* keep the previous chart */
  }
}

// The theme's own card, its trend and its headline numbers, from what has come so far.
async function drawTheme(theme) {
  const s = state.summary;
  const e = state.events;
  document.getElementById('kpis').innerHTML = panels.kpis(theme.key, s, e, state.industries);
  drawLegend(theme);
  if (!s) return;
  await charts();
  if (THEMES[state.theme] !== theme) return;
  const breakdown = document.getElementById('breakdown-title');
  if (theme.key === 'projects') {
    breakdown.textContent = t('funnel_title');
    const funnel = document.getElementById('funnel');
    funnel.innerHTML = panels.funnel(s);
    panels.paintFunnel(funnel);
    document.getElementById('target-figures').innerHTML = panels.target(s);
    chart.gauge.setOption(gaugeOption(s.target ? s.target.completion : null), { notMerge: true });
  } else if (theme.key === 'industries') {
    breakdown.textContent = t('breakdown_industries');
    const ind = state.industries;
    if (ind) {
      const rows = ind.catalogue.industries.map((i) => ({ name: fmt.name(i), value: i.enterprises }));
      chart.breakdown.setOption(barsOption(echarts, rows, { colour: theme.colour, label: (v) => fmt.num(v, 0) }), { notMerge: true });
      document.getElementById('gaps').innerHTML = panels.gaps(ind.targets);
    }
  } else if (theme.key !== 'events') {
    breakdown.textContent = t(`breakdown_${theme.key}`);
    const rows =
      theme.key === 'carriers'
        ? s.carriers.by_land_use.map((r) => ({ name: L('land_use', r.land_use), value: Math.round(r.area_mu), colour: COLOURS.land_use[r.land_use] }))
        : s.field_points.by_category.map((r) => ({ name: state.categories[r.key] || r.key, value: r.count }));
    chart.breakdown.setOption(barsOption(echarts, rows, { colour: theme.colour, label: unitLabel(theme) }), { notMerge: true });
  }
  const series = theme.trend && theme.trend(s, e);
  document.body.dataset.trend = series ? 'on' : 'off';
  if (!series) return;
  document.getElementById('trend-title').textContent = t(`trend_${theme.key}`);
  document.getElementById('trend-changes').innerHTML = panels.changes(series);
  const valueLabel = theme.money ? (v) => fmt.money(v) : (v) => fmt.num(v, 0);
  chart.trend.setOption(
    trendOption(series, { colour: theme.colour, monthLabel: fmt.month, valueLabel, momName: t('mom') }),
    { notMerge: true },
  );
}

// --- legend and county names --------------------------------------------------------------------

// What each layer draws, for the legend: a theme's legend is its visible layers' entries, and the
// classed layers (stages, event states) list only the classes in the data on screen.
const LEGEND = {
  'parcels-aggregates': () => [{ key: 'parcels', colour: '#f59e0b', label: t('legend_parcels') }],
  'buildings-aggregates': () => [{ key: 'buildings', colour: '#a78bfa', label: t('legend_buildings') }],
  'parks-fill': () => [{ key: 'parks', kind: 'area', colour: '#14b8a6', label: t('legend_parks') }],
  'parks-line': () => [{ key: 'parks', kind: 'area', colour: '#14b8a6', label: t('legend_parks') }],
  heat: () => [{ key: 'heat', kind: 'heat', label: t('legend_heat') }],
  'field_points-aggregates': () => [{ key: 'field_points', colour: '#fb923c', label: t('legend_field_points') }],
  'live-points': () => [{ key: 'live', colour: '#f43f5e', label: t('legend_live') }],
  'project_sites-aggregates': () => [{ key: 'project_sites', colour: '#e879f9', label: t('legend_project_sites') }],
  'project_sites-points': () =>
    (state.summary ? state.summary.stages.filter((s) => s.count) : []).map((s) => ({ key: `stage:${s.stage}`, colour: STAGE_COLOURS[s.stage], label: L('stage', s.stage) })),
  'events-points': () =>
    (state.events ? state.events.by_status.filter((r) => r.count) : []).map((r) => ({ key: `event:${r.state}`, colour: EVENT_COLOURS[r.state], label: L('event_status', r.state) })),
  'events-late': () => (state.events && state.events.overdue ? [{ key: 'late', kind: 'ring', label: t('legend_late') }] : []),
};

const legend = document.getElementById('legend');
function drawLegend(theme) {
  const seen = new Set();
  const zoom = map ? map.getZoom() : 0;
  // A layer outside its zooms draws nothing here (the points below their detail zoom), so it has no entry.
  const drawn = (id) => {
    const layer = map && map.getLayer(id);
    return layer && zoom >= (layer.minzoom || 0) && zoom < (layer.maxzoom || 24);
  };
  const entries = theme.layers
    .filter(drawn)
    .flatMap((id) => (LEGEND[id] ? LEGEND[id]() : []))
    .filter((e) => !seen.has(e.key) && seen.add(e.key));
  legend.innerHTML = panels.legend(entries);
  panels.paintLegend(legend);
}

// The county names, as DOM markers in the page's own type (the wall's dark style draws no text), placed once.
let countyNames = null;
function placeCountyNames(counties) {
  if (countyNames || !map) return;
  countyNames = counties.map((c) => {
    const el = document.createElement('div');
    el.className = 'district-label';
    el.textContent = fmt.name(c);
    // Below the county's count bubble, which sits on the same point.
    return new maplibregl.Marker({ element: el, anchor: 'top', offset: [0, px(26)] }).setLngLat(c.point).addTo(map);
  });
}

// --- grid events ----------------------------------------------------------------------------------

// The open events of the area, polled: a step taken on the desk shows within EVENTS_REFRESH_MS.
let eventsLoading = null;
function loadEvents() {
  if (!eventsLoading) {
    eventsLoading = api
      .get('/api/wall/events/')
      .then((data) => {
        state.events = data;
        drawEvents(data);
        return data;
      })
      .catch(() => state.events) // keep what is shown; try again at the next refresh
      .finally(() => {
        eventsLoading = null;
      });
  }
  return eventsLoading;
}

async function eventCounties() {
  const data = state.events || (await loadEvents());
  return { rows: (data ? data.by_county : []).map((c) => ({ code: c.code, name: c.name, name_en: c.name_en, count: c.open })) };
}

function drawEvents(data) {
  window.__geoportal.events_open = data.open;
  if (map && map.getSource('events')) {
    map.getSource('events').setData({
      type: 'FeatureCollection',
      features: data.points.map(([lon, lat, s, late]) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: { state: s, late } })),
    });
  }
  document.getElementById('events-summary').innerHTML = [
    ['open', data.open],
    ['overdue', data.overdue],
    ['escalated', data.escalated],
  ]
    .map(([key, n]) => `<span class="events-${key}"><b>${esc(fmt.num(n, 0))}</b>${esc(t(`events_${key}`))}</span>`)
    .join('');
  renderAlerts(data.alerts);
  charts().then(() => {
    const rows = data.by_status.map((r) => ({ name: L('event_status', r.state), value: r.count, colour: EVENT_COLOURS[r.state] }));
    chart.events.setOption(barsOption(echarts, rows, { label: (v) => fmt.num(v, 0) }), { notMerge: true });
  });
  if (THEMES[state.theme].key === 'events') {
    loadCounties(THEMES[state.theme]);
    drawTheme(THEMES[state.theme]);
  }
}

// The industry theme's data: the chains (public) and the counties' missing links (the display's
// and the staff's targeting list), refreshed each time the theme comes round.
async function loadIndustries() {
  try {
    const [catalogue, targets] = await Promise.all([api.get('/api/industries/'), api.get('/api/industries/targets/')]);
    state.industries = { catalogue, targets };
    window.__geoportal.industries = state.industries;
  } catch {
    return;
  }
  if (THEMES[state.theme].key === 'industries') {
    loadCounties(THEMES[state.theme]);
    drawTheme(THEMES[state.theme]);
  }
}

async function industryCounties() {
  if (!state.industries) await loadIndustries();
  const counties = state.industries ? state.industries.targets.counties : [];
  return { rows: counties.map((c) => ({ ...c, count: c.missing })) };
}

function renderAlerts(alerts) {
  document.getElementById('alerts').innerHTML = alerts
    .map((a) => {
      const due = a.due_on ? `${t('events_due_on')} ${a.due_on}` : '';
      const up = a.escalation ? `${t('events_escalation')} ${a.escalation}` : '';
      return `<li data-code="${esc(a.code)}" class="${a.overdue ? 'late' : ''}"><span class="state" data-state="${esc(a.state)}">${esc(L('event_status', a.state))}</span>
        <span class="title">${esc(a.title)}</span><span class="place">${esc(a.division_name)}</span>
        <span class="note">${esc(a.code)}${a.overdue ? ` · ${esc(t('events_overdue'))}` : ''}${up ? ` · ${esc(up)}` : ''}${due ? ` · ${esc(due)}` : ''}</span></li>`;
    })
    .join('');
  // Coloured through the CSSOM: the page's CSP refuses style="" attributes.
  for (const el of document.querySelectorAll('#alerts .state')) el.style.backgroundColor = EVENT_COLOURS[el.dataset.state] || '#64748b';
}

// The late events blink while their theme is on screen: a timer flips their opacity and MapLibre's
// paint transition fades between the two, so a frame is drawn only while it fades. Under
// prefers-reduced-motion they stay still, ringed in red.
let blinkTimer = null;
function blinkEvents(on) {
  clearInterval(blinkTimer);
  blinkTimer = null;
  const set = (opacity) => {
    if (!map || !map.getLayer('events-late')) return;
    map.setPaintProperty('events-late', 'circle-opacity', opacity);
    map.setPaintProperty('events-late', 'circle-stroke-opacity', opacity);
  };
  set(1);
  window.__geoportal.blinking = Boolean(on && !REDUCED_MOTION.matches);
  if (!window.__geoportal.blinking) return;
  let bright = true;
  blinkTimer = setInterval(() => {
    bright = !bright;
    set(bright ? 1 : 0.15);
  }, BLINK_MS);
}
REDUCED_MOTION.addEventListener('change', () => blinkEvents(THEMES[state.theme].key === 'events'));

// --- numbers ------------------------------------------------------------------------------------

async function loadSummary() {
  try {
    const s = await api.get('/api/wall/summary/');
    state.summary = s;
    for (const c of s.categories) state.categories[c.key] = lang === 'en' ? c.name_en : c.name_zh;
    for (const c of s.counties || []) state.counties[c.code.slice(0, 6)] = fmt.name(c);
    placeCountyNames(s.counties || []);
    drawTheme(THEMES[state.theme]);
  } catch {
    /* try again at the next refresh */
  }
}

// --- live feed ----------------------------------------------------------------------------------

const feed = document.getElementById('feed');
const liveStatus = document.getElementById('live-status');

function setLive(on, text) {
  liveStatus.classList.toggle('on', on);
  liveStatus.querySelector('span').textContent = text;
}

function feedItem(p, fresh) {
  const li = document.createElement('li');
  li.className = fresh ? 'fresh' : '';
  li.dataset.id = p.id;
  const category = state.categories[p.category] || (lang === 'en' ? p.category_en : p.category_zh) || p.category;
  const places = p.places && p.places.length ? p.places.join(' · ') : state.counties[(p.division_code || '').slice(0, 6)] || '';
  li.innerHTML = `<time>${esc(fmt.stamp(p.reported_at))}</time><span class="cat cat-${esc(p.category)}">${esc(category)}</span>
    <span class="place">${esc(places)}</span><span class="note">${esc(p.note || '')}</span>`;
  return li;
}

function addToFeed(p, fresh) {
  if (feed.querySelector(`li[data-id="${p.id}"]`)) return;
  feed.insertBefore(feedItem(p, fresh), feed.firstChild);
  while (feed.children.length > FEED_MAX) feed.lastChild.remove();
}

function ripple(p) {
  if (!map) return;
  const el = document.createElement('div');
  el.className = 'ripple';
  const marker = new maplibregl.Marker({ element: el }).setLngLat([p.lon, p.lat]).addTo(map);
  setTimeout(() => marker.remove(), 9000);
}

function onFieldPoint(p) {
  window.__geoportal.events += 1;
  window.__geoportal.lastEventAt = performance.now();
  window.__geoportal.lastEventId = p.id;
  addToFeed(p, true);
  ripple(p);
  state.live.push([p.lon, p.lat]);
  if (state.live.length > LIVE_MAX) state.live.splice(0, state.live.length - LIVE_MAX);
  state.heat.unshift([p.lon, p.lat]);
  if (state.heat.length > HEAT_MAX) state.heat.length = HEAT_MAX;
  pushHeat();
  if (state.summary) {
    for (const key of ['today', 'last_7d', 'this_month', 'total']) state.summary.field_points[key] += 1;
    if (THEMES[state.theme].key === 'governance') document.getElementById('kpis').innerHTML = panels.kpis('governance', state.summary, state.events);
  }
  document.getElementById('feed-count').textContent = t('feed_new', { n: window.__geoportal.events });
}

let source = null;
let reconnectTimer = null;
function connect() {
  clearTimeout(reconnectTimer);
  if (source) source.close();
  const url = cfg.ticket ? `${cfg.stream}?ticket=${encodeURIComponent(cfg.ticket)}` : cfg.stream;
  source = new EventSource(url, { withCredentials: true });
  source.addEventListener('hello', () => setLive(true, t('live_on')));
  source.addEventListener('field_point', (e) => onFieldPoint(JSON.parse(e.data)));
  source.addEventListener('busy', () => setLive(false, t('live_busy')));
  source.addEventListener('bye', () => setLive(true, t('live_on')));
  source.onerror = () => {
    // EventSource retries by itself after a dropped stream; a refused one (401, 503) is final.
    if (source.readyState === EventSource.CLOSED) {
      setLive(false, t('live_off'));
      reconnectTimer = setTimeout(connect, 10000);
    } else {
      setLive(false, t('live_retry'));
    }
  };
}

async function loadRecent() {
  try {
    const fc = await api.get('/api/field_points/', { ordering: '-reported_at', page_size: 12 });
    for (const f of [...fc.features].reverse()) {
      const p = f.properties;
      addToFeed({ id: f.id, category: p.category, reported_at: p.reported_at, note: p.note, division_code: p.division_code, places: [] }, false);
    }
  } catch {
    /* the live feed fills as events arrive */
  }
}

// --- clock --------------------------------------------------------------------------------------

const clock = document.getElementById('clock');
function tick() {
  const now = new Date();
  clock.textContent = now.toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { hour12: false, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// --- start --------------------------------------------------------------------------------------

// The map's tiles go first; the numbers, the feed and the stream (which holds one of the
// browser's six connections for good) follow its first render, or two seconds, whichever is first.
let started = false;
function afterFirstRender() {
  if (started) return;
  started = true;
  loadCounties(THEMES[state.theme]);
  loadSummary().then(loadRecent);
  loadHeat();
  loadEvents();
  connect();
  setInterval(loadSummary, 60000);
  setInterval(loadEvents, EVENTS_REFRESH_MS);
  setInterval(rotate, cfg.rotate * 1000);
}

tick();
setInterval(tick, 1000);
startMap();
setTimeout(afterFirstRender, 2000);

