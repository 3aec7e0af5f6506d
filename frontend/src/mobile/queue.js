// 同步: every operation of this worker with its state, newest first; the sync's progress; a
// conflict resolved here (keep mine / keep theirs); a rejection's reason; clearing what is done.
import { BusyButton, fill, html, useEffect, useState } from '../staff/kit.js';

import { allPhotos, deleteOps } from './store.js';
import { resolveConflict } from './sync.js';
import { Section, timeOf } from './widgets.js';

const DONE = new Set(['applied', 'resolved', 'discarded', 'rejected']);

function reason(op) {
  const r = op.result || {};
  const fields = r.fields ? Object.entries(r.fields).map(([k, v]) => `${k}: ${Array.isArray(v) ? v[0] : v}`) : [];
  return [r.message, ...fields.filter((f) => !r.message || !f.endsWith(r.message))].filter(Boolean).join(' · ');
}

function Operation({ c, op, onResolve }) {
  const t = c.text;
  const r = op.result || {};
  return html`<li class=${`m-op is-${op.state}`} data-op=${op.id} data-op-state=${op.state} data-op-type=${op.type}>
    <div>
      <strong>${c.labels.opTypes[op.type] || op.type}</strong> <span>${op.label}</span>
      <small>${timeOf(op.at, c.lang)} · <span class="state">${c.labels.opStates[op.state] || op.state}</span></small>
      ${op.state === 'conflict'
        ? html`<small class="m-reason">${r.current_version != null
            ? fill(t.conflictHelp, { version: r.current_version, fields: (r.fields || []).map((f) => c.labels.fields[f] || f).join('、') })
            : r.message}${r.record_state ? ` ${fill(t.serverState, { state: c.labels.states[r.record_state] || r.record_state })}` : ''}</small>`
        : null}
      ${op.state === 'rejected' || op.state === 'waiting' ? html`<small class="m-reason">${reason(op)}</small>` : null}
    </div>
    ${op.state === 'conflict'
      ? html`<div class="actions">
          ${r.current_version != null ? html`<${BusyButton} className="primary" data-choice="mine" label=${t.keepMine} onClick=${() => onResolve(op, 'mine')} />` : null}
          <${BusyButton} data-choice="theirs" label=${t.keepTheirs} onClick=${() => onResolve(op, 'theirs')} />
        </div>`
      : null}
  </li>`;
}

export function QueueView({ c, ops, online, sync, lastSync, persisted, onSync, onSignOut, refreshOps, queued }) {
  const t = c.text;
  const [photosLeft, setPhotosLeft] = useState(0);
  useEffect(() => {
    allPhotos().then((all) => setPhotosLeft(all.filter((p) => !p.done && !p.error).length));
  }, [ops, sync.phase]);
  const newest = [...ops].reverse();
  const open = ops.filter((op) => !DONE.has(op.state)).length;
  const resolve = async (op, choice) => {
    await resolveConflict(op, choice);
    await queued();
  };
  const progress =
    sync.phase === 'photos'
      ? fill(t.uploading, { done: Math.round(sync.done / 1024), total: Math.round(sync.total / 1024) })
      : sync.phase === 'ops'
        ? t.syncing
        : null;
  return html`<div class="m-queue">
    <${Section} title=${t.queueTitle}>
      <p class="m-sync-line" role="status" data-phase=${sync.phase} data-open=${open}>
        ${progress || (lastSync ? fill(t.lastSync, { time: timeOf(lastSync, c.lang) }) : t.neverSynced)}
        ${photosLeft ? html` · ${fill(t.photosPending, { n: photosLeft })}` : null}
      </p>
      <div class="actions">
        <${BusyButton} className="primary" label=${t.syncNow} busyLabel=${t.syncing} disabled=${!online} onClick=${onSync} />
        <button type="button" onClick=${async () => { await deleteOps(ops.filter((op) => DONE.has(op.state)).map((op) => op.id)); await refreshOps(); }}>${t.clearDone}</button>
      </div>
      <small class="help">${persisted === false ? t.notPersisted : persisted ? t.persisted : ''}</small>
      ${newest.length
        ? html`<ul class="m-list m-ops">${newest.map((op) => html`<${Operation} key=${op.id} c=${c} op=${op} onResolve=${resolve} />`)}</ul>`
        : html`<p class="empty">${t.queueEmpty}</p>`}
    <//>
    <${Section} title=${t.signOut}>
      ${open ? html`<small class="help">${fill(t.signOutQueued, { n: open })}</small>` : null}
      <button type="button" class="danger" onClick=${onSignOut}>${t.signOut}</button>
    <//>
  </div>`;
}
