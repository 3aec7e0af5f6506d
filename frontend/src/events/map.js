// The desk's map: events as points, patrol tracks as lines and task areas as polygons, each
// feature coloured by its ``colour`` property, over the platform's own style (the project page's:
// the platform's own base map and names, nothing downloaded). A click on a point or a line hands its feature to ``onPick``.
import { ErrorNote, html, useEffect, useRef, useState } from '../staff/kit.js';
import { baseStyle, bounds, loadMapLibre } from '../workspace/map.js';

const POLYGONS = ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]];
const POINTS = ['in', ['geometry-type'], ['literal', ['Point', 'MultiPoint']]];
const LINES = ['in', ['geometry-type'], ['literal', ['LineString', 'MultiLineString']]];
const COLOUR = ['coalesce', ['get', 'colour'], '#1565c0'];
const PICKABLE = ['geo-points', 'geo-lines'];

function addLayers(map, data) {
  map.addSource('geo', { type: 'geojson', data });
  map.addLayer({ id: 'geo-fill', type: 'fill', source: 'geo', filter: POLYGONS, paint: { 'fill-color': COLOUR, 'fill-opacity': 0.18 } });
  map.addLayer({ id: 'geo-outline', type: 'line', source: 'geo', filter: POLYGONS, paint: { 'line-color': COLOUR, 'line-width': 1.5, 'line-dasharray': [2, 1] } });
  map.addLayer({ id: 'geo-lines', type: 'line', source: 'geo', filter: LINES, paint: { 'line-color': COLOUR, 'line-width': 3.5, 'line-opacity': 0.85 } });
  map.addLayer({
    id: 'geo-points',
    type: 'circle',
    source: 'geo',
    filter: POINTS,
    paint: { 'circle-color': COLOUR, 'circle-radius': 7, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 },
  });
}

/** ``data``: a FeatureCollection (null while loading); ``label`` names the map for screen readers;
 * ``empty`` is said when there is nothing to draw. */
export function GeoMap({ c, api, data, onPick, label, empty }) {
  const box = useRef(null);
  const map = useRef(null);
  const pick = useRef(onPick);
  const latest = useRef(data); // what the map draws once it has loaded, if data came meanwhile
  const [error, setError] = useState(null);
  pick.current = onPick;
  latest.current = data;
  const features = data ? data.features.filter((f) => f.geometry) : null;
  useEffect(() => {
    if (!features) return;
    if (!features.length) {
      if (map.current && map.current.getSource('geo')) map.current.getSource('geo').setData(data);
      return;
    }
    const frame = bounds(features);
    const fit = (m) => m.fitBounds(frame, { padding: 40, maxZoom: 16, duration: 0 });
    if (map.current) {
      const source = map.current.getSource('geo');
      if (source) source.setData(data);
      fit(map.current);
      return;
    }
    Promise.all([loadMapLibre(c), baseStyle(c, api)])
      .then(([maplibregl, style]) => {
        const m = new maplibregl.Map({ container: box.current, style, bounds: frame, fitBoundsOptions: { padding: 40, maxZoom: 16 }, attributionControl: false });
        m.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
        m.on('load', () => {
          addLayers(m, latest.current);
          box.current.dataset.ready = 'true';
        });
        for (const layer of PICKABLE) {
          m.on('click', layer, (e) => pick.current && e.features.length && pick.current(e.features[0]));
          m.on('mouseenter', layer, () => (m.getCanvas().style.cursor = 'pointer'));
          m.on('mouseleave', layer, () => (m.getCanvas().style.cursor = ''));
        }
        map.current = m;
      })
      .catch(setError);
  }, [data]);
  useEffect(() => () => map.current && map.current.remove(), []);
  const nothing = features && !features.length;
  return html`<div class="geo-map">
    <${ErrorNote} error=${error} />
    <div class=${`map-box${nothing ? ' is-empty' : ''}`} ref=${box} role="img" aria-label=${label}
      data-count=${features ? features.length : null}></div>
    ${nothing ? html`<p class="empty">${empty}</p>` : null}
  </div>`;
}
