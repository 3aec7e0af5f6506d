#!/usr/bin/env bash
# Installs what the project needs on a Debian bookworm machine: system packages and the Python venv.
# Idempotent: a second run only checks.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# chromium drives the browser tests (Playwright uses /usr/bin/chromium; it never downloads one);
# fonts-wqy-microhei gives it Chinese glyphs, so the pages and their screenshots are legible.
DEBS=(postgresql-15-postgis-3 gdal-bin libgdal32 redis-server nginx-light chromium fonts-wqy-microhei gettext pgbackrest)
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

# The venv is installed from the lock (requirements/dev.txt: every package pinned with its hashes),
# then the project itself without dependencies. A stamp keyed on the lock and pyproject.toml skips
# all of it when neither changed; `make lock` updates the lock (README, "Development").
LOCK=$ROOT/requirements/dev.txt
# Installed by hand or by tools, never listed in the lock, and kept when the venv is synced.
KEEP="pip setuptools wheel uv geoportal"

install_venv() {
  local stamp=$VENV/.installed hash extra
  [ -f "$LOCK" ] || die "the lock file $LOCK is missing; run 'make lock'"
  hash=$(cat "$LOCK" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)
  if [ -x "$PY" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then return 0; fi
  command -v python3.11 >/dev/null || command -v python3 >/dev/null || die "python3 (3.11) is not installed"
  [ -x "$PY" ] || python3 -m venv "$VENV" || die "could not create $VENV (is python3-venv installed?)"
  say "installing Python packages from requirements/dev.txt into .venv (first run takes a few minutes)"
  "$PY" -m pip install -q --upgrade pip >"$LOG_DIR/pip.log" 2>&1
  "$PY" -m pip install -q --require-hashes -r "$LOCK" >>"$LOG_DIR/pip.log" 2>&1 \
    || die "pip install -r requirements/dev.txt failed; see $LOG_DIR/pip.log"
  "$PY" -m pip install -q --no-deps -e "$ROOT" >>"$LOG_DIR/pip.log" 2>&1 \
    || die "pip install -e . failed; see $LOG_DIR/pip.log"
  # Packages the lock no longer lists (a dropped dependency) are removed, so the venv is the lock.
  extra=$("$PY" - "$LOCK" "$KEEP" <<'PY'
import importlib.metadata as md
import re
import sys

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

locked = {norm(re.split(r"[=<>~!;\s\[]", line, maxsplit=1)[0]) for line in open(sys.argv[1]) if re.match(r"[A-Za-z0-9]", line)}
keep = {norm(n) for n in sys.argv[2].split()}
print(" ".join(sorted({norm(d.metadata["Name"]) for d in md.distributions()} - locked - keep)))
PY
  )
  if [ -n "$extra" ]; then
    say "removing Python packages the lock does not list: $extra"
    # shellcheck disable=SC2086
    "$PY" -m pip uninstall -q -y $extra >>"$LOG_DIR/pip.log" 2>&1 || die "pip uninstall failed; see $LOG_DIR/pip.log"
  fi
  "$PY" -m pip check >>"$LOG_DIR/pip.log" 2>&1 \
    || die "the installed packages do not satisfy pyproject.toml (is requirements/dev.txt out of date? run 'make lock'); see $LOG_DIR/pip.log"
  echo "$hash" >"$stamp"
}

install_debs
install_venv
bash "$ROOT/scripts/build_frontend.sh"
bash "$ROOT/scripts/compile_messages.sh"
