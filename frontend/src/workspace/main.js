// 招商工作台 (/staff/): the board — a column per stage with its count, and the most recently moved
// projects as cards coloured by their warning (即将到期, 黄牌, 红牌). Drawn with the staff kit.
import { makeApi } from '../common/api.js';
import { ErrorNote, StaffHeader, html, mount, pageConfig, useEffect, useState } from '../staff/kit.js';

const config = pageConfig();
const api = makeApi({ lang: config.lang });

function fill(template, n) {
  return template.replace('%(n)s', String(n));
}

function Card({ project, c }) {
  const flag = project.card ? html`<span class=${`flag flag-${project.card}`}>${c.cards[project.card]}</span>` : null;
  return html`<li class=${`project-card card-${project.card || 'none'}`} data-project=${project.id}>
    <div class="project-name">${project.name}</div>
    <div class="project-meta"><span>${project.code}</span><span>${project.division__name}</span></div>
    <div class="project-flags">
      ${flag}
      ${project.pending ? html`<span class="flag flag-pending">${c.text.pending}</span>` : null}
      ${project.in_reserve ? html`<span class="flag flag-reserve">${c.text.reserve}</span>` : null}
    </div>
  </li>`;
}

function Board({ config: c }) {
  const [board, setBoard] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api.get(c.boardUrl).then(setBoard).catch(setError);
  }, []);
  return html`<div>
    <${StaffHeader} config=${c} />
    <main class="staff-main">
      <${ErrorNote} error=${error} />
      ${board
        ? html`<div class="board">${board.stages.map(
            (col) => html`<section class="board-column" data-stage=${col.stage}>
              <h2>${col.label} <small>${fill(c.text.count, col.count)}</small></h2>
              ${col.projects.length
                ? html`<ol>${col.projects.map((p) => html`<${Card} project=${p} c=${c} />`)}</ol>`
                : html`<p class="empty">${c.text.empty}</p>`}
              ${col.count > col.projects.length
                ? html`<p class="more">${fill(c.text.more, col.count - col.projects.length)}</p>`
                : null}
            </section>`,
          )}</div>`
        : null}
    </main>
  </div>`;
}

mount(Board, config);
