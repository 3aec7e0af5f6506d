"""Archiving a month of the audit log: its rows to a file, then its partition out of the database.

Only a month older than ``AUDIT_RETENTION_DAYS`` may go. The file (gzipped JSON lines, every column)
is written and synced first; then, in one transaction, an entry recording the archive joins the
chain (file name, its SHA-256, the chain positions it holds and the MAC at the end of each run of
them) and the partition is detached and dropped. ``audit verify`` reads those entries, so the
archived positions are a known gap rather than removed entries, and the chain still verifies
across it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import chain
from .models import AuditAction
from .partitions import partition_name
from .writer import record

ARCHIVE_OBJECT = "audit.partition"


class ArchiveRefused(Exception):
    pass


def _runs(rows: list[tuple[int, str]]) -> list[list[Any]]:
    """[[first seq, last seq, MAC of the last], …] for runs of consecutive chain positions."""
    runs: list[list[Any]] = []
    for seq, mac in rows:
        if runs and runs[-1][1] == seq - 1:
            runs[-1][1:] = [seq, mac]
        else:
            runs.append([seq, seq, mac])
    return runs


def archive_month(year: int, month: int, directory: Path) -> dict[str, Any]:
    last_day = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
    if last_day > timezone.localdate() - timedelta(days=settings.AUDIT_RETENTION_DAYS):
        raise ArchiveRefused(
            f"{year:04d}-{month:02d} is younger than AUDIT_RETENTION_DAYS ({settings.AUDIT_RETENTION_DAYS}): "
            "entries are kept at least that long"
        )
    name = partition_name(year, month)
    columns = ["id", *chain.COVERED, "prev_mac", "mac"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is None:
            raise ArchiveRefused(f"there is no partition {name} (already archived, or never made)")
        cursor.execute(f"SELECT {', '.join(columns)} FROM {name} ORDER BY seq")  # noqa: S608 - our names
        rows = cursor.fetchall()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for row in rows:
            out.write(
                json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False, default=str) + "\n"
            )
    with path.open("rb") as written:
        os.fsync(written.fileno())
        digest = hashlib.sha256(written.read()).hexdigest()
    runs = _runs([(row[1], row[-1]) for row in rows])
    detail = {"file": path.name, "sha256": digest, "entries": len(rows), "runs": runs}
    with transaction.atomic():
        record(AuditAction.CONFIG, object_type=ARCHIVE_OBJECT, object_id=name, detail=detail)
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE audit_entry DETACH PARTITION {name}")
            cursor.execute(f"DROP TABLE {name}")
    return {"path": str(path), **detail}


def archived_runs() -> dict[int, tuple[int, str]]:
    """first seq → (last seq, MAC of the last) of every archived run, from the archive entries."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT detail FROM audit_entry WHERE object_type = %s AND action = %s",
            [ARCHIVE_OBJECT, AuditAction.CONFIG],
        )
        found: dict[int, tuple[int, str]] = {}
        for (detail,) in cursor.fetchall():
            for first, last, mac in json.loads(detail).get("runs", []):
                found[first] = (last, mac)
    return found
