// 项目列表 (/staff/projects/): the projects of the caller's area with the list's filters
// (projects/listing.py), quick views for the role (待我审核, 我负责的, 预警) and the caller's saved
// views; and the area's leads (线索) from the investment map, which an officer converts into a
// project. The filter and the tab live in the page's address, so a link reproduces the view.
import {
  BusyButton,
  DataTable,
  Dialog,
  ErrorNote,
  FilterForm,
  FormField,
  Pager,
  StaffHeader,
  Tabs,
  fieldErrors,
  fill,
  html,
  makeStaffApi,
  mount,
  PHONE,
  pageConfig,
  readAddress,
  useEffect,
  useState,
  useToast,
  writeAddress as writeAddressOf,
} from '../staff/kit.js';
import { Flags, projectHref, wan, when } from './common.js';
import { CreateDialog } from './create.js';

const config = pageConfig();
const api = makeStaffApi(config);
const TABS = config.leadsApi ? ['projects', 'leads'] : ['projects'];
const writeAddress = (tab, filter) => writeAddressOf({ tab, filter, tabs: TABS, lang: config.lang });

const sameQuery = (a, b) => {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] || '') === (b[k] || ''));
};

/** Quick views (from the role) and saved views (the caller's own), as chips; saving the current
 * filter under a name, deleting a saved one after asking. */
function ViewsBar({ c, filter, onPick }) {
  const [views, setViews] = useState([]);
  const [error, setError] = useState(null);
  const [naming, setNaming] = useState(false);
  const [name, setName] = useState('');
  const [doomed, setDoomed] = useState(null);
  const [toast, say] = useToast();
  useEffect(() => {
    api.get(c.viewsApi).then(setViews).catch(setError);
  }, []);
  const save = async () => {
    setError(null);
    try {
      const view = await api.post(c.viewsApi, { name: name.trim(), query: filter });
      setViews([...views, view].sort((a, b) => a.name.localeCompare(b.name)));
      setNaming(false);
      setName('');
      say(fill(c.text.viewSaved, { name: view.name }));
    } catch (err) {
      setError(err);
    }
  };
  const remove = async () => {
    try {
      await api.remove(`${c.viewsApi}${doomed.id}/`);
      setViews(views.filter((v) => v.id !== doomed.id));
      setDoomed(null);
    } catch (err) {
      setDoomed(null);
      setError(err);
    }
  };
  const chip = (view, saved) => html`<span class=${`chip${sameQuery(view.query, filter) ? ' current' : ''}`} data-view=${view.name}>
    <button type="button" class="chip-pick" onClick=${() => onPick(view.query)}>${view.name}</button>
    ${saved ? html`<button type="button" class="chip-remove" aria-label=${fill(c.text.deleteView, { name: view.name })} onClick=${() => setDoomed(view)}>×</button>` : null}
  </span>`;
  const closeNaming = () => {
    setNaming(false);
    setError(null); // the dialog's refusal goes with it
  };
  const nameError = fieldErrors(error).name || fieldErrors(error).query;
  return html`<div class="views-bar">
    ${c.presets.map((v) => chip(v, false))}
    ${views.map((v) => chip(v, true))}
    <button type="button" class="link save-view" onClick=${() => { setError(null); setNaming(true); }}>${c.text.saveView}</button>
    ${!naming ? html`<${ErrorNote} error=${error} />` : null}
    <${Dialog} open=${naming} title=${c.text.saveView} onClose=${closeNaming}
      footer=${html`<button type="button" onClick=${closeNaming}>${c.text.cancel}</button>
        <${BusyButton} className="primary" label=${c.text.save} busyLabel=${c.text.sending} disabled=${!name.trim()} onClick=${save} />`}>
      <${FormField} field=${{ name: 'name', label: c.text.viewName, type: 'text', required: true }} idPrefix="view"
        value=${name} onValue=${setName} error=${nameError} />
      ${error && !nameError ? html`<${ErrorNote} error=${error} />` : null}
    </${Dialog}>
    <${Dialog} open=${!!doomed} title=${c.text.deleteViewTitle} onClose=${() => setDoomed(null)}
      footer=${html`<button type="button" onClick=${() => setDoomed(null)}>${c.text.cancel}</button>
        <${BusyButton} className="danger" label=${c.text.delete} busyLabel=${c.text.sending} onClick=${remove} />`}>
      <p>${doomed ? fill(c.text.deleteViewQuestion, { name: doomed.name }) : ''}</p>
    </${Dialog}>
    ${toast}
  </div>`;
}

function ProjectsTab({ c, filter, setFilter }) {
  const [url, setUrl] = useState(null);
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => setUrl(`${c.projectsApi}?${new URLSearchParams(filter).toString()}`), [filter]);
  useEffect(() => {
    if (!url) return undefined;
    const abort = new AbortController();
    setError(null);
    api
      .get(url, null, { signal: abort.signal })
      .then(setPage)
      .catch((err) => err.name !== 'AbortError' && (setError(err), setPage(null)));
    return () => abort.abort();
  }, [url]);
  const render = {
    name: (p) => html`<a class="project-link" href=${projectHref(c, p.id)}>${p.name}</a> <${Flags} project=${p} c=${c} />`,
    stage: (p) => html`${c.labels.stages[p.stage]}${p.pending_stage ? html` <small class="muted">→ ${c.labels.stages[p.pending_stage]}</small>` : null}`,
    division: (p) => c.divisionNames[p.division] || '',
    investment_wan: (p) => wan(p.investment_wan, c.lang),
    updated_at: (p) => when(p.updated_at),
  };
  const columns = c.columns.map((col) => (render[col.name] ? { ...col, render: render[col.name] } : col));
  return html`<div>
    <${ViewsBar} c=${c} filter=${filter} onPick=${setFilter} />
    <details class="filters-box" open=${!PHONE.matches || Object.keys(filter).length > 0}>
      <summary>${fill(c.text.filtersToggle, { n: Object.keys(filter).length })}</summary>
      <${FilterForm} fields=${c.filters} values=${filter} onSubmit=${setFilter} errors=${fieldErrors(error)} text=${c.text} />
    </details>
    <${ErrorNote} error=${error} />
    ${page
      ? html`<p class="count-line">${fill(c.text.found, { n: page.count })}</p>
          <${DataTable} columns=${columns} rows=${page.results} empty=${c.text.empty} rowKey="id" rowClass=${(p) => `card-${p.card || 'none'}`} />
          <${Pager} previous=${page.previous} next=${page.next} onPage=${setUrl} text=${c.text} />`
      : null}
  </div>`;
}

function LeadsTab({ c }) {
  const [status, setStatus] = useState('new');
  const [url, setUrl] = useState(null);
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const [converting, setConverting] = useState(null);
  useEffect(() => setUrl(`${c.leadsApi}?${new URLSearchParams(status ? { status } : {}).toString()}`), [status]);
  useEffect(() => {
    if (!url) return;
    setError(null);
    api.get(url).then(setPage).catch((err) => (setError(err), setPage(null)));
  }, [url]);
  const render = {
    carriers: (l) => l.carriers.map((x) => x.name || x.ref).join('、'),
    division: (l) => (l.division ? l.division.name : ''),
    status: (l) => l.status_label,
    investment_wan: (l) => wan(l.investment_wan, c.lang),
    created_at: (l) => when(l.created_at),
    convert: (l) =>
      l.status !== 'converted' && c.createDivisions.length
        ? html`<button type="button" class="primary small" data-convert=${l.reference} onClick=${() => setConverting(l)}>${c.text.convert}</button>`
        : null,
  };
  const columns = c.leadColumns.map((col) => (render[col.name] ? { ...col, render: render[col.name] } : col));
  return html`<div>
    <div class="toolbar">
      <label class="inline">${c.text.leadStatus}
        <select id="lead-status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
          <option value="">${c.text.any}</option>
          ${c.leadStatuses.map((o) => html`<option value=${o.value}>${o.label}</option>`)}
        </select>
      </label>
    </div>
    <${ErrorNote} error=${error} />
    ${page
      ? html`<p class="count-line">${fill(c.text.leadsFound, { n: page.count })}</p>
          <${DataTable} columns=${columns} rows=${page.results} empty=${c.text.noLeads} rowKey="reference" />
          <${Pager} previous=${page.previous} next=${page.next} onPage=${setUrl} text=${c.text} />`
      : null}
    <${CreateDialog} c=${c} api=${api} lead=${converting} open=${!!converting} onClose=${() => setConverting(null)} />
  </div>`;
}

function ListPage({ config: c }) {
  const start = readAddress(TABS);
  const [tab, setTab] = useState(start.tab);
  const [filter, setFilterState] = useState(start.filter);
  const [creating, setCreating] = useState(false);
  const setFilter = (values) => {
    setFilterState(values);
    writeAddress(tab, values);
  };
  const pickTab = (key) => {
    setTab(key);
    writeAddress(key, filter);
  };
  const tabs = [{ key: 'projects', label: c.text.projectsTab }];
  if (c.leadsApi) tabs.push({ key: 'leads', label: c.text.leadsTab });
  return html`<div>
    <${StaffHeader} config=${c} />
    <main class="staff-main">
      <div class="page-tools">
        ${tabs.length > 1 ? html`<${Tabs} tabs=${tabs} current=${tab} onSelect=${pickTab} />` : html`<span></span>`}
        ${c.createDivisions.length
          ? html`<button type="button" class="primary" id="create-project" onClick=${() => setCreating(true)}>${c.text.createTitle}</button>`
          : null}
      </div>
      ${tab === 'leads' ? html`<${LeadsTab} c=${c} />` : html`<${ProjectsTab} c=${c} filter=${filter} setFilter=${setFilter} />`}
      <${CreateDialog} c=${c} api=${api} lead=${null} open=${creating} onClose=${() => setCreating(false)} />
    </main>
  </div>`;
}

mount(ListPage, config);
