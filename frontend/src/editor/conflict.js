// The stale editor's dialog: someone saved this plot after it was opened here. Their version and the
// change made here stand side by side, field by field; the user keeps theirs or re-applies their own
// per field, and the save goes again on top of the current version. Nothing is dropped unseen.
import { Dialog, html, useState } from '../staff/kit.js';

const GEOMETRY = '__geometry__';

export function ConflictDialog({ c, conflict, labels, valueOf, onApply, onClose }) {
  const mineFields = Object.keys(conflict.mine.properties || {});
  const rows = [...mineFields, ...(conflict.mine.geometry ? [GEOMETRY] : [])];
  const [keep, setKeep] = useState(() => Object.fromEntries(rows.map((r) => [r, true])));
  const current = conflict.current || { properties: {} };
  const apply = () => {
    const properties = Object.fromEntries(mineFields.filter((f) => keep[f]).map((f) => [f, conflict.mine.properties[f]]));
    onApply({ properties, geometry: keep[GEOMETRY] ? conflict.mine.geometry : null, current });
  };
  return html`<${Dialog} open=${true} title=${c.text.conflictTitle} onClose=${onClose} className="conflict-dialog"
    footer=${html`<button type="button" onClick=${onClose}>${c.text.cancel}</button>
      <button type="button" class="primary reapply" onClick=${apply}>${c.text.reapply}</button>`}>
    <p>${conflict.message}</p>
    <table class="data conflict"><thead><tr>
      <th scope="col">${c.text.field}</th><th scope="col">${c.text.theirs}</th><th scope="col">${c.text.mine}</th><th scope="col">${c.text.keepMine}</th>
    </tr></thead><tbody>
      ${rows.map(
        (r) => html`<tr data-field=${r}>
          <th scope="row">${r === GEOMETRY ? c.text.shape : labels[r] || r}</th>
          <td>${r === GEOMETRY ? c.text.theirShape : valueOf(r, current.properties[r])}</td>
          <td>${r === GEOMETRY ? c.text.myShape : valueOf(r, conflict.mine.properties[r])}</td>
          <td><input type="checkbox" name=${`keep-${r}`} checked=${keep[r]} onChange=${(e) => setKeep({ ...keep, [r]: e.currentTarget.checked })} /></td>
        </tr>`,
      )}
    </tbody></table>
  <//>`;
}
