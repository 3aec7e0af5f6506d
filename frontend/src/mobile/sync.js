// The app's own sync loop. Background Sync does not exist on iOS, so the page itself tries every
// few seconds while it is open and online, and at once when the network returns:
//
// 1. photos first, each in resumable chunks (photos.js);
// 2. then the operations still open (pending, or waiting for a photo), in the order they were
//    made, in batches of at most ``maxBatch``, to POST /api/sync/ with the phone's clock
//    (``device_now``) so the server can correct the times for a phone whose clock is off.
//
// Each answer's state is written back to the operation (applied, conflict, rejected, or waiting
// again); an operation is never dropped because a request failed: a batch cut off by the network
// is sent again, and the server, which keeps each operation by its id, answers the ones it applied
// with the stored result instead of applying them twice.
import { ApiError } from '../common/api.js';
import { fetchOrSay, readAnswer } from '../staff/kit.js';

import { upload } from './photos.js';
import { allOps, allPhotos, enqueue, putOp, putPhoto, setMeta } from './store.js';

const OPEN = new Set(['pending', 'waiting']);
const PROGRESS_MS = 300;

/**
 * The phone's HTTP client: the device token, the page's language, JSON out, and the platform's
 * error shape. ``send`` answers ``{status, data, headers}``; a status in ``allow`` is answered
 * rather than thrown (the photo upload's 409 says where to resume).
 */
export function makeClient(config, getToken, onSignedOut) {
  const text = config.text;
  async function send(method, url, { json, body, headers = {}, allow = [], signal } = {}) {
    const h = { Accept: 'application/json', 'Accept-Language': config.lang === 'en' ? 'en' : 'zh-hans', ...headers };
    const token = getToken();
    if (token) h.Authorization = `Token ${token}`;
    if (json !== undefined) {
      h['Content-Type'] = 'application/json';
      body = JSON.stringify(json);
    }
    const res = await fetchOrSay(url, { method, headers: h, body, credentials: 'omit', signal, cache: 'no-store' }, text);
    // A refused token (expired, revoked): sign in again; the queue stays on the phone.
    if (res.status === 401 && token && onSignedOut) onSignedOut();
    const data = await readAnswer(res, text, allow);
    return { status: res.status, data, headers: res.headers };
  }
  return {
    send,
    get: (url) => send('GET', url).then((r) => r.data),
    post: (url, json) => send('POST', url, { json }).then((r) => r.data),
  };
}

const shaOf = (path) => path.split('/').pop().split('.')[0];

function photoUrl(config, sha) {
  return config.urls.photo.replace('{sha}', sha);
}

/** The operations of this user still to be answered, oldest first. */
export async function openOps(user) {
  return (await allOps()).filter((op) => OPEN.has(op.state) && op.user === user);
}

/**
 * One round: the photos, then the operations. ``report({phase, ...})`` tells the page what is
 * happening (for the progress line). Resolves to the number of operations answered; throws the
 * ApiError of a failed request (the page shows it; the next round tries again).
 */
export async function syncOnce({ config, client, user, report: tell = () => {} }) {
  // Progress at most a few times a second: each report redraws the queue.
  let last = 0;
  const report = (what) => {
    const now = Date.now();
    if (what.phase !== 'photos' || now - last > PROGRESS_MS) {
      last = now;
      tell(what);
    }
  };
  const needed = new Set((await openOps(user)).flatMap((op) => op.photos || []).map(shaOf));
  const photos = (await allPhotos()).filter((p) => !p.done && !p.error && needed.has(p.sha));
  const total = photos.reduce((sum, p) => sum + p.size, 0);
  let before = 0;
  for (const photo of photos) {
    try {
      await upload(photo, {
        url: photoUrl(config, photo.sha),
        chunkBytes: config.settings.chunkBytes,
        send: client.send,
        onProgress: (received) => report({ phase: 'photos', done: before + received, total }),
      });
    } catch (err) {
      // The server refused the photo itself (too big, not an image): it will never go up, so
      // the operations that name it say so rather than wait for ever.
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 401) {
        photo.error = err.message;
        await putPhoto(photo);
        continue;
      }
      throw err;
    }
    before += photo.size;
  }
  const failed = new Map((await allPhotos()).filter((p) => p.error).map((p) => [p.sha, p.error]));
  let answered = 0;
  const ops = await openOps(user);
  for (const op of ops) {
    const broken = (op.photos || []).map((path) => failed.get(shaOf(path))).find(Boolean);
    if (broken) {
      op.state = 'rejected';
      op.result = { code: 'photo_refused', message: `${config.text.photoTooBig} (${broken})` };
      await putOp(op);
    }
  }
  // An operation whose photos are not all up yet would only be answered "waiting": it waits here.
  const kept = await allPhotos();
  const notUp = new Set(kept.filter((p) => !p.done).map((p) => p.sha));
  const ready = (await openOps(user)).filter((op) => (op.photos || []).every((path) => !notUp.has(shaOf(path))));
  for (let i = 0; i < ready.length; i += config.settings.maxBatch) {
    const batch = ready.slice(i, i + config.settings.maxBatch);
    report({ phase: 'ops', done: i, total: ready.length });
    const answer = await client.post(config.urls.sync, {
      device_now: new Date().toISOString(),
      operations: batch.map((op) => ({ id: op.id, type: op.type, at: op.at, base_version: op.base_version, data: op.data })),
    });
    const byId = new Map(answer.operations.map((a) => [a.id, a]));
    for (const op of batch) {
      const result = byId.get(op.id);
      if (!result) continue;
      op.state = result.state;
      op.result = result;
      op.answeredAt = new Date().toISOString();
      await putOp(op);
      answered += 1;
    }
  }
  await setMeta('lastSync', new Date().toISOString());
  report({ phase: 'idle' });
  return answered;
}

/**
 * Resolves a conflict. ``mine``: the change is sent again on top of the server's current version,
 * as a new operation (the old id keeps its answer for ever: an id is one operation); ``theirs``:
 * the phone drops its change and takes the server's record. The conflicted operation stays in the
 * queue, marked, so the worker sees what became of it.
 */
export async function resolveConflict(op, choice) {
  if (choice === 'mine') {
    const again = await enqueue({
      type: op.type,
      data: op.data,
      baseVersion: op.result.current_version,
      photos: op.photos,
      label: op.label,
      user: op.user,
    });
    op.state = 'resolved';
    op.resolvedBy = again.id;
  } else {
    op.state = 'discarded';
  }
  await putOp(op);
}
