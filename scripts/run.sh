#!/usr/bin/env bash
# `make run`: set up everything, load the demo city, start the web server and a Celery worker
# in the background, and wait until /healthz says all is well. `make stop` stops them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

URL="http://$WEB_HOST:$WEB_PORT"
WEB_PID=$RUN_DIR/web.pid
WORKER_PID=$RUN_DIR/worker.pid

if pid_alive "$WEB_PID"; then
  say "the platform is already running at $URL (pid $(cat "$WEB_PID")); 'make stop' stops it"
  exit 0
fi
if port_busy "$WEB_PORT"; then
  die "port $WEB_PORT is already taken by another program; stop it or set GEOPORTAL_PORT"
fi

bash "$ROOT/scripts/provision.sh"
bash "$ROOT/scripts/services.sh" start

# make run is a production-style start: a real secret key, kept between runs.
if [ -z "${SECRET_KEY:-}" ]; then
  [ -s "$DATA_DIR/secret_key" ] || "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$DATA_DIR/secret_key"
  SECRET_KEY=$(cat "$DATA_DIR/secret_key")
  export SECRET_KEY
fi
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-geoportal.settings.prod}

cd "$ROOT"
say "migrating the database"
"$PY" manage.py migrate --no-input -v0
"$PY" manage.py collectstatic --no-input -v0
say "loading demo data (skipped when already loaded)"
"$PY" manage.py seed_demo --scale "${DEMO_SCALE:-0.05}" --if-empty

say "starting the Celery worker"
"$VENV/bin/celery" -A geoportal worker --loglevel INFO --concurrency "${WORKER_CONCURRENCY:-2}" \
  --hostname "geoportal@%h" --pidfile "$WORKER_PID" --logfile "$LOG_DIR/worker.log" --detach

say "starting the web server (gunicorn) on $URL"
"$VENV/bin/gunicorn" geoportal.wsgi:application --bind "$WEB_HOST:$WEB_PORT" \
  --workers "${WEB_WORKERS:-4}" --worker-class gthread --threads "${WEB_THREADS:-16}" \
  --backlog 2048 --timeout 120 --pid "$WEB_PID" --daemon \
  --access-logfile "$LOG_DIR/access.log" --error-logfile "$LOG_DIR/web.log"

for _ in $(seq 120); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz" || true)
  [ "$code" = 200 ] && break
  sleep 0.5
done
[ "$code" = 200 ] || die "the platform did not become healthy; see $LOG_DIR/web.log and $LOG_DIR/worker.log, or curl $URL/healthz"

cat <<MSG

  Geoportal is running at $URL
    health     $URL/healthz
    API docs   $URL/api/docs/
    admin      $URL/admin/

  Demo accounts (password for all: $("$PY" -c 'from layers.demo.accounts import DEMO_PASSWORD; print(DEMO_PASSWORD)' 2>/dev/null || echo 'see README')):
$("$PY" manage.py demo_accounts 2>/dev/null | sed 's/^/    /')

  Logs are in $LOG_DIR. 'make stop' stops everything.
MSG
