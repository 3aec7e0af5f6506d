#!/usr/bin/env bash
# `make test`: set up, check lint and migrations, then run pytest against a real PostGIS.
# Arguments go to pytest (make test ARGS="-k tiles").
set -euo pipefail
source "$(dirname "$0")/lib.sh"

bash "$ROOT/scripts/provision.sh"
bash "$ROOT/scripts/services.sh" start
cd "$ROOT"
export DJANGO_SETTINGS_MODULE=geoportal.settings.test

say "ruff"
"$VENV/bin/ruff" check . && "$VENV/bin/ruff" format --check .
say "migrations are up to date"
"$PY" manage.py makemigrations --check --dry-run -v0 || die "models changed without a migration: run 'python manage.py makemigrations'"
say "pytest"
"$VENV/bin/pytest" "$@"
