#!/usr/bin/env bash
# `make run`: set up everything, load the demo city, start the web server, a Celery worker and the
# Celery beat scheduler in the background, and wait until /healthz says all is well.
# `make stop` stops them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

URL="http://$WEB_HOST:$WEB_PORT"
WEB_PID=$RUN_DIR/web.pid
WORKER_PID=$RUN_DIR/worker.pid
BEAT_PID=$RUN_DIR/beat.pid
NGINX_PID=$RUN_DIR/nginx.pid
APP_PORT=${GEOPORTAL_APP_PORT:-$((WEB_PORT + 1))}

if pid_alive "$WEB_PID"; then
  say "the platform is already running at $URL (pid $(cat "$WEB_PID")); 'make stop' stops it"
  exit 0
fi
if port_busy "$WEB_PORT"; then
  die "port $WEB_PORT is already taken by another program; stop it or set GEOPORTAL_PORT"
fi
if port_busy "$APP_PORT"; then
  die "port $APP_PORT (the app server behind nginx) is already taken; free it or set GEOPORTAL_APP_PORT"
fi

bash "$ROOT/scripts/provision.sh"
bash "$ROOT/scripts/services.sh" start
# PITR=1 make run: WAL archiving to a pgBackRest stanza as well (idempotent; README, Operations).
if [ "${PITR:-0}" = 1 ]; then
  bash "$ROOT/scripts/pitr.sh" enable
fi

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

# The worker and beat survive a web server that died: a second `make run` does not start another.
if pid_alive "$WORKER_PID"; then
  say "the Celery worker is already running (pid $(cat "$WORKER_PID"))"
else
  say "starting the Celery worker"
  "$VENV/bin/celery" -A geoportal worker --loglevel INFO --concurrency "${WORKER_CONCURRENCY:-2}" \
    --hostname "geoportal@%h" --pidfile "$WORKER_PID" --logfile "$LOG_DIR/worker.log" --detach
fi

# Exactly one scheduler for the periodic tasks (CELERY_BEAT_SCHEDULE in geoportal/settings/base.py);
# its schedule state is CELERY_BEAT_SCHEDULE_FILENAME in the data directory.
if pid_alive "$BEAT_PID"; then
  say "the Celery beat scheduler is already running (pid $(cat "$BEAT_PID"))"
else
  say "starting the Celery beat scheduler"
  "$VENV/bin/celery" -A geoportal beat --loglevel INFO \
    --pidfile "$BEAT_PID" --logfile "$LOG_DIR/beat.log" --detach
fi

say "starting the app server (gunicorn) on 127.0.0.1:$APP_PORT"
# Settings in deploy/gunicorn.conf.py (WEB_WORKERS, WEB_THREADS, ...); here only where its files go.
# nginx sends the media files the app has allowed (deploy/nginx.local.conf).
MEDIA_ACCEL_REDIRECT=/_protected_media/ WEB_DAEMON=1 WEB_PIDFILE="$WEB_PID" \
  WEB_ACCESS_LOG="$LOG_DIR/access.log" WEB_ERROR_LOG="$LOG_DIR/web.log" \
  "$VENV/bin/gunicorn" -c deploy/gunicorn.conf.py geoportal.wsgi:application --bind "127.0.0.1:$APP_PORT"

say "starting nginx on $URL"
mapfile -t roots < <("$PY" -c 'from django.conf import settings; print(settings.STATIC_ROOT); print(settings.MEDIA_ROOT)')
STATIC_ROOT=${roots[0]} MEDIA_ROOT=${roots[1]}
mkdir -p "$DATA_DIR/nginx" "$MEDIA_ROOT"
# Workers drop to www-data where it can read the files; a checkout in a private home needs root.
NGINX_USER=www-data
runuser -u www-data -- test -r "$STATIC_ROOT" 2>/dev/null || NGINX_USER=root
sed -e "s#@NGINX_USER@#$NGINX_USER#; s#@RUN_DIR@#$RUN_DIR#; s#@LOG_DIR@#$LOG_DIR#g; s#@DATA_DIR@#$DATA_DIR#g" \
    -e "s#@APP_ADDR@#127.0.0.1:$APP_PORT#; s#@WEB_HOST@#$WEB_HOST#; s#@WEB_PORT@#$WEB_PORT#" \
    -e "s#@STATIC_ROOT@#$STATIC_ROOT#; s#@MEDIA_ROOT@#$MEDIA_ROOT#" \
    "$ROOT/deploy/nginx.local.conf" >"$RUN_DIR/nginx.conf"
nginx -t -q -c "$RUN_DIR/nginx.conf" 2>"$LOG_DIR/nginx-test.log" || die "the nginx configuration is invalid; see $LOG_DIR/nginx-test.log"
nginx -c "$RUN_DIR/nginx.conf" || die "nginx did not start; see $LOG_DIR/nginx-error.log"

# First the web tier (readiness: database, cache, broker), then the full report, which also needs
# the worker and the beat scheduler started above.
wait_for() {
  local path=$1 code=
  for _ in $(seq 120); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$URL$path" || true)
    [ "$code" = 200 ] && return 0
    sleep 0.5
  done
  return 1
}
wait_for /healthz/ready || die "the web server did not become ready; see $LOG_DIR/web.log, or curl $URL/healthz/ready"
if ! wait_for /healthz; then
  failed=$(curl -s "$URL/healthz" | "$PY" -c 'import json, sys; print(", ".join(json.load(sys.stdin)["failed"]))' 2>/dev/null || true)
  die "the platform did not become healthy (failed: ${failed:-unknown}); see $LOG_DIR/worker.log and $LOG_DIR/beat.log, or curl $URL/healthz"
fi

# Display tokens are stored only as hashes, so the wall's URL cannot be shown twice: each run
# issues a fresh one (--rotate), and a wall opened by an earlier run must be given the new URL.
cat <<MSG

  Geoportal is running at $URL
    map        $URL/  (the public investment map)
    wall       $("$PY" manage.py wall_token --rotate --base-url "$URL" 2>/dev/null || echo "$URL/wall/ (log in as city_leader)")
    health     $URL/healthz  (liveness $URL/healthz/live, readiness $URL/healthz/ready)
    API docs   $URL/api/docs/
    admin      $URL/admin/
    audit log  $URL/audit/  (log in as auditor)

  Demo accounts (password for all: $("$PY" -c 'from layers.demo.accounts import DEMO_PASSWORD; print(DEMO_PASSWORD)' 2>/dev/null || echo 'see README')):
$("$PY" manage.py demo_accounts 2>/dev/null | sed 's/^/    /')

  Logs are in $LOG_DIR. 'make stop' stops everything.
MSG
