#!/usr/bin/env bash
# `make stop`: stop what `make run` started: nginx, web server, beat, worker, and our own Redis and
# PostgreSQL.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

stop_pidfile() {
  local name=$1 file=$2
  pid_alive "$file" || { rm -f "$file"; return 0; }
  say "stopping $name"
  kill -TERM "$(cat "$file")"
  for _ in $(seq 100); do pid_alive "$file" || break; sleep 0.1; done
  pid_alive "$file" && kill -KILL "$(cat "$file")"
  rm -f "$file"
}

stop_pidfile "nginx" "$RUN_DIR/nginx.pid"
stop_pidfile "app server" "$RUN_DIR/web.pid"
stop_pidfile "Celery beat scheduler" "$RUN_DIR/beat.pid"
stop_pidfile "Celery worker" "$RUN_DIR/worker.pid"
# Workers a `make reload` started (each has a pid file of its own).
for file in "$RUN_DIR"/worker-*.pid; do
  [ -e "$file" ] && stop_pidfile "Celery worker" "$file"
done
bash "$ROOT/scripts/services.sh" stop
