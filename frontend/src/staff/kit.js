// The staff pages' one component kit (audit now; workspace, event desk, editor and the phone app
// next): Preact components written with htm tagged templates. Why this and not hand-built DOM per
// page: the staff pages are forms and lists, which want state-driven re-rendering; Preact is 4 kB,
// htm needs no JSX compile step (eslint and esbuild read plain JS), neither evaluates strings, so
// the Content-Security-Policy needs no 'unsafe-eval', and the same components run offline in the
// phone app. Strings come from the server (Django's translations) through the page's config.
import { h, render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

import { readWatermarkConfig, startWatermark } from '../common/watermark.js';

export const html = htm.bind(h);
export { render, useEffect, useRef, useState };

/** The page's config, from {{ config|json_script:"page-config" }}. */
export function pageConfig() {
  const el = document.getElementById('page-config');
  return el ? JSON.parse(el.textContent) : {};
}

/** Mounts a staff page: the component into #app, and the 看数水印 over everything. */
export function mount(component, config) {
  const watermark = readWatermarkConfig();
  if (watermark) startWatermark(watermark, { lang: config.lang, tone: 'dark' });
  render(h(component, { config }), document.getElementById('app'));
}

/** Header: the page title, who is logged in, the other language, log out. */
export function StaffHeader({ config }) {
  const other = config.lang === 'en' ? { code: 'zh', label: '中文' } : { code: 'en', label: 'English' };
  return html`<header class="staff-head">
    <h1>${config.title}</h1>
    <nav>
      <span class="who">${config.user}</span>
      <a href=${`?lang=${other.code}`}>${other.label}</a>
      <form method="post" action=${config.logoutUrl}>
        <input type="hidden" name="csrfmiddlewaretoken" value=${config.csrfToken} />
        <button type="submit" class="link">${config.text.logout}</button>
      </form>
    </nav>
  </header>`;
}

/**
 * A filter form. ``fields``: [{name, label, type: 'text' | 'select' | 'date', options: [{value, label}]}].
 * ``values`` holds the current filter; ``onSubmit(values)`` runs on 查询, ``errors`` maps a field to its message.
 */
export function FilterForm({ fields, values, onSubmit, errors = {}, text }) {
  const [draft, setDraft] = useState(values);
  useEffect(() => setDraft(values), [values]);
  const set = (name) => (event) => setDraft({ ...draft, [name]: event.currentTarget.value });
  const submit = (event) => {
    event.preventDefault();
    onSubmit(Object.fromEntries(Object.entries(draft).filter(([, v]) => v !== '' && v != null)));
  };
  const control = (f) => {
    if (f.type === 'select') {
      return html`<select id=${`f-${f.name}`} name=${f.name} value=${draft[f.name] || ''} onChange=${set(f.name)}>
        <option value="">${text.any}</option>
        ${f.options.map((o) => html`<option value=${o.value}>${o.label}</option>`)}
      </select>`;
    }
    return html`<input id=${`f-${f.name}`} name=${f.name} type=${f.type === 'date' ? 'date' : 'text'}
      value=${draft[f.name] || ''} onInput=${set(f.name)} />`;
  };
  return html`<form class="filters" onSubmit=${submit}>
    ${fields.map(
      (f) => html`<label class=${errors[f.name] ? 'has-error' : ''}>
        <span>${f.label}</span>${control(f)}
        ${errors[f.name] ? html`<small class="error">${errors[f.name]}</small>` : null}
      </label>`,
    )}
    <div class="actions">
      <button type="submit" class="primary">${text.search}</button>
      <button type="button" onClick=${() => onSubmit({})}>${text.reset}</button>
    </div>
  </form>`;
}

/** A table. ``columns``: [{name, label, render?(row)}]; ``rows``: objects. */
export function DataTable({ columns, rows, empty }) {
  if (!rows.length) return html`<p class="empty">${empty}</p>`;
  return html`<div class="table-wrap"><table class="data">
    <thead><tr>${columns.map((c) => html`<th scope="col">${c.label}</th>`)}</tr></thead>
    <tbody>${rows.map(
      (row) => html`<tr>${columns.map((c) => html`<td class=${`col-${c.name}`}>${c.render ? c.render(row) : row[c.name]}</td>`)}</tr>`,
    )}</tbody>
  </table></div>`;
}

/** Previous / next for a cursor-paged list (DRF CursorPagination's ``previous`` / ``next`` URLs). */
export function Pager({ previous, next, onPage, text }) {
  return html`<nav class="pager">
    <button type="button" disabled=${!previous} onClick=${() => onPage(previous)}>${text.previous}</button>
    <button type="button" disabled=${!next} onClick=${() => onPage(next)}>${text.next}</button>
  </nav>`;
}

/** The platform's error shape as a sentence that says what to do next. */
export function ErrorNote({ error }) {
  if (!error) return null;
  return html`<p class="error-note" role="alert">${error.message}</p>`;
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
