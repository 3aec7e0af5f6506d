// The editor's map: MapLibre with the platform's own style for context (the scoped tiles of parcels
// and buildings around the park), the park boundary, and the park's working features in Terra Draw,
// where they are drawn, moved and reshaped. Over them: the topology issues the server found (overlap
// areas, the part outside the park, self-intersections) and a geometry diff (area added in green,
// removed in red). Undo and redo are ours, not Terra Draw's: a shared-boundary move changes two
// parcels at once and is undone as one step.
import { TerraDraw, TerraDrawLineStringMode, TerraDrawPolygonMode, TerraDrawSelectMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';

import { assemble, explode, follow, ringChange, same } from './shapes.js';
import { PRECISION, ringsOf, snapPoint } from './snap.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
const COLOURS = { feature: '#1565c0', pending: '#ef6c00', draft: '#6a1b9a', added: '#2e7d32', removed: '#c62828', issue: '#c62828', warning: '#f9a825' };
const EDITING_ACTIONS = new Set(['dragCoordinate', 'insertMidpoint', 'deleteCoordinate', 'dragFeature']);

function idStrategy() {
  let n = 0;
  return { isValidId: (id) => typeof id === 'string' && id.length > 0, getId: () => `td-${++n}` };
}

export class EditorCanvas {
  /**
   * ``hooks``: onSelect(recordKey | null), onDrawn(recordKey), onLine(lineGeometry), onChange() —
   * the page's state follows the map through them.
   */
  constructor(maplibregl, container, style, hooks) {
    this.hooks = hooks;
    this.records = new Map(); // record key -> {feature, parts: [tdId], holes}
    this.owner = new Map(); // tdId -> {key, part}
    this.rings = new Map(); // tdId -> the ring as last seen (to tell what an edit changed)
    this.dirty = new Set();
    this.undoStack = [];
    this.redoStack = [];
    this.boundary = null;
    this.silent = false;
    this.drafts = 0;
    this.map = new maplibregl.Map({ container, style, attributionControl: false, center: [116.4, 39.9], zoom: 12 });
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    this.ready = new Promise((resolve) => this.map.on('load', () => this._start(resolve)));
  }

  _start(resolve) {
    const m = this.map;
    for (const name of ['park', 'issues', 'diff', 'preview']) m.addSource(name, { type: 'geojson', data: EMPTY });
    m.addLayer({ id: 'park-line', type: 'line', source: 'park', paint: { 'line-color': '#102a43', 'line-width': 2.5, 'line-dasharray': [3, 2] } });
    m.addLayer({ id: 'preview-fill', type: 'fill', source: 'preview', paint: { 'fill-color': ['match', ['get', 'action'], 'create', COLOURS.added, 'update', COLOURS.pending, '#9aa5b1'], 'fill-opacity': 0.35 } });
    m.addLayer({ id: 'preview-line', type: 'line', source: 'preview', paint: { 'line-color': '#102a43', 'line-width': 1 } });
    m.addLayer({ id: 'diff-fill', type: 'fill', source: 'diff', paint: { 'fill-color': ['match', ['get', 'kind'], 'added', COLOURS.added, COLOURS.removed], 'fill-opacity': 0.55 } });
    m.addLayer({ id: 'diff-line', type: 'line', source: 'diff', paint: { 'line-color': ['match', ['get', 'kind'], 'added', COLOURS.added, 'before', '#102a43', COLOURS.removed], 'line-width': 2 } });
    const severity = ['match', ['get', 'severity'], 'error', COLOURS.issue, COLOURS.warning];
    m.addLayer({ id: 'issue-fill', type: 'fill', source: 'issues', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'fill-color': severity, 'fill-opacity': 0.6 } });
    m.addLayer({ id: 'issue-point', type: 'circle', source: 'issues', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-color': severity, 'circle-radius': 8, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });

    const snapping = { toCustom: (event, context) => snapPoint(this._snapRings(context.currentId), event, context) };
    const colourOf = (feature) => {
      const record = this.records.get(feature.properties.record);
      if (!record) return COLOURS.draft;
      if (record.feature.properties && record.feature.properties.pending) return COLOURS.pending;
      return this.dirty.has(feature.properties.record) ? COLOURS.draft : COLOURS.feature;
    };
    this.draw = new TerraDraw({
      adapter: new TerraDrawMapLibreGLAdapter({ map: m, coordinatePrecision: PRECISION }),
      idStrategy: idStrategy(),
      modes: [
        new TerraDrawSelectModeWithFlags(snapping),
        new TerraDrawPolygonMode({ snapping, styles: { fillColor: colourOf, outlineColor: colourOf, fillOpacity: 0.3, outlineWidth: 2 } }),
        new TerraDrawLineStringMode({ snapping, styles: { lineStringColor: COLOURS.issue, lineStringWidth: 3 } }),
        new PolygonStyles(colourOf),
      ],
    });
    this.draw.start();
    this.draw.setMode('select');
    this.draw.on('select', (id) => this.hooks.onSelect(this.owner.get(String(id))?.key ?? null));
    this.draw.on('deselect', () => this.hooks.onSelect(null));
    this.draw.on('finish', (id, context) => this._finished(String(id), context));
    // Read-only plots are not Terra Draw's to select: a click still shows their attributes.
    m.on('click', (e) => {
      if (this.editable) return;
      const hit = this.draw.getFeaturesAtLngLat(e.lngLat).find((f) => this.owner.has(String(f.id)));
      this.hooks.onSelect(hit ? this.owner.get(String(hit.id)).key : null);
    });
    m.getContainer().dataset.ready = 'true';
    resolve();
  }

  /** The rings a pointer may snap to: every other feature's and the park boundary's. */
  _snapRings(currentId) {
    const rings = [];
    for (const [tdId, ring] of this.rings) if (tdId !== String(currentId)) rings.push(ring);
    if (this.boundary) rings.push(...ringsOf([this.boundary]));
    return rings;
  }

  /** Shows the park and its working features (``features``: GeoJSON Features keyed by ``id``);
   * ``editable`` false shows them without handles (the published view, a reviewer). */
  load({ park, features, editable }) {
    this.boundary = park ? park.geometry : null;
    this.map.getSource('park').setData(park && park.geometry ? { type: 'Feature', geometry: park.geometry, properties: {} } : EMPTY);
    this.silent = true;
    this.draw.clear();
    this.records.clear();
    this.owner.clear();
    this.rings.clear();
    this.dirty.clear();
    this.undoStack = [];
    this.redoStack = [];
    const parts = [];
    for (const feature of features) {
      if (!feature.geometry || !feature.geometry.type.endsWith('Polygon')) continue;
      const key = String(feature.id);
      const { parts: tdParts, holes } = explode(feature);
      const ids = tdParts.map((part) => {
        const id = this.draw.getFeatureId();
        this.owner.set(id, { key, part: part.properties.part });
        this.rings.set(id, part.geometry.coordinates[0]);
        // Terra Draw keeps a feature in the mode it belongs to: editable plots in the polygon mode
        // (which the select mode edits), the rest in the read-only style's (drawn, never selected).
        parts.push({ ...part, id, properties: { ...part.properties, mode: editable ? 'polygon' : 'polygon-styles' } });
        return id;
      });
      this.records.set(key, { feature, parts: ids, holes });
    }
    this.draw.addFeatures(parts);
    this.silent = false;
    this.map.getContainer().dataset.features = String(this.records.size);
    this.editable = editable;
    // The plots when there are any (the park's outline shows around them), else the whole park.
    const frame = bbox(features.length ? features.map((f) => f.geometry) : [park && park.geometry]);
    if (frame) this.map.fitBounds(frame, { padding: 40, maxZoom: 18, duration: 0 });
  }

  setMode(mode) {
    this.draw.setMode({ select: 'select', draw: 'polygon', split: 'linestring' }[mode] || 'select');
  }

  select(key) {
    const record = this.records.get(key);
    if (record && this.editable) this.draw.selectFeature(record.parts[0]);
  }

  /** A record's geometry as it is now on the map (its parts, with the holes put back). */
  geometry(key) {
    const record = this.records.get(key);
    if (!record) return null;
    const mine = new Set(record.parts);
    const others = [];
    for (const [id, ring] of this.rings) if (!mine.has(id)) others.push(ring);
    if (this.boundary) others.push(...ringsOf([this.boundary]));
    return assemble(record.parts.map((id) => exactly(this.rings.get(id), others)), record.holes);
  }

  feature(key) {
    const record = this.records.get(key);
    return record ? record.feature : null;
  }

  keys() {
    return [...this.records.keys()];
  }

  /** Replaces a record's geometry (a split's first part, a merge's union, a conflict's choice),
   * as one undoable step. */
  replaceGeometry(key, geometry) {
    const record = this.records.get(key);
    const { parts, holes } = explode({ id: key, geometry });
    const step = [];
    this.silent = true;
    record.parts.forEach((id, i) => {
      const ring = parts[i] ? parts[i].geometry.coordinates[0] : null;
      if (ring) {
        step.push({ id, before: this.rings.get(id), after: ring });
        this._setRing(id, ring);
      }
    });
    this.silent = false;
    record.holes = holes;
    this._changed(step, [key]);
  }

  /** A new record (a drawn plot, a split's second part) with ``properties`` copied in. */
  addRecord(geometry, properties) {
    const key = `draft-${++this.drafts}`;
    const { parts, holes } = explode({ id: key, geometry });
    const ids = [];
    this.silent = true;
    for (const part of parts) {
      const id = this.draw.getFeatureId();
      this.owner.set(id, { key, part: part.properties.part });
      this.rings.set(id, part.geometry.coordinates[0]);
      this.draw.addFeatures([{ ...part, id, properties: { ...part.properties, mode: 'polygon' } }]);
      ids.push(id);
    }
    this.silent = false;
    this.records.set(key, { feature: { type: 'Feature', id: key, geometry, properties: { ...properties } }, parts: ids, holes });
    this.dirty.add(key);
    this.hooks.onChange();
    return key;
  }

  /** Takes a record off the map (a merge's second parcel, a discarded draft). */
  removeRecord(key) {
    const record = this.records.get(key);
    if (!record) return;
    this.silent = true;
    this.draw.removeFeatures(record.parts);
    this.silent = false;
    for (const id of record.parts) {
      this.owner.delete(id);
      this.rings.delete(id);
    }
    this.records.delete(key);
    this.dirty.delete(key);
    this.hooks.onChange();
  }

  _setRing(id, ring) {
    this.draw.updateFeatureGeometry(id, { type: 'Polygon', coordinates: [ring] });
    this.rings.set(id, ring);
  }

  _finished(id, context) {
    if (this.silent) return;
    const snapshot = this.draw.getSnapshotFeature(id);
    if (!snapshot) return;
    if (context.mode === 'polygon' && context.action === 'draw') {
      const geometry = snapshot.geometry;
      this.silent = true;
      this.draw.removeFeatures([id]);
      this.silent = false;
      const key = this.addRecord({ type: 'MultiPolygon', coordinates: [geometry.coordinates] }, {});
      this.draw.setMode('select');
      this.select(key);
      this.hooks.onDrawn(key);
      return;
    }
    if (context.mode === 'linestring') {
      this.silent = true;
      this.draw.removeFeatures([id]);
      this.silent = false;
      this.draw.setMode('select');
      this.hooks.onLine(snapshot.geometry);
      return;
    }
    if (!EDITING_ACTIONS.has(context.action) || !this.owner.has(id)) return;
    const before = this.rings.get(id);
    const after = snapshot.geometry.coordinates[0];
    const step = [{ id, before, after }];
    this.rings.set(id, after);
    const touched = new Set([this.owner.get(id).key]);
    const change = context.action === 'dragFeature' ? null : ringChange(before, after);
    if (change) {
      this.silent = true;
      for (const [other, ring] of this.rings) {
        if (other === id) continue;
        const followed = follow(ring, change);
        if (!followed) continue;
        step.push({ id: other, before: ring, after: followed });
        this._setRing(other, followed);
        touched.add(this.owner.get(other).key);
      }
      this.silent = false;
    }
    this._changed(step, [...touched]);
  }

  _changed(step, keys) {
    if (!step.length) return;
    this.undoStack.push({ step, keys, wasDirty: keys.filter((k) => this.dirty.has(k)) });
    this.redoStack = [];
    for (const key of keys) this.dirty.add(key);
    this.hooks.onChange();
  }

  _replay(entry, which) {
    this.silent = true;
    for (const change of entry.step) if (this.rings.has(change.id)) this._setRing(change.id, change[which]);
    this.silent = false;
  }

  undo() {
    const entry = this.undoStack.pop();
    if (!entry) return;
    this._replay(entry, 'before');
    for (const key of entry.keys) if (!entry.wasDirty.includes(key)) this.dirty.delete(key);
    this.redoStack.push(entry);
    this.hooks.onChange();
  }

  redo() {
    const entry = this.redoStack.pop();
    if (!entry) return;
    this._replay(entry, 'after');
    for (const key of entry.keys) this.dirty.add(key);
    this.undoStack.push(entry);
    this.hooks.onChange();
  }

  /** The topology issues as the server reported them (``issue.geometry``). */
  showIssues(issues) {
    const features = (issues || []).filter((i) => i.geometry).map((i) => ({ type: 'Feature', geometry: i.geometry, properties: { severity: i.severity, kind: i.kind } }));
    this.map.getSource('issues').setData({ type: 'FeatureCollection', features });
  }

  /** A geometry diff: ``added`` and ``removed`` areas, and the version's outline as ``before``. */
  showDiff(diff) {
    const features = [];
    for (const kind of ['added', 'removed', 'before']) if (diff && diff[kind]) features.push({ type: 'Feature', geometry: diff[kind], properties: { kind } });
    this.map.getSource('diff').setData({ type: 'FeatureCollection', features });
    this.map.getContainer().dataset.diff = features.map((f) => f.properties.kind).join(' ');
    if (features.length) this.map.fitBounds(bbox(features.map((f) => f.geometry)), { padding: 60, maxZoom: 18, duration: 0 });
  }

  /** An import's features coloured by what they become (``properties.action``). */
  showPreview(collection) {
    this.map.getSource('preview').setData(collection || EMPTY);
    const frame = collection && bbox(collection.features.map((f) => f.geometry));
    if (frame) this.map.fitBounds(frame, { padding: 40, maxZoom: 18, duration: 0 });
  }

  /** Screen position of a coordinate (the tests click vertices through it). */
  project(lng, lat) {
    return this.map.project([lng, lat]);
  }

  remove() {
    this.map.remove();
  }
}

/** The select mode, with what may be done to a selected plot: move, insert and delete vertices
 * (snapping as in drawing); dragging a whole plot is off, as a plot does not move, its corners do. */
class TerraDrawSelectModeWithFlags extends TerraDrawSelectMode {
  constructor(snapping) {
    super({
      flags: {
        polygon: {
          feature: {
            draggable: false,
            coordinates: { draggable: true, midpoints: true, deletable: true, snappable: snapping },
          },
        },
      },
      styles: { selectedPolygonColor: '#ef6c00', selectedPolygonFillOpacity: 0.35, selectedPolygonOutlineColor: '#ef6c00', selectedPolygonOutlineWidth: 3 },
    });
  }
}

/** Read-only plots (the published view, a reviewer's), drawn by Terra Draw in the feature colour. */
class PolygonStyles extends TerraDrawPolygonMode {
  constructor(colourOf) {
    super({ modeName: 'polygon-styles', editable: false, styles: { fillColor: colourOf, outlineColor: colourOf, fillOpacity: 0.25, outlineWidth: 2 } });
  }
}

/** The ring with each vertex that coincides with a neighbour's (within ``same``) replaced by the
 * neighbour's own coordinate: Terra Draw rounds what it stores, and a shared vertex must be the same
 * number on both sides for PostGIS to find no sliver between them. */
function exactly(ring, others) {
  return ring.map((p) => {
    for (const other of others) {
      const hit = other.find((q) => same(p, q));
      if (hit) return [hit[0], hit[1]];
    }
    return p;
  });
}

export function bbox(geometries) {
  let box = null;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      box = box ? [Math.min(box[0], c[0]), Math.min(box[1], c[1]), Math.max(box[2], c[0]), Math.max(box[3], c[1])] : [c[0], c[1], c[0], c[1]];
    } else c.forEach(walk);
  };
  for (const g of geometries) if (g) walk(g.coordinates);
  return box;
}
