// Performance marks on a map's way to its first picture with data. scripts/bench/frontend.py reads
// them (and window.__geoportal.firstDataRender); the browser tests wait for data-map-ready.

export function markMilestones(map) {
  performance.mark('geoportal:map-created');
  map.once('styledata', () => performance.mark('geoportal:style-loaded'));
  map.once('sourcedataloading', () => performance.mark('geoportal:first-tile-request'));
  const onTile = (e) => {
    if (e.tile) {
      performance.mark('geoportal:first-tile-loaded');
      map.off('data', onTile);
    }
  };
  map.on('data', onTile);
  map.once('idle', () => performance.mark('geoportal:idle'));
}

// Calls done() once queryRenderedFeatures finds a feature in dataLayers() (ids that may not exist
// yet). Checked at most every 40 ms: the query is not free on a 4K canvas.
export function onFirstDataRender(map, dataLayers, done = () => {}) {
  let last = 0;
  const check = () => {
    const now = performance.now();
    if (now - last < 40) return;
    last = now;
    const layers = dataLayers().filter((id) => map.getLayer(id));
    if (map.queryRenderedFeatures({ layers }).length) {
      window.__geoportal.firstDataRender = now;
      performance.mark('geoportal:first-data-render');
      document.documentElement.dataset.mapReady = '1';
      map.off('render', check);
      done();
    }
  };
  map.on('render', check);
}
