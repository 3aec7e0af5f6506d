// What the phone keeps (IndexedDB, through idb): the worker's device token, the queue of their
// offline work, the photos waiting to go up, the patrol being recorded, and the last copy of the
// server's data (the area, tasks, events, messages) so the app starts and works with no network.
//
// An operation is kept until the server has answered it with a final state (applied, conflict,
// rejected); even then it stays, shown in the queue, until the worker clears it. Nothing the
// worker did is deleted because a request failed.
import { openDB } from 'idb';

const DB_NAME = 'geoportal-mobile';
const VERSION = 1;

let opened = null;

export function db() {
  if (!opened) {
    opened = openDB(DB_NAME, VERSION, {
      upgrade(store) {
        // Key-value: the session (token, user), the last sync, the recording patrol.
        store.createObjectStore('meta');
        // Cached server answers by name: area, tasks, events, inbox, template:<id>.
        store.createObjectStore('cache');
        const ops = store.createObjectStore('ops', { keyPath: 'id' });
        ops.createIndex('seq', 'seq');
        // Photos by SHA-256: the downscaled JPEG and how much of it the server has.
        store.createObjectStore('photos', { keyPath: 'sha' });
        // The positions of a patrol being recorded, by run uuid; appended as they come.
        store.createObjectStore('fixes', { autoIncrement: true }).createIndex('run', 'run');
      },
    });
  }
  return opened;
}

export async function getMeta(key) {
  return (await db()).get('meta', key);
}

export async function setMeta(key, value) {
  return (await db()).put('meta', value, key);
}

export async function deleteMeta(key) {
  return (await db()).delete('meta', key);
}

export async function getCached(key) {
  return (await db()).get('cache', key);
}

export async function setCached(key, value) {
  return (await db()).put('cache', { value, at: new Date().toISOString() }, key);
}

/** A UUID made on the phone: the operation's identity on the server, forever. */
export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Queues one operation: ``{type, data, baseVersion, photos, label, user}``. ``at`` is the phone's
 * clock now (the server corrects it by the skew it measures when the batch arrives). ``id``
 * may be given when another record names it (a patrol's finish names its start).
 */
export async function enqueue({ id = newId(), type, data, baseVersion = null, photos = [], label = '', user }) {
  const store = await db();
  const op = {
    id,
    type,
    data,
    base_version: baseVersion,
    at: new Date().toISOString(),
    photos,
    label,
    user,
    state: 'pending',
    seq: Date.now() + Math.random(),
    result: null,
  };
  await store.put('ops', op);
  return op;
}

export async function allOps() {
  return (await db()).getAllFromIndex('ops', 'seq');
}

export async function putOp(op) {
  return (await db()).put('ops', op);
}

export async function deleteOps(ids) {
  const tx = (await db()).transaction('ops', 'readwrite');
  await Promise.all([...ids.map((id) => tx.store.delete(id)), tx.done]);
}

export async function putPhoto(photo) {
  return (await db()).put('photos', photo);
}

export async function getPhoto(sha) {
  return (await db()).get('photos', sha);
}

export async function allPhotos() {
  return (await db()).getAll('photos');
}

export async function addFix(run, fix) {
  return (await db()).add('fixes', { run, ...fix });
}

export async function fixesOf(run) {
  return (await db()).getAllFromIndex('fixes', 'run', run);
}

export async function dropFixes(run) {
  const store = await db();
  const tx = store.transaction('fixes', 'readwrite');
  for (const key of await tx.store.index('run').getAllKeys(run)) tx.store.delete(key);
  await tx.done;
}
