// A card under the pointer on a plot: its name, area and price, before any click (pointer
// devices only: on a touch screen a tap opens the details instead).
import { esc } from '../common/format.js';

export function setupHoverCard(ctx) {
  const { map, t, fmt, maplibregl } = ctx;
  if (!window.matchMedia('(hover: hover)').matches) return;
  const card = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: 'hover-card', offset: 12 });
  let over = null;
  map.on('mousemove', 'parcels-fill', (e) => {
    const f = e.features && e.features[0];
    if (!f) return;
    card.setLngLat(e.lngLat);
    if (over === f.id) return;
    over = f.id;
    const p = f.properties;
    const price = p.price_wan_per_mu === undefined || p.price_wan_per_mu === null ? null : Number(p.price_wan_per_mu);
    card
      .setHTML(`<b>${esc(fmt.name(p))}</b><div>${esc(fmt.num(p.area_mu, 1))} ${esc(t('mu'))}${price === null ? '' : ` · ${esc(fmt.unitPrice(price))}`}</div>${
        price === null || !p.area_mu ? '' : `<div class="muted">${esc(t('total_price', { v: fmt.money(price * p.area_mu) }))}</div>`
      }`)
      .addTo(map);
  });
  map.on('mouseleave', 'parcels-fill', () => {
    over = null;
    card.remove();
  });
}
