// The attribute form of a plot or building, generated from the layer catalogue (/api/layers/): a
// field's widget follows its model type, its label and help are the model's own, its error is the
// server's message for it. The area is measured from the geometry as it is drawn, in ㎡ and 亩.
import { FormField, html } from '../staff/kit.js';

import { MU_M2, areaM2 } from './shapes.js';

const NUMBER = new Set(['FloatField', 'DecimalField', 'IntegerField', 'PositiveIntegerField', 'PositiveSmallIntegerField', 'SmallIntegerField', 'BigIntegerField']);
// What the form does not edit: relations the platform derives or a workflow sets, attachments added
// through ingest, and the derived area (shown measured instead).
const SKIPPED = new Set(['ForeignKey', 'JSONField', 'OneToOneField']);
// A status that hands the plot to someone carries who and for how much (SPEC 7: 状态变更附带承租方、价格或租金).
export const CARRIED = {
  leased: ['occupant_enterprise', 'rent_yuan_m2_month'],
  sold: ['occupant_enterprise', 'price_wan_per_mu'],
  in_use: ['occupant_enterprise'],
};

/** The kit's field specs for a catalogue layer's editable fields. */
export function formFields(layer) {
  return layer.fields
    .filter((f) => f.editable && !SKIPPED.has(f.type))
    .map((f) => ({
      name: f.name,
      label: f.title,
      help: f.help || '',
      required: !!f.required,
      list: f.type === 'ArrayField',
      type: f.choices ? 'select' : f.type === 'BooleanField' ? 'checkbox' : NUMBER.has(f.type) ? 'number' : f.type === 'TextField' ? 'textarea' : f.type === 'DateField' ? 'date' : 'text',
      options: f.choices || [],
    }));
}

/** The value a control shows, from the feature's property. */
export function shown(field, value) {
  if (field.list) return Array.isArray(value) ? value.join('，') : value ?? '';
  return value ?? '';
}

/** The value sent, from what the control holds. */
export function sent(field, value) {
  if (field.list) return String(value || '').split(/[,，、]/).map((s) => s.trim()).filter(Boolean);
  if (field.type === 'number') return value === '' || value == null ? null : Number(value);
  return value;
}

export function FeatureForm({ c, fields, feature, draft, geometry, errors, onValue, readOnly }) {
  const props = feature.properties || {};
  const value = (f) => (f.name in draft ? draft[f.name] : shown(f, props[f.name]));
  const status = value({ name: 'supply_status' });
  const carried = new Set(CARRIED[status] || []);
  const area = geometry ? areaM2(geometry) : null;
  return html`<div class="feature-form" data-feature=${feature.id}>
    ${area != null
      ? html`<p class="area-readout" data-area-m2=${Math.round(area)}>
          <strong>${c.text.area}</strong> ${Math.round(area).toLocaleString()} ㎡ · ${(area / MU_M2).toFixed(2)} ${c.text.mu}
        </p>`
      : null}
    ${fields.map(
      (f) => html`<${FormField} field=${carried.has(f.name) ? { ...f, required: true } : f} value=${value(f)} error=${errors[f.name]}
        disabled=${readOnly} idPrefix="attr" onValue=${(v) => onValue(f.name, v)} />`,
    )}
  </div>`;
}

/** The properties the user changed, as the API takes them (only those; the rest stay as they are). */
export function changedProperties(fields, feature, draft) {
  const out = {};
  for (const f of fields) {
    if (!(f.name in draft)) continue;
    const now = sent(f, draft[f.name]);
    const before = (feature.properties || {})[f.name];
    if (JSON.stringify(now) !== JSON.stringify(before ?? (f.list ? [] : f.type === 'number' ? null : ''))) out[f.name] = now;
  }
  return out;
}

/** Fields a status needs but the form leaves empty (checked before the save is sent). */
export function missingCarried(fields, feature, draft) {
  const props = feature.properties || {};
  const status = 'supply_status' in draft ? draft.supply_status : props.supply_status;
  return (CARRIED[status] || []).filter((name) => {
    const value = name in draft ? draft[name] : props[name];
    return fields.some((f) => f.name === name) && (value === '' || value == null);
  });
}
