// The home map: the worker's cell (from the area kept on the phone, so it draws with no network),
// the cell's vector tiles (kept by tilecache.js), the points queued but not yet synced, and the
// worker's own position with its accuracy circle. MapLibre loads after the rest of the page, from
// the bundle the staff pages share: the lists are usable before 800 kB of map code arrive.
import { COLOURS } from '../common/labels.js';
import META from '../generated/meta.json';
import { html, useEffect, useRef, useState } from '../staff/kit.js';
import { bounds, loadMapLibre } from '../workspace/map.js';

import { tileLoader } from './tilecache.js';

const CIRCLE_STEPS = 48;
const METRES_PER_DEGREE = 111320;

/** The accuracy circle as a polygon (MapLibre draws circles in pixels, not metres). */
function accuracyCircle(fix) {
  const ring = [];
  for (let i = 0; i <= CIRCLE_STEPS; i += 1) {
    const a = (i / CIRCLE_STEPS) * 2 * Math.PI;
    const dLat = (fix.acc * Math.sin(a)) / METRES_PER_DEGREE;
    const dLon = (fix.acc * Math.cos(a)) / (METRES_PER_DEGREE * Math.cos((fix.lat * Math.PI) / 180));
    ring.push([fix.lon + dLon, fix.lat + dLat]);
  }
  return { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ring] } };
}

const empty = { type: 'FeatureCollection', features: [] };
const collection = (features) => ({ type: 'FeatureCollection', features });

function tileLayers(tiles) {
  const colour = (name) => COLOURS.layers[name] || '#1565c0';
  const of = (name) => tiles.layers.split(',').includes(name);
  const layers = [];
  for (const name of ['parcels', 'buildings']) {
    if (of(name)) layers.push({ id: `t-${name}`, type: 'fill', source: 'cell', 'source-layer': name, paint: { 'fill-color': colour(name), 'fill-opacity': 0.25 } });
  }
  if (of('patrol_tracks')) layers.push({ id: 't-tracks', type: 'line', source: 'cell', 'source-layer': 'patrol_tracks', paint: { 'line-color': colour('patrol_tracks'), 'line-width': 2 } });
  for (const name of ['places', 'field_points']) {
    if (of(name)) {
      layers.push({ id: `t-${name}`, type: 'circle', source: 'cell', 'source-layer': name, paint: { 'circle-color': colour(name), 'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } });
    }
  }
  return layers;
}

function style(area) {
  const sources = {
    cells: { type: 'geojson', data: area ? area.cells : empty },
    queued: { type: 'geojson', data: empty },
    me: { type: 'geojson', data: empty },
  };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } }];
  if (area && area.tiles) {
    // One tile holds all the cell's layers (/tiles/<a,b,c>/z/x/y.mvt), loaded by tilecache.js.
    sources.cell = { type: 'vector', tiles: [`celltile://${area.tiles.template.replace(/^\//, '')}`], minzoom: area.tiles.minzoom, maxzoom: area.tiles.maxzoom };
    layers.push(...tileLayers(area.tiles));
  }
  layers.push(
    { id: 'cells-fill', type: 'fill', source: 'cells', paint: { 'fill-color': '#1f4e79', 'fill-opacity': 0.06 } },
    { id: 'cells-line', type: 'line', source: 'cells', paint: { 'line-color': '#1f4e79', 'line-width': 2.5, 'line-dasharray': [3, 1] } },
    { id: 'queued', type: 'circle', source: 'queued', paint: { 'circle-color': '#f59e0b', 'circle-radius': 6, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } },
    { id: 'me-accuracy', type: 'fill', source: 'me', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#2563eb', 'fill-opacity': 0.15 } },
    { id: 'me', type: 'circle', source: 'me', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-color': '#2563eb', 'circle-radius': 7, 'circle-stroke-color': '#fff', 'circle-stroke-width': 3 } },
  );
  return { version: 8, sources, layers };
}

let protocolAdded = false;

/** ``area``: /api/sync/area/ as kept; ``position``: the latest fix; ``queued``: points not synced. */
export function CellMap({ c, area, position, queued, getToken }) {
  const box = useRef(null);
  const map = useRef(null);
  const [failed, setFailed] = useState(false);
  const latest = useRef({ position, queued });
  latest.current = { position, queued };

  const draw = (m) => {
    const { position: fix, queued: points } = latest.current;
    if (m.getSource('me')) m.getSource('me').setData(fix ? collection([accuracyCircle(fix), { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [fix.lon, fix.lat] } }]) : empty);
    if (m.getSource('queued')) m.getSource('queued').setData(collection(points || []));
  };

  useEffect(() => {
    if (!area || map.current) return;
    const frame = area.bounds || bounds(area.cells.features) || META.tiles.fallback_bounds;
    loadMapLibre({ mapJs: c.urls.mapJs, mapCss: c.urls.mapCss, text: c.text })
      .then((maplibregl) => {
        if (!protocolAdded) {
          maplibregl.addProtocol('celltile', tileLoader(getToken));
          protocolAdded = true;
        }
        const m = new maplibregl.Map({ container: box.current, style: style(area), bounds: frame, fitBoundsOptions: { padding: 24 }, maxZoom: 19, attributionControl: false });
        m.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
        m.on('load', () => {
          draw(m);
          box.current.dataset.ready = 'true';
        });
        map.current = m;
      })
      .catch(() => setFailed(true));
  }, [area]);
  useEffect(() => {
    if (map.current && map.current.loaded()) draw(map.current);
  }, [position, queued]);
  useEffect(() => () => map.current && map.current.remove(), []);

  return html`<div class="m-map">
    ${failed ? html`<p class="empty">${c.text.mapFailed}</p>` : null}
    <div class="map-box" ref=${box} role="img" aria-label=${c.text.myCell}></div>
  </div>`;
}
