// 园区数据编辑 (/editor/): the park manager's editor. The park's working plots and buildings on a map
// (Terra Draw over MapLibre), an attribute form from the layer catalogue, drawing with snapping,
// shared-boundary edits, split and merge, undo and redo, topology issues from the server, history
// with a geometry diff and revert, the stale editor's conflict dialog, changesets for review, and
// importing a corrected survey. Every word comes from the page's config (web/editor.py).
import {
  BusyButton,
  ErrorNote,
  StaffHeader,
  Tabs,
  fieldErrors,
  fill,
  html,
  makeStaffApi,
  mount,
  pageConfig,
  useEffect,
  useRef,
  useState,
  useToast,
} from '../staff/kit.js';
import { baseStyle, loadMapLibre } from '../workspace/map.js';

import { EditorCanvas } from './canvas.js';
import { ConflictDialog } from './conflict.js';
import { FeatureForm, changedProperties, formFields, missingCarried } from './form.js';
import { HistoryPanel } from './history.js';
import { ImportPanel } from './imports.js';
import { ChangesetList, ChangesetView } from './review.js';

const params = new URLSearchParams(window.location.search);

function Editor({ config: c }) {
  const api = useRef(makeStaffApi(c)).current;
  const box = useRef(null);
  const canvas = useRef(null);
  const [toast, say] = useToast();
  const [park, setPark] = useState(() => Number(params.get('park')) || (c.parks[0] && c.parks[0].id));
  const [layer, setLayer] = useState(params.get('layer') === 'buildings' ? 'buildings' : 'parcels');
  const [view, setView] = useState('working');
  const [catalogue, setCatalogue] = useState(null);
  const [data, setData] = useState(null);
  const [selected, setSelected] = useState(null);
  const [drafts, setDrafts] = useState({}); // record key -> {field: value}
  const [deleted, setDeleted] = useState([]);
  const [errors, setErrors] = useState({}); // record key -> {field: message}
  const [issues, setIssues] = useState([]);
  const [conflict, setConflict] = useState(null);
  const [error, setError] = useState(null);
  const [panel, setPanel] = useState(params.get('changeset') ? 'changesets' : 'form');
  const [changeset, setChangeset] = useState(Number(params.get('changeset')) || null);
  const [mode, setMode] = useState('select');
  const [merging, setMerging] = useState(null);
  const [, setTick] = useState(0);
  const [reloads, setReloads] = useState(0);

  const spec = catalogue && catalogue.find((l) => l.name === layer);
  const fields = spec ? formFields(spec) : [];
  const labels = Object.fromEntries((spec ? spec.fields : []).map((f) => [f.name, f.title]));
  // A coded value as its label (供应状态 reserved → 预留), for the diffs of history and review.
  const choiceLabels = Object.fromEntries((spec ? spec.fields : []).filter((f) => f.choices).map((f) => [f.name, Object.fromEntries(f.choices.map((o) => [o.value, o.label]))]));
  const valueOf = (field, value) => {
    if (Array.isArray(value)) return value.join('，');
    if (value == null || value === '') return '—';
    return (choiceLabels[field] && choiceLabels[field][value]) || String(value);
  };
  const editable = view === 'working' && !!data && data.editable;

  useEffect(() => {
    api.get(c.catalogueApi).then((body) => setCatalogue(body.layers)).catch(setError);
    Promise.all([loadMapLibre(c), baseStyle(c, api)])
      .then(([maplibregl, style]) => {
        canvas.current = new EditorCanvas(maplibregl, box.current, style, {
          onSelect: (key) => {
            if (mergingRef.current && key && key !== mergingRef.current) return finishMerge(mergingRef.current, key);
            setSelected(key);
          },
          onDrawn: (key) => {
            setSelected(key);
            setMode('select');
            setPanel('form');
          },
          onLine: (line) => split(line),
          onChange: () => setTick((n) => n + 1),
        });
        // The map's element knows its editor (the browser tests find screen positions through it).
        box.current.editor = canvas.current;
        return canvas.current.ready;
      })
      .then(() => setTick((n) => n + 1))
      .catch(setError);
    return () => canvas.current && canvas.current.remove();
  }, []);
  const mergingRef = useRef(null);
  mergingRef.current = merging;
  const selectedRef = useRef(null);
  selectedRef.current = selected;

  const reload = () => setReloads((n) => n + 1);
  useEffect(() => {
    if (!park) return;
    setError(null);
    api
      .get(c.workingApi, { park, layer, view })
      .then((body) => {
        setData(body);
        setDrafts({});
        setDeleted([]);
        setErrors({});
        return canvas.current && canvas.current.ready.then(() => canvas.current.load({ park: body.park, features: body.features, editable: view === 'working' && body.editable }));
      })
      .catch(setError);
  }, [park, layer, view, reloads, !!canvas.current]);

  const feature = selected && canvas.current ? canvas.current.feature(selected) : null;
  const dirty = canvas.current ? canvas.current.dirty : new Set();
  const pendingKeys = new Set([...dirty, ...Object.keys(drafts), ...deleted]);

  const changeMode = (next) => {
    setMode(next);
    setMerging(null);
    if (canvas.current) canvas.current.setMode(next);
  };

  const itemFor = (key) => {
    const f = canvas.current.feature(key);
    const pending = f.properties.pending;
    if (deleted.includes(key)) return { layer, id: key, action: 'delete', version: f.properties.version, revision: pending ? pending.revision : 0 };
    const properties = changedProperties(fields, f, drafts[key] || {});
    const item = { layer, properties };
    if (dirty.has(key)) item.geometry = canvas.current.geometry(key);
    if (key.startsWith('draft-')) return { ...item, id: null, action: 'create', properties: { ...f.properties, ...properties }, geometry: canvas.current.geometry(key) };
    return { ...item, id: key.startsWith('new-') ? key : Number(key), action: 'update', version: f.properties.version, revision: pending ? pending.revision : 0 };
  };

  const save = async () => {
    const keys = [...pendingKeys].filter((k) => canvas.current.feature(k));
    for (const key of keys) {
      const missing = missingCarried(fields, canvas.current.feature(key), drafts[key] || {});
      if (missing.length && !deleted.includes(key)) {
        setSelected(key);
        setErrors({ [key]: Object.fromEntries(missing.map((name) => [name, c.text.carriedRequired])) });
        return;
      }
    }
    const items = keys.map(itemFor);
    if (!items.length) return;
    setError(null);
    try {
      const answer = await api.post(c.editsApi, { park, items });
      setIssues(answer.issues || []);
      canvas.current.showIssues(answer.issues || []);
      say(answer.applied ? c.text.savedLive : c.text.savedStaged);
      const first = answer.features && answer.features[0];
      reload();
      if (first) setSelected(String(first.id));
    } catch (err) {
      handleSaveError(err, keys, items);
    }
  };

  const handleSaveError = (err, keys, items) => {
    const body = (err.body && err.body.error) || {};
    if (err.code === 'topology') {
      setIssues(body.issues || []);
      canvas.current.showIssues(body.issues || []);
    } else if (err.code === 'stale_version') {
      const index = keys.findIndex((k) => String(k) === String(body.record));
      const key = keys[index >= 0 ? index : 0];
      setConflict({ key, message: err.message, current: body.current, mine: items[index >= 0 ? index : 0] });
      return;
    } else if (err.status === 400 && body.fields && body.fields.items) {
      // Per item: {index: {field: [message]}}: each error goes beside its field, on its record's form.
      const perItem = body.fields.items;
      const mapped = {};
      for (const [index, fieldMap] of Object.entries(perItem)) mapped[keys[Number(index)]] = fieldErrors({ fields: fieldMap });
      setErrors(mapped);
      const firstKey = keys[Number(Object.keys(perItem)[0])];
      if (firstKey) setSelected(firstKey);
    }
    setError(err);
  };

  const applyConflict = ({ properties, geometry, current }) => {
    const key = conflict.key;
    setConflict(null);
    const f = canvas.current.feature(key);
    // Re-apply on top of theirs: their version becomes the base, the kept fields the change.
    f.properties = { ...current.properties };
    if (!geometry && current.geometry) canvas.current.replaceGeometry(key, current.geometry);
    if (!geometry) canvas.current.dirty.delete(key);
    setDrafts({ ...drafts, [key]: properties });
    setTick((n) => n + 1);
  };

  const split = async (line) => {
    const key = selectedRef.current;
    if (!key) return say(c.text.selectFirst, 'warn');
    try {
      const answer = await api.post(c.splitApi, { layer, geometry: canvas.current.geometry(key), line });
      const [first, ...rest] = answer.parts;
      canvas.current.replaceGeometry(key, first);
      const props = { ...canvas.current.feature(key).properties };
      let last = null;
      rest.forEach((part, i) => {
        const copy = Object.fromEntries(fields.map((f) => [f.name, props[f.name]]));
        if ('code' in copy && copy.code) copy.code = `${copy.code}-${i + 2}`;
        last = canvas.current.addRecord(part.type === 'Polygon' ? { type: 'MultiPolygon', coordinates: [part.coordinates] } : part, copy);
      });
      if (last) setSelected(last);
      say(c.text.splitDone);
    } catch (err) {
      setError(err);
    }
  };

  const finishMerge = async (keep, other) => {
    setMerging(null);
    try {
      const answer = await api.post(c.mergeApi, { layer, geometries: [canvas.current.geometry(keep), canvas.current.geometry(other)] });
      canvas.current.replaceGeometry(keep, answer.geometry);
      markDeleted(other);
      setSelected(keep);
      say(c.text.mergeDone);
    } catch (err) {
      setError(err);
    }
  };

  const markDeleted = (key) => {
    if (key.startsWith('draft-')) canvas.current.removeRecord(key);
    else setDeleted((list) => [...list, key]);
  };

  const revert = async (entry) => {
    const f = canvas.current.feature(selected);
    const pending = f.properties.pending;
    try {
      await api.post(c.editsApi, { park, items: [{ layer, id: Number(selected), action: 'revert', history_id: entry.history_id, version: f.properties.version, revision: pending ? pending.revision : 0 }] });
      say(c.text.reverted);
      reload();
    } catch (err) {
      handleSaveError(err, [selected], [{ properties: {}, geometry: null }]);
    }
  };

  const isRecord = selected && !selected.startsWith('draft-') && !selected.startsWith('new-');
  const tabs = [
    { key: 'form', label: c.text.tabForm },
    { key: 'history', label: c.text.tabHistory },
    { key: 'changesets', label: c.text.tabChangesets },
    ...(c.mayImport ? [{ key: 'import', label: c.text.tabImport }] : []),
  ];
  return html`<div class="staff editor-page">
    <${StaffHeader} config=${c} />
    <div class="toolbar editor-toolbar">
      <label class="inline">${c.text.park}
        <select name="park" value=${park} onChange=${(e) => setPark(Number(e.currentTarget.value))}>
          ${c.parks.map((p) => html`<option value=${p.id}>${p.name}</option>`)}
        </select>
      </label>
      <label class="inline">${c.text.layer}
        <select name="layer" value=${layer} onChange=${(e) => setLayer(e.currentTarget.value)}>
          ${c.layers.map((l) => html`<option value=${l.name}>${l.title}</option>`)}
        </select>
      </label>
      <div class="segmented" role="group" aria-label=${c.text.view}>
        ${['working', 'published'].map((v) => html`<button type="button" data-view=${v} aria-pressed=${view === v ? 'true' : 'false'} onClick=${() => setView(v)}>${c.text[v]}</button>`)}
      </div>
      ${editable
        ? html`<div class="segmented tools" role="group" aria-label=${c.text.tools}>
            ${['select', 'draw', 'split'].map((m) => html`<button type="button" data-mode=${m} aria-pressed=${mode === m ? 'true' : 'false'} onClick=${() => changeMode(m)}>${c.text[`mode_${m}`]}</button>`)}
            <button type="button" data-mode="merge" aria-pressed=${merging ? 'true' : 'false'} disabled=${!selected} onClick=${() => { changeMode('select'); setMerging(selected); say(c.text.mergeHint); }}>${c.text.mode_merge}</button>
            <button type="button" class="undo" disabled=${!canvas.current || !canvas.current.undoStack.length} onClick=${() => canvas.current.undo()}>${c.text.undo}</button>
            <button type="button" class="redo" disabled=${!canvas.current || !canvas.current.redoStack.length} onClick=${() => canvas.current.redo()}>${c.text.redo}</button>
            <${BusyButton} className="primary save" label=${pendingKeys.size ? fill(c.text.saveN, { n: pendingKeys.size }) : c.text.save} busyLabel=${c.text.sending} disabled=${!pendingKeys.size} onClick=${save} />
          </div>`
        : null}
      ${data && data.reviewed && view === 'working' ? html`<small class="muted review-note">${c.text.reviewNote}</small>` : null}
    </div>
    <${ErrorNote} error=${error} />
    ${issues.length
      ? html`<ul class="issues">${issues.map((i) => html`<li class=${`issue issue-${i.severity}`} data-kind=${i.kind}>${i.message}</li>`)}</ul>`
      : null}
    <div class="editor-body">
      <div class="editor-map" ref=${box} role="application" aria-label=${c.text.mapLabel}></div>
      <aside class="editor-side">
        <${Tabs} tabs=${tabs} current=${panel} onSelect=${setPanel} />
        ${panel === 'form'
          ? feature && spec
            ? html`<${FeatureForm} c=${c} fields=${fields} feature=${feature} draft=${drafts[selected] || {}} geometry=${canvas.current.geometry(selected)}
                  errors=${errors[selected] || {}} readOnly=${!editable}
                  onValue=${(name, value) => setDrafts({ ...drafts, [selected]: { ...(drafts[selected] || {}), [name]: value } })} />
                ${editable && !deleted.includes(selected)
                  ? html`<button type="button" class="danger delete" onClick=${() => markDeleted(selected)}>${c.text.deleteFeature}</button>`
                  : null}`
            : html`<p class="empty">${c.text.pickFeature}</p>`
          : null}
        ${panel === 'history'
          ? isRecord
            ? html`<${HistoryPanel} c=${c} api=${api} layer=${layer} recordId=${selected} labels=${labels} valueOf=${valueOf}
                onShowDiff=${(d) => canvas.current.showDiff(d)} onRevert=${revert} />`
            : html`<p class="empty">${c.text.pickFeature}</p>`
          : null}
        ${panel === 'changesets'
          ? changeset
            ? html`<button type="button" class="link" onClick=${() => setChangeset(null)}>${c.text.backToList}</button>
                <${ChangesetView} c=${c} api=${api} id=${changeset} labels=${labels} valueOf=${valueOf} say=${say} reviewed=${!!(data && data.reviewed)}
                  onShowDiff=${(d) => canvas.current.showDiff(d)} onDone=${reload} />`
            : html`<${ChangesetList} c=${c} api=${api} park=${park} version=${reloads} onOpen=${setChangeset} />`
          : null}
        ${panel === 'import'
          ? html`<${ImportPanel} c=${c} api=${api} layer=${layer} matchFields=${c.matchFields[layer] || []} say=${say}
              onPreview=${(fc) => canvas.current.showPreview(fc)}
              onDone=${() => { canvas.current.showPreview(null); reload(); }} />`
          : null}
      </aside>
    </div>
    ${conflict ? html`<${ConflictDialog} c=${c} conflict=${conflict} labels=${labels} valueOf=${valueOf} onApply=${applyConflict} onClose=${() => setConflict(null)} />` : null}
    ${toast}
  </div>`;
}

mount(Editor, pageConfig());
