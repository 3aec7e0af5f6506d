// Bundles the pages' own code with MapLibre GL JS and ECharts (from node_modules) into
// static-build/web/, and copies Pannellum (loaded on demand) into static-build/vendor/.
// Run by scripts/build_frontend.sh; `node frontend/build.mjs --watch` rebuilds while you edit.
import { build, context } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'static-build');
const watch = process.argv.includes('--watch');

const options = {
  entryPoints: {
    'web/map': join(root, 'frontend/src/map/main.js'),
    'web/wall': join(root, 'frontend/src/wall/main.js'),
    'web/wall-charts': join(root, 'frontend/src/wall/charts.js'),
    // The Django admin's watermark and map widget; the wall's "token needed" page's styles.
    'web/admin': join(root, 'frontend/src/admin/main.js'),
    'web/denied': join(root, 'frontend/css/denied.css'),
    // The investors' privacy notice (/privacy/), linked from the expression-of-interest form.
    'web/notice': join(root, 'frontend/css/notice.css'),
    // The staff pages: one component kit (frontend/src/staff/kit.js), one stylesheet.
    'web/audit': join(root, 'frontend/src/audit/main.js'),
    'web/workspace': join(root, 'frontend/src/workspace/board.js'),
    'web/workspace-list': join(root, 'frontend/src/workspace/list.js'),
    'web/workspace-project': join(root, 'frontend/src/workspace/project.js'),
    'web/workspace-reports': join(root, 'frontend/src/workspace/reports.js'),
    // The dispatcher's desk (事件调度台) and an event's page.
    'web/events': join(root, 'frontend/src/events/main.js'),
    'web/events-event': join(root, 'frontend/src/events/event.js'),
    // The park manager's editor (园区数据编辑) with Terra Draw.
    'web/editor': join(root, 'frontend/src/editor/main.js'),
    // 数据导出: ask for exports, follow them, download them, read their manifests.
    'web/exports': join(root, 'frontend/src/exports/main.js'),
    // Loaded on demand by the workspace pages: MapLibre for the project page's map, ECharts
    // for the reports' charts (each page's own bundle stays small on a phone).
    'web/staff-map': join(root, 'frontend/src/workspace/maplibre.js'),
    'web/staff-charts': join(root, 'frontend/src/workspace/echarts.js'),
    'web/staff': join(root, 'frontend/css/staff.css'),
    // The grid worker's phone app (/m/) and its service worker (served from /m/sw.js by web.mobile).
    'web/mobile': join(root, 'frontend/src/mobile/main.js'),
    'web/mobile-sw': join(root, 'frontend/src/mobile/sw.js'),
  },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
  // .json: src/generated/meta.json, what the pages need from the server (zooms, labels, colours). It is
  // committed; `python manage.py frontend_meta` regenerates it, tests/web/test_meta.py fails when stale.
  loader: { '.svg': 'dataurl', '.png': 'dataurl', '.json': 'json' },
  define: { 'process.env.NODE_ENV': '"production"' },
};

mkdirSync(join(out, 'vendor/pannellum'), { recursive: true });
for (const file of ['pannellum.js', 'pannellum.css']) {
  copyFileSync(join(root, 'node_modules/pannellum/build', file), join(out, 'vendor/pannellum', file));
}

if (watch) {
  const ctx = await context(options);
  await ctx.watch();
  console.log('watching frontend/ ...');
} else {
  await build(options);
}
