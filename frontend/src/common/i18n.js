// Front-end strings live in one small dictionary per language; Chinese first.

export function makeT(dict, lang) {
  const table = dict[lang] || dict.zh;
  return function t(key, vars) {
    let s = table[key];
    if (s === undefined) s = dict.zh[key];
    if (s === undefined) return key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (_m, name) => (vars[name] === undefined ? '' : String(vars[name])));
    return s;
  };
}

export function applyI18n(root, t) {
  root.querySelectorAll('[data-i18n]').forEach((el) => {
    el.textContent = t(el.dataset.i18n);
  });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((el) => {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  });
  root.querySelectorAll('[data-i18n-title]').forEach((el) => {
    el.title = t(el.dataset.i18nTitle);
    if (!el.getAttribute('aria-label')) el.setAttribute('aria-label', el.title);
  });
}
