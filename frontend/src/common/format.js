// Numbers the way a Chinese reader expects them, with English one switch away.

export const MU_M2 = 2000 / 3;

export function makeFormat(lang) {
  const locale = lang === 'en' ? 'en-US' : 'zh-CN';
  const nf = (digits) => new Intl.NumberFormat(locale, { maximumFractionDigits: digits });
  const num = (v, digits = 2) => (v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? '—' : nf(digits).format(Number(v)));
  return {
    num,
    area(m2) {
      if (m2 === null || m2 === undefined) return '—';
      return `${num(m2, 0)} m² / ${num(m2 / MU_M2, 2)} ${lang === 'en' ? 'mu' : '亩'}`;
    },
    // Land prices are kept in 万元/亩 (10,000 CNY per mu). Chinese readers read them as they are;
    // English readers get yuan: "¥0.66M/mu", and totals as "¥12.7M".
    unitPrice(wanPerMu) {
      if (wanPerMu === null || wanPerMu === undefined || wanPerMu === '') return '—';
      const v = Number(wanPerMu);
      return lang === 'en' ? `¥${nf(2).format((v * 10000) / 1e6)}M/mu` : `${num(v, 2)} 万元/亩`;
    },
    money(wan) {
      if (wan === null || wan === undefined || wan === '') return '—';
      const v = Number(wan);
      if (lang === 'en') return v * 10000 >= 1e9 ? `¥${nf(2).format((v * 10000) / 1e9)}B` : `¥${nf(1).format((v * 10000) / 1e6)}M`;
      return v >= 10000 ? `${nf(2).format(v / 10000)} 亿元` : `${num(v, 0)} 万元`;
    },
    // A record's name in the reader's language: the English one (layers.english) on English
    // pages where there is one, else the name, else the code.
    name(record, fallback = '') {
      if (!record) return fallback;
      return (lang === 'en' && record.name_en) || record.name || record.code || fallback;
    },
    // Floor space by the hundred thousand: "297.7 万㎡", "2.98M m²".
    floorSpace(m2) {
      if (m2 === null || m2 === undefined) return '—';
      return lang === 'en' ? `${nf(2).format(m2 / 1e6)}M m²` : `${nf(1).format(m2 / 1e4)} 万㎡`;
    },
    distance(m) {
      if (m === null || m === undefined) return '—';
      return m >= 1000 ? `${num(m / 1000, 2)} km` : `${num(m, 0)} m`;
    },
    count(n) {
      if (n >= 10000 && lang !== 'en') return `${nf(1).format(n / 10000)}万`;
      if (n >= 1000 && lang === 'en') return `${nf(1).format(n / 1000)}k`;
      return String(n);
    },
    // A moment with its date, always: a feed read across a room says when, not only what time.
    stamp(iso) {
      return new Date(iso).toLocaleString(locale, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
    },
    // "2026-11" as a chart's month: "11月", "Nov".
    month(yearMonth) {
      const [y, m] = yearMonth.split('-').map(Number);
      return new Date(y, m - 1, 1).toLocaleDateString(locale, { month: 'short' });
    },
    date(iso) {
      if (!iso) return '—';
      return new Date(iso).toLocaleDateString(locale);
    },
  };
}

export function esc(s) {
  return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

export function bboxOf(geometry) {
  let minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      if (c[0] < minx) minx = c[0];
      if (c[0] > maxx) maxx = c[0];
      if (c[1] < miny) miny = c[1];
      if (c[1] > maxy) maxy = c[1];
    } else c.forEach(walk);
  };
  if (geometry && geometry.coordinates) walk(geometry.coordinates);
  return Number.isFinite(minx) ? [minx, miny, maxx, maxy] : null;
}
