// The phone's position: one ``watchPosition`` for the whole app (the map's dot and accuracy
// circle, the photo's place, the patrol's track), and the patrol recorder.
//
// A recorded patrol keeps each fix in IndexedDB as it comes, so a reload or a crashed tab loses
// nothing. When the screen locks the browser stops delivering positions; the recorder does not
// join the last fix before to the first after with a straight line the worker never walked: a
// fix after a silence longer than ``gapSeconds``, or after the page was hidden, starts a new part
// of the track (the gap is explicit in the MultiLineString the server stores).
import { addFix } from './store.js';

// Fixes worse than this say little about where the worker walked (a phone indoors, on cell towers).
const WORST_ACCURACY_M = 150;

let current = null;
let watching = null;
const listeners = new Set();

/** Starts watching (once) and calls ``listener(fix)`` on every position; returns the unsubscribe. */
export function onPosition(listener) {
  listeners.add(listener);
  if (current) listener(current);
  if (watching === null && 'geolocation' in navigator) {
    watching = navigator.geolocation.watchPosition(
      (p) => {
        current = { lon: p.coords.longitude, lat: p.coords.latitude, acc: Math.round(p.coords.accuracy), t: new Date(p.timestamp || Date.now()).toISOString() };
        for (const l of listeners) l(current);
      },
      () => {},
      { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 },
    );
  }
  return () => listeners.delete(listener);
}

export const lastPosition = () => current;

/**
 * Records a patrol run's fixes: ``start(run)`` and ``stop()``. ``onFix(fix, count)`` tells the
 * page. The part number grows at every gap.
 */
export function makeRecorder({ gapSeconds, onFix }) {
  let run = null;
  let part = 0;
  let last = null;
  let count = 0;
  let hiddenSince = null;
  let unsubscribe = null;

  const visibility = () => {
    if (document.visibilityState === 'hidden') hiddenSince = Date.now();
  };

  const take = async (fix) => {
    if (!run || fix.acc > WORST_ACCURACY_M) return;
    const t = Date.parse(fix.t);
    if (last && t <= last.time) return; // the same fix again (maximumAge), or the clock stepped back
    const silent = last && (t - last.time > gapSeconds * 1000 || (hiddenSince !== null && hiddenSince >= last.time));
    if (silent) part += 1;
    hiddenSince = null;
    last = { time: t };
    count += 1;
    const kept = { lon: fix.lon, lat: fix.lat, t: fix.t, acc: fix.acc, part };
    await addFix(run, kept);
    if (onFix) onFix(kept, count);
  };

  return {
    /** ``resume``: the fixes already kept for this run (after a reload), so numbering goes on. */
    start(runId, resume = []) {
      run = runId;
      count = resume.length;
      const tail = resume[resume.length - 1];
      part = tail ? tail.part : 0;
      // A reload is a gap too: the worker walked on while the page was gone.
      if (tail) part += 1;
      last = tail ? { time: Date.parse(tail.t) } : null;
      document.addEventListener('visibilitychange', visibility);
      unsubscribe = onPosition(take);
    },
    stop() {
      run = null;
      document.removeEventListener('visibilitychange', visibility);
      if (unsubscribe) unsubscribe();
    },
    get running() {
      return run !== null;
    },
  };
}
