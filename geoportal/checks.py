"""Set-up checks that turn a broken environment into one clear sentence instead of a traceback.

Run as ``python -m geoportal.checks services``; the shell scripts call it before migrating or serving.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

import psycopg
import redis


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def check_database(url: str) -> str | None:
    """Return a problem description, or None when PostGIS answers."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "postgis"}:
        return f"DATABASE_URL must start with postgres:// or postgis://, got {parts.scheme or 'nothing'}://"
    dsn = parts._replace(scheme="postgresql").geturl()
    try:
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'").fetchone()
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else exc.__class__.__name__
        return f"cannot connect to the database at {_redact(url)}: {reason}"
    if row is None:
        return (
            f"the database at {_redact(url)} has no PostGIS extension: "
            "run CREATE EXTENSION postgis as a superuser"
        )
    return None


def check_redis(url: str) -> str | None:
    """Return a problem description, or None when Redis answers."""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except (redis.RedisError, ValueError) as exc:
        return f"cannot reach Redis at {_redact(url)}: {exc}"
    return None


def main(argv: list[str]) -> int:
    if argv[1:] != ["services"]:
        print("usage: python -m geoportal.checks services", file=sys.stderr)
        return 2
    problems = [
        p
        for p in (
            check_database(os.environ.get("DATABASE_URL", "")),
            check_redis(os.environ.get("REDIS_URL", "")),
        )
        if p
    ]
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
