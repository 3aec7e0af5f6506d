// The map's legend, read from the map itself: the land uses and supply states of the plots on
// screen and the counts drawn, so it always lists exactly what is drawn, no more; and a note when
// the buildings are set aside by a condition only land has.
import { esc } from '../common/format.js';
import { COLOURS, LABELS } from '../common/labels.js';
import { INDUSTRY_PARKS_COLOUR } from './industries.js';
import { landOnly } from './state.js';

// In the order of the land-use choices (industrial first), as the filters list them.
const USE_ORDER = Object.keys(LABELS.zh.land_use);
const TRANSPORT_ORDER = Object.keys(COLOURS.transport_kind); // bottom to top, as tiles/style.py draws
const TRANSPORT_LAYERS = TRANSPORT_ORDER.map((k) => `transport-${k}`);

export function setupLegend(ctx) {
  const { map, t, L } = ctx;
  const box = document.getElementById('map-legend');
  let shown = '';
  const rendered = (id) => (map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none' ? map.queryRenderedFeatures({ layers: [id] }) : []);

  function update() {
    const plots = rendered('parcels-fill');
    const uses = [...new Set(plots.map((f) => f.properties.land_use))].sort((a, b) => USE_ORDER.indexOf(a) - USE_ORDER.indexOf(b));
    const states = new Set(plots.map((f) => f.properties.supply_status));
    const faded = [...states].filter((s) => s !== 'available');
    const bubbles = ['parcels', 'buildings'].filter((n) => rendered(`${n}-aggregates`).length);
    const setAside = ctx.state.layers.includes('buildings') && landOnly(ctx.state.f);
    const leading = rendered('industry-parks').length ? ctx.state.industry : null;
    // The base map's lines on screen, in the order the style draws them from the top.
    const kinds = new Set(TRANSPORT_LAYERS.flatMap((id) => rendered(id)).map((f) => f.properties.kind));
    const lines = [...TRANSPORT_ORDER].reverse().filter((k) => kinds.has(k));
    const key = JSON.stringify([uses, [...states].sort(), bubbles, setAside, leading, lines]);
    if (key === shown) return;
    shown = key;
    box.dataset.landUses = uses.join(',');
    box.hidden = !uses.length && !bubbles.length && !setAside && !leading && !lines.length;
    const swatch = (colour, cls = '') => `<i class="swatch ${cls}" data-swatch="${colour}"></i>`;
    box.innerHTML = `<h3>${esc(t('legend'))}</h3>${uses
      .map((u) => `<div class="legend-row">${swatch(COLOURS.land_use[u] || COLOURS.layers.parcels)}${esc(L('land_use', u))}</div>`)
      .join('')}${states.has('available') ? `<div class="legend-row">${swatch('#5f6b7a')}${esc(t('legend_available'))}</div>` : ''}${
      faded.length ? `<div class="legend-row">${swatch('#5f6b7a', 'faded')}${esc(t('legend_faded', { states: faded.map((s) => L('supply_status', s)).join(t('list_sep')) }))}</div>` : ''
    }${bubbles
      .map((n) => `<div class="legend-row">${swatch(COLOURS.layers[n], 'bubble')}${esc(t(`legend_bubble_${n}`))}</div>`)
      .join('')}${lines
      .map((k) => `<div class="legend-row" data-transport="${esc(k)}">${swatch(COLOURS.transport_kind[k], 'line')}${esc(L('transport_kind', k))}</div>`)
      .join('')}${leading ? `<div class="legend-row">${swatch(INDUSTRY_PARKS_COLOUR, 'outline')}${esc(t('parks_leading'))}</div>` : ''}${setAside ? `<div class="legend-row legend-note" data-note="buildings-set-aside">${esc(t('legend_buildings_set_aside'))}</div>` : ''}`;
    // Colours through the CSSOM: the Content-Security-Policy refuses style="" attributes.
    box.querySelectorAll('[data-swatch]').forEach((i) => { i.style.background = i.dataset.swatch; i.style.borderColor = i.dataset.swatch; });
  }
  map.on('idle', update);
}
