#!/usr/bin/env bash
# `make reload`: put new code and settings into service without dropping a request.
#
#   1. packages, the web bundle, migrations and static files (migrations follow the expand/contract
#      rule in README "Upgrades", so the old code still running meanwhile keeps working);
#   2. gunicorn gets HUP: it starts new workers with the new code and lets the old ones finish
#      their requests (graceful_timeout) before they exit, while the listening socket stays open;
#   3. a new Celery worker starts beside the old one, which then gets TERM: a warm shutdown that
#      finishes its running jobs, so no job stops half-way and the queue is never unattended;
#   4. beat restarts (its schedule state is on disk; a short gap only delays a periodic task);
#   5. nginx re-reads its configuration (`nginx -s reload`, also graceful).
#
# It reloads what `make run` started; a deployment under systemd or compose does the same with
# `systemctl reload` or `docker compose up -d` (README "Operations").
set -euo pipefail
source "$(dirname "$0")/lib.sh"

WEB_PID=$RUN_DIR/web.pid
WORKER_PID=$RUN_DIR/worker.pid
BEAT_PID=$RUN_DIR/beat.pid
URL="http://$WEB_HOST:$WEB_PORT"

pid_alive "$WEB_PID" || die "the platform is not running ('make run' starts it)"
[ -s "$DATA_DIR/secret_key" ] && [ -z "${SECRET_KEY:-}" ] && SECRET_KEY=$(cat "$DATA_DIR/secret_key") && export SECRET_KEY
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-geoportal.settings.prod}
cd "$ROOT"

bash "$ROOT/scripts/provision.sh"
say "migrating the database"
"$PY" manage.py migrate --no-input -v0
"$PY" manage.py collectstatic --no-input -v0

say "reloading the app server gracefully (HUP to gunicorn $(cat "$WEB_PID"))"
old_workers=$(pgrep -P "$(cat "$WEB_PID")" | sort | tr '\n' ' ')
kill -HUP "$(cat "$WEB_PID")"
# Done when none of the old workers is left and the new ones answer.
for _ in $(seq 600); do
  left=0
  for pid in $old_workers; do kill -0 "$pid" 2>/dev/null && left=1; done
  [ "$left" = 0 ] && curl -fs -o /dev/null "$URL/healthz/ready" && break
  sleep 0.2
done
[ "$left" = 0 ] || die "old gunicorn workers still running after 120 s; see $LOG_DIR/web.log"

if pid_alive "$WORKER_PID"; then
  old=$(cat "$WORKER_PID")
  # Each worker deletes its own pid file when it exits, so the new one gets a file of its own,
  # copied to worker.pid once the old one has gone (`make stop` also stops worker-*.pid).
  new_pid=$RUN_DIR/worker-$(date +%s).pid
  say "starting a new Celery worker, then a warm shutdown of the old one (pid $old)"
  "$VENV/bin/celery" -A geoportal worker --loglevel INFO --concurrency "${WORKER_CONCURRENCY:-2}" \
    --hostname "geoportal-$(date +%s)@%h" --pidfile "$new_pid" --logfile "$LOG_DIR/worker.log" --detach
  for _ in $(seq 600); do pid_alive "$new_pid" && break; sleep 0.1; done
  pid_alive "$new_pid" || die "the new Celery worker did not start; see $LOG_DIR/worker.log (the old one still runs)"
  kill -TERM "$old"
  (while kill -0 "$old" 2>/dev/null; do sleep 1; done; cp "$new_pid" "$WORKER_PID") >/dev/null 2>&1 &
fi

if pid_alive "$BEAT_PID"; then
  say "restarting the Celery beat scheduler"
  kill -TERM "$(cat "$BEAT_PID")"
  for _ in $(seq 100); do pid_alive "$BEAT_PID" || break; sleep 0.1; done
  "$VENV/bin/celery" -A geoportal beat --loglevel INFO \
    --pidfile "$BEAT_PID" --logfile "$LOG_DIR/beat.log" --detach
fi

if pid_alive "$RUN_DIR/nginx.pid"; then
  nginx -c "$RUN_DIR/nginx.conf" -s reload
fi
say "reloaded; $URL/healthz reports the new processes"
