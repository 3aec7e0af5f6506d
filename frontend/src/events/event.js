// 事件详情 (/staff/events/<id>/): one event — where it stands (its state, deadline, escalation,
// whom it is dispatched to), its photos and feedback, the steps this user may take now and only
// those (the API's ``steps``, in the bar that stays at the bottom of a phone's screen; each opens
// a dialog asking for what the step needs), its place on the map beside its suspected duplicates,
// and the timeline of every step taken. A 409 (the state moved on) reloads the event and says so;
// a 403 or a 400 stays in the dialog beside what to change.
import {
  BusyButton,
  Dialog,
  ErrorNote,
  FormField,
  StaffHeader,
  fieldErrors,
  fill,
  formLevelError,
  html,
  makeStaffApi,
  mount,
  pageConfig,
  useEffect,
  useState,
  useToast,
  withLang,
} from '../staff/kit.js';
import { EventFlags, Photos, TONE_COLOURS, eventHref, isOpen, tone, when } from './common.js';
import { GeoMap } from './map.js';

const config = pageConfig();
const api = makeStaffApi(config);
const NUMBERS = ['department', 'handler', 'score', 'into'];
const TONE = { accept: 'primary', dispatch: 'primary', redispatch: '', start: 'primary', feedback: 'primary', verify: 'primary', close: 'primary', reject: 'danger', verify_failed: 'danger', escalate: 'danger' };

/** The dispatch targets of the caller's area, loaded once and shared by the dialogs and the timeline. */
let targets = null;
function loadTargets(c) {
  if (!targets) {
    targets = Promise.all([api.get(c.departmentsApi), api.get(c.peopleApi)]).catch((err) => {
      targets = null;
      throw err;
    });
  }
  return targets;
}

function Summary({ c, event: e }) {
  const L = c.fieldLabels;
  const open = isOpen(c, e);
  const fact = (name, value) => (value ? html`<div data-fact=${name}><dt>${L[name]}</dt><dd>${value}</dd></div>` : null);
  return html`<section class="project-summary event-summary">
    <div class="title-row">
      <h2 id="event-title">${e.title}</h2>
      <${EventFlags} event=${e} c=${c} />
    </div>
    <dl class="facts">
      ${fact('code', e.code)}
      ${fact('category', e.category_name || c.labels.categories[e.category])}
      ${fact('state', c.labels.states[e.state])}
      ${fact('division_code', c.divisionName)}
      ${fact('source', c.labels.sources[e.source])}
      ${fact('reporter', e.reporter_name)}
      ${fact('department', e.department_name)}
      ${fact('handler', e.handler_name)}
      ${fact('due_on', open && e.due_on)}
      ${fact('created_at', when(e.created_at))}
      ${fact('closed_at', when(e.closed_at))}
      ${fact('score', e.score)}
    </dl>
    ${e.card === 'overdue' && open && e.due_on ? html`<p class="notice notice-overdue" id="deadline">${fill(c.text.overdueSince, { date: e.due_on })}</p>` : null}
    ${e.card === 'due_soon' && open && e.due_on ? html`<p class="notice notice-waiting" id="deadline">${fill(c.text.dueSoon, { date: e.due_on })}</p>` : null}
    ${e.escalation && open ? html`<p class="notice notice-returned" id="escalation">${fill(c.text.levelNow, { n: e.escalation, level: c.labels.levels[e.escalation] })}</p>` : null}
    ${e.merged_into ? html`<p class="notice notice-ended" id="merged"><a href=${eventHref(c, e.merged_into)}>${fill(c.text.mergedInto, { code: e.merged_into })}</a></p>` : null}
    ${e.description ? html`<p class="event-description">${e.description}</p>` : null}
  </section>`;
}

/** The steps the API gives, but a merge with no suspected duplicate to merge into. */
function ActionBar({ c, event, duplicates, onStep }) {
  const shown = event.steps.filter((step) => step !== 'merge' || (duplicates && duplicates.length));
  return html`<div class="action-bar" role="toolbar" aria-label=${c.text.actionsTitle}>
    ${shown.length
      ? shown.map(
          (step) => html`<button type="button" class=${TONE[step] || ''} data-step=${step} onClick=${() => onStep(step)}>${c.labels.steps[step] || step}</button>`,
        )
      : html`<span class="muted">${c.text.noActions}</span>`}
  </div>`;
}

function Timeline({ c, entries, names }) {
  const state = (s) => c.labels.states[s] || s;
  return html`<section class="panel timeline-panel" id="timeline">
    <h3>${c.text.timelineTitle}</h3>
    ${entries.length
      ? html`<ol class="timeline">${[...entries].reverse().map((t, i) => {
          const to = [names.departments[t.department], names.people[t.handler]].filter(Boolean).join(' · ');
          return html`<li key=${entries.length - i} class=${`event event-${t.step}`} data-step=${t.step}>
            <div class="event-head">
              <strong>${c.labels.steps[t.step] || t.step}${to ? html` → <span class="step-target">${to}</span>` : null}</strong>
              <time datetime=${t.at}>${when(t.at)}</time>
            </div>
            <div class="event-meta">${t.user}${t.from_state !== t.to_state ? html` · ${state(t.from_state)} → ${state(t.to_state)}` : html` · ${state(t.to_state)}`}</div>
            ${t.comment ? html`<p class="event-comment">${t.comment}</p>` : null}
          </li>`;
        })}</ol>`
      : html`<p class="muted">${c.text.noTimeline}</p>`}
  </section>`;
}

function Duplicates({ c, event, duplicates, onMerge }) {
  if (!duplicates) return null;
  return html`<section class="panel duplicates" id="duplicates">
    <h3>${c.text.duplicatesTitle}</h3>
    ${duplicates.length
      ? html`<ul class="duplicate-list">${duplicates.map(
          (d) => html`<li key=${d.id} data-duplicate=${d.id}>
            <a href=${eventHref(c, d.id)}>${d.code}</a>
            <span class="duplicate-title">${d.title}</span>
            <${EventFlags} event=${d} c=${c} />
            <small class="muted">${when(d.created_at)}</small>
            ${event.steps.includes('merge') ? html`<button type="button" class="small" data-merge=${d.id} onClick=${() => onMerge(d.id)}>${c.text.mergeInto}</button>` : null}
          </li>`,
        )}</ul>`
      : html`<p class="muted">${c.text.noDuplicates}</p>`}
  </section>`;
}

/** The fields a step asks for, with the dispatch targets and the duplicates as their choices. */
function stepFields(c, step, choices) {
  const unset = { value: '', label: c.text.unset };
  return (c.stepFields[step] || []).map((f) => {
    if (f.name === 'department') return { ...f, options: [unset, ...choices.departments] };
    if (f.name === 'handler') return { ...f, options: [unset, ...choices.people] };
    if (f.name === 'into') return { ...f, options: choices.duplicates };
    return f;
  });
}

function StepDialog({ c, step, preset, choices, choicesError, onClose, onDone, onMoved }) {
  const fields = step ? stepFields(c, step, choices) : [];
  const [values, setValues] = useState({});
  const [error, setError] = useState(null);
  useEffect(() => {
    const start = Object.fromEntries(fields.map((f) => [f.name, f.type === 'select' && f.required && f.options.length ? f.options[0].value : '']));
    setValues({ ...start, ...(preset || {}) });
    setError(null);
  }, [step]);
  if (!step) return html`<${Dialog} open=${false} onClose=${onClose} />`;
  const send = async () => {
    setError(null);
    const body = {};
    for (const [k, v] of Object.entries(values)) {
      if (v !== '' && v != null) body[k] = NUMBERS.includes(k) ? Number(v) : v;
    }
    if ((step === 'dispatch' || step === 'redispatch') && !body.department && !body.handler) {
      setError({ message: c.text.noTarget, fields: { department: [c.text.noTarget] } });
      return;
    }
    try {
      await api.post(c.actionApi.replace('{step}', step), body);
      onDone(step);
    } catch (err) {
      if (err.status === 409) {
        onMoved({ message: `${err.message} ${c.text.refused409}` });
        return;
      }
      setError(err.status === 403 ? { message: `${err.message} ${c.text.refused403}` } : err);
    }
  };
  const errors = fieldErrors(error);
  const danger = ['reject', 'verify_failed', 'escalate'].includes(step);
  return html`<${Dialog} open=${true} onClose=${onClose} title=${c.labels.steps[step]} className=${`action-dialog step-${step}`}
    footer=${html`<button type="button" onClick=${onClose}>${c.text.cancel}</button>
      <${BusyButton} className=${danger ? 'danger solid' : 'primary'} label=${c.text.confirm[step] || c.labels.steps[step]}
        busyLabel=${c.text.sending} onClick=${send} data-confirm=${step} />`}>
    ${c.text.intro[step] ? html`<p class="dialog-intro">${c.text.intro[step]}</p>` : null}
    ${choicesError && fields.some((f) => f.name === 'department') ? html`<${ErrorNote} error=${{ message: fill(c.text.notLoaded, { message: choicesError.message }) }} />` : null}
    ${fields.map(
      (f) => html`<${FormField} key=${f.name} field=${f} idPrefix=${`step-${step}`} value=${values[f.name]} error=${errors[f.name]}
        onValue=${(v) => setValues({ ...values, [f.name]: v })} />`,
    )}
    <${ErrorNote} error=${formLevelError(error, fields.map((f) => f.name))} />
  </${Dialog}>`;
}

function EventPage({ config: c }) {
  const [event, setEvent] = useState(null);
  const [timeline, setTimeline] = useState([]);
  const [duplicates, setDuplicates] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [moved, setMoved] = useState(null);
  const [step, setStep] = useState(null);
  const [preset, setPreset] = useState(null);
  const [targetsNow, setTargets] = useState({ departments: [], people: [] });
  const [targetsError, setTargetsError] = useState(null);
  const [points, setPoints] = useState(null);
  const [toast, say] = useToast();
  const detail = c.eventApi.replace('{id}', String(c.eventId));

  // One snapshot: the event and its timeline change together on the page.
  const reload = () =>
    Promise.all([api.get(detail), api.get(c.timelineApi)])
      .then(([e, entries]) => {
        setEvent(e);
        setTimeline(entries);
        setLoadError(null);
      })
      .catch(setLoadError);
  useEffect(() => {
    reload();
    api.get(c.duplicatesApi).then(setDuplicates).catch(() => setDuplicates([]));
    if (c.departmentsApi) {
      loadTargets(c)
        .then(([departments, people]) => setTargets({ departments, people }))
        .catch(setTargetsError);
    }
  }, []);
  // The event's point (coloured by its standing) among its suspected duplicates (grey).
  useEffect(() => {
    if (!event) return;
    const point = (e, colour) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [e.lon, e.lat] }, properties: { id: e.id, colour } });
    setPoints({ type: 'FeatureCollection', features: [...(duplicates || []).map((d) => point(d, '#829ab1')), point(event, TONE_COLOURS[tone(event)])] });
  }, [event && event.version, event && event.card, duplicates]);
  useEffect(() => {
    if (event) document.title = `${event.code} ${event.title} · ${c.title}`;
  }, [event && event.id]);

  const place = (code) => (c.divisionNames[code] ? `${c.divisionNames[code]} · ` : '');
  const choices = {
    departments: targetsNow.departments.map((d) => ({ value: String(d.id), label: `${place(d.division_code)}${d.name}` })),
    people: targetsNow.people.map((p) => ({ value: String(p.id), label: [p.name, c.labels.roles[p.role], p.place].filter(Boolean).join(' · ') })),
    duplicates: (duplicates || []).map((d) => ({ value: String(d.id), label: `${d.code} ${d.title}` })),
  };
  const names = {
    departments: Object.fromEntries(targetsNow.departments.map((d) => [d.id, d.name])),
    people: Object.fromEntries(targetsNow.people.map((p) => [p.id, p.name])),
  };
  if (event && event.department && !names.departments[event.department]) names.departments[event.department] = event.department_name;
  if (event && event.handler && !names.people[event.handler]) names.people[event.handler] = event.handler_name;

  const open = (name, values = null) => {
    setMoved(null);
    setPreset(values);
    setStep(name);
  };
  const done = async (name) => {
    setStep(null);
    say(fill(c.text.stepDone, { step: c.labels.steps[name] }));
    await reload();
  };
  const refused = async (error) => {
    setStep(null);
    setMoved(error);
    await reload();
  };
  const pick = (f) => f.properties.id !== event.id && window.location.assign(eventHref(c, f.properties.id));

  return html`<div class="event-page-wrap">
    <${StaffHeader} config=${c} />
    <main class="staff-main project-page event-page">
      <p class="crumbs"><a href=${withLang(c.deskUrl, c.lang)}>${c.text.backToDesk}</a></p>
      <${ErrorNote} error=${loadError} action=${{ label: c.text.retry, onClick: reload }} />
      ${event
        ? html`
          <${Summary} c=${c} event=${event} />
          <${ErrorNote} error=${moved} />
          <${ActionBar} c=${c} event=${event} duplicates=${duplicates} onStep=${open} />
          <div class="project-grid">
            <div class="col col-main">
              <section class="panel photos" id="photos">
                <h3>${c.text.photosTitle}</h3>
                <${Photos} c=${c} photos=${event.photos} empty=${c.text.noPhotos} />
              </section>
              ${event.feedback || (event.feedback_photos && event.feedback_photos.length)
                ? html`<section class="panel feedback" id="feedback">
                    <h3>${c.text.feedbackTitle}</h3>
                    <p class="event-comment">${event.feedback}</p>
                    <${Photos} c=${c} photos=${event.feedback_photos} empty="" />
                  </section>`
                : null}
              <${Timeline} c=${c} entries=${timeline} names=${names} />
            </div>
            <div class="col col-side">
              <section class="panel map-panel" id="map">
                <h3>${c.text.mapTitle}</h3>
                <${GeoMap} c=${c} api=${api} data=${points} onPick=${pick} label=${c.text.mapTitle} empty=${c.text.noPlace} />
              </section>
              <${Duplicates} c=${c} event=${event} duplicates=${duplicates} onMerge=${(id) => open('merge', { into: String(id) })} />
            </div>
          </div>
          <${StepDialog} c=${c} step=${step} preset=${preset} choices=${choices} choicesError=${targetsError}
            onClose=${() => setStep(null)} onDone=${done} onMoved=${refused} />`
        : null}
      ${toast}
    </main>
  </div>`;
}

mount(EventPage, config);
