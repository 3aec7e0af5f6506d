// Compare up to three carriers side by side.
import { esc } from '../common/format.js';
import { onlyOne } from './sheets.js';

const MAX = 3;

export function setupCompare(ctx) {
  const { t, L, fmt, state } = ctx;
  const panel = document.getElementById('compare');
  const body = document.getElementById('compare-body');
  const count = document.getElementById('compare-count');

  const unit = (v, u, d = 2) => (v === null || v === undefined || v === '' ? '—' : `${fmt.num(v, d)} ${u}`);
  const number = (v) => (v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? null : Number(v));
  const areaM2 = (l, p) => number(l === 'parcels' ? p.area_m2 : p.vacant_area_m2 || p.leasable_area_m2 || p.floor_area_m2);
  const total = (p) => (number(p.price_wan_per_mu) === null || !p.area_mu ? null : number(p.price_wan_per_mu) * p.area_mu);
  // Each row: what it shows, and for a figure where one value is plainly better, the figure and
  // which way is better (-1: lower, 1: higher), so the best of the compared sites is marked.
  const ROWS = [
    ['kind', (l, p) => (l === 'parcels' ? t('parcels') : L('kind', p.kind))],
    ['code', (l, p) => p.code || '—'],
    ['area', (l, p) => fmt.area(areaM2(l, p)), areaM2, 1],
    ['land_use', (l, p) => (l === 'parcels' ? L('land_use', p.land_use) : '—')],
    ['status', (l, p) => L('supply_status', p.supply_status)],
    ['price', (l, p) => fmt.unitPrice(p.price_wan_per_mu), (l, p) => number(p.price_wan_per_mu), -1],
    ['total_price_label', (l, p) => (total(p) === null ? '—' : fmt.money(total(p))), (l, p) => total(p), -1],
    ['rent', (l, p) => unit(p.rent_yuan_m2_month, t('yuan_m2_month')), (l, p) => number(p.rent_yuan_m2_month), -1],
    ['sale_price', (l, p) => unit(p.sale_price_yuan_m2, t('yuan_m2'), 0), (l, p) => number(p.sale_price_yuan_m2), -1],
    ['plot_ratio', (l, p) => unit(p.plot_ratio, ''), (l, p) => number(p.plot_ratio), 1],
    ['serviced_level', (l, p) => (p.serviced_level ? L('serviced_level', p.serviced_level) : '—')],
    ['floors', (l, p) => unit(p.floors, t('floors_unit'), 0)],
    ['floor_load', (l, p) => unit(p.floor_load_kg_m2, t('kg_m2'), 0), (l, p) => number(p.floor_load_kg_m2), 1],
    ['clear_height', (l, p) => unit(p.clear_height_m, t('metres'), 1), (l, p) => number(p.clear_height_m), 1],
    ['term', (l, p) => unit(p.term_years, t('years'), 0), (l, p) => number(p.term_years), 1],
  ];

  /** The table's rows: only those some compared site has a value for, the best value marked. */
  function tableRows(features) {
    return ROWS.map(([key, show, figure, better]) => {
      const cells = features.map(({ layer, f }) => ({
        text: f ? show(layer, f.properties) : '—',
        value: f && figure ? figure(layer, f.properties) : null,
      }));
      if (cells.every((c) => c.text === '—')) return '';
      const values = cells.map((c) => c.value).filter((v) => v !== null);
      const best = figure && values.length > 1 && new Set(values).size > 1 ? (better > 0 ? Math.max(...values) : Math.min(...values)) : null;
      const tds = cells
        .map((c) => (best !== null && c.value === best ? `<td class="best" title="${esc(t('best'))}">${esc(c.text)} ★</td>` : `<td>${esc(c.text)}</td>`))
        .join('');
      return `<tr><th>${esc(t(key))}</th>${tds}</tr>`;
    }).join('');
  }

  function badge() {
    count.textContent = String(state.cmp.length);
  }

  async function render() {
    badge();
    if (!state.cmp.length) {
      body.innerHTML = `<p class="hint">${esc(t('compare_empty'))}</p>`;
      return;
    }
    const features = await Promise.all(
      state.cmp.map((ref) => {
        const [layer, id] = ref.split(':');
        return ctx.fetchFeature(layer, Number(id)).then((f) => ({ ref, layer, f })).catch(() => ({ ref, layer, f: null }));
      }),
    );
    const head = features
      .map(({ ref, f }) => `<th><button type="button" class="link" data-open="${ref}">${esc(f ? fmt.name(f.properties, ref) : ref)}</button>
        <button type="button" class="btn btn-small" data-remove="${ref}">${esc(t('remove'))}</button></th>`)
      .join('');
    const rows = tableRows(features);
    body.innerHTML = `<div class="table-wrap"><table class="compare-table"><thead><tr><th></th>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
  }

  ctx.addCompare = (ref) => {
    if (state.cmp.includes(ref)) return true;
    if (state.cmp.length >= MAX) {
      window.alert(t('compare_full'));
      return false;
    }
    state.cmp = [...state.cmp, ref];
    ctx.save();
    badge();
    if (!panel.hidden) render();
    return true;
  };

  body.addEventListener('click', (e) => {
    const rm = e.target.closest('[data-remove]');
    if (rm) {
      state.cmp = state.cmp.filter((r) => r !== rm.dataset.remove);
      ctx.save();
      render();
      return;
    }
    const open = e.target.closest('[data-open]');
    if (open) {
      const [layer, id] = open.dataset.open.split(':');
      ctx.openDetail(layer, Number(id));
    }
  });
  document.getElementById('compare-open').addEventListener('click', () => {
    if (panel.hidden) onlyOne(ctx, 'compare');
    panel.hidden = !panel.hidden;
    if (!panel.hidden) render();
  });
  document.getElementById('compare-close').addEventListener('click', () => {
    panel.hidden = true;
  });
  badge();
}
