// Search by name, code or address (/api/search/), with keyboard navigation.
import { esc } from '../common/format.js';

export function setupSearch(ctx) {
  const { api, t, fmt, map } = ctx;
  const input = document.getElementById('search-input');
  const box = document.getElementById('search-results');
  let timer = null;
  let controller = null;
  let hits = [];
  let active = -1;

  function render() {
    if (!hits.length) {
      box.innerHTML = `<div class="empty">${esc(t('no_results'))}</div>`;
    } else {
      box.innerHTML = hits
        .map((h, i) => `<button type="button" class="hit ${i === active ? 'active' : ''}" data-i="${i}">
          <span class="hit-layer">${esc(t(h.layer))}</span><span class="hit-name">${esc(fmt.name(h))}</span>
          <span class="hit-detail">${esc([h.code && h.name ? h.code : '', h.detail || ''].filter(Boolean).join(' · '))}</span></button>`)
        .join('');
    }
    box.hidden = false;
  }

  async function run(q) {
    if (controller) controller.abort();
    controller = new AbortController();
    try {
      const data = await api.get('/api/search/', { q, limit: 10 }, { signal: controller.signal });
      hits = data.results;
      active = hits.length ? 0 : -1;
      render();
    } catch (err) {
      if (err.name !== 'AbortError') {
        hits = [];
        render();
      }
    }
  }

  function choose(h) {
    box.hidden = true;
    input.blur();
    const [minx, miny, maxx, maxy] = h.bbox;
    if (h.layer === 'divisions' || h.layer === 'transport') {
      map.fitBounds([[minx, miny], [maxx, maxy]], { padding: 40, duration: 700 });
    } else if (h.layer === 'amenities') {
      map.easeTo({ center: h.center, zoom: 15.5 });
      new ctx.maplibregl.Popup({ closeButton: false }).setLngLat(h.center).setText(`${fmt.name(h)} · ${h.detail || ''}`).addTo(map);
    } else {
      ctx.openDetail(h.layer, h.id, { fly: true });
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) {
      box.hidden = true;
      return;
    }
    timer = setTimeout(() => run(q), 220);
  });
  input.addEventListener('keydown', (e) => {
    if (box.hidden || !hits.length) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : hits.length - 1)) % hits.length;
      render();
    } else if (e.key === 'Enter' && active >= 0) {
      e.preventDefault();
      choose(hits[active]);
    } else if (e.key === 'Escape') {
      box.hidden = true;
    }
  });
  box.addEventListener('click', (e) => {
    const b = e.target.closest('.hit');
    if (b) choose(hits[Number(b.dataset.i)]);
  });
  document.addEventListener('click', (e) => {
    if (!e.target.closest('.search')) box.hidden = true;
  });
}
