// 我的事件: the events of my area as last fetched, each with the steps I may take on the phone
// (accept, start handling, report back with photos, verify on site), and reporting a new one.
// A step is queued with the event version it was taken on, so an officer's change meanwhile comes
// back as a conflict for the worker to resolve, not as a silent overwrite.
import { ErrorNote, FormField, fill, html, useState } from '../staff/kit.js';

import { distanceM } from './geo.js';
import { lastPosition } from './position.js';
import { enqueue } from './store.js';
import { PhotoPicker, Section, placeOf } from './widgets.js';

// The steps whose form asks for more than a click, and what it asks.
const STEP_FORMS = { feedback: ['feedback', 'photos'], verify: ['comment'], verify_failed: ['comment'] };

function StepForm({ c, event, step, onDone, session, queued }) {
  const t = c.text;
  const [text, setText] = useState('');
  const [photos, setPhotos] = useState([]);
  const asks = STEP_FORMS[step] || [];
  const send = async () => {
    const data = { event: event.id, step };
    if (asks.includes('feedback')) data.feedback = text;
    if (asks.includes('comment') && text) data.comment = text;
    if (asks.includes('photos')) data.photos = photos.map((p) => p.path);
    await enqueue({
      type: 'event.step',
      data,
      baseVersion: event.version,
      photos: photos.map((p) => p.path),
      label: `${event.code} ${c.labels.steps[step]}`,
      user: session.user.id,
    });
    onDone();
    await queued(t.stepQueued);
  };
  const field = asks.includes('feedback') ? { name: 'feedback', label: t.feedback, type: 'textarea', required: true } : { name: 'comment', label: t.note, type: 'textarea' };
  return html`<div class="m-step-form" data-step=${step}>
    ${asks.length ? html`<${FormField} field=${field} value=${text} idPrefix=${`step-${event.id}`} onValue=${setText} />` : null}
    ${asks.includes('photos') ? html`<${PhotoPicker} c=${c} photos=${photos} onPhotos=${setPhotos} name="step-photos" />` : null}
    <div class="actions">
      <button type="button" onClick=${onDone}>${t.cancel}</button>
      <button type="button" class="primary" onClick=${send}>${c.labels.steps[step]}</button>
    </div>
  </div>`;
}

function EventItem({ c, event, pending, session, queued }) {
  const [step, setStep] = useState(null);
  const here = lastPosition();
  const far = here && event.lon != null ? Math.round(distanceM([here.lon, here.lat], [event.lon, event.lat])) : null;
  const steps = (event.steps || []).filter((s) => s in c.labels.steps);
  return html`<li class="m-event" data-event=${event.id} data-version=${event.version}>
    <div>
      <strong>${event.title}</strong>
      <small>${event.code} · ${c.labels.states[event.state] || event.state}${far != null ? ` · ${fill(c.text.distance, { m: far })}` : ''}</small>
      ${pending ? html`<small class="m-pending">${c.labels.opStates.pending}</small>` : null}
    </div>
    ${step
      ? html`<${StepForm} c=${c} event=${event} step=${step} session=${session} queued=${queued} onDone=${() => setStep(null)} />`
      : html`<div class="actions">${steps.map((s) => html`<button type="button" data-step=${s} onClick=${() => setStep(s)}>${c.labels.steps[s]}</button>`)}</div>`}
  </li>`;
}

function ReportForm({ c, categories, session, queued, onDone }) {
  const t = c.text;
  const [draft, setDraft] = useState({ category: '', title: '', description: '', urgent: false });
  const [photos, setPhotos] = useState([]);
  const [error, setError] = useState(null);
  const fields = [
    { name: 'category', label: t.category, type: 'select', required: true, options: [{ value: '', label: '—' }, ...categories.map((k) => ({ value: k.key, label: k.label }))] },
    { name: 'title', label: t.eventTitle, type: 'text', required: true },
    { name: 'description', label: t.description, type: 'textarea' },
    { name: 'urgent', label: t.urgent, type: 'checkbox' },
  ];
  const send = async () => {
    const place = placeOf(photos);
    if (!draft.category || !draft.title) return setError({ message: t.needCategory });
    if (!place) return setError({ message: t.needPosition });
    await enqueue({
      type: 'event.report',
      data: { ...draft, lon: place.lon, lat: place.lat, photos: photos.map((p) => p.path) },
      photos: photos.map((p) => p.path),
      label: draft.title,
      user: session.user.id,
    });
    onDone();
    await queued(t.saved);
    return null;
  };
  return html`<div class="m-report">
    ${fields.map((f) => html`<${FormField} field=${f} value=${draft[f.name]} idPrefix="report" onValue=${(v) => setDraft({ ...draft, [f.name]: v })} />`)}
    <${PhotoPicker} c=${c} photos=${photos} onPhotos=${setPhotos} name="report-photos" />
    <${ErrorNote} error=${error} />
    <div class="actions">
      <button type="button" onClick=${onDone}>${t.cancel}</button>
      <button type="button" class="primary" onClick=${send}>${t.reportEvent}</button>
    </div>
  </div>`;
}

export function EventsView({ c, session, kept, ops, queued }) {
  const t = c.text;
  const [reporting, setReporting] = useState(false);
  const events = kept.events || [];
  const categories = (kept.area && kept.area.categories && kept.area.categories.event) || [];
  const pendingOn = new Set(ops.filter((op) => op.type === 'event.step' && (op.state === 'pending' || op.state === 'waiting')).map((op) => op.data.event));
  return html`<div class="m-events">
    <${Section} title=${t.reportEvent}>
      ${reporting
        ? html`<${ReportForm} c=${c} categories=${categories} session=${session} queued=${queued} onDone=${() => setReporting(false)} />`
        : html`<button type="button" class="primary m-wide" onClick=${() => setReporting(true)}>${t.reportEvent}</button>`}
    <//>
    <${Section} title=${t.eventsTitle}>
      ${events.length
        ? html`<ul class="m-list">${events.map((e) => html`<${EventItem} key=${e.id} c=${c} event=${e} pending=${pendingOn.has(e.id)} session=${session} queued=${queued} />`)}</ul>`
        : html`<p class="empty">${t.noEvents}</p>`}
    <//>
  </div>`;
}
