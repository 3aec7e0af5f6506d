// What the workspace's pages (board, list, project page, reports) show alike: a project's link and
// its badges. Labels come from the page's config (web/staff.py), so every page and the API agree.
import { html, withLang } from '../staff/kit.js';

/** The project page's address, in this page's language. */
export function projectHref(c, id) {
  return withLang(c.projectUrl.replace('{id}', String(id)), c.lang);
}

/** The list page's address with a filter (the board's "more" links), in this page's language. */
export function listHref(c, filter) {
  const query = new URLSearchParams(filter);
  if (c.lang === 'en') query.set('lang', 'en');
  return `${c.listUrl}?${query.toString()}`;
}

/** The badges a project carries: its warning card, whose review it waits for, the reserve pool, ended. */
export function Flags({ project: p, c }) {
  return html`<span class="project-flags">
    ${p.card ? html`<span class=${`flag flag-${p.card}`}>${c.labels.cards[p.card]}</span>` : null}
    ${p.pending ? html`<span class="flag flag-pending">${c.labels.reviews[p.pending] || c.text.pending}</span>` : null}
    ${p.in_reserve ? html`<span class="flag flag-reserve">${c.text.reserve}</span>` : null}
    ${p.ended_at ? html`<span class="flag flag-ended">${c.text.ended}</span>` : null}
  </span>`;
}

/** Money in 万元 as the officers write it: digits grouped, no trailing zeros. */
export function wan(value, lang) {
  if (value === null || value === undefined || value === '') return '';
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  return n.toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { maximumFractionDigits: 2 });
}

/** An ISO timestamp as local date and minute (the API sends the server's time zone offset). */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
