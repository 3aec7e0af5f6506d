// 审计日志 (/audit/): auditors filter the log by user, action, object, division and time, page
// through it newest first, and export what they filtered. The filter lives in the page's URL, so
// a link reproduces a search. Labels and choices come from the server (web/staff.py).
import { makeApi } from '../common/api.js';
import { DataTable, ErrorNote, FilterForm, Pager, StaffHeader, html, mount, pageConfig, useEffect, useState } from '../staff/kit.js';

const config = pageConfig();
const api = makeApi({ lang: config.lang });

function filterFromUrl() {
  const params = new URLSearchParams(window.location.search);
  params.delete('lang');
  params.delete('cursor');
  return Object.fromEntries(params.entries());
}

function query(values) {
  return new URLSearchParams(values).toString();
}

function AuditPage({ config: c }) {
  const [filter, setFilter] = useState(filterFromUrl());
  const [page, setPage] = useState({ results: [], next: null, previous: null });
  const [error, setError] = useState(null);
  const [url, setUrl] = useState(`${c.entriesUrl}?${query(filter)}`);

  useEffect(() => {
    let live = true;
    setError(null);
    api
      .get(url)
      .then((data) => live && setPage(data))
      .catch((err) => live && (setError(err), setPage({ results: [], next: null, previous: null })));
    return () => {
      live = false;
    };
  }, [url]);

  const search = (values) => {
    setFilter(values);
    window.history.replaceState(null, '', `?${query({ ...values, ...(c.lang === 'en' ? { lang: 'en' } : {}) })}`);
    setUrl(`${c.entriesUrl}?${query(values)}`);
  };
  const label = (kind) => {
    const names = Object.fromEntries(c.choices[kind].map((o) => [o.value, o.label]));
    return (row) => names[row[kind]] || row[kind];
  };
  const outcomes = label('outcome');
  const columns = c.columns.map((col) => {
    if (['action', 'role', 'channel'].includes(col.name)) return { ...col, render: label(col.name) };
    if (col.name === 'outcome') {
      return { ...col, render: (row) => html`<span class=${`outcome outcome-${row.outcome}`}>${outcomes(row)}</span>` };
    }
    if (col.name === 'at') return { ...col, render: (row) => row.at.replace('T', ' ').slice(0, 19) };
    if (col.name === 'detail') return { ...col, render: (row) => html`<code>${JSON.stringify(row.detail)}</code>` };
    return col;
  });
  const exportQuery = query(filter);
  return html`<div>
    <${StaffHeader} config=${c} />
    <main class="staff-main">
      <${FilterForm} fields=${c.filters} values=${filter} onSubmit=${search} errors=${(error && error.fields) || {}} text=${c.text} />
      <div class="toolbar">
        <a class="button" href=${`${c.exportCsvUrl}?${exportQuery}`} download>${c.text.exportCsv}</a>
        <a class="button" href=${`${c.exportXlsxUrl}?${exportQuery}`} download>${c.text.exportXlsx}</a>
        <small>${c.text.exportNote}</small>
      </div>
      <${ErrorNote} error=${error} />
      <${DataTable} columns=${columns} rows=${page.results} empty=${c.text.empty} />
      <${Pager} previous=${page.previous} next=${page.next} onPage=${setUrl} text=${c.text} />
    </main>
  </div>`;
}

mount(AuditPage, config);
