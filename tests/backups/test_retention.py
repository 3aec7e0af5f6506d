"""Retention: the newest backup of each of the last days and ISO weeks stays, the rest goes, with
the media only those held; and one scheduled backup a day."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from backups import manifest as manifests
from backups.media import object_key
from backups.models import BackupJob, BackupTrigger
from backups.retention import prune, to_keep
from backups.store import LocalStore
from backups.tasks import submit_daily

LOCAL = ZoneInfo("Asia/Shanghai")


def name_at(day: str, hour: int = 3, job: int = 1) -> str:
    moment = datetime.fromisoformat(day).replace(hour=hour, tzinfo=LOCAL)
    return manifests.name_for(moment, job)


def every_day(first: str, last: str) -> list[str]:
    day, end = datetime.fromisoformat(first), datetime.fromisoformat(last)
    names = []
    while day <= end:
        names.append(name_at(day.date().isoformat(), job=len(names) + 1))
        day += timedelta(days=1)
    return names


def test_the_newest_of_each_of_seven_days_and_four_weeks_is_kept() -> None:
    names = [*every_day("2026-11-01", "2026-12-03"), name_at("2026-12-03", hour=1, job=99)]

    kept = to_keep(names, daily=7, weekly=4)

    days = [f"2026-11-{d}" for d in (27, 28, 29, 30)] + ["2026-12-01", "2026-12-02", "2026-12-03"]
    # ISO weeks starting 30 Nov, 23 Nov, 16 Nov and 9 Nov end on (or are newest at) these days.
    weeks = ["2026-12-03", "2026-11-29", "2026-11-22", "2026-11-15"]
    kept_days = {manifests.taken_at(n).astimezone(LOCAL).date().isoformat() for n in kept}
    assert kept_days == {*days, *weeks}
    assert len(kept) == 9
    assert name_at("2026-12-03", hour=1, job=99) not in kept


def write_backup(store: LocalStore, name: str, media: dict[str, str]) -> None:
    files = {path: {"sha256": sha, "bytes": 1, "mtime_ns": 0} for path, sha in media.items()}
    manifests.save(store, {"name": name, "media": files})
    store.put_bytes(manifests.dump_key(name), b"dump")
    for sha in media.values():
        store.put_bytes(object_key(sha), b"x")


def age(store: LocalStore, key: str, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(store.root / key, (then, then))


@pytest.mark.django_db
def test_prune_removes_old_backups_and_the_media_only_they_held(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    old, new = name_at("2026-10-01", job=1), name_at("2026-12-03", job=2)
    write_backup(store, old, {"a.jpg": "a" * 64, "b.jpg": "b" * 64})
    write_backup(store, new, {"b.jpg": "b" * 64})
    store.put_bytes(object_key("c" * 64), b"put by a backup running now")
    store.put_bytes(manifests.dump_key("20261001T000000Z-7"), b"a dump whose run was killed")
    for key in (object_key("a" * 64), object_key("b" * 64), manifests.dump_key("20261001T000000Z-7")):
        age(store, key, 30)
    BackupJob.objects.create(trigger=BackupTrigger.SCHEDULED, name=old)

    with override_settings(BACKUP_KEEP_DAILY=1, BACKUP_KEEP_WEEKLY=0):
        removed = prune(store)

    assert removed["backups"] == [old]
    assert manifests.names(store) == [new]
    assert sorted(removed["files"]) == [manifests.dump_key("20261001T000000Z-7"), object_key("a" * 64)]
    assert store.exists(object_key("b" * 64)) and store.exists(object_key("c" * 64))
    assert BackupJob.objects.get(name=old).pruned_at is not None
    assert prune(store) == {"backups": [], "files": []}
    assert json.loads(store.get_bytes(manifests.manifest_key(new)))["format"] == manifests.FORMAT


@pytest.mark.django_db
def test_the_daily_backup_is_made_once_a_day() -> None:
    first = submit_daily()
    assert first is not None
    assert submit_daily() is None
    assert BackupJob.objects.filter(trigger=BackupTrigger.SCHEDULED).count() == 1
