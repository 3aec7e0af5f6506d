// Snapping for Terra Draw (``snapping.toCustom``): to the nearest vertex of a neighbouring parcel or
// the park boundary within a few pixels, else to the nearest point on one of their edges. The vertex
// is returned as the neighbour holds it (the API's 7 decimals, ~1 cm); the server then snaps what
// was saved to the neighbours' own stored vertices (editing.topology), so a snapped plot shares
// them to the last bit and PostGIS finds no gap and no overlap.
import { polygonsOf } from './shapes.js';

/** Every ring of the geometries (outer rings and holes), as closed coordinate lists. */
export function ringsOf(geometries) {
  const rings = [];
  for (const g of geometries) for (const polygon of polygonsOf(g)) rings.push(...polygon);
  return rings;
}

function nearestOnSegment(p, a, b) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = dx * dx + dy * dy;
  const t = len ? Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len)) : 0;
  return { x: a.x + t * dx, y: a.y + t * dy };
}

const dist = (p, q) => Math.hypot(p.x - q.x, p.y - q.y);
export const PRECISION = 9;
const round = (v) => Math.round(v * 10 ** PRECISION) / 10 ** PRECISION;

/**
 * The position to snap to for a pointer event, or undefined. ``rings()`` gives the current rings to
 * snap to (the neighbours change as the user edits); ``px`` is the reach in screen pixels; vertices
 * win over edges within the same reach, as a surveyor expects.
 */
export function snapPoint(rings, event, { project, unproject }, px = 12) {
  const pointer = { x: event.containerX, y: event.containerY };
  let vertex = null;
  let vertexDistance = px;
  let edge = null;
  let edgeDistance = px;
  for (const ring of rings) {
    let previous = null;
    for (const coordinate of ring) {
      const screen = project(coordinate[0], coordinate[1]);
      const d = dist(pointer, screen);
      if (d < vertexDistance) {
        vertexDistance = d;
        vertex = coordinate;
      }
      if (previous) {
        const on = nearestOnSegment(pointer, previous, screen);
        const e = dist(pointer, on);
        if (e < edgeDistance) {
          edgeDistance = e;
          edge = on;
        }
      }
      previous = screen;
    }
  }
  if (vertex) return [vertex[0], vertex[1]];
  if (edge) {
    // Terra Draw refuses coordinates finer than its precision (9 decimals, 0.1 mm).
    const { lng, lat } = unproject(edge.x, edge.y);
    return [round(lng), round(lat)];
  }
  return undefined;
}
