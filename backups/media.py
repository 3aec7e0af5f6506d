"""Media files in a backup: stored once by content, listed by name in the manifest.

An object's key is its SHA-256 (``media/ab/abcdef…``), so a file that did not change since the last
backup, or that appears under two names, is never copied twice. To avoid reading every file again
each night, a file whose size and modification time are those the previous manifest recorded keeps
the digest recorded there.

Which files the data needs is read from the models: every file field, and the photo lists (JSON
arrays of media names) of the layers and grid events. History tables are left out: an old version
may name a file that was rightly removed since.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.apps import apps
from django.conf import settings
from django.db import models
from psycopg import sql

from core.files import file_digest

from .store import Store

PHOTO_LISTS = frozenset({"photos", "feedback_photos"})


def object_key(sha256: str) -> str:
    return f"media/{sha256[:2]}/{sha256}"


def media_columns() -> list[tuple[str, str, bool]]:
    """(table, column, is a JSON list) of every column that names media files."""
    found = []
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        if model._meta.proxy or "history_id" in names:
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField):
                found.append((model._meta.db_table, f.column, False))
            elif isinstance(f, models.JSONField) and f.name in PHOTO_LISTS:
                found.append((model._meta.db_table, f.column, True))
    return sorted(found)


def referenced(conn: psycopg.Connection) -> list[str]:
    """The media names the rows refer to, as ``conn`` sees them (the backup's snapshot)."""
    names: set[str] = set()
    for table, column, is_list in media_columns():
        t, c = sql.Identifier(table), sql.Identifier(column)
        if is_list:
            query = sql.SQL(
                "SELECT DISTINCT jsonb_array_elements_text({c}) FROM {t} WHERE jsonb_typeof({c}) = 'array'"
            ).format(t=t, c=c)
        else:
            query = sql.SQL("SELECT DISTINCT {c} FROM {t} WHERE {c} <> ''").format(t=t, c=c)
        names.update(str(row[0]) for row in conn.execute(query))
    return sorted(n for n in names if n)


@dataclass
class MediaCopy:
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    copied: int = 0
    copied_bytes: int = 0

    @property
    def total_bytes(self) -> int:
        return sum(entry["bytes"] for entry in self.files.values())


def back_up(
    store: Store, previous: dict[str, dict[str, Any]], progress: Callable[[float], None]
) -> MediaCopy:
    """Every file under ``MEDIA_ROOT`` into the store, copying only contents it does not hold."""
    root = Path(settings.MEDIA_ROOT)
    present = {stored.key for stored in store.list("media/")}
    paths = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
    result = MediaCopy()
    for i, path in enumerate(paths):
        name = path.relative_to(root).as_posix()
        stat = path.stat()
        known = previous.get(name)
        if known and known["bytes"] == stat.st_size and known.get("mtime_ns") == stat.st_mtime_ns:
            sha256 = known["sha256"]
        else:
            sha256, _size = file_digest(path)
        key = object_key(sha256)
        if key not in present:
            store.put(key, path)
            present.add(key)
            result.copied += 1
            result.copied_bytes += stat.st_size
        result.files[name] = {"sha256": sha256, "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        if i % 50 == 0:
            progress(i / len(paths))
    return result


def restore(store: Store, files: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Put every file of a manifest back under ``MEDIA_ROOT`` where it is missing or differs;
    files the backup does not know are left alone."""
    root = Path(settings.MEDIA_ROOT)
    counts = {"restored": 0, "unchanged": 0}
    for name, entry in files.items():
        target = root / name
        same_size = target.is_file() and target.stat().st_size == entry["bytes"]
        if same_size and file_digest(target)[0] == entry["sha256"]:
            counts["unchanged"] += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".restore-")
        os.close(fd)
        try:
            store.get(object_key(entry["sha256"]), Path(partial))
            os.replace(partial, target)
        finally:
            Path(partial).unlink(missing_ok=True)
        counts["restored"] += 1
    return counts
