"""The PostgreSQL side of backups: snapshots, dumps, scratch databases, fingerprints and the swap.

Everything here talks to PostgreSQL through its own psycopg connections (and the client programs),
never through Django's ``default`` connection: a backup holds a snapshot open while a worker's
bookkeeping commits, and a restore works on databases Django is not connected to.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from django.conf import settings
from psycopg import sql

from . import conf

MAINTENANCE_DB = "postgres"
# The text of a row depends on these: the source and the restored copy are read with the same.
_STABLE_TEXT = (
    "SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; SET IntervalStyle TO 'postgres'; "
    "SET extra_float_digits TO 1; SET bytea_output TO 'hex'"
)
# User tables: not those of extensions (PostGIS's spatial_ref_sys), not partitions (their parent
# counts their rows).
_TABLES = """
SELECT n.nspname, c.relname, c.relkind
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  )
ORDER BY 1, 2
"""


def current_name() -> str:
    return str(settings.DATABASES["default"]["NAME"])


def database_url(dbname: str | None = None) -> str:
    """A ``DATABASE_URL`` for another process on database ``dbname`` of the same server."""
    db = settings.DATABASES["default"]
    auth = f"{quote(db.get('USER') or '')}:{quote(db.get('PASSWORD') or '')}@" if db.get("USER") else ""
    return f"postgis://{auth}{db.get('HOST') or ''}:{db.get('PORT') or 5432}/{dbname or current_name()}"


def libpq_env(dbname: str | None = None) -> dict[str, str]:
    """The environment the client programs connect with (no password on a command line)."""
    db = settings.DATABASES["default"]
    values = {
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": db.get("USER") or "",
        "PGPASSWORD": db.get("PASSWORD") or "",
        "PGDATABASE": dbname or current_name(),
        "PGCONNECT_TIMEOUT": "10",
    }
    return {**os.environ, **{k: v for k, v in values.items() if v}}


def connect(dbname: str | None = None, *, autocommit: bool = False) -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        dbname=dbname or current_name(),
        connect_timeout=10,
        autocommit=autocommit,
    )


def server_version(conn: psycopg.Connection) -> dict[str, str]:
    row = conn.execute(
        "SELECT current_setting('server_version'), "
        "(SELECT extversion FROM pg_extension WHERE extname = 'postgis')"
    ).fetchone()
    assert row is not None
    return {"postgresql": row[0], "postgis": row[1] or ""}


# --- snapshot and dump ---------------------------------------------------------------------------


@contextmanager
def snapshot(dbname: str | None = None) -> Iterator[tuple[psycopg.Connection, str]]:
    """A read-only repeatable-read transaction and the name of its exported snapshot: whatever is
    read in it, and a ``pg_dump --snapshot`` of that name, sees the same committed state."""
    with connect(dbname) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        conn.execute(_STABLE_TEXT)
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        try:
            yield conn, str(row[0])
        finally:
            conn.rollback()


def start_dump(snapshot_name: str, target: Path, dbname: str | None = None) -> subprocess.Popen:
    """``pg_dump -Fc`` of the snapshot into ``target``, started (the caller waits for it)."""
    return subprocess.Popen(
        [conf.program("pg_dump"), "--format=custom", f"--snapshot={snapshot_name}", f"--file={target}"],
        env=libpq_env(dbname),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait(proc: subprocess.Popen, what: str, checkpoint: Callable[[], None] = lambda: None) -> None:
    """Wait for a client program, calling ``checkpoint`` each second (a cancelled job stops it)."""
    while True:
        try:
            proc.wait(timeout=1)
            break
        except subprocess.TimeoutExpired:
            try:
                checkpoint()
            except BaseException:
                proc.kill()
                proc.wait()
                raise
    if proc.returncode != 0:
        stderr = proc.stderr.read() if proc.stderr else ""
        raise ProgramFailed(what, proc.returncode, stderr)


class ProgramFailed(Exception):
    def __init__(self, what: str, code: int, stderr: str) -> None:
        super().__init__(f"{what} exited with {code}: {stderr.strip()[-500:]}")
        self.what = what
        self.stderr = stderr


# --- fingerprints --------------------------------------------------------------------------------


def fingerprints(conn: psycopg.Connection) -> dict[str, dict[str, Any]]:
    """Per table, the row count and a checksum of its rows, independent of their order (the sum
    of 64 bits of each row's MD5): equal on the source and on a faithful copy."""
    conn.execute(_STABLE_TEXT)
    result: dict[str, dict[str, Any]] = {}
    for schema, table, kind in conn.execute(_TABLES).fetchall():
        name = sql.Identifier(schema, table)
        only = sql.SQL("ONLY ") if kind == "r" else sql.SQL("")
        query = sql.SQL(
            "SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint), 0)::text "
            "FROM {only}{name} t"
        ).format(only=only, name=name)
        row = conn.execute(query).fetchone()
        assert row is not None
        result[f"{schema}.{table}"] = {"rows": int(row[0]), "checksum": row[1]}
    return result


def applied_migrations(conn: psycopg.Connection) -> set[tuple[str, str]]:
    return {(app, name) for app, name in conn.execute("SELECT app, name FROM django_migrations")}


# --- scratch databases, restore and swap --------------------------------------------------------


def create_database(name: str) -> None:
    """An empty database (template0: nothing a template might add), PostGIS comes with the dump."""
    with connect(MAINTENANCE_DB, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))


def drop_database(name: str) -> None:
    with connect(MAINTENANCE_DB, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def database_exists(name: str) -> bool:
    with connect(MAINTENANCE_DB, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def migrate(dbname: str) -> None:
    """``manage.py migrate`` on another database of the server (a restored copy, before it goes
    live), in a process of its own: Django's connections stay on the live one."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": database_url(dbname)},
        check=True,
    )


def restore_dump(dump: Path, dbname: str, checkpoint: Callable[[], None] = lambda: None) -> None:
    """Load a dump into an empty database, two jobs in parallel, stopping at the first error."""
    proc = subprocess.Popen(
        [
            conf.program("pg_restore"),
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            "--jobs=2",
            f"--dbname={dbname}",
            str(dump),
        ],
        env=libpq_env(dbname),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait(proc, "pg_restore", checkpoint)
    with connect(dbname, autocommit=True) as conn:
        conn.execute("ANALYZE")


def swap(current: str, restored: str, previous: str, attempts: int = 20) -> None:
    """Put ``restored`` in place of ``current`` by renaming; ``current`` becomes ``previous``.

    New connections to ``current`` are refused first (ALLOW_CONNECTIONS false), then the open ones
    are ended, so nothing can slip in between and make the rename fail. The processes that had
    them reconnect, by the same name, to the restored database. ``previous`` is kept closed to
    connections, whole, until someone drops it (or renames it back).
    """
    ident = sql.Identifier
    with connect(MAINTENANCE_DB, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(ident(current)))
        for attempt in range(attempts):
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [current],
            )
            try:
                conn.execute(
                    sql.SQL("ALTER DATABASE {} RENAME TO {}").format(ident(current), ident(previous))
                )
                break
            except psycopg.errors.ObjectInUse:
                if attempt == attempts - 1:
                    conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(ident(current)))
                    raise
                time.sleep(0.1)
        conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(ident(restored), ident(current)))
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(ident(current)))
