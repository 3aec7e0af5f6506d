// What several of the app's forms share: taking photos, and the kept data's lookups.
import { fill, html, useEffect, useState } from '../staff/kit.js';

import { keepPhoto } from './photos.js';
import { lastPosition } from './position.js';
import { getPhoto } from './store.js';

function Thumb({ sha, label, onRemove }) {
  const [url, setUrl] = useState(null);
  useEffect(() => {
    let made = null;
    getPhoto(sha).then((p) => {
      if (p) setUrl((made = URL.createObjectURL(p.blob)));
    });
    return () => made && URL.revokeObjectURL(made);
  }, [sha]);
  return html`<figure class="m-thumb" data-photo=${sha}>
    ${url ? html`<img src=${url} alt="" />` : null}
    <button type="button" class="link" aria-label=${label} onClick=${onRemove}>×</button>
  </figure>`;
}

/**
 * The camera (``capture=environment``) and the photos taken: ``photos`` is a list of
 * ``{sha, path, position}``. The position is the phone's at the moment the photo came back from
 * the camera: phones strip the EXIF location from picked images.
 */
export function PhotoPicker({ c, photos, onPhotos, name = 'photos' }) {
  const [busy, setBusy] = useState(false);
  const t = c.text;
  const change = async (event) => {
    const input = event.currentTarget;
    const files = [...(input.files || [])];
    if (!files.length) return;
    setBusy(true);
    try {
      const taken = [];
      for (const file of files) {
        taken.push(await keepPhoto(file, { maxPx: c.settings.photoMaxPx, position: lastPosition() }));
      }
      onPhotos([...photos, ...taken.filter((p) => !photos.some((q) => q.sha === p.sha))]);
    } finally {
      input.value = '';
      setBusy(false);
    }
  };
  const first = photos.find((p) => p.position);
  return html`<div class="m-photos">
    <label class=${`file-input m-camera${busy ? ' is-busy' : ''}`}>
      <span>${t.takePhoto}</span>
      <input type="file" name=${name} accept="image/*" capture="environment" multiple disabled=${busy} onChange=${change} />
    </label>
    ${photos.length
      ? html`<div class="m-thumbs">${photos.map((p) => html`<${Thumb} key=${p.sha} sha=${p.sha} label=${t.removePhoto}
          onRemove=${() => onPhotos(photos.filter((q) => q.sha !== p.sha))} />`)}</div>`
      : null}
    ${photos.length
      ? html`<small class="help">${first ? fill(t.photoAt, { m: first.position.acc }) : t.photoNoPosition}</small>`
      : null}
  </div>`;
}

/** Where a record made now stands: the first photo's position, else the phone's now. */
export function placeOf(photos) {
  const fromPhoto = photos.find((p) => p.position);
  return fromPhoto ? fromPhoto.position : lastPosition();
}

export function Section({ title, children, className = '' }) {
  return html`<section class=${`m-card ${className}`}><h2>${title}</h2>${children}</section>`;
}

const formats = {};

/** A time as the lists show it (month, day, hour, minute); one formatter per language, as making
 * one costs more than formatting with it and a queue shows hundreds. */
export function timeOf(iso, lang) {
  if (!iso) return '';
  formats[lang] ||= new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'zh-CN', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  return formats[lang].format(new Date(iso));
}
