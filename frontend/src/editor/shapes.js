// The editor's geometry, kept in the browser: Terra Draw edits one simple polygon at a time, so a
// record's MultiPolygon is split into its parts (one Terra Draw feature each) and its holes are kept
// aside and put back when the record is saved; topological editing (a vertex two parcels share moves
// in both) and the geometry diff (area added, area removed) are ours too. Nothing here calls the server.
import polygonClipping from 'polygon-clipping';

import { inRing } from '../common/rings.js';

const EARTH_RADIUS_M = 6378137;
export const MU_M2 = 2000 / 3; // 1 亩 = 666.67 ㎡, as layers.models.base.MU_M2
// Two coordinates are the same vertex when they agree to ~1 mm: what the server sends and what Terra
// Draw stores differ in the last digits, a shared vertex never by more.
const SAME = 1e-8;

export const same = (a, b) => Math.abs(a[0] - b[0]) < SAME && Math.abs(a[1] - b[1]) < SAME;

/** The polygons of a Polygon or MultiPolygon geometry, as [rings]. */
export function polygonsOf(geometry) {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return [geometry.coordinates];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates;
  return [];
}

/** A record's parts as Terra Draw features (outer rings only) and its holes, by part. */
export function explode(feature) {
  const parts = polygonsOf(feature.geometry);
  return {
    parts: parts.map((rings, part) => ({
      type: 'Feature',
      geometry: { type: 'Polygon', coordinates: [rings[0]] },
      properties: { mode: 'polygon', record: String(feature.id), part },
    })),
    holes: parts.map((rings) => rings.slice(1)),
  };
}

/** The parts (outer rings) and the kept holes, as the MultiPolygon the layer stores. A hole that no
 * longer lies inside its part (the part was redrawn smaller) is dropped rather than saved invalid. */
export function assemble(outerRings, holes) {
  const polygons = outerRings.map((outer, i) => [outer, ...(holes[i] || []).filter((hole) => hole.every((p) => inRing(p, outer)))]);
  return { type: 'MultiPolygon', coordinates: polygons };
}

function ringArea(ring) {
  // The spherical excess of the ring (Chamberlain & Duquette), as Turf and MapLibre measure it: within
  // a fraction of a percent of PostGIS's ellipsoidal area at a park's size, which is what a form needs.
  let sum = 0;
  for (let i = 0; i < ring.length - 1; i++) {
    const [x1, y1] = ring[i];
    const [x2, y2] = ring[i + 1];
    sum += ((x2 - x1) * Math.PI) / 180 * (2 + Math.sin((y1 * Math.PI) / 180) + Math.sin((y2 * Math.PI) / 180));
  }
  return Math.abs((sum * EARTH_RADIUS_M * EARTH_RADIUS_M) / 2);
}

/** Area in ㎡ of a Polygon or MultiPolygon (holes subtracted). */
export function areaM2(geometry) {
  return polygonsOf(geometry).reduce((total, rings) => total + ringArea(rings[0]) - rings.slice(1).reduce((h, r) => h + ringArea(r), 0), 0);
}

/**
 * What changed in one ring: a moved vertex ({moved: [from, to]}), an inserted one ({inserted: p,
 * between: [a, b]}), a removed one ({removed: p}), or null. Rings are closed (first = last).
 */
export function ringChange(before, after) {
  const b = before.slice(0, -1);
  const a = after.slice(0, -1);
  if (a.length === b.length) {
    const changed = b.map((p, i) => (same(p, a[i]) ? -1 : i)).filter((i) => i >= 0);
    return changed.length === 1 ? { moved: [b[changed[0]], a[changed[0]]] } : null;
  }
  if (a.length === b.length + 1) {
    const i = a.findIndex((p, k) => k >= b.length || !same(p, b[k]));
    return { inserted: a[i], between: [a[(i - 1 + a.length) % a.length], a[(i + 1) % a.length]] };
  }
  if (a.length + 1 === b.length) {
    const i = b.findIndex((p, k) => k >= a.length || !same(p, a[k]));
    return { removed: b[i] };
  }
  return null;
}

const closed = (open) => [...open, open[0]];

/**
 * The same change applied to a neighbour's ring, so a shared boundary stays shared: a moved vertex
 * moves where the neighbour has it too; a vertex inserted on an edge the neighbour shares is inserted
 * in the neighbour's edge as well; a removed shared vertex is removed from both. Returns the new ring,
 * or null when the neighbour does not share what changed.
 */
export function follow(ring, change) {
  const open = ring.slice(0, -1);
  if (change.moved) {
    const [from, to] = change.moved;
    if (!open.some((p) => same(p, from))) return null;
    return closed(open.map((p) => (same(p, from) ? to : p)));
  }
  if (change.inserted) {
    const [p, q] = change.between;
    for (let i = 0; i < open.length; i++) {
      const u = open[i];
      const v = open[(i + 1) % open.length];
      if ((same(u, p) && same(v, q)) || (same(u, q) && same(v, p))) {
        return closed([...open.slice(0, i + 1), change.inserted, ...open.slice(i + 1)]);
      }
    }
    return null;
  }
  if (change.removed && open.length > 3 && open.some((p) => same(p, change.removed))) {
    return closed(open.filter((p) => !same(p, change.removed)));
  }
  return null;
}

const asClip = (geometry) => polygonsOf(geometry);
const asGeometry = (multi) => (multi.length ? { type: 'MultiPolygon', coordinates: multi } : null);

/** The geometry diff of two versions: the area the new one adds and the area it takes away. */
export function geometryDiff(before, after) {
  if (!before || !after) return { added: after || null, removed: before || null };
  const b = asClip(before);
  const a = asClip(after);
  return { added: asGeometry(polygonClipping.difference(a, b)), removed: asGeometry(polygonClipping.difference(b, a)) };
}
