#!/usr/bin/env bash
# Starts or stops the project's own PostgreSQL/PostGIS cluster and Redis server.
# PostgreSQL refuses to run as root, so the cluster belongs to the `postgres` user.
# When DATABASE_URL or REDIS_URL is given, that server is used and only checked.
#   usage: services.sh start|stop|status
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PG_DATA=$(pg_data_dir)
PG_SOCK=$PG_DATA/sock
pg() { runuser -u postgres -- "$@"; }
psql_admin() { pg env PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

pg_running() { [ -f "$PG_DATA/postmaster.pid" ] && pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

pg_init() {
  [ -f "$PG_DATA/PG_VERSION" ] && return 0
  id postgres >/dev/null 2>&1 || die "the 'postgres' system user is missing: install postgresql-15"
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 server binaries not found in $PG_BIN"
  say "creating PostgreSQL cluster in $PG_DATA (port $PG_PORT)"
  mkdir -p "$PG_DATA"
  chown postgres:postgres "$PG_DATA"
  chmod 700 "$PG_DATA"
  pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >"$LOG_DIR/initdb.log" 2>&1 \
    || die "initdb failed; see $LOG_DIR/initdb.log"
  pg mkdir -p "$PG_SOCK"
  cat >>"$PG_DATA/postgresql.conf" <<CONF
# geoportal local cluster
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 300
shared_buffers = 2GB
effective_cache_size = 8GB
work_mem = 32MB
maintenance_work_mem = 1GB
max_wal_size = 4GB
jit = off
random_page_cost = 1.1
CONF
}

pg_start() {
  pg_init
  # A cluster left running (by an earlier session, or started by hand) still gets its role and
  # database: the bootstrap is idempotent.
  if pg_running; then
    pg_bootstrap
    return 0
  fi
  if port_busy "$PG_PORT"; then
    die "port $PG_PORT is already taken by another program; free it or set GEOPORTAL_PG_PORT"
  fi
  say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 start >/dev/null \
    || die "PostgreSQL did not start; see $PG_DATA/server.log"
  pg_bootstrap
}

pg_bootstrap() {
  # The app role is a superuser of this private cluster so the test runner can create
  # databases with the postgis extension; template1 carries postgis for the same reason.
  psql_admin -d postgres <<SQL >/dev/null
SELECT 'ok';
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'geoportal') THEN
    CREATE ROLE geoportal LOGIN SUPERUSER PASSWORD 'geoportal';
  END IF;
END \$\$;
SQL
  psql_admin -d template1 -c 'CREATE EXTENSION IF NOT EXISTS postgis' >/dev/null \
    || die "could not enable PostGIS: is postgresql-15-postgis-3 installed?"
  if [ -z "$(psql_admin -d postgres -c "SELECT 1 FROM pg_database WHERE datname='geoportal'")" ]; then
    psql_admin -d postgres -c 'CREATE DATABASE geoportal OWNER geoportal' >/dev/null
  fi
  psql_admin -d geoportal -c 'CREATE EXTENSION IF NOT EXISTS postgis' >/dev/null
}

pg_stop() {
  pg_running || return 0
  say "stopping PostgreSQL"
  pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
}

redis_start() {
  if pid_alive "$RUN_DIR/redis.pid"; then return 0; fi
  command -v redis-server >/dev/null || die "redis-server is not installed: run scripts/provision.sh"
  if port_busy "$REDIS_PORT"; then
    die "port $REDIS_PORT is already taken by another program; free it or set GEOPORTAL_REDIS_PORT"
  fi
  say "starting Redis on 127.0.0.1:$REDIS_PORT"
  mkdir -p "$DATA_DIR/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
    --pidfile "$RUN_DIR/redis.pid" --dir "$DATA_DIR/redis" --logfile "$LOG_DIR/redis.log" \
    --appendonly yes --save "" --protected-mode yes >/dev/null \
    || die "Redis did not start; see $LOG_DIR/redis.log"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "Redis did not answer on port $REDIS_PORT; see $LOG_DIR/redis.log"
}

redis_stop() {
  pid_alive "$RUN_DIR/redis.pid" || return 0
  say "stopping Redis"
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$(cat "$RUN_DIR/redis.pid")"
  rm -f "$RUN_DIR/redis.pid"
}

case "${1:-start}" in
  start)
    if [ "$LOCAL_PG" = 1 ]; then pg_start; fi
    if [ "$LOCAL_REDIS" = 1 ]; then redis_start; fi
    # Whatever the source, the servers must answer before anything else runs.
    "$PY" -m geoportal.checks services || exit 1
    ;;
  stop)
    if [ "$LOCAL_REDIS" = 1 ]; then redis_stop; fi
    if [ "$LOCAL_PG" = 1 ]; then pg_stop; fi
    ;;
  status)
    "$PY" -m geoportal.checks services
    ;;
  *) die "usage: $0 start|stop|status" ;;
esac
