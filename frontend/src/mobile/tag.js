// 信息打点: a category, a note and photos at the worker's place, queued as one operation
// (``field_point.create``) made on the phone with its own id.
import { ErrorNote, FormField, fill, html, useEffect, useState } from '../staff/kit.js';

import { onPosition } from './position.js';
import { enqueue } from './store.js';
import { PhotoPicker, Section, placeOf } from './widgets.js';

export function TagView({ c, session, kept, queued }) {
  const t = c.text;
  const categories = (kept.area && kept.area.categories && kept.area.categories.field_point) || [];
  const [draft, setDraft] = useState({ category: '', note: '' });
  const [photos, setPhotos] = useState([]);
  const [error, setError] = useState(null);
  const [position, setPosition] = useState(null);
  useEffect(() => onPosition(setPosition), []);
  const fields = [
    { name: 'category', label: t.category, type: 'select', required: true, options: [{ value: '', label: '—' }, ...categories.map((k) => ({ value: k.key, label: k.label }))] },
    { name: 'note', label: t.note, type: 'textarea' },
  ];
  const save = async () => {
    const place = placeOf(photos);
    if (!draft.category) return setError({ message: t.needCategory });
    if (!place) return setError({ message: t.needPosition });
    setError(null);
    const label = categories.find((k) => k.key === draft.category)?.label || draft.category;
    await enqueue({
      type: 'field_point.create',
      data: { category: draft.category, note: draft.note, lon: place.lon, lat: place.lat, accuracy: place.acc, photos: photos.map((p) => p.path) },
      photos: photos.map((p) => p.path),
      label: draft.note ? `${label} · ${draft.note}` : label,
      user: session.user.id,
    });
    setDraft({ category: draft.category, note: '' });
    setPhotos([]);
    await queued();
    return null;
  };
  return html`<${Section} title=${t.tabTag} className="m-tag">
    <p class="m-where" data-acc=${position ? position.acc : ''}>
      ${position ? html`${t.position}: ${fill(t.accuracy, { m: position.acc })}` : t.noPosition}
    </p>
    <form onSubmit=${(e) => { e.preventDefault(); save(); }}>
      ${fields.map((f) => html`<${FormField} field=${f} value=${draft[f.name]} idPrefix="tag" onValue=${(v) => setDraft({ ...draft, [f.name]: v })} />`)}
      <div class="form-field"><label>${t.photos}</label><${PhotoPicker} c=${c} photos=${photos} onPhotos=${setPhotos} /></div>
      <${ErrorNote} error=${error} />
      <button type="submit" class="primary m-wide">${t.save}</button>
    </form>
  <//>`;
}
