// Point in ring (even-odd rule), for the pages that test positions against shapes in the browser:
// the phone's inside-my-cell and the editor's holes. [lon, lat] and a closed ring of them.
export function inRing(point, ring) {
  const [x, y] = point;
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
