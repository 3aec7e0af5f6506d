// Labels of the platform's coded values, in both languages, so a page can draw them before any
// request returns. They are the server's own (the models' choices and Django's catalogues), generated
// into ../generated/meta.json by `python manage.py frontend_meta`: never retype them here.
import META from '../generated/meta.json';

export const LABELS = META.labels;

export function makeLabel(lang) {
  const table = LABELS[lang] || LABELS.zh;
  return (group, value) => {
    if (value === null || value === undefined || value === '') return '—';
    return (table[group] && table[group][value]) || (LABELS.zh[group] && LABELS.zh[group][value]) || String(value);
  };
}

// Project stages in their order, from the first lead to full output.
export const STAGES = META.order.stage;

// Colours the tile style gives layers, land uses and stages (tiles/style.py).
export const COLOURS = { layers: Object.fromEntries(Object.entries(META.layers).map(([name, l]) => [name, l.colour])), ...META.colours };
