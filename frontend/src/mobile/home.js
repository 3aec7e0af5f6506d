// 首页: my cell on the map with my position, whether I stand inside it, what is around me within
// R metres (001 L157–L158), computed on the phone over the features kept for the cell so it
// answers with no network; then my tasks, my events and my messages.
import { fill, html, useEffect, useState } from '../staff/kit.js';

import { around, cellAt } from './geo.js';
import { CellMap } from './map.js';
import { onPosition } from './position.js';
import { Section, timeOf } from './widgets.js';

const DEFAULT_RADIUS_M = 200;
const SHOWN = 5;

function nameOf(feature) {
  const p = feature.properties || {};
  return p.name || p.label || p.category || `#${feature.id}`;
}

export function HomeView({ c, kept, ops, tiles, getToken, go }) {
  const t = c.text;
  const [position, setPosition] = useState(null);
  const [radius, setRadius] = useState(DEFAULT_RADIUS_M);
  useEffect(() => onPosition(setPosition), []);
  const area = kept.area;
  const here = position ? [position.lon, position.lat] : null;
  const cell = area && here ? cellAt(area.cells.features, here) : null;
  const features = area ? [...(area.features.field_points?.features || []), ...(area.features.places?.features || [])] : [];
  const near = here ? around(features, here, Number(radius) || 0) : [];
  const queuedPoints = ops
    .filter((op) => op.type === 'field_point.create' && (op.state === 'pending' || op.state === 'waiting'))
    .map((op) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [op.data.lon, op.data.lat] } }));
  const tasks = kept.tasks || [];
  const events = kept.events || [];
  const inbox = kept.inbox || [];
  return html`<div class="m-home">
    <${Section} title=${area && area.cells.features.length ? area.cells.features.map((f) => f.properties.name).join('、') : t.myCell}>
      ${area ? html`<${CellMap} c=${c} area=${area} position=${position} queued=${queuedPoints} getToken=${getToken} />` : html`<p class="empty">${t.noCell}</p>`}
      <p class="m-where" data-inside=${cell ? 'true' : here ? 'false' : ''}>
        ${position
          ? html`${t.position}: ${position.lon.toFixed(5)}, ${position.lat.toFixed(5)} (${fill(t.accuracy, { m: position.acc })}) ·
              <strong>${cell ? t.insideCell : t.outsideCell}</strong>`
          : t.noPosition}
      </p>
      ${tiles && tiles.total ? html`<small class="help" data-tiles=${tiles.done} data-tiles-total=${tiles.total}>${tiles.done < tiles.total ? fill(t.tilesSaving, tiles) : fill(t.tilesSaved, { n: tiles.done })}</small>` : null}
    <//>
    <${Section} title=${t.around} className="m-around">
      <label class="m-inline">${t.radius} <input type="number" inputmode="numeric" min="10" max="5000" step="10" value=${radius}
        onInput=${(e) => setRadius(e.currentTarget.value)} /></label>
      ${here
        ? near.length
          ? html`<ul class="m-list">${near.slice(0, 20).map((hit) => html`<li key=${hit.feature.id} data-feature=${hit.feature.id}>${nameOf(hit.feature)}
              <small>${fill(t.metres, { m: Math.round(hit.distance) })}</small></li>`)}</ul>`
          : html`<p class="empty">${fill(t.aroundNone, { m: radius })}</p>`
        : html`<p class="empty">${t.noPosition}</p>`}
    <//>
    <${Section} title=${t.tasksTitle}>
      ${tasks.length
        ? html`<ul class="m-list">${tasks.slice(0, SHOWN).map((task) => html`<li key=${task.id}><a href="#patrol" onClick=${() => go('patrol')}>${task.title}</a>
            <small>${c.labels.taskStates[task.state]}</small></li>`)}</ul>`
        : html`<p class="empty">${t.noTasks}</p>`}
    <//>
    <${Section} title=${t.eventsTitle}>
      ${events.length
        ? html`<ul class="m-list">${events.slice(0, SHOWN).map((e) => html`<li key=${e.id}><a href="#events" onClick=${() => go('events')}>${e.title}</a>
            <small>${c.labels.states[e.state]}</small></li>`)}</ul>`
        : html`<p class="empty">${t.noEvents}</p>`}
    <//>
    <${Section} title=${t.inboxTitle}>
      ${inbox.length
        ? html`<ul class="m-list">${inbox.slice(0, SHOWN).map((m) => html`<li key=${m.id}>${m.title}<small>${timeOf(m.created_at, c.lang)}</small></li>`)}</ul>`
        : html`<p class="empty">${t.noMessages}</p>`}
    <//>
  </div>`;
}
