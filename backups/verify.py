"""Checking a restored database against its backup's manifest.

The same checks serve a backup's own verification (restored into a scratch database just after it
was taken), ``manage.py verify_backup`` on a stored backup, and ``manage.py restore`` before it
swaps the restored database in:

- every table has the row count and checksum the source had in the dump's snapshot, and no table
  is missing or extra;
- the migrations on disk are all applied (the code that runs on it will find its schema);
- a spatial query (locate, at a point inside the first division) answers as it did on the source;
- every media file the rows name is in the backup, and its content is in the store.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from django.db.migrations.loader import MigrationLoader

from accounts.roles import Role
from layers.registry import LAYERS
from spatial.queries import locate_statement

from . import database
from .media import object_key
from .store import Store

MAX_PROBLEMS = 50


def _platform_view() -> Any:
    """An administrator's view (sees every record), without an account: the probe is the
    platform's own, and must answer whatever the accounts table holds."""
    from accounts.models import User

    return User(username="backup-verification", role=Role.ADMIN, is_superuser=True, is_active=True)


def locate_probe(conn: psycopg.Connection) -> dict[str, Any] | None:
    """A point inside the first division and what locate answers there (None: no divisions)."""
    table = LAYERS["divisions"].model._meta.db_table
    row = conn.execute(
        f'SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM "{table}" '
        "WHERE geom IS NOT NULL ORDER BY code LIMIT 1) first"
    ).fetchone()
    if row is None:
        return None
    lon, lat = float(row[0]), float(row[1])
    return {"lon": lon, "lat": lat, "answer": locate_answer(conn, lon, lat)}


def locate_answer(conn: psycopg.Connection, lon: float, lat: float) -> list[list[Any]]:
    statement, params = locate_statement(_platform_view(), lon, lat)
    rows = conn.execute(statement, params).fetchall() if statement else []
    return sorted([[layer, payload] for layer, payload in rows], key=repr)


def pending_migrations(conn: psycopg.Connection) -> list[str]:
    """Migrations on disk the database has not applied (the latest of each app suffices)."""
    applied = database.applied_migrations(conn)
    leaves = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()
    return sorted(f"{app}.{name}" for app, name in leaves if (app, name) not in applied)


def check(
    manifest: dict[str, Any], dbname: str, store: Store, *, migrations_current: bool = True
) -> dict[str, Any]:
    """The checks above on database ``dbname``; the report has ``ok`` and the ``problems``.
    Without ``migrations_current`` pending migrations are reported (``pending_migrations``) but
    are no problem: a restore of a backup older than the code migrates the copy before the swap."""
    problems: list[str] = []
    with database.connect(dbname) as conn:
        got = database.fingerprints(conn)
        for table, want in manifest["tables"].items():
            have = got.get(table)
            if have is None:
                problems.append(f"{table}: missing from the restored database")
            elif have != want:
                problems.append(
                    f"{table}: {have['rows']} rows (checksum {have['checksum']}) where the source had "
                    f"{want['rows']} (checksum {want['checksum']})"
                )
        problems += [f"{table}: not in the backup" for table in sorted(set(got) - set(manifest["tables"]))]
        pending = pending_migrations(conn)
        if pending and migrations_current:
            problems.append(
                "migrations not applied: " + ", ".join(pending) + " (the backup is older than the code)"
            )
        probe = manifest.get("locate")
        if probe is not None and locate_answer(conn, probe["lon"], probe["lat"]) != probe["answer"]:
            problems.append(f"locate at {probe['lon']:.5f},{probe['lat']:.5f} answers differently")
        conn.rollback()
    files = manifest["media"]
    missing = [name for name in manifest["referenced_media"] if name not in files]
    problems += [f"media file {name} is named by a row but not in the backup" for name in missing]
    present = {stored.key for stored in store.list("media/")}
    lost = sorted(name for name, entry in files.items() if object_key(entry["sha256"]) not in present)
    problems += [f"media file {name}: its content is not in the store" for name in lost]
    return {
        "ok": not problems,
        "problems": problems[:MAX_PROBLEMS],
        "problem_count": len(problems),
        "tables": len(got),
        "rows": sum(t["rows"] for t in got.values()),
        "referenced_media": len(manifest["referenced_media"]),
        "media_files": len(files),
        "pending_migrations": pending,
    }


def scratch_name(source: str, tag: str) -> str:
    """A database name beside ``source`` (63 bytes at most, PostgreSQL's limit)."""
    suffix = f"_{tag}"
    return source[: 63 - len(suffix)] + suffix


def restore_and_check(
    manifest: dict[str, Any], dump: Any, store: Store, checkpoint: Any = lambda: None
) -> dict[str, Any]:
    """Restore ``dump`` into a scratch database, run ``check`` on it, drop it; the report."""
    scratch = scratch_name(manifest["database"]["name"], f"verify_{manifest['job']}")
    database.drop_database(scratch)  # left by a run that was killed
    started = time.monotonic()
    database.create_database(scratch)
    try:
        database.restore_dump(dump, scratch, checkpoint)
        restored = time.monotonic()
        report = check(manifest, scratch, store)
        report["seconds"] = {
            "restore": round(restored - started, 2),
            "check": round(time.monotonic() - restored, 2),
        }
        return report
    finally:
        database.drop_database(scratch)
