// Site matching (智能选址): a form for /api/spatial/match and the ranked results with their reasons.
// Area, budget and district are hard constraints (the server lists only what meets them and says
// how many each set aside); the rest are weighted preferences. The results are drawn on the map
// with their rank, and equal scores say so.
import { MU_M2, esc } from '../common/format.js';
import { industryOptions, loadIndustries } from './industries.js';
import { chips } from './panels.js';

const LAND_USES = ['industrial', 'warehouse', 'commercial', 'mixed'];
const AMENITIES = ['highway_exit', 'rail_station', 'port', 'hospital', 'school', 'bank', 'hotel', 'transit_stop'];
const UNITS = { wan_yuan_per_mu: 'wan_per_mu', yuan_m2_month: 'yuan_m2_month', yuan_per_m2_month: 'yuan_m2_month', yuan_m2: 'yuan_m2', yuan_per_m2: 'yuan_m2', kg_m2: 'kg_m2', 'kg/m2': 'kg_m2', kg_per_m2: 'kg_m2', m: 'metres' };
const ICON = { met: '✓', partial: '◐', missed: '✗', unknown: '?', not_applicable: '–' };

export function setupMatch(ctx) {
  const { api, t, L, fmt, map } = ctx;
  const form = document.getElementById('match-form');
  const out = document.getElementById('match-results');
  const amenityBox = document.getElementById('m-amenities');
  chips(document.getElementById('m-land-use'), LAND_USES, [], (v) => L('land_use', v), 'land_use');
  const districtBox = document.getElementById('m-districts');
  ctx.onCounties = (counties) => {
    districtBox.innerHTML = counties
      .map((c) => `<label class="chip"><input type="checkbox" name="districts" value="${c.code}"><span>${esc(c.name)}</span></label>`)
      .join('');
  };
  if (ctx.counties && ctx.counties.length) ctx.onCounties(ctx.counties);
  // Industries by code: the same request ranks alike in Chinese and English.
  loadIndustries(api).then((d) => {
    form.elements.industry.innerHTML = industryOptions(ctx, d.industries, ctx.state.industry, t('any_industry'));
  }).catch(() => {});

  function addAmenity(category = 'highway_exit', km = 10) {
    if (amenityBox.children.length >= 4) return;
    const row = document.createElement('div');
    row.className = 'row amenity-need';
    row.innerHTML = `<select name="am_category">${AMENITIES.map((a) => `<option value="${a}" ${a === category ? 'selected' : ''}>${esc(L('category', a))}</option>`).join('')}</select>
      <input type="number" name="am_km" min="0.1" max="50" step="0.1" value="${km}"><span>${esc(t('within_km'))}</span>
      <button type="button" class="close" title="${esc(t('remove'))}">×</button>`;
    row.querySelector('.close').addEventListener('click', () => row.remove());
    amenityBox.appendChild(row);
  }
  document.getElementById('m-add-amenity').addEventListener('click', () => addAmenity());

  function body() {
    const v = (name) => form.elements[name].value.trim();
    const n = (name) => (v(name) === '' ? undefined : Number(v(name)));
    const checked = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
    const b = { carrier: v('carrier'), area_unit: 'mu' };
    if (n('area_min') !== undefined) b.area_min = n('area_min');
    if (n('area_max') !== undefined) b.area_max = n('area_max');
    const lu = checked('land_use');
    if (lu.length) b.land_use = lu;
    if (n('max_price_wan_per_mu') !== undefined) b.max_price_wan_per_mu = n('max_price_wan_per_mu');
    if (n('max_rent_yuan_m2_month') !== undefined) b.max_rent_yuan_m2_month = n('max_rent_yuan_m2_month');
    if (v('industry')) b.industry = v('industry');
    const districts = checked('districts');
    if (districts.length) b.districts = districts;
    const needs = [...amenityBox.querySelectorAll('.amenity-need')]
      .map((row) => ({ category: row.querySelector('select').value, max_distance_m: Number(row.querySelector('input').value) * 1000 }))
      .filter((a) => a.max_distance_m > 0);
    if (needs.length) b.amenities = needs;
    return b;
  }

  function reasonText(r) {
    const name = r.criterion.startsWith('amenity:') ? L('category', r.criterion.slice(8)) : t(`criterion_${r.criterion}`);
    let detail = '';
    if (r.criterion === 'area' && r.actual !== null) {
      const [lo, hi] = Array.isArray(r.wanted) ? r.wanted : [null, null];
      const span = [lo, hi].map((x) => (x === null || x === undefined ? '' : fmt.num(x / MU_M2, 1))).join('–');
      detail = `${fmt.num(r.actual_mu ?? r.actual / MU_M2, 1)} ${ctx.lang === 'en' ? 'mu' : '亩'}${span !== '–' ? ` (${span})` : ''}`;
    } else if (r.criterion.startsWith('amenity:')) {
      detail = r.actual !== null ? `${r.amenity_name ? r.amenity_name + ' ' : ''}${fmt.distance(r.actual)} / ≤ ${fmt.distance(r.wanted)}` : `> ${fmt.distance(r.wanted)}`;
    } else if (r.actual !== null && r.actual !== undefined && r.wanted !== null && typeof r.wanted !== 'object') {
      const unit = UNITS[r.unit] ? t(UNITS[r.unit]) : r.unit || '';
      detail = `${fmt.num(r.actual)} ${unit} / ${fmt.num(r.wanted)}`;
    } else if (r.criterion === 'industry' && r.wanted) {
      detail = fmt.name(r.wanted);
    } else if (ctx.lang === 'en' && r.message) {
      detail = r.message;
    }
    return `<li class="reason reason-${esc(r.status)}"><span class="icon">${ICON[r.status] || ''}</span><span class="crit">${esc(name)}${r.hard ? ` <small class="hard">${esc(t('hard_mark'))}</small>` : ''}</span>
      <span class="why">${esc(t(r.status))}${detail ? ' · ' + esc(detail) : ''}</span><span class="pts">${r.hard ? '' : `${esc(fmt.num(r.points, 1))}/${esc(fmt.num(r.weight, 1))}`}</span></li>`;
  }

  const criterionName = (name) => t(`criterion_${name}`);
  let rankMarkers = [];
  function drawRanks(features) {
    for (const m of rankMarkers) m.remove();
    rankMarkers = features.map((f) => {
      const el = document.createElement('div');
      el.className = 'match-rank';
      el.textContent = f.properties.rank;
      return new ctx.maplibregl.Marker({ element: el }).setLngLat(middle(f.geometry)).addTo(map);
    });
  }

  async function run(soft) {
    out.innerHTML = `<p class="hint">${esc(t('matching'))}</p>`;
    try {
      const data = await api.post('/api/spatial/match?page_size=10', { ...body(), ...(soft ? { hard: [] } : {}) });
      const features = data.features || [];
      map.getSource('matches').setData({ type: 'FeatureCollection', features: features.map((f) => ({ type: 'Feature', geometry: f.geometry, properties: { rank: f.properties.rank } })) });
      drawRanks(features);
      if (!features.length) {
        const why = Object.entries(data.excluded || {})
          .filter(([, n]) => n > 0)
          .map(([c, n]) => `<li>${esc(t('match_excluded', { criterion: criterionName(c), n }))}</li>`)
          .join('');
        out.innerHTML = `<p class="hint">${esc(t('match_none'))}</p><ul class="match-excluded">${why}</ul>${
          data.hard && data.hard.length ? `<button type="button" class="link" id="match-soften">${esc(t('match_soften'))}</button>` : ''
        }`;
        const soften = document.getElementById('match-soften');
        if (soften) soften.addEventListener('click', () => run(true));
        return;
      }
      const hard = data.hard && data.hard.length ? `<p class="hint match-hard">${esc(t('match_hard', { list: data.hard.map(criterionName).join(t('list_sep')) }))}</p>` : '';
      out.innerHTML = `<p class="hint">${esc(t('match_count', { n: data.count, k: features.length }))}</p>${hard}<ol class="match-list">${features
        .map((f, i) => {
          const p = f.properties;
          const name = fmt.name(p, `#${p.record_id}`);
          return `<li class="match" data-i="${i}"><div class="match-head"><span class="rank">${p.rank}</span>
            <button type="button" class="link" data-open="${i}">${esc(name)}</button>
            <span class="score"><b>${esc(fmt.num(p.score, 1))}</b> ${esc(t('score'))}${p.tied ? ` <small class="tied">${esc(t('match_tied', { n: p.tied }))}</small>` : ''}</span></div>
            <div class="bar"><i data-score="${Math.max(2, Math.min(100, p.score))}"></i></div>
            <div class="match-meta">${esc(p.layer === 'parcels' ? t('parcels') : L('kind', p.kind))} · ${esc(fmt.area(p.area_m2))}</div>
            <details><summary>${esc(t('reasons'))}</summary><ul class="reasons">${p.reasons.map(reasonText).join('')}</ul></details></li>`;
        })
        .join('')}</ol>`;
      // Widths through the CSSOM: the Content-Security-Policy refuses style="" attributes.
      out.querySelectorAll('[data-score]').forEach((bar) => { bar.style.width = `${bar.dataset.score}%`; });
      out.querySelectorAll('[data-open]').forEach((b) =>
        b.addEventListener('click', () => {
          const p = features[Number(b.dataset.open)].properties;
          ctx.openDetail(p.layer, p.record_id);
        }),
      );
    } catch (err) {
      out.innerHTML = `<p class="errors">${esc(t('load_failed', { msg: err.message }))}</p>`;
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run(false);
  });
}

// The middle of a result's extent, where its rank is drawn.
function middle(geometry) {
  const flat = geometry.coordinates.flat(Infinity);
  const xs = flat.filter((_v, i) => i % 2 === 0);
  const ys = flat.filter((_v, i) => i % 2 === 1);
  return [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
}
