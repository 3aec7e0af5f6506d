// The results list beside the map (筛选结果): what the filters match, counted, sorted and paged.
//
// It reads the same layer API, with the same query names, as the parcel tiles carry (state.js,
// tileFilters), so the count is the API's count and the map shows the same plots. Hovering a row
// lights its plot on the map and hovering a plot lights its row; a click opens the details. A
// filter with no match says which condition excludes what, with the nearest misses a click
// away: the same query without that one condition.
import { esc } from '../common/format.js';
import { SORTS, activeGroups, tileFilters, withoutGroup } from './state.js';

const PAGE_SIZE = 10;
// The sort that shows a near miss at its closest: the cheapest when the price was too low, etc.
const CLOSEST = { price: 'price_wan_per_mu', area_min: '-area_mu', area_max: 'area_mu' };

export function setupResults(ctx) {
  const { api, t, L, fmt, state, map } = ctx;
  const box = document.getElementById('results');
  const count = document.getElementById('results-count');
  const sort = document.getElementById('results-sort');
  const items = document.getElementById('results-items');
  const pager = document.getElementById('results-pager');
  const near = document.getElementById('results-near');
  sort.innerHTML = Object.keys(SORTS).map((s) => `<option value="${s}" ${s === state.sort ? 'selected' : ''}>${esc(t(`sort_${s}`))}</option>`).join('');
  let page = 1;
  let shown = [];
  let hovered = null;
  let request = 0;

  const countyOf = (code) => (ctx.counties || []).find((c) => code && code.startsWith(c.code.slice(0, 6)));
  const query = (f, extra) => ({ ...tileFilters(f, 'parcels'), ...extra });

  function row(feature) {
    const p = feature.properties;
    const county = countyOf(p.division_code);
    const total = p.price_wan_per_mu !== null && p.area_mu ? Number(p.price_wan_per_mu) * p.area_mu : null;
    return `<li class="result" data-id="${feature.id}" tabindex="0">
      <div class="result-name">${esc(fmt.name(p))}</div>
      <div class="result-meta">${esc(county ? county.name : '')}${county ? ' · ' : ''}${esc(L('land_use', p.land_use))} · ${esc(L('supply_status', p.supply_status))}</div>
      <div class="result-figures"><span>${esc(fmt.num(p.area_mu, 1))} ${esc(t('mu'))}</span>
        <span>${esc(fmt.unitPrice(p.price_wan_per_mu))}</span>
        <span class="total">${total === null ? '' : esc(t('total_price', { v: fmt.money(total) }))}</span></div></li>`;
  }

  function light(id, on) {
    if (id === null || !map.getSource('parcels')) return;
    map.setFeatureState({ source: 'parcels', sourceLayer: 'parcels', id }, { hover: on });
    const li = items.querySelector(`[data-id="${id}"]`);
    if (li) li.classList.toggle('hovered', on);
  }
  function hover(id) {
    if (hovered === id) return;
    light(hovered, false);
    hovered = id;
    light(hovered, true);
  }
  ctx.hoverResult = hover;

  items.addEventListener('mouseover', (e) => {
    const li = e.target.closest('.result');
    hover(li ? Number(li.dataset.id) : null);
  });
  items.addEventListener('mouseleave', () => hover(null));
  items.addEventListener('click', (e) => {
    const li = e.target.closest('.result');
    if (li) ctx.openDetail('parcels', Number(li.dataset.id));
  });
  items.addEventListener('keydown', (e) => {
    const li = e.target.closest('.result');
    if (li && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      ctx.openDetail('parcels', Number(li.dataset.id));
    }
  });
  sort.addEventListener('change', () => {
    state.sort = sort.value;
    page = 1;
    ctx.save();
    refresh();
  });
  pager.addEventListener('click', (e) => {
    const b = e.target.closest('[data-page]');
    if (!b) return;
    page = Number(b.dataset.page);
    refresh();
  });
  near.addEventListener('click', (e) => {
    const b = e.target.closest('[data-relax]');
    if (b) ctx.setFilters(withoutGroup(state.f, b.dataset.relax));
  });

  function renderPager(total) {
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    pager.hidden = pages <= 1;
    pager.innerHTML = `<button type="button" class="btn btn-small" data-page="${page - 1}" ${page <= 1 ? 'disabled' : ''}>${esc(t('previous'))}</button>
      <span>${esc(t('page_of', { page, pages }))}</span>
      <button type="button" class="btn btn-small" data-page="${page + 1}" ${page >= pages ? 'disabled' : ''}>${esc(t('next'))}</button>`;
  }

  // One condition dropped at a time: how many plots it was keeping out, and the closest of them.
  async function nearMisses(mine) {
    const groups = activeGroups(state.f);
    const answers = await Promise.all(
      groups.map((g) =>
        api
          .get('/api/parcels/', query(withoutGroup(state.f, g), { page_size: 1, ordering: CLOSEST[g] || SORTS[state.sort] }))
          .then((data) => ({ group: g, count: data.count, best: data.features[0] }))
          .catch(() => ({ group: g, count: 0 })),
      ),
    );
    if (mine !== request) return;
    const found = answers.filter((a) => a.count > 0).sort((a, b) => a.count - b.count);
    if (!found.length) {
      near.innerHTML = `<p class="hint">${esc(t(groups.length ? 'near_none' : 'results_none_at_all'))}</p>`;
      return;
    }
    near.innerHTML = `<p class="hint">${esc(t('near_intro'))}</p><ul class="near-list">${found
      .map((a) => {
        const p = a.best ? a.best.properties : {};
        const closest =
          a.group === 'price' ? t('near_from_price', { v: fmt.unitPrice(p.price_wan_per_mu) })
            : a.group === 'area_min' ? t('near_up_to_area', { v: fmt.num(p.area_mu, 1) })
              : a.group === 'area_max' ? t('near_from_area', { v: fmt.num(p.area_mu, 1) })
                : '';
        return `<li><button type="button" class="link" data-relax="${a.group}">${esc(t(`near_without_${a.group}`, { n: a.count }))}${closest ? ` · ${esc(closest)}` : ''}</button></li>`;
      })
      .join('')}</ul>`;
  }

  async function refresh() {
    const mine = ++request;
    box.classList.add('loading');
    let data;
    try {
      data = await api.get('/api/parcels/', query(state.f, { page_size: PAGE_SIZE, page, ordering: SORTS[state.sort] }));
    } catch (err) {
      if (mine !== request) return;
      if (err.status === 404 && page > 1) { // the filters shrank the list under the current page
        page = 1;
        return refresh();
      }
      box.classList.remove('loading');
      count.textContent = t('load_failed', { msg: err.message });
      return;
    }
    if (mine !== request) return;
    box.classList.remove('loading');
    hover(null);
    shown = data.features || [];
    count.textContent = t('results_count', { n: fmt.num(data.count, 0) });
    count.dataset.count = String(data.count);
    items.innerHTML = shown.map(row).join('');
    renderPager(data.count);
    near.innerHTML = '';
    if (!data.count) nearMisses(mine);
  }

  ctx.refreshResults = () => {
    page = 1;
    refresh();
  };
  map.on('mousemove', 'parcels-fill', (e) => {
    const f = e.features && e.features[0];
    hover(f && shown.some((s) => s.id === f.id) ? f.id : null);
  });
  map.on('mouseleave', 'parcels-fill', () => hover(null));
  refresh();
}
