#!/usr/bin/env bash
# Installs what the project needs on a Debian bookworm machine: system packages and the Python venv.
# Idempotent: a second run only checks.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# chromium drives the browser tests (Playwright uses /usr/bin/chromium; it never downloads one);
# fonts-wqy-microhei gives it Chinese glyphs, so the pages and their screenshots are legible.
DEBS=(postgresql-15-postgis-3 gdal-bin libgdal32 redis-server nginx-light chromium fonts-wqy-microhei gettext)
# Node.js comes with the machine image; Debian's packages stand in where it does not.
command -v npm >/dev/null || DEBS+=(nodejs npm)

install_debs() {
  local missing=()
  for p in "${DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing system packages: ${missing[*]}. Run as root, or: sudo apt-get install ${missing[*]}"
  fi
  say "installing system packages: ${missing[*]}"
  apt-get update -qq || die "apt-get update failed: check the network or the apt sources"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >"$LOG_DIR/apt.log" 2>&1 \
    || die "apt-get install failed; see $LOG_DIR/apt.log"
}

install_venv() {
  local stamp=$VENV/.installed hash
  hash=$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then return 0; fi
  command -v python3.11 >/dev/null || command -v python3 >/dev/null || die "python3 (3.11) is not installed"
  [ -x "$PY" ] || python3 -m venv "$VENV" || die "could not create $VENV (is python3-venv installed?)"
  say "installing Python packages into .venv (first run takes a few minutes)"
  "$PY" -m pip install -q --upgrade pip >"$LOG_DIR/pip.log" 2>&1
  "$PY" -m pip install -q -e "$ROOT[dev]" >>"$LOG_DIR/pip.log" 2>&1 \
    || die "pip install failed; see $LOG_DIR/pip.log"
  echo "$hash" >"$stamp"
}

install_debs
install_venv
bash "$ROOT/scripts/build_frontend.sh"
bash "$ROOT/scripts/compile_messages.sh"
