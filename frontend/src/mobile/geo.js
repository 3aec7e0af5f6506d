// The phone's own geometry, for work with no network: distances, "what is around me within R
// metres" over the downloaded features, "is this point inside my cell", and a patrol's track
// split into the stretches actually walked.
import { inRing } from '../common/rings.js';

const EARTH_RADIUS_M = 6371008.8;
const rad = (deg) => (deg * Math.PI) / 180;

/** Great-circle distance in metres between two [lon, lat]. */
export function distanceM([lon1, lat1], [lon2, lat2]) {
  const dLat = rad(lat2 - lat1);
  const dLon = rad(lon2 - lon1);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Whether [lon, lat] lies inside a GeoJSON Polygon or MultiPolygon (holes respected). */
export function contains(geometry, point) {
  if (!geometry) return false;
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  return polygons.some(([outer, ...holes]) => inRing(point, outer) && !holes.some((hole) => inRing(point, hole)));
}

/** The cell (a GeoJSON Feature) the point lies in, or null. */
export function cellAt(cells, point) {
  return (cells || []).find((cell) => contains(cell.geometry, point)) || null;
}

/** The features within ``radius`` metres of ``point``, nearest first, each with ``distance``. */
export function around(features, point, radius) {
  return features
    .map((f) => ({ feature: f, distance: distanceM(point, f.geometry.coordinates) }))
    .filter((hit) => hit.distance <= radius)
    .sort((a, b) => a.distance - b.distance);
}

/**
 * A patrol's fixes (``{lon, lat, t, acc, part}``, in the order taken) as the server's track: a
 * GeoJSON MultiLineString whose parts are the stretches walked, and one time per vertex. A new
 * part begins where ``part`` changes (the recorder starts one after a gap); a part of one fix
 * draws nothing and is left out. ``lengthM`` is the walked length, gaps excluded.
 */
export function trackOf(fixes) {
  const parts = [];
  for (const fix of fixes) {
    const last = parts[parts.length - 1];
    if (!last || last.part !== fix.part) parts.push({ part: fix.part, fixes: [fix] });
    else last.fixes.push(fix);
  }
  const walked = parts.filter((p) => p.fixes.length >= 2);
  let lengthM = 0;
  for (const p of walked) {
    for (let i = 1; i < p.fixes.length; i += 1) {
      lengthM += distanceM([p.fixes[i - 1].lon, p.fixes[i - 1].lat], [p.fixes[i].lon, p.fixes[i].lat]);
    }
  }
  return {
    geometry: { type: 'MultiLineString', coordinates: walked.map((p) => p.fixes.map((f) => [f.lon, f.lat])) },
    timestamps: walked.flatMap((p) => p.fixes.map((f) => f.t)),
    lengthM,
    points: walked.reduce((n, p) => n + p.fixes.length, 0),
    gaps: Math.max(0, walked.length - 1),
  };
}
