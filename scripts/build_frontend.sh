#!/usr/bin/env bash
# Installs the browser libraries from npm (package-lock.json pins them), copies the ones pages load
# as they are into static-build/vendor/, and bundles the pages' own code (frontend/) with esbuild
# into static-build/web/. Django serves static-build/ as static files. Nothing loads from a CDN.
# Each step is skipped when its inputs are unchanged.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

OUT=$ROOT/static-build
deps_stamp=$OUT/.built
bundle_stamp=$OUT/.bundled
deps_hash=$(cat "$ROOT/package.json" "$ROOT/package-lock.json" "$0" | sha256sum | cut -c1-16)
bundle_hash=$( (echo "$deps_hash"; find "$ROOT/frontend" -type f | LC_ALL=C sort | xargs cat) | sha256sum | cut -c1-16)

if [ ! -f "$deps_stamp" ] || [ "$(cat "$deps_stamp")" != "$deps_hash" ] || [ ! -d "$ROOT/node_modules/esbuild" ]; then
  command -v npm >/dev/null || die "npm is not installed: run scripts/provision.sh (it installs nodejs and npm)"
  say "installing browser libraries from npm"
  (cd "$ROOT" && npm ci --no-audit --no-fund --silent >"$LOG_DIR/npm.log" 2>&1) || die "npm ci failed; see $LOG_DIR/npm.log"
  rm -rf "$OUT"
  mkdir -p "$OUT/vendor/ol"
  cp "$ROOT"/node_modules/ol/dist/ol.js{,.map} "$ROOT/node_modules/ol/ol.css" "$OUT/vendor/ol/"
  echo "$deps_hash" >"$deps_stamp"
fi

if [ ! -f "$bundle_stamp" ] || [ "$(cat "$bundle_stamp")" != "$bundle_hash" ] || [ ! -f "$OUT/web/map.js" ]; then
  say "bundling the web pages (esbuild)"
  (cd "$ROOT" && node frontend/build.mjs >"$LOG_DIR/esbuild.log" 2>&1) || die "the front-end build failed; see $LOG_DIR/esbuild.log"
  echo "$bundle_hash" >"$bundle_stamp"
fi

# The map's label glyphs (tiles/glyphs.py) from the packaged font (fonts-wqy-microhei), for the
# Latin and punctuation of labels; the browser draws the ideographs itself.
glyph_stamp=$OUT/.glyphs
glyph_hash=$(cat "$ROOT/tiles/glyphs.py" | sha256sum | cut -c1-16)
if [ ! -f "$glyph_stamp" ] || [ "$(cat "$glyph_stamp")" != "$glyph_hash" ] || [ ! -d "$OUT/glyphs" ]; then
  say "building the map's label glyphs"
  (cd "$ROOT" && "$PY" -m tiles.glyphs "$OUT/glyphs" >"$LOG_DIR/glyphs.log" 2>&1) || die "building the glyphs failed; see $LOG_DIR/glyphs.log"
  echo "$glyph_hash" >"$glyph_stamp"
fi
