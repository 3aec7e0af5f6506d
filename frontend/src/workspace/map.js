// The project page's map: its sites and carriers (GET /api/projects/<id>/map/) over the platform's
// own style (/tiles/style.json: divisions, roads and rivers, parks, parcels and buildings for context,
// named in glyphs from our own static files; nothing from outside). MapLibre comes in its own
// bundle, loaded on first use. The sites' own names are listed beside the map.
import { COLOURS, makeLabel } from '../common/labels.js';
import META from '../generated/meta.json';
import { ErrorNote, html, useEffect, useRef, useState } from '../staff/kit.js';

// The style's layers that give the project's carriers their surroundings; the rest would only
// add tile requests.
const CONTEXT_SOURCES = ['divisions', 'transport', 'parks', 'parcels', 'buildings'];
const POLYGONS = ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]];
const POINTS = ['in', ['geometry-type'], ['literal', ['Point', 'MultiPoint']]];
const LINES = ['in', ['geometry-type'], ['literal', ['LineString', 'MultiLineString']]];
const LAYER_COLOUR = ['match', ['get', 'layer'], ...Object.entries(COLOURS.layers).flat(), '#1565c0'];

let loading = null;
/** MapLibre, loaded once per page from its own bundle (``c.mapJs``, ``c.mapCss``). */
export function loadMapLibre(c) {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = c.mapCss;
      document.head.appendChild(css);
      const script = document.createElement('script');
      script.src = c.mapJs;
      script.onload = () => resolve(window.GeoportalMapLibre);
      script.onerror = () => {
        loading = null;
        reject(new Error(c.text.mapFailed));
      };
      document.head.appendChild(script);
    });
  }
  return loading;
}

/** The platform's style cut to the context layers, their names included (nothing from outside). */
export async function baseStyle(c, api) {
  const plain = { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } }] };
  try {
    const style = await api.get(c.mapStyleUrl);
    const sources = Object.fromEntries(Object.entries(style.sources).filter(([name]) => CONTEXT_SOURCES.includes(name)));
    const layers = style.layers.filter((l) => l.type === 'background' || sources[l.source]);
    return { ...style, sources, layers };
  } catch {
    return plain; // the carriers still show, without their surroundings
  }
}

/** The [minlon, minlat, maxlon, maxlat] of the features' geometries, or null. */
export function bounds(features) {
  let box = null;
  const walk = (coords) => {
    if (typeof coords[0] === 'number') {
      box = box
        ? [Math.min(box[0], coords[0]), Math.min(box[1], coords[1]), Math.max(box[2], coords[0]), Math.max(box[3], coords[1])]
        : [coords[0], coords[1], coords[0], coords[1]];
    } else coords.forEach(walk);
  };
  for (const f of features) if (f.geometry) walk(f.geometry.coordinates);
  return box;
}

function addProjectLayers(map, data) {
  map.addSource('project', { type: 'geojson', data });
  map.addLayer({ id: 'project-fill', type: 'fill', source: 'project', filter: POLYGONS, paint: { 'fill-color': LAYER_COLOUR, 'fill-opacity': 0.55 } });
  map.addLayer({ id: 'project-outline', type: 'line', source: 'project', filter: ['any', POLYGONS, LINES], paint: { 'line-color': '#102a43', 'line-width': 2.5 } });
  map.addLayer({
    id: 'project-points',
    type: 'circle',
    source: 'project',
    filter: POINTS,
    paint: { 'circle-color': LAYER_COLOUR, 'circle-radius': 8, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 },
  });
}

function statusLabel(feature, label) {
  const { layer, status } = feature.properties;
  return layer === 'project_sites' ? label('stage', status) : label('supply_status', status);
}

/** The map and, beside it, each site and carrier with its layer and status (已出让, 预留…). */
// The swatch takes its layer's colour from the generated metadata (tiles/style.py) through the
// CSSOM: the Content-Security-Policy refuses style attributes in markup, not style properties.
function paint(colour) {
  return (el) => {
    if (el) el.style.background = colour;
  };
}

export function ProjectMap({ c, api, url, version }) {
  const box = useRef(null);
  const map = useRef(null);
  const [features, setFeatures] = useState(null);
  const [error, setError] = useState(null);
  const label = makeLabel(c.lang);
  useEffect(() => {
    api.get(url).then((fc) => setFeatures(fc.features)).catch(setError);
  }, [version]);
  useEffect(() => {
    if (!features || !features.length) return;
    const data = { type: 'FeatureCollection', features };
    const frame = bounds(features);
    const fit = (m) => m.fitBounds(frame, { padding: 40, maxZoom: 16, duration: 0 });
    if (map.current) {
      map.current.getSource('project').setData(data);
      fit(map.current);
      return;
    }
    Promise.all([loadMapLibre(c), baseStyle(c, api)])
      .then(([maplibregl, style]) => {
        const m = new maplibregl.Map({ container: box.current, style, bounds: frame, fitBoundsOptions: { padding: 40, maxZoom: 16 }, attributionControl: false });
        m.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
        m.on('load', () => {
          addProjectLayers(m, data);
          box.current.dataset.ready = 'true';
        });
        map.current = m;
      })
      .catch(setError);
  }, [features]);
  useEffect(() => () => map.current && map.current.remove(), []);
  if (features && !features.length) return html`<p class="empty">${c.text.noCarriers}</p>`;
  return html`<div class="project-map">
    <${ErrorNote} error=${error} />
    <div class="map-box" ref=${box} role="img" aria-label=${c.text.mapTitle}></div>
    ${features
      ? html`<ul class="carrier-list">${features.map(
          (f) => html`<li key=${f.id} data-carrier=${f.id}>
            <span class="swatch" ref=${paint(COLOURS.layers[f.properties.layer] || '#1565c0')}></span>
            <span class="carrier-layer">${META.layers[f.properties.layer] ? META.layers[f.properties.layer].title[c.lang] : f.properties.layer}</span>
            <span class="carrier-name">${f.properties.name}</span>
            <span class=${`carrier-status status-${f.properties.status}`}>${statusLabel(f, label)}</span>
          </li>`,
        )}</ul>`
      : null}
  </div>`;
}
