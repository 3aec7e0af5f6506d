#!/usr/bin/env bash
# Validates docker-compose.yml without needing a Docker engine: with the Docker Compose v2 plugin
# when it is installed, otherwise with Debian's docker-compose (1.29), installed on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

COMPOSE_FILE_PATH=docker-compose.yml

die() { printf 'check_compose: error: %s\n' "$*" >&2; exit 1; }

[ -f "$COMPOSE_FILE_PATH" ] || die "$COMPOSE_FILE_PATH not found in $(pwd)"

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
  validator="docker compose $(docker compose version --short 2>/dev/null || echo v2)"
else
  if ! command -v docker-compose >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] \
      || die "neither 'docker compose' nor 'docker-compose' is installed; run as root or: sudo apt-get install docker-compose"
    echo "check_compose: installing Debian's docker-compose to validate $COMPOSE_FILE_PATH" >&2
    apt_log=$(mktemp)
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose; } \
      >"$apt_log" 2>&1; then
      cat "$apt_log" >&2
      rm -f "$apt_log"
      die "could not install docker-compose with apt-get (output above)"
    fi
    rm -f "$apt_log"
  fi
  compose=(docker-compose)
  validator="docker-compose $(docker-compose version --short 2>/dev/null || echo 1.x)"
fi

# -f: validate this file alone, without a local docker-compose.override.yml.
if ! output=$("${compose[@]}" -f "$COMPOSE_FILE_PATH" config -q 2>&1); then
  printf '%s\n' "$output" >&2
  die "$COMPOSE_FILE_PATH is invalid according to $validator (details above)"
fi
[ -z "$output" ] || printf '%s\n' "$output" >&2
echo "compose file OK: $COMPOSE_FILE_PATH passed $validator config -q"
