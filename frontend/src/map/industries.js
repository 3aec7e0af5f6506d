// 重点产业招商 (seed 001 L487): the industry theme of the investment map. The panel draws a chain
// from upstream to downstream with the enterprises on each link and its 链主, and outlines the
// parks that lead it; the drawer asks, around the site on screen, which links have nobody within
// reach ("no food packaging supplier within 30 km"); officers also get their counties' gaps (招商靶向).
import { esc } from '../common/format.js';

const RADIUS_KM = 30;
// The outline of the parks that lead the chosen industry (the legend reads it here).
export const INDUSTRY_PARKS_COLOUR = '#b45309';
let catalogue = null;

/** The key industries with their chains (one request per page). */
export function loadIndustries(api) {
  catalogue = catalogue || api.get('/api/industries/');
  return catalogue;
}

/** Industry codes named in the reader's language, once the catalogue is in. */
export async function industryNames(ctx, codes) {
  const { industries } = await loadIndustries(ctx.api);
  const byCode = Object.fromEntries(industries.map((i) => [i.code, i]));
  return codes.map((c) => (byCode[c] ? ctx.fmt.name(byCode[c]) : c));
}

/** Options of a <select> of industries, the current one chosen. */
export function industryOptions(ctx, industries, chosen, anyLabel) {
  const any = anyLabel ? `<option value="">${esc(anyLabel)}</option>` : '';
  return any + industries.map((i) => `<option value="${esc(i.code)}" ${i.code === chosen ? 'selected' : ''}>${esc(ctx.fmt.name(i))}</option>`).join('');
}

// One chain as three columns, each link a row: its name, what is counted on it, its leaders.
function chainColumns(stages, links, cell) {
  return `<div class="chain">${stages
    .map((s) => {
      const mine = links.filter((l) => l.stage === s.value);
      return `<div class="chain-stage"><h4>${esc(s.label)}</h4><ul>${mine.map((l) => cell(l)).join('')}</ul></div>`;
    })
    .join('<span class="chain-arrow" aria-hidden="true">→</span>')}</div>`;
}

function leaderTags(ctx, leaders) {
  return leaders.map((x) => `<span class="tag tag-leader" title="${esc(ctx.t('chain_leader'))}">${esc(ctx.t('chain_leader'))} · ${esc(x.name)}</span>`).join('');
}

export function setupIndustries(ctx) {
  const { t, api, map, state } = ctx;
  const body = document.getElementById('industry-body');
  const select = document.getElementById('industry-select');
  let data = null;

  function highlight(ids) {
    if (!map.getLayer('industry-parks')) {
      map.addLayer({
        id: 'industry-parks',
        type: 'line',
        source: ctx.sourceOf('parks'),
        'source-layer': 'parks',
        paint: { 'line-color': INDUSTRY_PARKS_COLOUR, 'line-width': 3.5 },
        filter: ['in', ['id'], ['literal', []]],
      });
    }
    map.setFilter('industry-parks', ['in', ['id'], ['literal', ids]]);
  }

  function render() {
    const industry = data.industries.find((i) => i.code === state.industry);
    if (!industry) {
      body.innerHTML = `<p class="hint">${esc(t('industry_pick_hint'))}</p>`;
      if (map.isStyleLoaded()) highlight([]);
      return;
    }
    const parkItems = industry.parks.map((id) => `<li><button type="button" class="link" data-park="${id}">${esc(ctx.parkName(id))}</button></li>`).join('');
    body.innerHTML = `
      <p class="chain-total">${esc(t('chain_total', { n: ctx.fmt.num(industry.enterprises) }))}</p>
      ${chainColumns(data.stages, industry.links, (l) => `<li class="chain-link${l.enterprises ? '' : ' is-gap'}" data-link="${esc(l.code)}">
        <span class="name">${esc(ctx.fmt.name(l))}</span><span class="count">${esc(t('enterprises_n', { n: ctx.fmt.num(l.enterprises) }))}</span>${leaderTags(ctx, l.leaders)}</li>`)}
      <h4>${esc(t('parks_leading'))}</h4>
      ${parkItems ? `<ul class="nearby-list">${parkItems}</ul>` : `<p class="hint">${esc(t('parks_leading_none'))}</p>`}
      <div data-part="targets"></div>`;
    body.querySelectorAll('[data-park]').forEach((b) => b.addEventListener('click', () => ctx.openDetail('parks', Number(b.dataset.park))));
    highlight(industry.parks);
    loadTargets(industry);
  }

  // 招商靶向: the counties in the officer's scope where this chain has empty links (the page says
  // whether the policy lets this reader see them: cfg.industryTargets).
  async function loadTargets(industry) {
    const el = body.querySelector('[data-part="targets"]');
    if (!ctx.cfg.industryTargets) return;
    let targets;
    try {
      targets = await api.get('/api/industries/targets/');
    } catch {
      return;
    }
    if (state.industry !== industry.code || !el) return;
    const rows = targets.counties
      .map((c) => ({ county: c, mine: c.industries.find((i) => i.code === industry.code) }))
      .filter((r) => r.mine);
    el.innerHTML = `<h4>${esc(t('targets_title'))}</h4>${
      rows.length
        ? `<table class="attrs targets">${rows
            .map(({ county, mine }) => `<tr><th>${esc(ctx.fmt.name(county))}</th><td>${
              mine.missing.length ? mine.missing.map((l) => `<span class="tag tag-gap">${esc(ctx.fmt.name(l))}</span>`).join('') : esc(t('targets_complete'))
            }${mine.thin.length ? `<div class="hint">${esc(t('targets_thin'))}${esc(mine.thin.map((l) => ctx.fmt.name(l)).join(t('list_sep')))}</div>` : ''}</td></tr>`)
            .join('')}</table>`
        : `<p class="hint">${esc(t('targets_none'))}</p>`
    }`;
  }

  loadIndustries(api)
    .then((d) => {
      data = d;
      select.innerHTML = industryOptions(ctx, d.industries, state.industry, t('industry_pick'));
      ctx.onParks = () => data && state.industry && render(); // the park names arrive on their own
      if (map.isStyleLoaded()) render();
      else map.once('load', render);
    })
    .catch((err) => {
      body.textContent = t('load_failed', { msg: err.message });
    });
  select.addEventListener('change', () => {
    state.industry = select.value || null;
    ctx.save();
    render();
  });
}

/** The drawer's 产业链配套 section: around this site, the chosen chain's links within reach. */
export async function renderChainGaps(ctx, el, layer, id, isCurrent) {
  const { t, api, state } = ctx;
  const { industries, stages } = await loadIndustries(api);
  if (!isCurrent()) return;
  el.innerHTML = `<h3>${esc(t('chain_near', { km: RADIUS_KM }))}</h3>
    <label class="inline"><span>${esc(t('industry'))}</span><select data-part="chain-industry"></select></label>
    <div data-part="chain-result" class="hint">${esc(t('loading'))}</div>`;
  const chooser = el.querySelector('[data-part="chain-industry"]');
  const result = el.querySelector('[data-part="chain-result"]');

  async function show(code) {
    result.textContent = t('loading');
    const params = { layer, id, radius_km: RADIUS_KM };
    if (code) params.industry = code;
    let gaps;
    try {
      gaps = await api.get('/api/industries/gaps/', params);
    } catch (err) {
      if (isCurrent()) result.textContent = t('load_failed', { msg: err.message });
      return;
    }
    if (!isCurrent()) return;
    // Without a choice the server answers for the site's park's industries (or all of them): the
    // chooser then offers the park's first, and the panel shows that one.
    const led = gaps.industries.filter((i) => i.led_by_park).map((i) => i.code);
    const shown = gaps.industries.find((i) => i.code === code) || gaps.industries.find((i) => i.led_by_park) || gaps.industries[0];
    if (!code) {
      const order = [...industries].sort((a, b) => Number(led.includes(b.code)) - Number(led.includes(a.code)));
      chooser.innerHTML = industryOptions(ctx, order, shown && shown.code);
    }
    if (!shown) {
      result.textContent = t('industry_pick_hint');
      return;
    }
    result.className = '';
    result.innerHTML = `${
      shown.messages.length
        ? `<ul class="gap-list">${shown.messages.map((m) => `<li class="gap">${esc(m)}</li>`).join('')}</ul>`
        : `<p class="gap-none">${esc(t('chain_complete', { km: RADIUS_KM }))}</p>`
    }${chainColumns(stages, shown.links, (l) => `<li class="chain-link${l.count ? '' : ' is-gap'}">
        <span class="name">${esc(ctx.fmt.name(l))}</span>
        <span class="count">${esc(l.count ? t('enterprises_n', { n: ctx.fmt.num(l.count) }) : l.nearest_km !== null ? t('nearest_km', { km: ctx.fmt.num(l.nearest_km, 1) }) : t('none_anywhere'))}</span>${leaderTags(ctx, l.leaders)}</li>`)}`;
  }

  chooser.addEventListener('change', () => show(chooser.value));
  await show(state.industry);
}
