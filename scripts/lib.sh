# Shared settings for the project's shell scripts. Sourced, never run.
# Everything the scripts create lives under $DATA_DIR, so `rm -rf .data` is a full reset.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA_DIR=${GEOPORTAL_DATA_DIR:-$ROOT/.data}
RUN_DIR=$DATA_DIR/run
LOG_DIR=$DATA_DIR/log
VENV=$ROOT/.venv
PY=$VENV/bin/python
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${GEOPORTAL_PG_PORT:-54329}
REDIS_PORT=${GEOPORTAL_REDIS_PORT:-63790}
WEB_HOST=${GEOPORTAL_HOST:-127.0.0.1}
WEB_PORT=${GEOPORTAL_PORT:-8000}

# An externally given DATABASE_URL / REDIS_URL means "use that server, do not start our own".
# Decided once, by the first script, and exported: the URLs below are exported too, and a child
# script must not mistake our own default for one the user gave.
if [ -z "${GEOPORTAL_SERVICES_DECIDED:-}" ]; then
  if [ -n "${DATABASE_URL:-}" ]; then LOCAL_PG=0; else LOCAL_PG=1; fi
  if [ -n "${REDIS_URL:-}" ]; then LOCAL_REDIS=0; else LOCAL_REDIS=1; fi
  export LOCAL_PG LOCAL_REDIS GEOPORTAL_SERVICES_DECIDED=1
fi
export DATABASE_URL=${DATABASE_URL:-postgis://geoportal:geoportal@127.0.0.1:$PG_PORT/geoportal}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}
export PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Is something listening on this TCP port on loopback?
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Is the process in this pid file alive?
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

pg_data_dir() {
  # The postgres user must be able to reach the data directory; a checkout under a
  # private home (mode 700) is not reachable, so fall back to a directory it owns.
  local dir=$DATA_DIR/postgres
  if ! runuser -u postgres -- test -x "$DATA_DIR" 2>/dev/null; then
    dir=/var/lib/postgresql/geoportal-$(printf '%s' "$ROOT" | sha256sum | cut -c1-8)
  fi
  echo "$dir"
}

mkdir -p "$RUN_DIR" "$LOG_DIR"
