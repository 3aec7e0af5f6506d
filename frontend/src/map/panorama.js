// Pannellum (from npm, served as a static file) is loaded only when someone opens a panorama.

let loading = null;

function loadPannellum(cfg) {
  if (window.pannellum) return Promise.resolve(window.pannellum);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = cfg.pannellum.css;
      document.head.appendChild(css);
      const script = document.createElement('script');
      script.src = cfg.pannellum.js;
      script.onload = () => resolve(window.pannellum);
      script.onerror = () => {
        loading = null;
        reject(new Error('pannellum'));
      };
      document.head.appendChild(script);
    });
  }
  return loading;
}

export async function openPanoramaViewer(ctx, container, feature) {
  const pannellum = await loadPannellum(ctx.cfg);
  const p = feature.properties;
  const media = ctx.cfg.mediaUrl;
  let config = null;
  if (p.tiles_path) {
    try {
      const res = await fetch(`${media}${p.tiles_path}/config.json`);
      if (res.ok) {
        config = await res.json();
        config.multiRes.basePath = `${media}${p.tiles_path}`;
      }
    } catch {
      config = null;
    }
  }
  if (!config) {
    if (!p.image) throw new Error('no image');
    config = { type: 'equirectangular', panorama: p.image, northOffset: p.heading_deg || 0 };
  }
  container.classList.add('pano-live');
  return pannellum.viewer(container, { ...config, autoLoad: true, showFullscreenCtrl: true, compass: true, hfov: 100 });
}
