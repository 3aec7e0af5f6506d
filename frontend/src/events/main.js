// 事件调度台 (/staff/events/): the events of the caller's area on a map and in a list with the
// list's filters (grid/listing.py) and quick views by step; the overdue board (逾期看板) of the
// events running late, about to, or escalated, grouped by the level now handling them or by town,
// oldest first; and, once the patrols API serves them, the patrol tasks with their tracks and
// coverage and the checklist templates. The tab and the filter live in the page's address, so a
// link reproduces the view. Drawn with the staff kit; every word from the config (web/desk.py).
import {
  DataTable,
  ErrorNote,
  FilterForm,
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
  writeAddress as writeAddressOf,
} from '../staff/kit.js';
import { EventFlags, Presets, TONE_COLOURS, eventHref, tone, when } from './common.js';
import { GeoMap } from './map.js';
import { PatrolsTab } from './patrols.js';
import { TemplatesTab } from './templates.js';

const config = pageConfig();
const api = makeStaffApi(config);

function tabs(c) {
  const list = [
    { key: 'events', label: c.text.eventsTab },
    { key: 'board', label: c.text.boardTab },
  ];
  if (c.patrols) list.push({ key: 'patrols', label: c.text.patrolsTab }, { key: 'templates', label: c.text.templatesTab });
  return list;
}

const tabKeys = () => tabs(config).map((t) => t.key);
const writeAddress = (tab, filter) =>
  writeAddressOf({ tab, filter, tabs: tabKeys(), lang: config.lang, withFilter: tab === 'events' });

/** The events of a list answer as map points coloured by their standing. */
function coloured(fc) {
  return { ...fc, features: fc.features.map((f) => ({ ...f, properties: { ...f.properties, colour: TONE_COLOURS[tone(f.properties)] } })) };
}

function EventsTab({ c, filter, setFilter }) {
  const [url, setUrl] = useState(null);
  const [page, setPage] = useState(null);
  const [points, setPoints] = useState(null);
  const [error, setError] = useState(null);
  const query = new URLSearchParams(filter).toString();
  useEffect(() => setUrl(`${c.eventsApi}?${query}`), [query]);
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
  useEffect(() => {
    const abort = new AbortController();
    api
      .get(`${c.mapApi}?${query}`, null, { signal: abort.signal })
      .then((fc) => setPoints(coloured(fc)))
      .catch((err) => err.name !== 'AbortError' && setError(err));
    return () => abort.abort();
  }, [query]);
  const render = {
    code: (e) => html`<a class="event-link" href=${eventHref(c, e.id)}>${e.code}</a>`,
    title: (e) => html`<span class="event-title">${e.title}</span> <${EventFlags} event=${e} c=${c} state=${false} />`,
    category: (e) => e.category_name || c.labels.categories[e.category] || e.category,
    state: (e) => html`<span class=${`state-text state-${e.state}`}>${c.labels.states[e.state] || e.state}</span>`,
    division_code: (e) => c.divisionNames[e.division_code] || e.division_code,
    department: (e) => [e.department_name, e.handler_name].filter(Boolean).join(' · '),
    created_at: (e) => when(e.created_at),
  };
  const columns = c.columns.map((col) => (render[col.name] ? { ...col, render: render[col.name] } : col));
  const open = (feature) => window.location.assign(eventHref(c, feature.properties.id));
  return html`<div>
    <${Presets} presets=${c.presets} filter=${filter} onPick=${setFilter} />
    <details class="filters-box" open=${!PHONE.matches || Object.keys(filter).length > 0}>
      <summary>${fill(c.text.filtersToggle, { n: Object.keys(filter).length })}</summary>
      <${FilterForm} fields=${c.filters} values=${filter} onSubmit=${setFilter} errors=${fieldErrors(error)} text=${c.text} />
    </details>
    <${ErrorNote} error=${error} />
    <div class="desk-grid">
      <section class="panel map-panel" id="events-map">
        <h3>${c.text.mapTitle}</h3>
        <${GeoMap} c=${c} api=${api} data=${points} onPick=${open} label=${c.text.mapTitle} empty=${c.text.noPlace} />
        ${points && points.features.length >= c.mapLimit ? html`<p class="muted">${fill(c.text.tooMany, { n: c.mapLimit })}</p>` : null}
      </section>
      <section class="desk-list" id="events-list">
        ${page
          ? html`<p class="count-line" id="events-count">${fill(c.text.found, { n: page.count })}</p>
              <${DataTable} columns=${columns} rows=${page.results} empty=${c.text.empty} rowKey="id" rowClass=${(e) => `card-${e.card || 'none'}`} />
              <${Pager} previous=${page.previous} next=${page.next} onPage=${setUrl} text=${c.text} />`
          : null}
      </section>
    </div>
  </div>`;
}

/** Oldest first: the soonest due (the longest overdue) at the top, then the longest waiting. */
function oldestFirst(a, b) {
  if ((a.due_on || '9999') !== (b.due_on || '9999')) return (a.due_on || '9999') < (b.due_on || '9999') ? -1 : 1;
  return a.created_at < b.created_at ? -1 : 1;
}

function townOf(code) {
  return code ? code.slice(0, 9).padEnd(12, '0') : '';
}

function BoardCard({ c, event: e }) {
  return html`<li class=${`event-card card-${tone(e)}`} data-event=${e.id}>
    <a href=${eventHref(c, e.id)}>
      <span class="event-title">${e.title}</span>
      <span class="event-meta"><span>${e.code}</span><span>${c.labels.states[e.state]}</span></span>
      <span class="event-meta"><span>${e.due_on ? fill(c.text.dueOn, { date: e.due_on }) : ''}</span><span>${e.department_name || e.handler_name || ''}</span></span>
      <${EventFlags} event=${e} c=${c} state=${false} />
    </a>
  </li>`;
}

function BoardTab({ c }) {
  const [events, setEvents] = useState(null);
  const [error, setError] = useState(null);
  const [group, setGroup] = useState('level');
  const load = () => {
    const base = { state: c.openStates, order: 'due', page_size: 500 };
    Promise.all([api.get(c.eventsApi, { ...base, card: 'any' }), api.get(c.eventsApi, { ...base, escalated: 'true' })])
      .then(([late, escalated]) => {
        const byId = new Map([...late.results, ...escalated.results].map((e) => [e.id, e]));
        setEvents([...byId.values()].sort(oldestFirst));
        setError(null);
      })
      .catch(setError);
  };
  useEffect(load, []);
  const groups = new Map();
  for (const e of events || []) {
    const key = group === 'level' ? String(e.escalation) : townOf(e.division_code);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(e);
  }
  const keys = [...groups.keys()].sort((a, b) => (group === 'level' ? Number(b) - Number(a) : a.localeCompare(b)));
  const title = (key) => (group === 'level' ? c.labels.levels[key] : c.divisionNames[key] || c.text.otherPlace);
  return html`<div class="overdue-board">
    <div class="toolbar">
      <span class="muted">${c.text.boardIntro}</span>
      <label class="inline">${c.text.groupBy}
        <select id="board-group" value=${group} onChange=${(e) => setGroup(e.currentTarget.value)}>
          <option value="level">${c.text.byLevel}</option>
          <option value="division">${c.text.byDivision}</option>
        </select>
      </label>
    </div>
    <${ErrorNote} error=${error} action=${error ? { label: c.text.retry, onClick: load } : null} />
    ${events && !events.length ? html`<p class="empty">${c.text.boardEmpty}</p>` : null}
    ${keys.length
      ? html`<div class="board">${keys.map(
          (key) => html`<section class="board-column" data-group=${key} key=${key}>
            <h2>${title(key)} <small class="count">${fill(c.text.count, { n: groups.get(key).length })}</small></h2>
            <ol>${groups.get(key).map((e) => html`<${BoardCard} key=${e.id} c=${c} event=${e} />`)}</ol>
          </section>`,
        )}</div>`
      : null}
  </div>`;
}

function Desk({ config: c }) {
  const start = readAddress(tabKeys());
  const [tab, setTab] = useState(start.tab);
  const [filter, setFilterState] = useState(start.filter);
  const setFilter = (values) => {
    setFilterState(values);
    writeAddress(tab, values);
  };
  const pick = (key) => {
    setTab(key);
    writeAddress(key, filter);
  };
  const body = {
    events: () => html`<${EventsTab} c=${c} filter=${filter} setFilter=${setFilter} />`,
    board: () => html`<${BoardTab} c=${c} />`,
    patrols: () => html`<${PatrolsTab} c=${c} api=${api} />`,
    templates: () => html`<${TemplatesTab} c=${c} api=${api} />`,
  }[tab];
  return html`<div>
    <${StaffHeader} config=${c} />
    <main class="staff-main desk">
      <div class="page-tools"><${Tabs} tabs=${tabs(c)} current=${tab} onSelect=${pick} /></div>
      ${body()}
    </main>
  </div>`;
}

mount(Desk, config);
