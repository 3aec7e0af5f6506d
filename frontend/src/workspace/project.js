// 项目详情 (/staff/projects/<id>/): one project — where it stands (the stage steps, whose review it
// waits for, why it came back), the actions this user may take now and only those (the API's
// ``actions``, in a bar that stays at the bottom of a phone's screen), the checklist of what the
// next stage asks for with an upload for each document, the editable fields (``If-Match``: a 412
// says reload, and the edits stay in the form), the map of its sites and carriers, the timeline of
// transitions and reviews, and every version of its documents.
import {
  BusyButton,
  DataTable,
  Dialog,
  ErrorNote,
  FileInput,
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
  useRef,
  useState,
  useToast,
  withLang,
} from '../staff/kit.js';
import { Flags, wan, when } from './common.js';
import { ProjectMap } from './map.js';

const config = pageConfig();
const api = makeStaffApi(config);
// What a checklist upload offers the picker; the server judges the type by content all the same.
const DOCUMENTS = '.pdf,.ofd,.docx,.xlsx,.jpg,.jpeg,.png';

function Steps({ c, project }) {
  const order = Object.keys(c.labels.stages);
  const at = order.indexOf(project.stage);
  const list = useRef(null);
  useEffect(() => {
    // On a narrow screen the steps scroll: bring the current one into sight, not the page.
    const current = list.current.querySelector('.current');
    if (current) list.current.scrollLeft = current.offsetLeft - list.current.offsetLeft - 24;
  }, [project.stage]);
  return html`<ol class="stage-steps" ref=${list}>${order.map(
    (stage, i) => html`<li class=${i < at ? 'done' : i === at ? 'current' : stage === project.pending_stage ? 'pending' : ''}
      aria-current=${i === at ? 'step' : null}>${c.labels.stages[stage]}</li>`,
  )}</ol>`;
}

/** What a pending project waits for: a stage move names its stage; a transfer and a supplementary
 * signing both wait for the city without one, and the latest request in the timeline tells which. */
function waitingFor(c, p, events) {
  const values = { review: c.labels.reviews[p.pending], stage: c.labels.stages[p.pending_stage] || '' };
  if (p.pending_stage) return fill(c.text.waitingStage, values);
  const request = [...events].reverse().find((e) => e.kind === 'submit' || e.kind === 'supplement');
  const transfer = p.pending === 'receiving' || (request && request.kind === 'submit');
  return fill(transfer ? c.text.waitingTransfer : c.text.waitingSupplement, values);
}

function Summary({ c, project: p, events }) {
  const L = c.fieldLabels;
  const fact = (name, value) => (value ? html`<div><dt>${L[name]}</dt><dd>${value}</dd></div>` : null);
  return html`<section class="project-summary">
    <div class="title-row">
      <h2 id="project-name">${p.name}</h2>
      <${Flags} project=${p} c=${c} />
    </div>
    <${Steps} c=${c} project=${p} />
    <dl class="facts">
      ${fact('code', p.code)}
      ${fact('stage', c.labels.stages[p.stage])}
      ${fact('division', c.divisionNames[p.division])}
      ${fact('investment_wan', wan(p.investment_wan, c.lang))}
      ${fact('due_on', p.due_on)}
      ${fact('signing_date', p.signing_date)}
    </dl>
    ${p.pending ? html`<p class="notice notice-waiting" id="waiting">${waitingFor(c, p, events)}</p>` : null}
    ${p.returned_reason && !p.pending ? html`<p class="notice notice-returned" id="returned">${fill(c.text.returned, { reason: p.returned_reason })}</p>` : null}
    ${p.ended_at ? html`<p class="notice notice-ended">${fill(c.text.endedBecause, { reason: p.end_reason, at: when(p.ended_at) })}</p>` : null}
  </section>`;
}

function ActionBar({ c, project, onAct }) {
  const tone = { approve: 'primary', submit: 'primary', send_back: 'danger', end: 'danger' };
  return html`<div class="action-bar" role="toolbar" aria-label=${c.text.actionsTitle}>
    ${project.actions.length
      ? project.actions.map(
          (name) => html`<button type="button" class=${tone[name] || ''} data-action=${name} onClick=${() => onAct(name)}>${c.labels.actions[name]}</button>`,
        )
      : html`<span class="muted">${c.text.noActions}</span>`}
  </div>`;
}

function Checklist({ c, project, missing, uploadErrors, onUpload, onFill }) {
  const list = project.checklist;
  const mark = (done) => html`<span class=${`mark ${done ? 'mark-done' : 'mark-todo'}`} aria-label=${done ? c.text.done : c.text.todo}>${done ? '✓' : '✗'}</span>`;
  const row = (key, done, body) => html`<li key=${key} data-check=${key}
    class=${`check-item ${done ? 'done' : 'todo'}${missing.includes(key) ? ' is-missing' : ''}`}>${mark(done)}${body}</li>`;
  return html`<section class="panel checklist" id="checklist">
    <h3>${list.stage ? fill(c.text.checklistFor, { stage: c.labels.stages[list.stage] }) : c.text.checklistLast}</h3>
    ${list.stage && !list.fields.length && !list.attachments.length ? html`<p class="muted">${c.text.nothingRequired}</p>` : null}
    <ul>
      ${list.fields.map((f) =>
        row(f.name, f.done, html`<span class="check-label">${f.label}</span>
          ${!f.done && project.can_edit ? html`<button type="button" class="link" onClick=${() => onFill(f.name)}>${c.text.fillIn}</button>` : null}`),
      )}
      ${list.attachments.map((a) => {
        const key = `attachments.${a.kind}`;
        return row(key, a.done, html`<span class="check-label">${a.label}${a.done ? html` <small class="muted">v${a.version}</small>` : null}</span>
          ${project.can_edit
            ? html`<${FileInput} name=${a.kind} accept=${DOCUMENTS} label=${a.done ? c.text.uploadNewVersion : c.text.upload} onFile=${(file) => onUpload(a.kind, file)} />`
            : null}
          ${uploadErrors[a.kind] ? html`<${ErrorNote} error=${uploadErrors[a.kind]} />` : null}`);
      })}
    </ul>
  </section>`;
}

/** The project's own fields. Edits are kept apart from what was read, so after a 412 the page
 * reloads the project and the edits stay in the form, to be checked and saved again. */
function Details({ c, project, onSaved, onReload, say }) {
  const [changes, setChanges] = useState({});
  const [error, setError] = useState(null);
  const fields = c.editFields;
  if (!project.can_edit) {
    const shown = (f) => (f.type === 'checkbox' ? (project[f.name] ? c.text.yes : c.text.no) : f.type === 'number' ? wan(project[f.name], c.lang) : project[f.name]);
    return html`<section class="panel details" id="details">
      <h3>${c.text.detailsTitle}</h3>
      <dl class="facts">${fields.map((f) => html`<div key=${f.name}><dt>${f.label}</dt><dd>${shown(f) || '—'}</dd></div>`)}</dl>
    </section>`;
  }
  const value = (name) => (name in changes ? changes[name] : project[name] ?? '');
  const dirty = Object.keys(changes).length > 0;
  const save = async () => {
    const body = Object.fromEntries(
      Object.entries(changes).map(([k, v]) => [k, v === '' && fields.find((f) => f.name === k).type === 'number' ? null : v]),
    );
    try {
      const saved = await api.patch(c.detailApi, body, project.version);
      setChanges({});
      setError(null);
      onSaved(saved);
      say(c.text.saved);
    } catch (err) {
      setError(err);
    }
  };
  const reload = async () => {
    await onReload();
    setError(null);
    say(c.text.reloadedKeepEdits);
  };
  const errors = fieldErrors(error);
  return html`<section class="panel details" id="details">
    <h3>${c.text.detailsTitle}</h3>
    <form class="edit-form" onSubmit=${(e) => e.preventDefault()}>
      ${fields.map(
        (f) => html`<${FormField} key=${f.name} field=${f} idPrefix="edit" value=${value(f.name)} error=${errors[f.name]}
          onValue=${(v) => setChanges({ ...changes, [f.name]: v })} />`,
      )}
      <${ErrorNote} error=${formLevelError(error, fields.map((f) => f.name))}
        action=${error && error.status === 412 ? { label: c.text.reloadLatest, onClick: reload } : null} />
      <div class="actions">
        <${BusyButton} className="primary" label=${c.text.save} busyLabel=${c.text.sending} disabled=${!dirty} onClick=${save} data-save="details" />
        ${dirty ? html`<button type="button" onClick=${() => (setChanges({}), setError(null))}>${c.text.discard}</button>` : null}
      </div>
    </form>
  </section>`;
}

function Timeline({ c, events }) {
  const stage = (s) => c.labels.stages[s] || s;
  return html`<section class="panel timeline-panel" id="timeline">
    <h3>${c.text.timelineTitle}</h3>
    ${events.length
      ? html`<ol class="timeline">${[...events].reverse().map(
          (e, i) => html`<li key=${events.length - i} class=${`event event-${e.kind}`} data-kind=${e.kind}>
            <div class="event-head">
              <strong>${c.labels.events[e.kind] || e.kind}${e.review ? html` · <span>${c.labels.reviews[e.review]}</span>` : null}</strong>
              <time datetime=${e.at}>${when(e.at)}</time>
            </div>
            <div class="event-meta">${e.user}${e.from_stage !== e.to_stage ? html` · ${stage(e.from_stage)} → ${stage(e.to_stage)}` : html` · ${stage(e.to_stage)}`}</div>
            ${e.comment ? html`<p class="event-comment">${e.comment}</p>` : null}
          </li>`,
        )}</ol>`
      : html`<p class="muted">${c.text.noEvents}</p>`}
  </section>`;
}

function Attachments({ c, project, files, onUpload, uploadErrors }) {
  const [kind, setKind] = useState('other');
  const columns = c.attachmentColumns.map((col) => {
    if (col.name === 'kind') return { ...col, render: (a) => c.labels.attachments[a.kind] || a.kind };
    if (col.name === 'filename') return { ...col, render: (a) => html`<a href=${a.url} target="_blank" rel="noopener">${a.filename}</a>` };
    if (col.name === 'size') return { ...col, render: (a) => a.size.toLocaleString(c.lang === 'en' ? 'en-GB' : 'zh-CN') };
    if (col.name === 'uploaded_at') return { ...col, render: (a) => when(a.uploaded_at) };
    return col;
  });
  return html`<section class="panel attachments" id="attachments">
    <h3>${c.text.attachmentsTitle}</h3>
    <${DataTable} columns=${columns} rows=${files} empty=${c.text.noAttachments} rowKey="id" />
    ${project.can_edit
      ? html`<div class="upload-other">
          <label class="inline">${c.text.attachmentKind}
            <select id="other-kind" value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
              ${Object.entries(c.labels.attachments).map(([value, label]) => html`<option value=${value}>${label}</option>`)}
            </select>
          </label>
          <${FileInput} name="other" accept=${DOCUMENTS} label=${c.text.upload} onFile=${(file) => onUpload(kind, file)} />
          ${uploadErrors[kind] ? html`<${ErrorNote} error=${uploadErrors[kind]} />` : null}
        </div>`
      : null}
  </section>`;
}

/** The fields an action asks for, by the project's state: the city's signing re-check may set the
 * signing date; a transfer goes to another county. */
function actionFields(c, project, name) {
  const fields = [...(c.actionFields[name] || [])].map((f) =>
    f.name === 'to' ? { ...f, options: c.counties.filter((o) => o.value !== String(project.division)) } : f,
  );
  if (name === 'approve' && project.pending === 'city' && project.pending_stage === 'signed') fields.unshift(c.signingDateField);
  return fields;
}

/** Today's date where the reviewer is (an ISO string of the UTC date is yesterday before 08:00 in China). */
function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function startValues(project, fields) {
  const values = Object.fromEntries(fields.map((f) => [f.name, '']));
  if ('signing_date' in values) values.signing_date = project.signing_date || today();
  if ('to' in values) values.to = (fields.find((f) => f.name === 'to').options[0] || { value: '' }).value;
  return values;
}

function ActionDialog({ c, project, name, onClose, onDone, onRefused, onUpload, uploadErrors }) {
  const fields = name ? actionFields(c, project, name) : [];
  const [values, setValues] = useState({});
  const [error, setError] = useState(null);
  useEffect(() => {
    setValues(startValues(project, fields));
    setError(null);
  }, [name]);
  if (!name) return html`<${Dialog} open=${false} onClose=${onClose} />`;
  const target = project.checklist.stage;
  const intro = fill(c.text.intro[name] || '', {
    stage: c.labels.stages[target] || '',
    review: c.labels.reviews[project.pending] || '',
  });
  const gaps = name === 'submit' ? [...project.checklist.fields, ...project.checklist.attachments].filter((i) => !i.done) : [];
  const send = async () => {
    setError(null);
    const body = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
    try {
      await api.post(c.actionApi.replace('{name}', name), body);
      onDone(name);
    } catch (err) {
      setError(err);
      onRefused(err);
    }
  };
  const errors = fieldErrors(error);
  const danger = name === 'end' || name === 'send_back';
  return html`<${Dialog} open=${true} onClose=${onClose} title=${c.labels.actions[name]} className=${`action-dialog action-${name}`}
    footer=${html`<button type="button" onClick=${onClose}>${c.text.cancel}</button>
      <${BusyButton} className=${danger ? 'danger solid' : 'primary'} label=${c.text.confirm[name] || c.labels.actions[name]}
        busyLabel=${c.text.sending} onClick=${send} data-confirm=${name} autofocus=${!fields.some((f) => f.required)} />`}>
    ${intro ? html`<p class="dialog-intro">${intro}</p>` : null}
    ${gaps.length ? html`<p class="notice notice-returned">${fill(c.text.stillMissing, { items: gaps.map((g) => g.label).join('、') })}</p>` : null}
    ${fields.map(
      (f) => html`<${FormField} key=${f.name} field=${f} idPrefix=${`act-${name}`} value=${values[f.name]} error=${errors[f.name]}
        onValue=${(v) => setValues({ ...values, [f.name]: v })} />`,
    )}
    ${name === 'supplement'
      ? html`<${FileInput} name="supplementary_contract" accept=${DOCUMENTS} label=${c.labels.attachments.supplementary_contract}
          onFile=${(file) => onUpload('supplementary_contract', file)} />
        <${ErrorNote} error=${uploadErrors.supplementary_contract} />`
      : null}
    <${ErrorNote} error=${formLevelError(error, fields.map((f) => f.name))} />
  </${Dialog}>`;
}

function ProjectPage({ config: c }) {
  const [project, setProject] = useState(null);
  const [events, setEvents] = useState([]);
  const [files, setFiles] = useState([]);
  const [loadError, setLoadError] = useState(null);
  const [missing, setMissing] = useState([]);
  const [uploadErrors, setUploadErrors] = useState({});
  const [acting, setActing] = useState(null);
  const [toast, say] = useToast();

  const loadProject = () => api.get(c.detailApi).then((p) => setProject({ ...p, can_edit: c.canEdit }));
  // One snapshot: the project, its timeline and its documents change together on the page.
  const reload = () =>
    Promise.all([api.get(c.detailApi), api.get(c.eventsApi), api.get(c.attachmentsApi)])
      .then(([p, timeline, documents]) => {
        setProject({ ...p, can_edit: c.canEdit });
        setEvents(timeline);
        setFiles(documents);
        setLoadError(null);
      })
      .catch(setLoadError);
  useEffect(() => {
    reload();
  }, []);
  useEffect(() => {
    if (project) document.title = `${project.name} · ${c.title}`;
  }, [project && project.name]);

  const upload = async (kind, file) => {
    setUploadErrors((now) => ({ ...now, [kind]: null }));
    try {
      const { data, status } = await api.upload(c.attachmentsApi, { kind, file });
      const label = c.labels.attachments[kind];
      say(fill(status === 201 ? c.text.uploaded : c.text.sameFile, { kind: label, version: data.version }));
      setMissing((now) => now.filter((m) => m !== `attachments.${kind}`));
      await reload();
    } catch (err) {
      setUploadErrors((now) => ({ ...now, [kind]: err }));
    }
  };
  const done = async (name) => {
    setActing(null);
    setMissing([]);
    say(fill(c.text.actionDone, { action: c.labels.actions[name] }));
    await reload();
  };
  const refused = (err) => {
    // 400: the checklist shows what is missing; 409: the bar shows what is allowed now.
    if (err.status === 400) setMissing(Object.keys(err.fields || {}));
    if (err.status === 409 || err.status === 403) loadProject().catch(setLoadError);
  };
  const focusField = (name) => {
    const el = document.getElementById(`edit-${name}`);
    if (el) {
      el.scrollIntoView({ block: 'center' });
      el.focus();
    }
  };

  return html`<div class="project-page-wrap">
    <${StaffHeader} config=${c} />
    <main class="staff-main project-page">
      <p class="crumbs"><a href=${withLang(c.listUrl, c.lang)}>${c.text.backToList}</a></p>
      <${ErrorNote} error=${loadError} action=${{ label: c.text.retry, onClick: reload }} />
      ${project
        ? html`
          <${Summary} c=${c} project=${project} events=${events} />
          <${ActionBar} c=${c} project=${project} onAct=${setActing} />
          <div class="project-grid">
            <div class="col col-main">
              <${Checklist} c=${c} project=${project} missing=${missing} uploadErrors=${uploadErrors} onUpload=${upload} onFill=${focusField} />
              <${Details} c=${c} project=${project} onSaved=${(p) => setProject({ ...p, can_edit: c.canEdit })} onReload=${loadProject} say=${say} />
              <${Attachments} c=${c} project=${project} files=${files} onUpload=${upload} uploadErrors=${uploadErrors} />
            </div>
            <div class="col col-side">
              <section class="panel map-panel" id="map">
                <h3>${c.text.mapTitle}</h3>
                <${ProjectMap} c=${c} api=${api} url=${c.mapApi} version=${project.version} />
              </section>
              <${Timeline} c=${c} events=${events} />
            </div>
          </div>
          <${ActionDialog} c=${c} project=${project} name=${acting} onClose=${() => setActing(null)} onDone=${done} onRefused=${refused} onUpload=${upload} uploadErrors=${uploadErrors} />`
        : null}
      ${toast}
    </main>
  </div>`;
}

mount(ProjectPage, config);
