// What the desk's pages (the desk, the event page) show alike: an event's link, its badges, its
// photos, and the colour it takes on the map. Labels come from the page's config (web/desk.py).
import { fill, html, withLang } from '../staff/kit.js';

export { when } from '../workspace/common.js';

/** The event page's address, in this page's language. */
export function eventHref(c, id) {
  return withLang(c.eventUrl.replace('{id}', String(id)), c.lang);
}

/** An API address with an event's id in it (``/api/events/{id}/``). */
export function eventApi(c, id) {
  return c.eventApi.replace('{id}', String(id));
}

const DONE = ['closed', 'rejected', 'merged'];

/** The colour an event takes (the map's points, the cards' edge): its deadline first, then
 * whether it is still open. Colours only; their meaning is the badges' words. */
export function tone(event) {
  if (DONE.includes(event.state)) return 'done';
  return event.card || 'open';
}

export const TONE_COLOURS = { overdue: '#c62828', due_soon: '#d48806', open: '#1565c0', done: '#2f9e44' };

/** Whether the event is still being handled (its deadline and the level holding it count). */
export function isOpen(c, event) {
  return c.openStates.split(',').includes(event.state);
}

/** An event's badges: its state, its deadline card while open, the urgent channel, how often it
 * climbed. */
export function EventFlags({ event: e, c, state = true }) {
  return html`<span class="event-flags">
    ${state ? html`<span class=${`flag state state-${e.state}`} data-state=${e.state}>${c.labels.states[e.state] || e.state}</span>` : null}
    ${e.card && isOpen(c, e) ? html`<span class=${`flag flag-${e.card}`}>${c.labels.cards[e.card]}</span>` : null}
    ${e.urgent ? html`<span class="flag flag-urgent">${c.text.urgent}</span>` : null}
    ${e.escalation ? html`<span class="flag flag-escalated">${fill(c.text.escalated, { n: e.escalation })}</span>` : null}
  </span>`;
}

/** A photo's address: a storage name under MEDIA_URL, or an address already. */
export function photoUrl(c, name) {
  return /^(\/|https?:)/.test(name) ? name : `${c.mediaUrl}${name}`;
}

export function Photos({ c, photos, empty }) {
  if (!photos || !photos.length) return html`<p class="muted">${empty}</p>`;
  return html`<ul class="photo-strip">${photos.map(
    (name) => html`<li key=${name}><a href=${photoUrl(c, name)} target="_blank" rel="noopener"><img src=${photoUrl(c, name)} alt="" loading="lazy" /></a></li>`,
  )}</ul>`;
}

/** Quick views as chips, the current one marked (the same look as the project list's). */
export function Presets({ presets, filter, onPick }) {
  const same = (a, b) => {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => (a[k] || '') === (b[k] || ''));
  };
  return html`<div class="views-bar">${presets.map(
    (v) => html`<span class=${`chip${same(v.query, filter) ? ' current' : ''}`} data-view=${v.name}>
      <button type="button" class="chip-pick" onClick=${() => onPick(v.query)}>${v.name}</button>
    </span>`,
  )}</div>`;
}
