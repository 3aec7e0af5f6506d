// 巡查任务 on the desk: the patrol tasks of the caller's area (/api/patrols/tasks/) with their
// worker, checklist, window, lock and the coverage of their last run; picking one draws its area
// and the tracks of its runs (/api/patrols/runs/?task=) on the map, coloured by coverage.
import { DataTable, ErrorNote, FilterForm, Pager, fieldErrors, fill, html, useEffect, useState } from '../staff/kit.js';
import { when } from './common.js';
import { GeoMap } from './map.js';

const percent = (x) => (x == null ? '' : `${Math.round(Number(x) * 100)}%`);
// A run's track, red below half of its places covered, amber below all, green when all.
const coverageColour = (x) => (x == null ? '#829ab1' : x < 0.5 ? '#c62828' : x < 1 ? '#d48806' : '#2f9e44');

/** The runs with a track, as map features (a run's ``track_geometry`` is a GeoJSON MultiLineString: one part per stretch walked, the gaps left out). */
function trackFeatures(answer) {
  return answer.results
    .filter((r) => r.track_geometry)
    .map((r) => ({ type: 'Feature', geometry: r.track_geometry, properties: { id: r.id, started_at: r.started_at, worker_name: r.worker_name, coverage: r.coverage } }));
}

export function PatrolsTab({ c, api }) {
  const p = { ...c.patrols, text: { ...c.text, ...c.patrols.text } };
  const [filter, setFilter] = useState({});
  const [url, setUrl] = useState(null);
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const [task, setTask] = useState(null);
  const [tracks, setTracks] = useState(null);
  const query = new URLSearchParams(filter).toString();
  useEffect(() => setUrl(`${p.tasksApi}?${query}`), [query]);
  useEffect(() => {
    if (!url) return;
    setError(null);
    api.get(url).then(setPage).catch((err) => (setError(err), setPage(null)));
  }, [url]);
  useEffect(() => {
    if (!task) return;
    setTracks(null);
    api
      .get(p.runsApi, { task: task.id })
      .then((answer) => setTracks(trackFeatures(answer).map((f) => ({ ...f, properties: { ...f.properties, colour: coverageColour(f.properties.coverage) } }))))
      .catch(setError);
  }, [task && task.id]);
  const render = {
    title: (t) => html`<button type="button" class="link" data-task=${t.id} onClick=${() => setTask(t)}>${t.title}</button>`,
    worker: (t) => t.worker_name,
    template: (t) => `${t.template_name} v${t.template_version}`,
    area_kind: (t) => p.areaKinds[t.area_kind] || t.area_kind,
    state: (t) => p.states[t.state] || t.state,
    due_until: (t) => when(t.due_until),
    lock: (t) => (t.lock ? fill(p.text.lockedBy, { name: t.lock.holder_name, at: when(t.lock.expires_at) }) : ''),
    coverage: (t) => (t.last_run ? percent(t.last_run.coverage) : ''),
  };
  const columns = p.columns.map((col) => (render[col.name] ? { ...col, render: render[col.name] } : col));
  const area = task && task.area ? [{ type: 'Feature', geometry: task.area, properties: { colour: '#1565c0' } }] : [];
  const data = task && tracks ? { type: 'FeatureCollection', features: [...area, ...tracks] } : null;
  return html`<div class="patrols">
    <${FilterForm} fields=${p.filters} values=${filter} onSubmit=${setFilter} errors=${fieldErrors(error)} text=${c.text} />
    <${ErrorNote} error=${error} />
    <div class="desk-grid">
      <section class="panel map-panel" id="patrol-map">
        <h3>${task ? fill(p.text.tracksOf, { title: task.title }) : p.text.pickTask}</h3>
        ${task ? html`<${GeoMap} c=${c} api=${api} data=${data} label=${p.text.tracksOf} empty=${p.text.noTracks} />` : null}
        ${task && tracks && tracks.length
          ? html`<ul class="run-list">${tracks.map(
              (f) => html`<li key=${f.properties.id} data-run=${f.properties.id}>
                <span class="swatch" ref=${(el) => el && (el.style.background = f.properties.colour)}></span>
                <span>${when(f.properties.started_at)}</span>
                <span>${f.properties.worker_name || ''}</span>
                <span class="coverage">${fill(p.text.coverage, { n: percent(f.properties.coverage) })}</span>
              </li>`,
            )}</ul>`
          : null}
      </section>
      <section class="desk-list">
        ${page
          ? html`<p class="count-line">${fill(p.text.found, { n: page.count })}</p>
              <${DataTable} columns=${columns} rows=${page.results} empty=${c.text.empty} rowKey="id" rowClass=${(t) => `task-${t.state}`} />
              <${Pager} previous=${page.previous} next=${page.next} onPage=${setUrl} text=${c.text} />`
          : null}
      </section>
    </div>
  </div>`;
}
