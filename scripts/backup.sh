#!/usr/bin/env bash
# `make backup` and `make restore`: the logical backups of backups/ (manage.py backup, restore)
# on the project's database, and point-in-time recovery (scripts/pitr.sh) when a time is given.
#
#   backup.sh backup                      a verified backup now
#   backup.sh restore latest|NAME ""      the database and media from that backup (asks first;
#                                         RESTORE_YES=1 does not)
#   backup.sh restore "" "TIME"           point-in-time recovery to TIME (pitr.sh restore)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-geoportal.settings.dev}

case "${1:-}" in
  backup)
    bash "$ROOT/scripts/services.sh" start
    "$PY" manage.py backup
    ;;
  restore)
    name=${2:-}
    at=${3:-}
    if [ -n "$at" ] && [ -n "$name" ]; then
      die "give BACKUP= (a logical backup) or AT= (a point in time), not both"
    elif [ -n "$at" ]; then
      exec bash "$ROOT/scripts/pitr.sh" restore "$at"
    elif [ -n "$name" ]; then
      bash "$ROOT/scripts/services.sh" start
      "$PY" manage.py restore "$name" ${RESTORE_YES:+--yes}
    else
      "$PY" manage.py restore --list
      die "say which: make restore BACKUP=latest (or a name above), or make restore AT=\"2026-12-02 21:30:00+08\""
    fi
    ;;
  *)
    die "usage: scripts/backup.sh backup | restore NAME TIME"
    ;;
esac
