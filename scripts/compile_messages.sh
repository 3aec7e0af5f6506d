#!/usr/bin/env bash
# Compiles the translation catalogues (locale/*/LC_MESSAGES/*.po -> .mo) with Django's compilemessages.
# The .mo files are build output, not in git. Runs only when a .po is newer than its .mo (or the .mo
# is missing), so a second run does nothing. Needs msgfmt (Debian package gettext).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

stale=0
while IFS= read -r -d '' po; do
  mo=${po%.po}.mo
  if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then
    stale=1
    break
  fi
done < <(find "$ROOT/locale" -name '*.po' -print0 2>/dev/null)
[ "$stale" -eq 1 ] || exit 0

command -v msgfmt >/dev/null || die "msgfmt is not installed (apt-get install gettext)"
say "compiling translation catalogues"
cd "$ROOT"
DJANGO_SETTINGS_MODULE=geoportal.settings.dev "$PY" manage.py compilemessages -v0 \
  || die "compilemessages failed (check the placeholders in locale/*/LC_MESSAGES/django.po)"
