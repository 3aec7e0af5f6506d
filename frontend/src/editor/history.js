// A feature's versions (GET /api/<layer>/<id>/history/): who changed what and when, each field's
// before and after, the geometry diff drawn on the map, and a revert that asks twice.
import { ConfirmButton, ErrorNote, fill, html, useEffect, useState } from '../staff/kit.js';

import { geometryDiff } from './shapes.js';

export function HistoryPanel({ c, api, layer, recordId, labels, valueOf, onShowDiff, onRevert }) {
  const [entries, setEntries] = useState(null);
  const [error, setError] = useState(null);
  const [shownId, setShownId] = useState(null);
  useEffect(() => {
    setEntries(null);
    api
      .get(`${c.layerApi.replace('{layer}', layer)}${recordId}/history/`)
      .then((body) => setEntries(body.history))
      .catch(setError);
  }, [layer, recordId]);
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!entries) return html`<p class="muted">${c.text.loading}</p>`;
  if (!entries.length) return html`<p class="empty">${c.text.noHistory}</p>`;
  const show = (entry) => {
    setShownId(entry.history_id);
    const g = entry.geometry;
    onShowDiff(g ? { ...geometryDiff(g.before, g.after), before: g.before } : null);
  };
  return html`<ol class="history">
    ${entries.map(
      (entry, i) => html`<li key=${entry.history_id} data-history=${entry.history_id} class=${shownId === entry.history_id ? 'current' : ''}>
        <p><strong>${fill(c.text.versionN, { n: entry.version })}</strong> · ${c.labels.historyTypes[entry.type] || entry.type}
          · ${new Date(entry.date).toLocaleString(c.lang === 'en' ? 'en' : 'zh-CN')} · ${entry.user || c.text.system}
          ${entry.reason ? html` · <span class="muted">${entry.reason}</span>` : null}</p>
        ${entry.changes.length
          ? html`<table class="diff"><tbody>${entry.changes.map(
              (ch) => html`<tr><th scope="row">${labels[ch.field] || ch.field}</th>
                <td class="old">${ch.field === 'geom' ? c.text.shapeChanged : valueOf(ch.field, ch.old)}</td>
                <td class="new">${ch.field === 'geom' ? '' : valueOf(ch.field, ch.new)}</td></tr>`,
            )}</tbody></table>`
          : null}
        <div class="actions">
          ${entry.geometry ? html`<button type="button" class="show-diff" onClick=${() => show(entry)}>${c.text.showDiff}</button>` : null}
          ${i > 0
            ? html`<${ConfirmButton} label=${c.text.revert} question=${fill(c.text.revertQuestion, { n: entry.version })}
                confirmLabel=${c.text.revertConfirm} cancelLabel=${c.text.cancel} onConfirm=${() => onRevert(entry)} />`
            : null}
        </div>
      </li>`,
    )}
  </ol>`;
}
