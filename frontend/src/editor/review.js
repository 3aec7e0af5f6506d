// Changesets: the park manager's working copy (what is pending, submit for review) and the officer's
// review of a submitted one — every item with its fields before and after, its geometry diff on the
// map and its topology warnings; approve, or return with a comment.
import { BusyButton, ConfirmButton, ErrorNote, fill, html, useEffect, useState } from '../staff/kit.js';

import { geometryDiff } from './shapes.js';

export function ChangesetList({ c, api, park, onOpen, version }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api.get(c.changesetsApi, { park }).then((body) => setRows(body.results || body)).catch(setError);
  }, [park, version]);
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!rows) return html`<p class="muted">${c.text.loading}</p>`;
  if (!rows.length) return html`<p class="empty">${c.text.noChangesets}</p>`;
  return html`<ul class="changesets">${rows.map(
    (row) => html`<li key=${row.id} data-changeset=${row.id}>
      <button type="button" class="link" onClick=${() => onOpen(row.id)}>#${row.id} ${row.title || c.labels.sources[row.source]}</button>
      <span class=${`state state-${row.state}`}>${c.labels.states[row.state]}</span>
      <small class="muted">${fill(c.text.itemCounts, countsOf(row))}</small>
    </li>`,
  )}</ul>`;
}

function countsOf(row) {
  const counts = row.counts || {};
  return { create: counts.create || 0, update: counts.update || 0, delete: counts.delete || 0 };
}

export function ChangesetView({ c, api, id, labels, valueOf, reviewed, onShowDiff, onDone, say }) {
  const [cs, setCs] = useState(null);
  const [error, setError] = useState(null);
  const [comment, setComment] = useState('');
  const [title, setTitle] = useState('');
  const load = () => api.get(c.changesetApi.replace('{id}', id)).then(setCs).catch(setError);
  useEffect(() => {
    load();
  }, [id]);
  if (error && !cs) return html`<${ErrorNote} error=${error} />`;
  if (!cs) return html`<p class="muted">${c.text.loading}</p>`;
  const act = (name, body) => {
    setError(null);
    return api
      .post(c.changesetApi.replace('{id}', id) + `${name}/`, body)
      .then((answer) => {
        setCs(answer);
        say(c.text[`${name}Done`]);
        onDone();
      })
      .catch(setError);
  };
  // The server decides (a 403 says why); these only choose which buttons to offer.
  const maySubmit = reviewed && ['open', 'returned'].includes(cs.state) && cs.items.length > 0;
  const mayReview = c.reviewer && cs.state === 'submitted';
  const diff = (item) => {
    const before = item.before && item.before.geometry;
    const after = item.after && item.after.geometry;
    onShowDiff({ ...geometryDiff(before, after), before });
  };
  return html`<section class="changeset" data-changeset=${cs.id} data-state=${cs.state}>
    <h2>#${cs.id} ${cs.title || c.labels.sources[cs.source]} <span class=${`state state-${cs.state}`}>${c.labels.states[cs.state]}</span></h2>
    <p class="muted">${fill(c.text.itemCounts, countsOf(cs))}</p>
    ${cs.review_comment ? html`<p class="review-comment"><strong>${c.text.reviewComment}</strong> ${cs.review_comment}</p>` : null}
    <${ErrorNote} error=${error} />
    <ol class="items">${cs.items.map(
      (item) => html`<li key=${item.id} data-item=${item.id} data-action=${item.action}>
        <p><strong>${c.labels.actions[item.action]}</strong> ${item.after?.properties?.code || item.before?.properties?.code || item.after?.properties?.name || item.before?.properties?.name || ''}
          <small class="muted">${item.author || ''}</small>
          <button type="button" class="link show-diff" onClick=${() => diff(item)}>${c.text.showDiff}</button></p>
        ${item.changes && item.changes.length
          ? html`<table class="diff"><tbody>${item.changes.map(
              (ch) => html`<tr><th scope="row">${ch.label || labels[ch.field] || ch.field}</th><td class="old">${valueOf(ch.field, ch.old)}</td><td class="new">${valueOf(ch.field, ch.new)}</td></tr>`,
            )}</tbody></table>`
          : null}
        ${(item.issues || []).map((issue) => html`<p class=${`issue issue-${issue.severity}`}>${issue.message}</p>`)}
      </li>`,
    )}</ol>
    ${maySubmit
      ? html`<div class="submit-box">
          <label class="inline">${c.text.changesetTitle}<input name="title" value=${title} onInput=${(e) => setTitle(e.currentTarget.value)} /></label>
          <${BusyButton} className="primary submit" label=${c.text.submit} busyLabel=${c.text.sending} onClick=${() => act('submit', { title })} />
        </div>`
      : null}
    ${mayReview
      ? html`<div class="review-box">
          <${ConfirmButton} label=${c.text.approve} question=${c.text.approveQuestion} confirmLabel=${c.text.approve} cancelLabel=${c.text.cancel}
            onConfirm=${() => act('approve', {})} />
          <label class="inline">${c.text.reviewComment}<textarea name="comment" rows="2" value=${comment} onInput=${(e) => setComment(e.currentTarget.value)}></textarea></label>
          <${BusyButton} className="return" label=${c.text.returnIt} busyLabel=${c.text.sending} onClick=${() => act('return', { comment })} />
        </div>`
      : null}
  </section>`;
}
