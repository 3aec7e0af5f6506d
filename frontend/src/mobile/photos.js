// Photos: downscaled on the phone (a 12-megapixel picture is 4 MB a worker would push through a
// weak network), hashed, kept in IndexedDB, and uploaded apart from the operations in resumable
// chunks under their SHA-256 (PUT /api/sync/photos/<sha>/ with Content-Range). An interrupted
// upload resumes from what the server says it has, not from the start.
import { getPhoto, putPhoto } from './store.js';

const QUALITY = 0.85;

/** The picked image as a JPEG no larger than ``maxPx`` on its long side. */
export async function downscale(file, maxPx) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, maxPx / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext('2d').drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  return canvas.convertToBlob({ type: 'image/jpeg', quality: QUALITY });
}

export async function sha256(blob) {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The server's name for a photo, which operations carry: sync.photos names it by its content's
 * type (a browser that cannot write JPEG hands back a PNG). */
export const photoPath = (sha, type) => `photos/${sha}.${type === 'image/png' ? 'png' : 'jpg'}`;

/**
 * Takes one picked photo: downscales it, keeps it with the position of the moment it was taken
 * (phones strip EXIF location from picked images), and answers ``{sha, path, position}``.
 */
export async function keepPhoto(file, { maxPx, position }) {
  const blob = await downscale(file, maxPx);
  const sha = await sha256(blob);
  const existing = await getPhoto(sha);
  if (!existing) {
    await putPhoto({ sha, blob, size: blob.size, done: false, position, at: new Date().toISOString() });
  }
  return { sha, path: photoPath(sha, blob.type), position, size: blob.size };
}

/**
 * Uploads one photo from where the server's copy ends. ``send(method, url, options)`` is the
 * app's HTTP client (token, language); ``onProgress(received, total)`` reports each chunk.
 * Resolves to the photo record, ``done`` once complete; throws on a network error (the server
 * keeps what it received, and the next try asks it where to go on).
 */
export async function upload(photo, { url, chunkBytes, send, onProgress }) {
  const head = await send('GET', url);
  let received = head.data.complete ? photo.size : head.data.received;
  while (received < photo.size) {
    const end = Math.min(received + chunkBytes, photo.size);
    const chunk = photo.blob.slice(received, end);
    const answer = await send('PUT', url, {
      body: chunk,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `bytes ${received}-${end - 1}/${photo.size}` },
      allow: [409],
    });
    // A 409 names where the server's copy ends (a chunk lost or sent twice): go on from there.
    // The offset is not written back to the phone: the server's answer to the GET above is where
    // an interrupted upload resumes (and rewriting the kept photo for each chunk costs more).
    received = answer.status === 409 ? Number(answer.headers.get('Upload-Offset') || 0) : answer.data.received;
    if (onProgress) onProgress(received, photo.size);
  }
  photo.done = true;
  await putPhoto(photo);
  return photo;
}
