#!/usr/bin/env bash
# Installs the browser libraries from npm (package-lock.json pins them) and copies what the pages
# load into static-build/, which Django serves as static files. Skipped when the lock is unchanged.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

OUT=$ROOT/static-build
stamp=$OUT/.built
hash=$(cat "$ROOT/package.json" "$ROOT/package-lock.json" "$0" | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then exit 0; fi

command -v npm >/dev/null || die "npm is not installed: run scripts/provision.sh (it installs nodejs and npm)"
say "installing browser libraries from npm"
(cd "$ROOT" && npm ci --no-audit --no-fund --silent >"$LOG_DIR/npm.log" 2>&1) || die "npm ci failed; see $LOG_DIR/npm.log"

rm -rf "$OUT"
mkdir -p "$OUT/vendor/ol"
cp "$ROOT"/node_modules/ol/dist/ol.js{,.map} "$ROOT/node_modules/ol/ol.css" "$OUT/vendor/ol/"
echo "$hash" >"$stamp"
