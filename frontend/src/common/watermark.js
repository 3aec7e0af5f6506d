// 看数水印: every internal page carries the viewer's name and the time, tiled diagonally, so that a
// photo or a screenshot of the data says who looked at it and when (SPEC 9, 等保).
//
// The server names the viewer and gives its clock in <meta name="geoportal-watermark"
// data-viewer data-now data-tz> (web/templates/web/watermark_meta.html). The tile is an SVG data URL
// drawn on several layers at once — the page's background, a fixed overlay above everything, and
// each host the page adds (the map's canvas container) — so hiding one element leaves the others.
// A MutationObserver puts back a layer that is removed, hidden or restyled, and the minute refresh
// re-asserts all of them. Styles go through the CSSOM (not style="" attributes), which the
// Content-Security-Policy allows, and with !important, which beats any stylesheet rule.

const META = 'meta[name="geoportal-watermark"]';
// Faint enough that two layers over each other (the overlay above the map's own) still read as one.
const TONES = { dark: 'rgba(40, 48, 60, 0.11)', light: 'rgba(200, 225, 255, 0.12)' };
const TILE_W = 380;
const TILE_H = 220;

export function readWatermarkConfig(doc = document) {
  const meta = doc.querySelector(META);
  const viewer = meta ? (meta.dataset.viewer || '').trim().replace(/\s+/g, ' ') : '';
  if (!viewer) return null;
  return { viewer, serverNow: Date.parse(meta.dataset.now || ''), timeZone: meta.dataset.tz || undefined };
}

function escapeXml(text) {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function tileUrl(text, colour) {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${TILE_W}" height="${TILE_H}">` +
    `<text x="50%" y="50%" text-anchor="middle" dominant-baseline="middle" transform="rotate(-24 ${TILE_W / 2} ${TILE_H / 2})" ` +
    `fill="${colour}" font-size="17" font-family="PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif">${escapeXml(text)}</text></svg>`;
  return `url("data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}")`;
}

// What a layer must look like; anything else is put back.
function overlayStyles(image, position) {
  return {
    position,
    inset: '0',
    display: 'block',
    visibility: 'visible',
    opacity: '1',
    'z-index': '2147483000',
    'pointer-events': 'none',
    'background-image': image,
    'background-repeat': 'repeat',
    // Tiles placed against the viewport on every layer, so the layers' texts fall on each other.
    'background-attachment': 'fixed',
    'background-size': 'auto',
    transform: 'none',
  };
}

function apply(el, styles) {
  let changed = false;
  for (const [prop, value] of Object.entries(styles)) {
    if (el.style.getPropertyValue(prop) !== value || el.style.getPropertyPriority(prop) !== 'important') {
      el.style.setProperty(prop, value, 'important');
      changed = true;
    }
  }
  return changed;
}

/**
 * Starts the watermark. ``config`` comes from readWatermarkConfig(); ``tone`` is 'dark' text for
 * light pages and 'light' text for dark ones. Returns { addHost(element), text() }.
 */
export function startWatermark(config, { lang = 'zh', tone = 'dark' } = {}) {
  // The server's clock, not the screen's: a wall whose clock is wrong still shows the true time.
  const skew = Number.isFinite(config.serverNow) ? config.serverNow - Date.now() : 0;
  const format = new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: config.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
  const colour = TONES[tone] || TONES.dark;
  const hosts = [];
  const layers = []; // { el, parent: () => Element | null, position }
  let text = '';
  let image = '';
  let watchedBody = null;

  const observer = new MutationObserver(() => ensure());

  function makeLayer() {
    const el = document.createElement('div');
    el.setAttribute('aria-hidden', 'true');
    el.dataset.watermark = text;
    return el;
  }

  // observe() again on a node replaces its options, so each node's options are kept and merged.
  const watched = new WeakMap();
  function watch(node, options) {
    const merged = { ...(watched.get(node) || {}), ...options };
    watched.set(node, merged);
    observer.observe(node, merged);
  }

  function ensure() {
    const body = document.body;
    if (!body) return;
    if (body !== watchedBody) {
      watchedBody = body;
      watch(body, { attributes: true });
    }
    for (const layer of layers) {
      const parent = layer.parent();
      if (!parent) continue;
      if (!layer.el || layer.el.parentNode !== parent) {
        // A fresh element: the removed one may have been tampered with.
        layer.el = makeLayer();
        parent.appendChild(layer.el);
        watch(layer.el, { attributes: true });
        watch(parent, { childList: true });
      }
      const el = layer.el;
      if (el.hidden) el.hidden = false;
      if (el.className) el.className = '';
      if (el.dataset.watermark !== text) el.dataset.watermark = text;
      apply(el, overlayStyles(image, layer.position));
    }
    // The page's own background: under everything, so it shows wherever the page is not opaque.
    apply(body, { 'background-image': image, 'background-repeat': 'repeat', 'background-attachment': 'fixed' });
  }

  function stamp() {
    text = `${config.viewer}  ${format.format(new Date(Date.now() + skew))}`;
    image = tileUrl(text, colour);
    ensure();
  }

  layers.push({ el: null, parent: () => document.body, position: 'fixed' });
  watch(document.documentElement, { childList: true });
  stamp();
  // Refresh on the minute, as the time in it changes.
  setTimeout(
    () => {
      stamp();
      setInterval(stamp, 60000);
    },
    60000 - ((Date.now() + skew) % 60000),
  );

  return {
    addHost(element) {
      if (!element || hosts.includes(element)) return;
      hosts.push(element);
      layers.push({ el: null, parent: () => (element.isConnected ? element : null), position: 'absolute' });
      ensure();
    },
    text: () => text,
  };
}
