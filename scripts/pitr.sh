#!/usr/bin/env bash
# Point-in-time recovery of the project's own PostgreSQL cluster with pgBackRest (Debian's
# package). The logical backups (`make backup`) restore the state at a backup; this brings the
# whole cluster back to any moment since the first base backup, from the WAL archived since.
#
#   pitr.sh enable           configure the stanza, turn on WAL archiving (restarts PostgreSQL once),
#                            take the first full backup
#   pitr.sh backup [full|diff|incr]   a base backup (default incr; the first is always full)
#   pitr.sh restore "TIME"   stop PostgreSQL, restore to TIME ("2026-12-02 21:30:00+00"), promote,
#                            start; the app reconnects by itself
#   pitr.sh info             the backups and the WAL range that can be recovered
#
# The repository is $DATA_DIR/pgbackrest (PITR_REPO), keeping PITR_KEEP_FULL (2) full backups
# and the WAL they need. For a production PostgreSQL, see README "Point-in-time recovery".
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$LOCAL_PG" = 1 ] || die "DATABASE_URL names an outside PostgreSQL: configure pgBackRest on that server (README, Point-in-time recovery)"
command -v pgbackrest >/dev/null || die "pgbackrest is not installed: run scripts/provision.sh"

PG_DATA=$(pg_data_dir)
PG_SOCK=$PG_DATA/sock
STANZA=geoportal
REPO=${PITR_REPO:-$DATA_DIR/pgbackrest}
CONF=$REPO/pgbackrest.conf
pg() { runuser -u postgres -- "$@"; }
pgbr() { pg pgbackrest --config="$CONF" --stanza="$STANZA" --log-level-console=warn "$@"; }

write_conf() {
  mkdir -p "$REPO/repo" "$REPO/log" "$REPO/lock"
  cat >"$CONF" <<CONF
[global]
repo1-path=$REPO/repo
repo1-retention-full=${PITR_KEEP_FULL:-2}
log-path=$REPO/log
lock-path=$REPO/lock
spool-path=$REPO
compress-type=lz4
process-max=2
start-fast=y

[$STANZA]
pg1-path=$PG_DATA
pg1-port=$PG_PORT
pg1-socket-path=$PG_SOCK
# The cluster's socket directory lives inside its data directory (scripts/services.sh).
exclude=sock/
CONF
  chown -R postgres:postgres "$REPO"
}

case "${1:-}" in
  enable)
    bash "$ROOT/scripts/services.sh" start
    write_conf
    if ! grep -q "^# geoportal point-in-time recovery" "$PG_DATA/postgresql.conf"; then
      say "turning on WAL archiving (PostgreSQL restarts once)"
      cat >>"$PG_DATA/postgresql.conf" <<CONF
# geoportal point-in-time recovery (scripts/pitr.sh)
archive_mode = on
archive_command = 'pgbackrest --config=$CONF --stanza=$STANZA archive-push %p'
archive_timeout = 60
wal_level = replica
CONF
      pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w restart -l "$PG_DATA/server.log" >/dev/null
    fi
    pgbr stanza-create
    pgbr check
    if pgbr info --output=json | grep -q '"backup":\[{'; then
      say "the stanza already has a base backup (make pitr-backup takes another)"
    else
      say "first full base backup"
      pgbr backup --type=full
    fi
    say "point-in-time recovery is on: archive_timeout 60 s bounds the data a crash can lose (RPO)"
    ;;
  backup)
    write_conf
    pgbr backup --type="${2:-incr}"
    ;;
  info)
    pgbr info
    ;;
  restore)
    target=${2:-}
    [ -n "$target" ] || die "usage: pitr.sh restore \"YYYY-MM-DD HH:MM:SS+TZ\" (the moment to go back to)"
    [ -f "$CONF" ] || die "point-in-time recovery is not enabled: run 'make pitr-enable' first"
    say "stopping PostgreSQL, restoring the cluster to $target"
    started=$(date +%s%N)
    pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
    # --delta rewrites only the files that differ from the backup; promote: the restored cluster
    # takes writes again as soon as it reached the target.
    if ! pgbr restore --delta --type=time --target="$target" --target-action=promote; then
      # Refused before it wrote anything (most often: no base backup ends before TARGET).
      pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 600 start >/dev/null || true
      die "the restore to $target failed (above); PostgreSQL was started again as it was. 'bash scripts/pitr.sh info' lists the base backups: the target must come after the end of one"
    fi
    # A socket lock file copied by a backup taken before sock/ was excluded is stale now.
    rm -f "$PG_SOCK"/.s.PGSQL.*.lock
    pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 600 start >/dev/null \
      || die "PostgreSQL did not start after the restore; see $PG_DATA/server.log"
    for _ in $(seq 600); do
      [ "$(pg "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U postgres -qAtc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
      sleep 0.5
    done
    # pgBackRest left its recovery settings in postgresql.auto.conf. The promoted cluster ignores
    # them, but a replica made from it later (pg_basebackup copies the file) would stop replaying
    # at this old target: remove them.
    for setting in restore_command recovery_target_time recovery_target_action; do
      pg "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U postgres -qAtc "ALTER SYSTEM RESET $setting" >/dev/null
    done
    pg "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U postgres -qAtc "SELECT pg_reload_conf()" >/dev/null
    say "restored to $target in $(( ($(date +%s%N) - started) / 1000000 )) ms"
    ;;
  *) die "usage: $0 enable | backup [full|diff|incr] | restore \"TIME\" | info" ;;
esac
