"""Which backups are kept: the newest of each of the last ``BACKUP_KEEP_DAILY`` days and of each of
the last ``BACKUP_KEEP_WEEKLY`` ISO weeks (days and weeks in the city's time zone); the rest go.

Media contents no kept backup names are removed too, except those stored in the last day: a backup
running now may have put them there without a manifest yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from . import conf
from . import manifest as manifests
from .media import object_key
from .store import Store

GRACE = timedelta(days=1)


def to_keep(names: Iterable[str], *, daily: int, weekly: int) -> set[str]:
    newest_first = sorted(names, reverse=True)
    keep: set[str] = set()
    for size, period in ((daily, _day), (weekly, _week)):
        seen: list[object] = []
        for name in newest_first:
            slot = period(timezone.localtime(manifests.taken_at(name)))
            if slot not in seen:
                if len(seen) == size:
                    break
                seen.append(slot)
                keep.add(name)
    return keep


def _day(moment: datetime) -> object:
    return moment.date()


def _week(moment: datetime) -> object:
    return moment.isocalendar()[:2]


def prune(store: Store) -> dict[str, list[str]]:
    """Apply the retention to the store; idempotent. Returns the backups and media removed."""
    from .models import BackupJob

    names = manifests.names(store)
    keep = to_keep(names, daily=conf.keep_daily(), weekly=conf.keep_weekly())
    gone = [name for name in names if name not in keep]
    for name in gone:
        store.delete(manifests.manifest_key(name))
        store.delete(manifests.dump_key(name))
    BackupJob.objects.filter(name__in=gone, pruned_at__isnull=True).update(pruned_at=timezone.now())
    wanted: set[str] = set()
    for name in keep:
        wanted.update(object_key(entry["sha256"]) for entry in manifests.load(store, name)["media"].values())
    kept_dumps = {manifests.dump_key(name) for name in keep}
    recent = timezone.now() - GRACE
    unused = [
        stored.key
        for prefix, needed in (("media/", wanted), ("dumps/", kept_dumps))
        for stored in store.list(prefix)
        if stored.key not in needed and stored.modified < recent
    ]
    for key in unused:
        store.delete(key)
    return {"backups": gone, "files": unused}
