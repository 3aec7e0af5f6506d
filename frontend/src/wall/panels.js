// The wall's DOM panels: the headline numbers of each theme, the project funnel, the target's
// figures, the map legend and the changes quoted over the trend. Drawn as HTML, not on a canvas,
// so the type is the page's own (at least 1.2 rem, measured by the tests) and never overflows a
// segment it does not fit: a label sits beside its bar, not inside it.
import { esc } from '../common/format.js';
import { COLOURS, STAGES } from '../common/labels.js';

export function makePanels({ t, L, fmt }) {
  const kpi = (key, value, unit = '') =>
    `<div class="kpi" data-kpi="${key}"><div class="kpi-value">${esc(value)}<small>${esc(unit)}</small></div><div class="kpi-label">${esc(t(`kpi_${key}`))}</div></div>`;
  const pct = (v) => (v === null || v === undefined ? '—' : `${fmt.num(v * 100, 1)}%`);
  const signed = (v) => (v === null || v === undefined ? '—' : `${v > 0 ? '+' : ''}${fmt.num(v * 100, 1)}%`);
  const count = (n) => fmt.num(n, 0);

  // Each theme's own numbers; a theme whose data has not come yet shows nothing rather than zeros.
  const KPIS = {
    carriers: (s) => [
      kpi('parcels', count(s.carriers.parcels_available)),
      kpi('parcels_mu', count(s.carriers.parcels_available_mu), t('mu')),
      kpi('buildings', count(s.carriers.buildings_available)),
      kpi('vacant', fmt.floorSpace(s.carriers.buildings_vacant_m2)),
    ],
    governance: (s) => [
      kpi('points_today', count(s.field_points.today)),
      kpi('points_7d', count(s.field_points.last_7d)),
      kpi('points_month', count(s.field_points.this_month)),
      kpi('points_total', count(s.field_points.total)),
    ],
    projects: (s) => [
      kpi('projects', count(s.projects)),
      kpi('signed', count(s.signed.projects)),
      kpi('signed_wan', fmt.money(s.signed.investment_wan)),
      kpi('completion', s.target ? pct(s.target.completion) : '—'),
    ],
    events: (_s, e) =>
      e
        ? [
            kpi('events_open', count(e.open)),
            kpi('events_overdue', count(e.overdue)),
            kpi('events_escalated', count(e.escalated)),
            kpi('events_month', count(e.by_month.at(-1).value)),
          ]
        : [],
    industries: (_s, _e, ind) =>
      ind
        ? [
            kpi('industries', count(ind.catalogue.industries.length)),
            kpi('chain_firms', count(ind.catalogue.industries.reduce((n, i) => n + i.enterprises, 0))),
            kpi('chain_leaders', count(ind.catalogue.industries.reduce((n, i) => n + i.links.reduce((m, l) => m + l.leaders.length, 0), 0))),
            kpi('chain_gaps', count(ind.targets.counties.reduce((n, c) => n + c.missing, 0))),
          ]
        : [],
  };

  return {
    kpis(theme, summary, events, industries) {
      return summary ? KPIS[theme](summary, events, industries).join('') : '';
    },

    // 招商靶向: per county, the chains its parks lead and the links nobody fills there.
    gaps(targets) {
      const rows = targets.counties
        .map((c) => ({ county: c, short: c.industries.filter((i) => i.missing.length) }))
        .filter((r) => r.short.length)
        .map(({ county, short }) => `<li><b>${esc(fmt.name(county))}</b><span>${short
          .map((i) => `<span class="industry">${esc(fmt.name(i))}</span> <span class="links">${esc(i.missing.map((l) => fmt.name(l)).join(t('list_sep')))}</span>`)
          .join('<br>')}</span></li>`);
      return rows.length ? rows.join('') : `<li class="none">${esc(t('gaps_none'))}</li>`;
    },

    // A true funnel: projects that reached each stage or went beyond it, beside those at it now
    // and the 黄牌/红牌 among them.
    funnel(summary) {
      const counts = Object.fromEntries(summary.stages.map((s) => [s.stage, s]));
      let running = 0;
      const reached = {};
      for (const s of [...STAGES].reverse()) {
        running += counts[s] ? counts[s].count : 0;
        reached[s] = running;
      }
      const top = Math.max(1, reached[STAGES[0]]);
      return STAGES.map((s) => {
        const c = counts[s] || { count: 0, yellow: 0, red: 0 };
        const share = reached[s] / top;
        const cards = `${c.yellow ? `<b class="yellow" title="${esc(t('card_yellow'))}">${c.yellow}</b>` : ''}${c.red ? `<b class="red" title="${esc(t('card_red'))}">${c.red}</b>` : ''}`;
        return `<span class="stage">${esc(L('stage', s))}</span>
          <span class="track"><i class="bar" data-stage="${esc(s)}" data-share="${share}"></i><span class="n${share < 0.3 ? ' outside' : ''}">${reached[s]}（${c.count}）</span></span>
          <span class="cards">${cards}</span>`;
      }).join('');
    },

    // Bars are sized and coloured through the CSSOM: the page's CSP refuses style="" attributes.
    paintFunnel(root) {
      for (const bar of root.querySelectorAll('.bar')) {
        bar.style.width = `${Math.max(2, Number(bar.dataset.share) * 100)}%`;
        bar.style.backgroundColor = COLOURS.stage[bar.dataset.stage];
      }
      for (const n of root.querySelectorAll('.n.outside')) n.style.left = `calc(${Number(n.previousElementSibling.dataset.share) * 100}% + .5rem)`;
    },

    target(summary) {
      const target = summary.target;
      if (!target) return `<dd class="none">${esc(t('target_none'))}</dd>`;
      return [
        ['target_year', `${target.year} · ${pct(target.completion)}`],
        ['target_signed', fmt.money(summary.signed.investment_wan)],
        ['target_goal', fmt.money(target.investment_wan)],
        ['target_projects', `${count(summary.signed.projects)} / ${count(target.new_projects)}`],
      ]
        .map(([key, value]) => `<dt>${esc(t(key))}</dt><dd>${esc(value)}</dd>`)
        .join('');
    },

    // 环比 and 同比 of the last whole month (this month is still under way).
    changes(series) {
      const whole = [...series].reverse().find((m) => !m.partial);
      if (!whole) return '';
      const tone = (v) => (v === null ? '' : v >= 0 ? 'up' : 'down');
      return `<span>${esc(fmt.month(whole.month))}</span><span class="${tone(whole.mom)}">${esc(t('mom'))} ${esc(signed(whole.mom))}</span><span class="${tone(whole.yoy)}">${esc(t('yoy'))} ${esc(signed(whole.yoy))}</span>`;
    },

    legend(entries) {
      return entries.map((e) => `<span data-legend="${esc(e.key)}"><i class="${esc(e.kind || 'dot')}" data-colour="${esc(e.colour || '')}"></i>${esc(e.label)}</span>`).join('');
    },

    paintLegend(root) {
      for (const i of root.querySelectorAll('i[data-colour]')) if (i.dataset.colour) i.style.backgroundColor = i.dataset.colour;
    },
  };
}
