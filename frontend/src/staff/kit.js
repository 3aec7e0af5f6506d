// The staff pages' one component kit (audit and the investment workspace now; event desk, editor
// and the phone app next): Preact components written with htm tagged templates. Why this and not
// hand-built DOM per page: the staff pages are forms and lists, which want state-driven
// re-rendering; Preact is 4 kB, htm needs no JSX compile step (eslint and esbuild read plain JS),
// neither evaluates strings, so the Content-Security-Policy needs no 'unsafe-eval', and the same
// components run offline in the phone app. Strings come from the server (Django's translations)
// through the page's config; nothing here carries a word of its own.
import { h, render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

import { ApiError, parseJson, withParams } from '../common/api.js';
import { readWatermarkConfig, startWatermark } from '../common/watermark.js';

export const html = htm.bind(h);
export { render, useCallback, useEffect, useRef, useState };

/** The page's config, from {{ config|json_script:"page-config" }}. */
export function pageConfig() {
  const el = document.getElementById('page-config');
  return el ? JSON.parse(el.textContent) : {};
}

// On a phone the filter form starts folded (the quick views come first); the same width as staff.css.
export const PHONE = window.matchMedia('(max-width: 640px)');
const NOT_FILTERS = ['lang', 'tab', 'page'];

/** A list page's tab and filter, kept in the address: ``tab`` is one of ``tabs`` (else the first),
 * the filter every other parameter. */
export function readAddress(tabs) {
  const params = new URLSearchParams(window.location.search);
  const wanted = params.get('tab');
  const tab = tabs.includes(wanted) ? wanted : tabs[0];
  for (const key of NOT_FILTERS) params.delete(key);
  return { tab, filter: Object.fromEntries(params.entries()) };
}

/** The tab (the first of ``tabs`` is the default, so left out) and, where ``withFilter``, the
 * filter into the address, without a new history entry; ``?lang=en`` stays. */
export function writeAddress({ tab, filter, tabs, lang, withFilter = true }) {
  const params = new URLSearchParams(withFilter ? filter : {});
  if (tab !== tabs[0]) params.set('tab', tab);
  if (lang === 'en') params.set('lang', 'en');
  const qs = params.toString();
  window.history.replaceState(null, '', qs ? `?${qs}` : window.location.pathname);
}

/** Mounts a staff page: the component into #app, and the 看数水印 over everything. */
export function mount(component, config) {
  const watermark = readWatermarkConfig();
  if (watermark) startWatermark(watermark, { lang: config.lang, tone: 'dark' });
  render(h(component, { config }), document.getElementById('app'));
}

/** Django's ``%(name)s`` placeholders, filled, and ``%%`` as ``%`` (the server's translated
 * templates keep both, as Python's formatting would read them). */
export function fill(template, values) {
  return template.replace(/%\((\w+)\)s|%%/g, (whole, key) => (whole === '%%' ? '%' : key in values ? String(values[key]) : whole));
}

/** A link to another staff page in this page's language: ``?lang=en`` travels with it, so a
 * shared link opens in the language it was copied in even where the cookie is not set. */
export function withLang(href, lang) {
  return lang === 'en' ? withParams(href, { lang: 'en' }) : href;
}

/**
 * The staff pages' HTTP client: JSON or multipart in, JSON out, in the platform's error shape
 * (``ApiError``: message, code, fields, status). ``common/api.js`` sends JSON only; the staff pages
 * also need ``If-Match`` (optimistic locking), DELETE and file uploads, and a message for answers
 * that carry none (a proxy's 413 page, a dropped connection) that still says what to do next.
 */
export function makeStaffApi(config) {
  const text = config.text;
  async function send(method, url, { json, form, headers = {}, signal, raw = false } = {}) {
    const h = { Accept: 'application/json', 'Accept-Language': config.lang === 'en' ? 'en' : 'zh-hans', ...headers };
    let body;
    if (json !== undefined) {
      h['Content-Type'] = 'application/json';
      body = JSON.stringify(json);
    } else if (form) {
      body = form; // the browser writes the multipart boundary
    }
    if (method !== 'GET') h['X-CSRFToken'] = config.csrfToken;
    const res = await fetchOrSay(url, { method, headers: h, body, credentials: 'same-origin', signal }, text);
    // A file comes back as it is; anything else (and every error) is JSON.
    const isFile = raw && res.ok && !(res.headers.get('Content-Type') || '').includes('json');
    if (isFile) return { blob: await res.blob(), status: res.status, filename: attachmentName(res) };
    return { data: await readAnswer(res, text), status: res.status };
  }
  const json = (promise) => promise.then((r) => r.data);
  return {
    get: (url, params, opts) => json(send('GET', withParams(url, params), opts)),
    post: (url, body) => json(send('POST', url, { json: body })),
    /** PATCH with ``If-Match: "<version>"``: a stale version is a 412 carrying the current one. */
    patch: (url, body, version) => json(send('PATCH', url, { json: body, headers: { 'If-Match': `"${version}"` } })),
    remove: (url) => json(send('DELETE', url)),
    /** A multipart POST; resolves to ``{data, status}`` (an upload tells 201 new from 200 same). */
    upload: (url, fields) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      return send('POST', url, { form });
    },
    /** A download (an export): resolves to ``{blob, filename}``, or to ``{data, status}`` when the
     * server answers with JSON instead, e.g. 202 and a job to wait for. */
    file: (url, params) => send('GET', withParams(url, params), { raw: true }),
  };
}

/** ``fetch``, with a dropped connection as an ``ApiError`` (status 0) saying what to do next. */
export async function fetchOrSay(url, init, text) {
  try {
    return await fetch(url, init);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, { error: { code: 'network', message: text.networkError } });
  }
}

/** The answer's JSON; an error answer (unless ``allow`` lists its status) as an ``ApiError``, with
 * a message for one that carries none (a proxy's 413 page). */
export async function readAnswer(res, text, allow = []) {
  const data = parseJson(await res.text());
  if (!res.ok && !allow.includes(res.status)) {
    const shaped = data && data.error ? data : { error: { code: 'http', message: fill(text.httpError, { status: res.status }) } };
    throw new ApiError(res.status, shaped);
  }
  return data;
}

function attachmentName(res) {
  const header = res.headers.get('Content-Disposition') || '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (star) return decodeURIComponent(star[1]);
  const plain = /filename="?([^";]+)"?/i.exec(header);
  return plain ? plain[1] : 'download';
}

/** Hands a downloaded file to the browser to save (an object URL, released once clicked). */
export function saveFile({ blob, filename }) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

/** Header: the page title, the staff pages this user may open, who is logged in, the other
 * language (keeping the rest of the address, so a filtered list stays filtered), log out. */
export function StaffHeader({ config }) {
  const other = config.lang === 'en' ? { code: 'zh', label: '中文' } : { code: 'en', label: 'English' };
  const params = new URLSearchParams(window.location.search);
  params.set('lang', other.code);
  return html`<header class="staff-head">
    <h1>${config.title}</h1>
    ${config.nav && config.nav.length
      ? html`<nav class="staff-nav">${config.nav.map(
          (item) => html`<a href=${withLang(item.href, config.lang)} aria-current=${item.current ? 'page' : null}>${item.label}</a>`,
        )}</nav>`
      : null}
    <nav class="staff-user">
      <span class="who">${config.user}</span>
      <a href=${`?${params.toString()}`}>${other.label}</a>
      <form method="post" action=${config.logoutUrl}>
        <input type="hidden" name="csrfmiddlewaretoken" value=${config.csrfToken} />
        <button type="submit" class="link">${config.text.logout}</button>
      </form>
    </nav>
  </header>`;
}

/**
 * One form control from a field spec: {name, label, type: 'text' | 'textarea' | 'number' | 'date' |
 * 'checkbox' | 'select', options: [{value, label}], help, required}. ``onValue`` gets the new value
 * (a boolean for a checkbox, a string otherwise). ``anyLabel`` adds an empty first option to a select.
 */
export function Control({ field: f, value, onValue, id, anyLabel, disabled }) {
  const common = { id, name: f.name, disabled, required: f.required || null };
  if (f.type === 'select') {
    return html`<select ...${common} value=${value ?? ''} onChange=${(e) => onValue(e.currentTarget.value)}>
      ${anyLabel != null ? html`<option value="">${anyLabel}</option>` : null}
      ${f.options.map((o) => html`<option value=${o.value}>${o.label}</option>`)}
    </select>`;
  }
  if (f.type === 'checkbox') {
    return html`<input ...${common} type="checkbox" checked=${!!value} onChange=${(e) => onValue(e.currentTarget.checked)} />`;
  }
  if (f.type === 'textarea') {
    return html`<textarea ...${common} rows="3" value=${value ?? ''} onInput=${(e) => onValue(e.currentTarget.value)}></textarea>`;
  }
  const type = { number: 'number', date: 'date', password: 'password' }[f.type] || 'text';
  return html`<input ...${common} type=${type} step=${type === 'number' ? 'any' : null} inputmode=${type === 'number' ? 'decimal' : null}
    value=${value ?? ''} onInput=${(e) => onValue(e.currentTarget.value)} />`;
}

/** A labelled control with its help and its error (the API's message for that field). */
export function FormField({ field: f, value, onValue, error, disabled, idPrefix = 'field' }) {
  const id = `${idPrefix}-${f.name}`;
  const check = f.type === 'checkbox';
  return html`<div class=${`form-field${check ? ' is-check' : ''}${error ? ' has-error' : ''}`} data-field=${f.name}>
    <label for=${id}>${f.label}${f.required ? html`<abbr class="req" title="*">*</abbr>` : null}</label>
    <${Control} field=${f} value=${value} onValue=${onValue} id=${id} disabled=${disabled} />
    ${error ? html`<small class="error" role="alert">${error}</small>` : f.help ? html`<small class="help">${f.help}</small>` : null}
  </div>`;
}

/** The first message of each field in an ``ApiError``'s ``fields`` (DRF gives lists). */
export function fieldErrors(error) {
  if (!error || !error.fields) return {};
  return Object.fromEntries(Object.entries(error.fields).map(([k, v]) => [k, Array.isArray(v) ? v[0] : String(v)]));
}

/** The error to show above a form: the whole message, unless every field it names is one the
 * form shows beside its control (then those say it). */
export function formLevelError(error, names) {
  if (!error) return null;
  const named = Object.keys(error.fields || {});
  return named.length && named.every((n) => names.includes(n)) ? null : error;
}

/**
 * A filter form. ``fields``: [{name, label, type: 'text' | 'select' | 'date', options: [{value, label}],
 * anyLabel?}] (``anyLabel`` names a select's empty choice when it is not 全部, e.g. the default order).
 * ``values`` holds the current filter; ``onSubmit(values)`` runs on 查询, ``errors`` maps a field to its message.
 */
export function FilterForm({ fields, values, onSubmit, errors = {}, text }) {
  const [draft, setDraft] = useState(values);
  useEffect(() => setDraft(values), [values]);
  const submit = (event) => {
    event.preventDefault();
    onSubmit(Object.fromEntries(Object.entries(draft).filter(([, v]) => v !== '' && v != null)));
  };
  return html`<form class="filters" onSubmit=${submit}>
    ${fields.map(
      (f) => html`<label class=${errors[f.name] ? 'has-error' : ''}>
        <span>${f.label}</span>
        <${Control} field=${f} id=${`f-${f.name}`} value=${draft[f.name] || ''} anyLabel=${f.anyLabel ?? text.any}
          onValue=${(v) => setDraft({ ...draft, [f.name]: v })} />
        ${errors[f.name] ? html`<small class="error">${errors[f.name]}</small>` : null}
      </label>`,
    )}
    <div class="actions">
      <button type="submit" class="primary">${text.search}</button>
      <button type="button" onClick=${() => onSubmit({})}>${text.reset}</button>
    </div>
  </form>`;
}

/** A table. ``columns``: [{name, label, render?(row)}]; ``rows``: objects; ``rowClass(row)`` a
 * row's class (a warning's colour). On a phone each row becomes a card whose cells carry their
 * column's label (``data-label``, drawn by staff.css). */
export function DataTable({ columns, rows, empty, rowKey, rowClass }) {
  if (!rows.length) return html`<p class="empty">${empty}</p>`;
  return html`<div class="table-wrap"><table class="data">
    <thead><tr>${columns.map((c) => html`<th scope="col">${c.label}</th>`)}</tr></thead>
    <tbody>${rows.map(
      (row) => html`<tr key=${rowKey ? row[rowKey] : undefined} data-row=${rowKey ? row[rowKey] : undefined} class=${rowClass ? rowClass(row) : undefined}>${columns.map(
        (c) => html`<td class=${`col-${c.name}`} data-label=${c.label}>${c.render ? c.render(row) : row[c.name]}</td>`,
      )}</tr>`,
    )}</tbody>
  </table></div>`;
}

/** Previous / next for a paged list (the ``previous`` / ``next`` URLs DRF's paginators give). */
export function Pager({ previous, next, onPage, text }) {
  return html`<nav class="pager">
    <button type="button" disabled=${!previous} onClick=${() => onPage(previous)}>${text.previous}</button>
    <button type="button" disabled=${!next} onClick=${() => onPage(next)}>${text.next}</button>
  </nav>`;
}

/** The platform's error shape as a sentence that says what to do next; ``action`` (a label and a
 * handler) offers that next step as a button, e.g. reloading after a 412. */
export function ErrorNote({ error, action }) {
  if (!error) return null;
  return html`<div class="error-note" role="alert">
    <span>${error.message}</span>
    ${action ? html`<button type="button" onClick=${action.onClick}>${action.label}</button>` : null}
  </div>`;
}

/**
 * A button for a request: disabled from the click until the answer, so a double tap or a replayed
 * click never sends twice. ``onClick`` returns a promise.
 */
export function BusyButton({ onClick, label, busyLabel, className = '', disabled, type = 'button', ...rest }) {
  const [busy, setBusy] = useState(false);
  const live = useRef(true);
  useEffect(() => () => (live.current = false), []);
  const click = async (event) => {
    if (busy) return;
    setBusy(true);
    try {
      await onClick(event);
    } finally {
      if (live.current) setBusy(false);
    }
  };
  return html`<button type=${type} class=${className} disabled=${disabled || busy} aria-busy=${busy ? 'true' : null} onClick=${click} ...${rest}>
    ${busy && busyLabel ? busyLabel : label}
  </button>`;
}

/**
 * A modal dialog (the browser's <dialog>: focus trap, Esc to close). Shown while ``open``;
 * ``onClose`` runs on Esc or 取消. ``footer`` holds its buttons.
 */
export function Dialog({ open, title, onClose, children, footer, className = '' }) {
  const ref = useRef(null);
  useEffect(() => {
    const el = ref.current;
    if (open && !el.open) el.showModal();
    if (!open && el.open) el.close();
  }, [open]);
  const cancel = (event) => {
    event.preventDefault(); // the page decides, so an Esc mid-request does not hide its answer
    onClose();
  };
  return html`<dialog ref=${ref} class=${`staff-dialog ${className}`} onCancel=${cancel} aria-labelledby=${title ? 'dialog-title' : null}>
    ${open
      ? html`<form method="dialog" onSubmit=${(e) => e.preventDefault()}>
          ${title ? html`<h2 id="dialog-title">${title}</h2>` : null}
          <div class="dialog-body">${children}</div>
          <div class="actions dialog-actions">${footer}</div>
        </form>`
      : null}
  </dialog>`;
}

/** 二次确认: a button that asks once more, in a dialog, before an irreversible action. */
export function ConfirmButton({ label, question, confirmLabel, cancelLabel, onConfirm }) {
  const dialog = useRef(null);
  return html`<span>
    <button type="button" class="danger" onClick=${() => dialog.current.showModal()}>${label}</button>
    <dialog ref=${dialog} class="confirm">
      <p>${question}</p>
      <div class="actions">
        <button type="button" onClick=${() => dialog.current.close()}>${cancelLabel}</button>
        <button type="button" class="danger" onClick=${() => { dialog.current.close(); onConfirm(); }}>${confirmLabel}</button>
      </div>
    </dialog>
  </span>`;
}

/** Tabs: [{key, label, count?}]; the current one is ``current``. */
export function Tabs({ tabs, current, onSelect }) {
  return html`<div class="tabs" role="tablist">${tabs.map(
    (t) => html`<button type="button" role="tab" data-tab=${t.key} aria-selected=${t.key === current ? 'true' : 'false'}
      class=${t.key === current ? 'tab current' : 'tab'} onClick=${() => onSelect(t.key)}>
      ${t.label}${t.count != null ? html` <small>${t.count}</small>` : null}
    </button>`,
  )}</div>`;
}

/** A short confirmation after an action ("已提交"), read out by screen readers, gone after a while.
 * ``const [toast, say] = useToast()``; render ``toast``, call ``say(message, tone)``. */
export function useToast(ms = 4000) {
  const [note, setNote] = useState(null);
  const timer = useRef(null);
  useEffect(() => () => clearTimeout(timer.current), []);
  const say = useCallback(
    (message, tone = 'ok') => {
      clearTimeout(timer.current);
      setNote({ message, tone, at: Date.now() });
      timer.current = setTimeout(() => setNote(null), ms);
    },
    [ms],
  );
  const element = html`<div class="toast-region" aria-live="polite">
    ${note ? html`<div key=${note.at} class=${`toast toast-${note.tone}`}>${note.message}</div>` : null}
  </div>`;
  return [element, say];
}

/**
 * A file input that sends the chosen file at once: ``onFile(file)`` returns a promise, and the
 * input is disabled until it settles (a second pick cannot overtake the first). ``label`` names
 * the button the browser draws; ``accept`` narrows the picker (the server still judges content).
 */
export function FileInput({ label, onFile, accept, disabled, name }) {
  const [busy, setBusy] = useState(false);
  const change = async (event) => {
    const input = event.currentTarget;
    const file = input.files && input.files[0];
    if (!file) return;
    setBusy(true);
    try {
      await onFile(file);
    } finally {
      input.value = ''; // the same file may be picked again after an error
      setBusy(false);
    }
  };
  return html`<label class=${`file-input${busy ? ' is-busy' : ''}`}>
    <span>${label}</span>
    <input type="file" name=${name} accept=${accept} disabled=${disabled || busy} onChange=${change} />
  </label>`;
}
