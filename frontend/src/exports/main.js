// 数据导出 (/exports/): ask for an export of a layer (with the API's division and attribute filters)
// or a report, in GeoJSON, GeoPackage, KML, Shapefile (UTF-8 or GBK), CSV or Excel; follow your
// jobs (polled every 2 s while one is queued or running, not at all otherwise), download a finished
// one through a fresh signed link, cancel one, read its manifest. The layers come from the
// catalogue and the formats and reports from /api/exports/jobs/sources/, so the page offers what the
// API accepts from this user; every word comes from the server (web/exports.py).
import {
  BusyButton,
  ConfirmButton,
  PHONE,
  DataTable,
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
} from '../staff/kit.js';
import { when } from '../workspace/common.js';

const config = pageConfig();
const api = makeStaffApi(config);
const ACTIVE = ['queued', 'running'];
// Attribute filters the form offers: coded values, yes/no, text and numbers (the API also takes
// __in, __gte … and related records by id; those stay for the API and QGIS).
const FILTER_TYPES = {
  CharField: 'text',
  TextField: 'text',
  BooleanField: 'select',
  FloatField: 'number',
  DecimalField: 'number',
  IntegerField: 'number',
  PositiveIntegerField: 'number',
  PositiveSmallIntegerField: 'number',
  SmallIntegerField: 'number',
};

const jobUrl = (c, id) => c.jobApi.replace('{id}', String(id));
const cancelUrl = (c, id) => c.cancelApi.replace('{id}', String(id));

function size(bytes, lang) {
  if (!bytes) return '—';
  const units = ['B', 'KB', 'MB', 'GB'];
  let n = bytes;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return `${n.toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { maximumFractionDigits: unit ? 1 : 0 })} ${units[unit]}`;
}

function filterFields(c, layer) {
  if (!layer) return [];
  return layer.fields
    .filter((f) => f.filterable && (f.choices || FILTER_TYPES[f.type]))
    .map((f) => {
      if (f.choices) return { name: f.name, label: f.title, type: 'select', options: f.choices };
      if (f.type === 'BooleanField') {
        return { name: f.name, label: f.title, type: 'select', options: [{ value: 'true', label: c.text.yes }, { value: 'false', label: c.text.no }] };
      }
      return { name: f.name, label: f.title, type: FILTER_TYPES[f.type] };
    });
}

/** The request the form describes, as POST /api/exports/jobs/ takes it. */
function requestOf(form, tabular) {
  const params = {};
  if (form.division) params.division = form.division;
  if (form.source === 'layer') {
    for (const [k, v] of Object.entries(form.attrs)) if (v !== '' && v != null) params[k] = v;
  }
  const options = {};
  if (form.format === 'shapefile' && form.encoding) options.encoding = form.encoding;
  // EPSG:4326 is the default, so only another CRS is sent (and recorded in the manifest).
  const mapFormat = form.source === 'layer' && !tabular.includes(form.format) && form.format !== 'kml';
  if (mapFormat && form.crs && form.crs !== 'EPSG:4326') options.crs = form.crs;
  const body = { format: form.format, source: form.source, params, options };
  if (form.source === 'layer') body.layer = form.layer;
  else body.report = form.report;
  return body;
}

function ExportForm({ c, catalogue, sources, onSubmitted, say }) {
  const layers = catalogue || [];
  const reports = (sources && sources.reports) || [];
  const formats = (sources && sources.formats) || [];
  const tabular = (sources && sources.tabular_formats) || ['csv', 'xlsx'];
  const firstLayer = layers.some((l) => l.name === 'parcels') ? 'parcels' : layers[0] && layers[0].name;
  const [form, setForm] = useState({ source: 'layer', layer: '', report: '', format: 'csv', encoding: 'utf-8', crs: 'EPSG:4326', division: '', attrs: {} });
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!catalogue || !sources) return;
    setForm((f) => ({ ...f, layer: f.layer || firstLayer || '', report: f.report || (reports[0] && reports[0].name) || '', source: layers.length || !reports.length ? f.source : 'report' }));
  }, [catalogue, sources]);
  if (!catalogue || !sources) return html`<p class="muted">${c.text.loading}</p>`;
  if (!layers.length && !reports.length) return html`<p class="empty">${c.text.noLayers}</p>`;

  const set = (name) => (value) => setForm((f) => ({ ...f, [name]: value }));
  const isReport = form.source === 'report';
  const offered = formats.filter((f) => !isReport || tabular.includes(f.format));
  const format = offered.some((f) => f.format === form.format) ? form.format : offered[0] && offered[0].format;
  const layer = layers.find((l) => l.name === form.layer);
  const attrs = isReport ? [] : filterFields(c, layer);
  const errors = fieldErrors(error);
  const paramErrors = (error && error.fields) || {};
  const sourceChoices = [
    ...(layers.length ? [{ value: 'layer', label: c.labels.sources.layer }] : []),
    ...(reports.length ? [{ value: 'report', label: c.labels.sources.report }] : []),
  ];
  const geographic = !isReport && !tabular.includes(format);
  const submit = async () => {
    setError(null);
    try {
      const job = await api.post(c.jobsApi, requestOf({ ...form, format }, tabular));
      say(c.text.submitted);
      onSubmitted(job);
    } catch (err) {
      setError(err);
    }
  };
  const shown = ['format', 'layer', 'report', 'encoding', 'crs', 'division', ...attrs.map((a) => a.name)];
  return html`<form class="export-form edit-form" onSubmit=${(e) => e.preventDefault()}>
    ${sourceChoices.length > 1
      ? html`<${FormField} idPrefix="export" field=${{ name: 'source', label: c.text.what, type: 'select', options: sourceChoices }}
          value=${form.source} onValue=${set('source')} />`
      : null}
    ${isReport
      ? html`<${FormField} idPrefix="export" field=${{ name: 'report', label: c.text.report, type: 'select', options: reports.map((r) => ({ value: r.name, label: r.title })) }}
          value=${form.report} onValue=${set('report')} error=${errors.report} />`
      : html`<${FormField} idPrefix="export" field=${{ name: 'layer', label: c.text.layer, type: 'select', options: layers.map((l) => ({ value: l.name, label: l.title })) }}
          value=${form.layer} onValue=${(v) => setForm((f) => ({ ...f, layer: v, attrs: {} }))} error=${errors.layer} />`}
    <${FormField} idPrefix="export" field=${{ name: 'format', label: c.text.format, type: 'select', options: offered.map((f) => ({ value: f.format, label: f.label })), help: isReport ? c.text.tabularOnly : null }}
      value=${format} onValue=${set('format')} error=${errors.format} />
    ${format === 'shapefile'
      ? html`<${FormField} idPrefix="export" field=${{ name: 'encoding', label: c.text.encoding, type: 'select', options: c.encodings, help: c.text.encodingHelp }}
          value=${form.encoding} onValue=${set('encoding')} error=${errors.encoding} />`
      : null}
    ${geographic
      ? html`<${FormField} idPrefix="export" field=${{ name: 'crs', label: c.text.crs, type: 'select', options: c.crs, help: format === 'kml' ? c.text.kmlCrs : null }}
          value=${format === 'kml' ? 'EPSG:4326' : form.crs} onValue=${set('crs')} error=${errors.crs} disabled=${format === 'kml'} />`
      : null}
    ${c.divisions.length
      ? html`<div class="form-field" data-field="division">
          <label for="export-division">${c.text.division}</label>
          <select id="export-division" name="division" value=${form.division} onChange=${(e) => set('division')(e.currentTarget.value)}>
            <option value="">${c.text.wholeArea}</option>
            ${c.divisions.map((d) => html`<option value=${d.value}>${d.label}</option>`)}
          </select>
          ${errors.division ? html`<small class="error" role="alert">${errors.division}</small>` : null}
        </div>`
      : null}
    ${attrs.length
      ? html`<details class="export-attrs-box" open=${!PHONE.matches}>
          <summary>${c.text.attributes}</summary>
          <div class="export-attrs">
          ${attrs.map(
            (f) => html`<label class=${paramErrors[f.name] ? 'has-error' : ''}>
              <span>${f.label}</span>
              ${f.type === 'select'
                ? html`<select id=${`attr-${f.name}`} name=${f.name} value=${form.attrs[f.name] || ''}
                    onChange=${(e) => setForm((s) => ({ ...s, attrs: { ...s.attrs, [f.name]: e.currentTarget.value } }))}>
                    <option value="">${c.text.any}</option>
                    ${f.options.map((o) => html`<option value=${o.value}>${o.label}</option>`)}
                  </select>`
                : html`<input id=${`attr-${f.name}`} name=${f.name} type=${f.type} step=${f.type === 'number' ? 'any' : null} value=${form.attrs[f.name] || ''}
                    onInput=${(e) => setForm((s) => ({ ...s, attrs: { ...s.attrs, [f.name]: e.currentTarget.value } }))} />`}
              ${paramErrors[f.name] ? html`<small class="error">${fieldErrors(error)[f.name]}</small>` : null}
            </label>`,
          )}
          </div>
        </details>`
      : null}
    <${ErrorNote} error=${formLevelError(error, shown)} />
    <div class="actions">
      <${BusyButton} className="primary start-export" label=${c.text.start} busyLabel=${c.text.starting} onClick=${submit} />
    </div>
  </form>`;
}

function Progress({ c, job }) {
  const n = Math.round(job.progress || 0);
  const stage = c.labels.stages[job.stage] || '';
  return html`<span class="job-progress" role="status" data-progress=${n}>
    <progress max="100" value=${n}></progress>
    <span>${n}%${stage ? html` · <span class="stage">${stage}</span>` : null}</span>
  </span>`;
}

function Status({ c, job }) {
  const label = c.labels.states[job.status] || job.status;
  const flag = html`<span class=${`flag state state-${job.status}`} data-status=${job.status}>${label}</span>`;
  if (job.status === 'running') return html`<div class="job-state">${flag} <${Progress} c=${c} job=${job} /></div>`;
  if (job.status === 'failed' || job.status === 'cancelled') {
    return html`<div class="job-state">
      ${flag}
      ${job.error ? html`<p class="job-error" role="alert">${job.error}</p>` : null}
      ${job.status === 'failed' ? html`<p class="muted job-hint">${c.text.failedHint}</p>` : null}
    </div>`;
  }
  if (job.expired) return html`<div class="job-state">${flag}<p class="muted job-hint">${c.text.expiredNote}</p></div>`;
  return html`<div class="job-state">${flag}</div>`;
}

function Actions({ c, job, onDownload, onCancel, onManifest, onAgain }) {
  const ready = job.status === 'succeeded' && !job.expired;
  return html`<div class="job-actions">
    ${ready ? html`<${BusyButton} className="primary small download" label=${c.text.download} onClick=${() => onDownload(job)} />` : null}
    ${job.status === 'succeeded' && job.manifest && job.manifest.sha256
      ? html`<button type="button" class="small show-manifest" onClick=${() => onManifest(job)}>${c.text.manifest}</button>`
      : null}
    ${ACTIVE.includes(job.status)
      ? html`<span class="cancel-job"><${ConfirmButton} label=${c.text.cancel} question=${c.text.cancelQuestion} confirmLabel=${c.text.cancelConfirm}
          cancelLabel=${c.text.keep} onConfirm=${() => onCancel(job)} /></span>`
      : null}
    ${job.status === 'failed' || job.status === 'cancelled' || job.expired
      ? html`<${BusyButton} className="small again" label=${c.text.again} onClick=${() => onAgain(job)} />`
      : null}
  </div>`;
}

function Facts({ items }) {
  return html`<dl class="facts manifest-facts">${items
    .filter(([, , value]) => value !== null && value !== undefined && value !== '')
    .map(([key, label, value]) => html`<div data-fact=${key}><dt>${label}</dt><dd>${value}</dd></div>`)}</dl>`;
}

function pairs(object) {
  return Object.entries(object || {}).map(([k, v]) => `${k} = ${typeof v === 'object' ? JSON.stringify(v) : v}`);
}

function ManifestDialog({ c, job, title, onClose }) {
  const m = (job && job.manifest) || {};
  const t = c.text;
  const who = m.exported_by ? `${m.exported_by.name || ''} (${m.exported_by.username})`.trim() : '';
  const filters = pairs(m.filters);
  const options = pairs(m.options);
  return html`<${Dialog} open=${!!job} title=${job ? fill(t.manifestTitle, { id: job.id }) : ''} onClose=${onClose} className="manifest-dialog"
    footer=${html`<button type="button" onClick=${onClose}>${t.close}</button>`}>
    ${job
      ? html`<${Facts} items=${[
          ['file', t.mFile, m.file],
          ['source', t.mSource, title],
          ['format', t.mFormat, c.labels.formats[m.format] || m.format],
          ['filters', t.mFilters, filters.length ? html`<ul class="plain">${filters.map((f) => html`<li><code>${f}</code></li>`)}</ul>` : t.mNoFilters],
          ['options', t.mOptions, options.length ? options.join('; ') : null],
          ['rows', t.mRows, m.rows != null ? Number(m.rows).toLocaleString(c.lang === 'en' ? 'en-GB' : 'zh-CN') : null],
          ['size', t.mSize, m.size_bytes != null ? size(m.size_bytes, c.lang) : null],
          ['sha256', t.mSha256, m.sha256 ? html`<code class="sha">${m.sha256}</code>` : null],
          ['crs', t.mCrs, m.crs],
          ['who', t.mWho, who],
          ['requested', t.mRequested, when(m.requested_at)],
          ['created', t.mCreated, when(m.created_at)],
          ['expires', t.mExpires, when(m.expires_at)],
          ['personal', t.mPersonal, m.personal_data ? t[m.personal_data] || m.personal_data : null],
          ['watermark', t.mWatermark, m.watermark],
          ['columns', t.mColumns, (m.columns || []).map((col) => col.title || col.name).join('、')],
        ]} />`
      : null}
  <//>`;
}

function ExportsPage({ config: c }) {
  const [catalogue, setCatalogue] = useState(null);
  const [sources, setSources] = useState(null);
  const [jobs, setJobs] = useState(null);
  const [error, setError] = useState(null);
  const [manifest, setManifest] = useState(null);
  const [toast, say] = useToast();

  const load = () =>
    api
      .get(c.jobsApi, { page_size: 50 })
      .then((page) => {
        setJobs(page.results);
        setError(null);
      })
      .catch(setError);

  useEffect(() => {
    api.get(c.catalogueApi).then((data) => setCatalogue(data.layers)).catch(setError);
    api.get(c.sourcesApi).then(setSources).catch(setError);
    load();
  }, []);
  // Poll while a job is queued or running; a page with nothing in progress sends nothing.
  const active = !!jobs && jobs.some((j) => ACTIVE.includes(j.status));
  useEffect(() => {
    if (!active) return undefined;
    const timer = setTimeout(load, c.pollMs);
    return () => clearTimeout(timer);
  }, [jobs]);

  const titleOf = (job) => {
    if (job.source === 'report') {
      const report = sources && sources.reports.find((r) => r.name === job.report_name);
      return report ? report.title : job.report_name;
    }
    const layer = catalogue && catalogue.find((l) => l.name === job.layer);
    const name = layer ? layer.title : job.layer;
    return job.source === 'layer' ? name : `${name} · ${c.labels.sources[job.source] || job.source}`;
  };
  // A job's filters in words: the division's name, the field's title, a coded value's label.
  const describe = (job) => {
    const layer = catalogue && catalogue.find((l) => l.name === job.layer);
    const zh = c.lang !== 'en';
    return Object.entries(job.params || {})
      .map(([key, value]) => {
        if (key === 'division') {
          const division = c.divisions.find((d) => d.value === value);
          return `${c.text.division}${zh ? '：' : ': '}${division ? division.label : value}`;
        }
        const field = layer && layer.fields.find((f) => f.name === key);
        if (!field || typeof value === 'object') return `${key} = ${JSON.stringify(value)}`;
        const choice = (field.choices || []).find((o) => String(o.value) === String(value));
        const shown = choice ? choice.label : field.type === 'BooleanField' ? (value === 'true' ? c.text.yes : c.text.no) : value;
        return `${field.title}${zh ? '：' : ': '}${shown}`;
      })
      .join(zh ? '；' : '; ');
  };
  const submitted = (job) => setJobs((list) => [job, ...(list || []).filter((j) => j.id !== job.id)]);
  // The list's link may have expired since it was read: ask the job for a fresh one, then let the
  // browser save the file itself (no copy in memory, whatever its size).
  const download = async (job) => {
    try {
      const fresh = await api.get(jobUrl(c, job.id));
      if (!fresh.download) {
        await load();
        return;
      }
      const link = document.createElement('a');
      link.href = fresh.download;
      link.setAttribute('download', fresh.filename || '');
      document.body.appendChild(link);
      link.click();
      link.remove();
    } catch (err) {
      setError(err);
    }
  };
  const cancel = async (job) => {
    try {
      await api.post(cancelUrl(c, job.id), {});
      say(c.text.cancelled);
    } catch (err) {
      setError(err);
    }
    await load();
  };
  const again = async (job) => {
    const body = { format: job.format, source: job.source, params: job.params || {}, options: job.options || {} };
    if (job.layer) body.layer = job.layer;
    if (job.report_name) body.report = job.report_name;
    try {
      submitted(await api.post(c.jobsApi, body));
      say(c.text.submitted);
    } catch (err) {
      setError(err);
    }
  };
  const columns = [
    { name: 'id', label: '#', render: (j) => j.id },
    { name: 'source', label: c.text.source, render: (j) => html`<div><span class="job-title">${titleOf(j)}</span>${j.params && Object.keys(j.params).length ? html`<small class="muted job-filters">${describe(j)}</small>` : null}</div>` },
    { name: 'format', label: c.text.format, render: (j) => c.labels.formats[j.format] || j.format },
    { name: 'status', label: c.text.status, render: (j) => html`<${Status} c=${c} job=${j} />` },
    { name: 'rows', label: c.text.rows, render: (j) => (j.status === 'succeeded' ? Number(j.rows).toLocaleString(c.lang === 'en' ? 'en-GB' : 'zh-CN') : '—') },
    { name: 'size', label: c.text.size, render: (j) => (j.status === 'succeeded' ? size(j.size_bytes, c.lang) : '—') },
    { name: 'created', label: c.text.createdAt, render: (j) => when(j.created_at) },
    {
      name: 'actions',
      label: c.text.actions,
      render: (j) => html`<${Actions} c=${c} job=${j} onDownload=${download} onCancel=${cancel} onManifest=${setManifest} onAgain=${again} />`,
    },
  ];
  const retention = sources
    ? fill(c.text.retention, { days: sources.retention_days, minutes: Math.max(1, Math.round(sources.link_max_age_seconds / 60)) })
    : '';
  return html`<div class="exports-page">
    <${StaffHeader} config=${c} />
    <main class="staff-main">
      <section class="panel export-new">
        <h2>${c.text.newExport}</h2>
        <${ExportForm} c=${c} catalogue=${catalogue} sources=${sources} onSubmitted=${submitted} say=${say} />
      </section>
      <section class="export-jobs" data-polling=${active ? 'true' : 'false'}>
        <div class="page-tools">
          <h2>${c.text.jobs}</h2>
          <${BusyButton} className="small refresh" label=${c.text.refresh} onClick=${load} />
        </div>
        ${retention ? html`<p class="muted retention">${retention}</p>` : null}
        <${ErrorNote} error=${error} />
        ${jobs === null
          ? html`<p class="muted">${c.text.loading}</p>`
          : html`<${DataTable} columns=${columns} rows=${jobs} rowKey="id" empty=${c.text.noJobs}
              rowClass=${(j) => `job job-${j.status}`} />`}
      </section>
      <${ManifestDialog} c=${c} job=${manifest} title=${manifest ? titleOf(manifest) : ''} onClose=${() => setManifest(null)} />
      ${toast}
    </main>
  </div>`;
}

mount(ExportsPage, config);
