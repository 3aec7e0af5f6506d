// 招商工作台 (/staff/): the board — a column per stage with its count, and the most recently moved
// projects as cards coloured by their warning (即将到期, 黄牌, 红牌). A card opens the project page;
// a column's count opens the list filtered to that stage. Drawn with the staff kit.
import { ErrorNote, StaffHeader, fill, html, makeStaffApi, mount, pageConfig, useEffect, useState } from '../staff/kit.js';
import { Flags, listHref, projectHref } from './common.js';

const config = pageConfig();
const api = makeStaffApi(config);

function Card({ project, c }) {
  return html`<li class=${`project-card card-${project.card || 'none'}`} data-project=${project.id}>
    <a href=${projectHref(c, project.id)}>
      <span class="project-name">${project.name}</span>
      <span class="project-meta"><span>${project.code}</span><span>${project.division__name}</span></span>
      <${Flags} project=${project} c=${c} />
    </a>
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
              <h2>${col.label} <a class="count" href=${listHref(c, { stage: col.stage })}>${fill(c.text.count, { n: col.count })}</a></h2>
              ${col.projects.length
                ? html`<ol>${col.projects.map((p) => html`<${Card} key=${p.id} project=${p} c=${c} />`)}</ol>`
                : html`<p class="empty">${c.text.empty}</p>`}
              ${col.count > col.projects.length
                ? html`<a class="more" href=${listHref(c, { stage: col.stage })}>${fill(c.text.more, { n: col.count - col.projects.length })}</a>`
                : null}
            </section>`,
          )}</div>`
        : null}
    </main>
  </div>`;
}

mount(Board, config);
