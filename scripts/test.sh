#!/usr/bin/env bash
# `make test`: set up, check lint (ruff), migrations, types (mypy) and the front-end code (eslint),
# then run pytest against a real PostGIS. Arguments go to pytest (make test ARGS="-k tiles").
# `scripts/test.sh --lint-only` (make lint) runs ruff, mypy and eslint and stops there.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

LINT_ONLY=0
if [ "${1:-}" = "--lint-only" ]; then
  LINT_ONLY=1
  shift
fi

# Type-checked packages (settings in pyproject.toml, [tool.mypy]); those that do not exist yet are skipped.
read -r -a MYPY_PACKAGES <<<"${MYPY_PACKAGES:-policy jobs core crypto audit workdays projects inbox grid patrols sync editing exports ogc backups industries}"

bash "$ROOT/scripts/provision.sh"
[ "$LINT_ONLY" = 1 ] || bash "$ROOT/scripts/services.sh" start
cd "$ROOT"
export DJANGO_SETTINGS_MODULE=geoportal.settings.test

say "ruff"
"$VENV/bin/ruff" check . && "$VENV/bin/ruff" format --check .

if [ "$LINT_ONLY" = 0 ]; then
  say "migrations are up to date"
  "$PY" manage.py makemigrations --check --dry-run -v0 || die "models changed without a migration: run 'python manage.py makemigrations'"
fi

targets=()
for pkg in "${MYPY_PACKAGES[@]}"; do
  [ -n "$(find "$pkg" -name '*.py' -print -quit 2>/dev/null)" ] && targets+=("$pkg")
done
if [ ${#targets[@]} -eq 0 ]; then
  say "mypy: skipped, none of ${MYPY_PACKAGES[*]} exists yet"
else
  say "mypy ${targets[*]}"
  "$VENV/bin/mypy" "${targets[@]}" || die "mypy found type errors (above)"
fi

say "eslint frontend/"
[ -x "$ROOT/node_modules/.bin/eslint" ] || die "eslint is not installed: run scripts/build_frontend.sh (npm ci)"
"$ROOT/node_modules/.bin/eslint" --max-warnings 0 frontend/ || die "eslint found problems in frontend/ (above)"

[ "$LINT_ONLY" = 1 ] && exit 0
say "pytest"
"$VENV/bin/pytest" "$@"
