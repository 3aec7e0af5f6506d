// What the Django admin needs from us, loaded on every admin page (geoportal/templates/admin/
// base_site.html): the 看数水印, and the offline map widget started from data attributes, because
// the Content-Security-Policy refuses the inline <script> Django's own widget template carries.
import '../../css/admin.css';

import { readWatermarkConfig, startWatermark } from '../common/watermark.js';

const watermarkConfig = readWatermarkConfig();
if (watermarkConfig) {
  startWatermark(watermarkConfig, { lang: document.documentElement.lang.startsWith('en') ? 'en' : 'zh' });
}

// Our own county boundaries as the base layer: the platform runs without internet, so no remote
// imagery (layers/templates/layers/admin/offline_map.html).
function countyLayer() {
  const { ol } = window;
  return new ol.layer.Vector({
    source: new ol.source.Vector({ url: '/api/divisions/?level=county&page_size=1000', format: new ol.format.GeoJSON() }),
    style: new ol.style.Style({
      stroke: new ol.style.Stroke({ color: '#4a6fa5', width: 1.5 }),
      fill: new ol.style.Fill({ color: 'rgba(74, 111, 165, 0.05)' }),
    }),
  });
}

// OpenLayers and Django's MapWidget are the widget's form media (layers/admin.py), loaded before
// this deferred script runs.
document.querySelectorAll('[data-offline-map]').forEach((wrapper) => {
  const d = wrapper.dataset;
  // Django's gis/js/OLMapWidget.js declares MapWidget as a global class.
  // eslint-disable-next-line no-undef
  new MapWidget({
    base_layer: countyLayer(),
    geom_name: d.geomName,
    id: d.offlineMap,
    map_id: `${d.offlineMap}_map`,
    map_srid: Number(d.mapSrid),
    name: d.name,
  });
});
