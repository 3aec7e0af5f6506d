// The worker's cell as vector tiles, kept on the phone (the Cache API) so the map draws it with no
// network. ``saveTiles`` fetches every tile of the list /api/sync/area/ gives (z12 to the source's
// maximum zoom; the map overzooms beyond, so z17 draws from the z16 tiles); ``cellTile`` is the
// map's tile loader (a MapLibre protocol, run on the page, where the cache is): the kept tile at
// once, refreshed from the network in the background while online.

export const TILE_CACHE = 'cell-tiles';
const PARALLEL = 4;

function authorised(token) {
  return token ? { Authorization: `Token ${token}` } : {};
}

async function fetchInto(cache, url, token) {
  const res = await fetch(url, { headers: authorised(token), credentials: 'omit', cache: 'no-store' });
  if (res.ok) await cache.put(url, res.clone());
  return res;
}

/** Fetches the tiles not kept yet (all of them with ``refresh``); ``onProgress(done, total)``. */
export async function saveTiles(urls, { token, refresh = false, onProgress = () => {} }) {
  const cache = await caches.open(TILE_CACHE);
  const kept = new Set((await cache.keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search));
  const wanted = refresh ? urls : urls.filter((u) => !kept.has(u));
  let done = urls.length - wanted.length;
  onProgress(done, urls.length);
  const queue = [...wanted];
  const worker = async () => {
    while (queue.length) {
      const url = queue.shift();
      try {
        await fetchInto(cache, url, token);
      } catch {
        // Offline halfway: the rest comes with the next refresh.
        queue.length = 0;
        return;
      }
      done += 1;
      onProgress(done, urls.length);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return done;
}

/** How many tiles are kept. */
export async function keptTiles() {
  return (await (await caches.open(TILE_CACHE)).keys()).length;
}

/** A MapLibre protocol loader for ``celltile://<path>``: the kept tile, else the network. */
export function tileLoader(getToken) {
  return async (params) => {
    const url = params.url.replace(/^celltile:\/\//, '/');
    const cache = await caches.open(TILE_CACHE);
    const hit = await cache.match(url);
    if (hit) {
      if (navigator.onLine) fetchInto(cache, url, getToken()).catch(() => {});
      return { data: await hit.arrayBuffer() };
    }
    try {
      const res = await fetchInto(cache, url, getToken());
      return { data: res.ok ? await res.arrayBuffer() : new ArrayBuffer(0) };
    } catch {
      return { data: new ArrayBuffer(0) }; // offline and never kept: an empty tile, not an error
    }
  };
}
