// The counts below the detail zoom (the tiles' aggregates, one per division). One label per
// division, with a pill per carrier layer drawn (parcels, buildings, amenities) side by side, so no
// count sits on another's; the counts are the tiles', so they follow the filters layer by layer. A
// label that would overlap one already placed (the larger counts go first) waits for a closer
// zoom. A click on a pill fits the map to that layer's members in the division (the extent the
// tile carries), not to the division's label point.
//
// The aggregate circle layers stay in the style, transparent: they are what the tiles draw, what
// the legend reads (legend.js) and what a tap hits.
import { COLOURS } from '../common/labels.js';
import { esc } from '../common/format.js';

const GAP = 4; // px kept clear between two labels

export function fitMembers(map, props, layer, detailZoom) {
  const { west, south, east, north } = props;
  if (![west, south, east, north].every(Number.isFinite)) return;
  map.fitBounds([[west, south], [east, north]], { padding: 80, maxZoom: Math.max(detailZoom, map.getZoom() + 1), duration: 600 });
  map.once('moveend', () => {
    window.__geoportal.lastFit = { layer, code: props.code, bounds: [west, south, east, north] };
  });
}

export function setupClusters(ctx, detail) {
  const { map, fmt, t } = ctx;
  const pool = new Map(); // division code → { marker, key }

  function draw(entry, division) {
    const key = JSON.stringify(Object.entries(division.layers).map(([n, p]) => [n, p.count]));
    if (entry.key === key) return;
    entry.key = key;
    const el = entry.marker.getElement();
    el.innerHTML = Object.keys(detail)
      .filter((n) => division.layers[n])
      .map((n) => [n, division.layers[n]])
      .map(([n, p]) => `<button type="button" class="pill" data-layer="${n}" title="${esc(`${division.name} · ${t(`legend_bubble_${n}`)} ${p.count}`)}">${esc(fmt.count(p.count))}</button>`)
      .join('');
    // Colours through the CSSOM: the Content-Security-Policy refuses style="" attributes.
    for (const pill of el.querySelectorAll('.pill')) pill.style.backgroundColor = COLOURS.layers[pill.dataset.layer];
    entry.layers = division.layers;
  }

  function update() {
    const ids = Object.keys(detail)
      .map((n) => `${n}-aggregates`)
      .filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
    const divisions = new Map();
    for (const f of ids.length ? map.queryRenderedFeatures({ layers: ids }) : []) {
      const p = f.properties;
      const d = divisions.get(p.code) || { code: p.code, name: fmt.name(p), at: f.geometry.coordinates, layers: {} };
      d.layers[f.sourceLayer] = p; // a count on a tile edge comes once per tile: the same one
      divisions.set(p.code, d);
    }
    const total = (d) => Object.values(d.layers).reduce((n, p) => n + p.count, 0);
    const placed = [];
    for (const d of [...divisions.values()].sort((a, b) => total(b) - total(a))) {
      let entry = pool.get(d.code);
      if (!entry) {
        const el = document.createElement('div');
        el.className = 'cluster';
        el.dataset.code = d.code;
        el.addEventListener('click', (e) => {
          const pill = e.target.closest('.pill');
          if (!pill) return;
          e.stopPropagation();
          const layer = pill.dataset.layer;
          fitMembers(map, pool.get(el.dataset.code).layers[layer], layer, detail[layer]);
        });
        entry = { marker: new ctx.maplibregl.Marker({ element: el }).setLngLat(d.at).addTo(map), key: null };
        pool.set(d.code, entry);
      }
      draw(entry, d);
      const el = entry.marker.getElement();
      const c = map.project(d.at);
      const box = { x0: c.x - el.offsetWidth / 2 - GAP, x1: c.x + el.offsetWidth / 2 + GAP, y0: c.y - el.offsetHeight / 2 - GAP, y1: c.y + el.offsetHeight / 2 + GAP };
      const hidden = placed.some((b) => box.x0 < b.x1 && b.x0 < box.x1 && box.y0 < b.y1 && b.y0 < box.y1);
      el.classList.toggle('covered', hidden);
      if (!hidden) placed.push(box);
    }
    for (const [code, entry] of pool) {
      if (!divisions.has(code)) {
        entry.marker.remove();
        pool.delete(code);
      }
    }
  }
  ctx.updateClusters = update;
  map.on('idle', update);
}
