// Saved searches: a named copy of the filters and the order, kept in this browser (no account is
// needed to look for land), each one a link that brings the search back, to open or to send. The
// URL is the search (state.js), so saving one is keeping its query string.
import { esc } from '../common/format.js';

const KEY = 'geoportal:saved-searches';
const MAX = 12;
// What a search is: the filters and the order, not the map position or the open carrier.
const KEPT = ['lu', 'amin', 'amax', 'pmin', 'pmax', 'district', 'park', 'st', 'sort'];

function load() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || '[]');
  } catch {
    return [];
  }
}

export function setupSaved(ctx) {
  const { t } = ctx;
  const box = document.getElementById('save-search');
  const input = document.getElementById('saved-name');
  const list = document.getElementById('saved-list');
  // The box sits inside the filter form: its typing is not a change of the filters.
  for (const type of ['input', 'change']) box.addEventListener(type, (e) => e.stopPropagation());

  function query() {
    const now = new URLSearchParams(window.location.search);
    const kept = new URLSearchParams();
    for (const key of KEPT) if (now.has(key)) kept.set(key, now.get(key));
    if (ctx.lang === 'en') kept.set('lang', 'en');
    kept.set('panel', 'filters'); // the results list is in the filters' panel
    return kept.toString().replace(/%2C/g, ',');
  }

  function render() {
    const saved = load();
    list.innerHTML = saved.length
      ? saved
          .map((s, i) => `<li><a href="/?${esc(s.query)}" data-saved="${i}">${esc(s.name)}</a>
            <button type="button" class="close" data-forget="${i}" title="${esc(t('saved_forget'))}">×</button></li>`)
          .join('')
      : `<li class="hint">${esc(t('saved_none'))}</li>`;
  }

  function save() {
    const name = input.value.trim();
    if (!name) return input.focus();
    const saved = load().filter((s) => s.name !== name);
    saved.unshift({ name, query: query(), saved_at: new Date().toISOString() });
    localStorage.setItem(KEY, JSON.stringify(saved.slice(0, MAX)));
    input.value = '';
    render();
  }
  document.getElementById('saved-save').addEventListener('click', save);
  input.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault(); // not a submit of the filter form
    save();
  });
  list.addEventListener('click', (e) => {
    const forget = e.target.closest('[data-forget]');
    if (!forget) return;
    const saved = load();
    saved.splice(Number(forget.dataset.forget), 1);
    localStorage.setItem(KEY, JSON.stringify(saved));
    render();
  });
  render();
}
