#!/bin/sh
# Entrypoint of the `web` service (docker-compose.yml): wait for PostGIS, apply migrations,
# collect static files, load the demo city when SEED_DEMO=1, then run the given command
# (gunicorn). The worker and beat services do not use it.
set -eu

log() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

[ "$#" -gt 0 ] || die "no command given; expected e.g.: gunicorn -c deploy/gunicorn.conf.py geoportal.wsgi:application --bind 0.0.0.0:8000"

if [ "${SECRET_KEY:-}" = "change-me-to-a-long-random-value" ]; then
  die "SECRET_KEY is the placeholder from docker-compose.yml; put a long random value in .env (see README)"
fi

static_root=${STATIC_ROOT:-/app/static}
[ -w "$static_root" ] || die "$static_root is not writable by uid $(id -u); fix the ownership of the static volume"

log "waiting for the database (up to ${DB_WAIT_TIMEOUT:-60}s)"
python - <<'PY' || die "the database did not answer; check the db service and DATABASE_URL"
import os
import sys
import time

import django

django.setup()
from django.db import connection  # noqa: E402

timeout = float(os.environ.get("DB_WAIT_TIMEOUT", "60"))
deadline = time.monotonic() + timeout
while True:
    try:
        connection.ensure_connection()
        break
    except Exception as exc:
        if time.monotonic() >= deadline:
            sys.exit(f"database not reachable after {timeout:.0f}s: {exc}")
        time.sleep(1)
PY

# With `--scale web=N` every web container starts here at once: one at a time migrates and collects
# static files (into the shared volume) under a PostgreSQL advisory lock; the others wait, then
# find nothing left to do.
log "applying database migrations and collecting static files into $static_root (one container at a time)"
python - <<'PY' || die "migrations or collectstatic failed (above)"
import django

django.setup()
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

with connection.cursor() as cursor:
    cursor.execute("SELECT pg_advisory_lock(hashtext('geoportal:deploy'))")
    try:
        call_command("migrate", interactive=False)
        call_command("collectstatic", interactive=False, verbosity=0)
    finally:
        cursor.execute("SELECT pg_advisory_unlock(hashtext('geoportal:deploy'))")
PY

case "${SEED_DEMO:-0}" in
  1 | true | yes | on)
    log "loading demo data (scale ${DEMO_SCALE:-0.05}; skipped when already loaded)"
    python manage.py seed_demo --scale "${DEMO_SCALE:-0.05}" --if-empty
    ;;
esac

log "starting: $*"
exec "$@"
