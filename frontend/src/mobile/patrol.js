// 巡查: start a task's patrol, walk it (the track recorded on the phone, with its gaps), fill the
// task's checklist, note the problems found (each becomes an event), finish. Start and finish are
// two operations: the start's id is the run's uuid, which the finish names, so either can be
// sent again without opening a second run.
import { BusyButton, ErrorNote, FormField, fill, html, useEffect, useState } from '../staff/kit.js';

import { trackOf } from './geo.js';
import { lastPosition, makeRecorder } from './position.js';
import { deleteMeta, dropFixes, enqueue, fixesOf, getMeta, newId, setMeta } from './store.js';
import { PhotoPicker, Section, timeOf } from './widgets.js';

let recorder = null;
let onFix = () => {};

function theRecorder(c) {
  // One recorder for the app: switching tabs does not stop a patrol.
  if (!recorder) recorder = makeRecorder({ gapSeconds: c.settings.gapSeconds, onFix: (...args) => onFix(...args) });
  return recorder;
}

function itemField(item, c) {
  const t = c.text;
  const base = { name: item.key, label: item.label, required: item.required };
  if (item.type === 'yes_no') return { ...base, type: 'select', options: [{ value: '', label: '—' }, { value: 'true', label: t.yes }, { value: 'false', label: t.no }] };
  if (item.type === 'choice') return { ...base, type: 'select', options: [{ value: '', label: '—' }, ...item.choices.map((v) => ({ value: v, label: v }))] };
  if (item.type === 'number') return { ...base, type: 'number' };
  return { ...base, type: 'text' };
}

/** The checklist's answers as the server reads them (checklist.py): booleans, numbers, paths. */
function results(items, answers) {
  const out = {};
  for (const item of items) {
    const v = answers[item.key];
    if (v === undefined || v === '' || (Array.isArray(v) && !v.length)) continue;
    if (item.type === 'yes_no') out[item.key] = v === 'true';
    else if (item.type === 'number') out[item.key] = Number(v);
    else if (item.type === 'photo') out[item.key] = v.map((p) => p.path);
    else out[item.key] = v;
  }
  return out;
}

function ProblemForm({ c, categories, onAdd }) {
  const t = c.text;
  const [draft, setDraft] = useState({ title: '', category: '', description: '' });
  const [photos, setPhotos] = useState([]);
  const [error, setError] = useState(null);
  const fields = [
    { name: 'title', label: t.problemTitle, type: 'text', required: true },
    { name: 'category', label: t.category, type: 'select', required: true, options: [{ value: '', label: '—' }, ...categories.map((k) => ({ value: k.key, label: k.label }))] },
    { name: 'description', label: t.description, type: 'textarea' },
  ];
  const add = () => {
    const place = photos.find((p) => p.position)?.position || lastPosition();
    if (!draft.title || !draft.category) return setError({ message: t.needCategory });
    if (!place) return setError({ message: t.needPosition });
    onAdd({ uuid: newId(), ...draft, lon: place.lon, lat: place.lat, photos });
    setDraft({ title: '', category: draft.category, description: '' });
    setPhotos([]);
    setError(null);
    return null;
  };
  return html`<div class="m-problem-form">
    ${fields.map((f) => html`<${FormField} field=${f} value=${draft[f.name]} idPrefix="problem" onValue=${(v) => setDraft({ ...draft, [f.name]: v })} />`)}
    <${PhotoPicker} c=${c} photos=${photos} onPhotos=${setPhotos} name="problem-photos" />
    <${ErrorNote} error=${error} />
    <button type="button" onClick=${add}>${t.addProblem}</button>
  </div>`;
}

function Recording({ c, patrol, template, categories, onChange, onFinish }) {
  const t = c.text;
  const [stats, setStats] = useState({ lengthM: 0, points: 0, gaps: 0 });
  const [error, setError] = useState(null);
  useEffect(() => {
    const update = async () => setStats(trackOf(await fixesOf(patrol.run)));
    onFix = update;
    update();
    return () => (onFix = () => {});
  }, [patrol.run]);
  const items = template ? template.items : [];
  const answers = patrol.answers || {};
  const finish = async () => {
    setError(null);
    const track = trackOf(await fixesOf(patrol.run));
    if (track.points < 2) return setError({ message: t.finishNeedsTrack });
    await onFinish(track);
    return null;
  };
  return html`<div class="m-recording" data-run=${patrol.run}>
    <${Section} title=${fill(t.patrolling, { task: patrol.task.title })}>
      <p class="m-stats" data-points=${stats.points} data-gaps=${stats.gaps}>
        ${fill(t.patrolStats, { km: (stats.lengthM / 1000).toFixed(2), points: stats.points, gaps: stats.gaps })}
      </p>
      <small class="help">${t.patrolGapHelp}</small>
    <//>
    <${Section} title=${t.checklist} className="m-checklist">
      ${items.map((item) =>
        item.type === 'photo'
          ? html`<div class="form-field" data-field=${item.key}><label>${item.label}</label>
              <${PhotoPicker} c=${c} photos=${answers[item.key] || []} name=${`item-${item.key}`}
                onPhotos=${(v) => onChange({ ...patrol, answers: { ...answers, [item.key]: v } })} /></div>`
          : html`<${FormField} field=${itemField(item, c)} value=${answers[item.key]} idPrefix="item"
              onValue=${(v) => onChange({ ...patrol, answers: { ...answers, [item.key]: v } })} />`,
      )}
    <//>
    <${Section} title=${t.problems}>
      <ul class="m-list">${(patrol.problems || []).map((p) => html`<li key=${p.uuid}>${p.title}</li>`)}</ul>
      <${ProblemForm} c=${c} categories=${categories} onAdd=${(p) => onChange({ ...patrol, problems: [...(patrol.problems || []), p] })} />
    <//>
    <${ErrorNote} error=${error} />
    <${BusyButton} className="primary m-wide" label=${t.finishPatrol} onClick=${finish} />
  </div>`;
}

export function PatrolView({ c, session, kept, queued }) {
  const t = c.text;
  const [patrol, setPatrol] = useState(undefined);
  const tasks = kept.tasks || [];
  const templates = kept.templates || {};
  const categories = (kept.area && kept.area.categories && kept.area.categories.event) || [];

  useEffect(() => {
    getMeta('patrol').then(async (p) => {
      setPatrol(p || null);
      const r = theRecorder(c);
      if (p && !r.running) r.start(p.run, await fixesOf(p.run));
    });
  }, []);

  const change = async (next) => {
    setPatrol(next);
    await setMeta('patrol', next);
  };

  const start = async (task) => {
    const run = newId();
    await enqueue({ id: run, type: 'patrol.start', data: { task: task.id }, label: task.title, user: session.user.id });
    const next = { run, task: { id: task.id, title: task.title, template: task.template }, startedAt: new Date().toISOString(), answers: {}, problems: [] };
    await change(next);
    theRecorder(c).start(run);
    await queued(t.saved);
  };

  const finish = async (track) => {
    const template = templates[patrol.task.template];
    const problems = (patrol.problems || []).map((p) => ({ ...p, photos: p.photos.map((x) => x.path) }));
    const checked = results(template ? template.items : [], patrol.answers || {});
    const photos = [
      ...problems.flatMap((p) => p.photos),
      ...Object.values(patrol.answers || {}).filter(Array.isArray).flat().map((p) => p.path),
    ];
    await enqueue({
      type: 'patrol.finish',
      data: { run: patrol.run, geometry: track.geometry, timestamps: track.timestamps, results: checked, problems },
      photos,
      label: patrol.task.title,
      user: session.user.id,
    });
    theRecorder(c).stop();
    // The fixes are in the operation now; the operation stays until the server confirms it.
    await dropFixes(patrol.run);
    await deleteMeta('patrol');
    setPatrol(null);
    await queued(t.patrolSaved);
  };

  if (patrol === undefined) return null;
  if (patrol) {
    return html`<${Recording} c=${c} patrol=${patrol} template=${templates[patrol.task.template]} categories=${categories}
      onChange=${change} onFinish=${finish} />`;
  }
  return html`<${Section} title=${t.tasksTitle} className="m-tasks">
    ${tasks.length
      ? html`<ul class="m-list">${tasks.map(
          (task) => html`<li key=${task.id} data-task=${task.id}>
            <div><strong>${task.title}</strong>
              <small>${c.labels.taskStates[task.state] || task.state}${task.due_until ? ` · ${fill(t.due, { time: timeOf(task.due_until, c.lang) })}` : ''}</small></div>
            <${BusyButton} className="primary" label=${t.startPatrol} onClick=${() => start(task)} />
          </li>`,
        )}</ul>`
      : html`<p class="empty">${t.noTasks}</p>`}
  <//>`;
}
