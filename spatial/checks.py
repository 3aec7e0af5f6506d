"""Running an overlay check: compute the findings chunk by chunk, then store them atomically.

Idempotent: a check that is already done is left alone, and a re-run (a redelivered job, acks
late) replaces whatever an interrupted run left, so one check never holds duplicate findings.
Progress is written after every chunk (a town for the land-use check, a park for the overlap
check) outside the final transaction, so clients polling the check see it move.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils import timezone

from layers.models import NON_CONSTRUCTION_USES, Division, DivisionLevel

from . import queries
from .models import CheckKind, CheckStatus, Finding, OverlayCheck

log = logging.getLogger(__name__)


def _chunks(division: Division) -> list[str]:
    """Town prefixes under a city or county; the division itself below that."""
    if division.level in {DivisionLevel.CITY, DivisionLevel.COUNTY}:
        towns = Division.objects.filter(level=DivisionLevel.TOWN, code__startswith=division.prefix)
        prefixes = sorted({t.prefix for t in towns})
        if prefixes:
            return prefixes
    return [division.prefix]


def _illegal_land_use(check: OverlayCheck, progress: Callable[[int, int], None]):
    scope = check.division.prefix
    uses = sorted(str(u) for u in NON_CONSTRUCTION_USES)
    chunks = _chunks(check.division)
    found: list[tuple[str, queries.Overlap]] = []
    for i, chunk in enumerate(chunks, 1):
        found += [
            ("buildings", o)
            for o in queries.buildings_on_non_construction_land(scope, chunk, uses, check.min_area_m2)
        ]
        progress(i, len(chunks))
    return found, queries.count_buildings(scope)


def _parcel_overlap(check: OverlayCheck, progress: Callable[[int, int], None]):
    scope = check.division.prefix
    parks = queries.parks_with_parcels(scope)
    found: list[tuple[str, queries.Overlap]] = []
    for i, (park_id, park_name, _n) in enumerate(parks, 1):
        for overlap in queries.overlapping_parcels_in_park(scope, park_id, check.min_area_m2):
            overlap.details.update(park_id=park_id, park_name=park_name)
            found.append(("parcels", overlap))
        progress(i, len(parks))
    return found, sum(n for _id, _name, n in parks)


RUNNERS = {CheckKind.ILLEGAL_LAND_USE: _illegal_land_use, CheckKind.PARCEL_OVERLAP: _parcel_overlap}


def run_check(check_id: int, task_id: str = "") -> str:
    """Run one check to completion; returns its final status."""
    check = OverlayCheck.objects.select_related("division").get(pk=check_id)
    if check.status == CheckStatus.DONE:
        return check.status
    OverlayCheck.objects.filter(pk=check_id).update(
        status=CheckStatus.RUNNING, started_at=timezone.now(), progress=0, error="", task_id=task_id or ""
    )

    def progress(done: int, total: int) -> None:
        # Never 100 before the findings are stored.
        OverlayCheck.objects.filter(pk=check_id).update(progress=min(99, done * 100 // max(total, 1)))

    try:
        found, examined = RUNNERS[check.kind](check, progress)
        with transaction.atomic():
            locked = OverlayCheck.objects.select_for_update().get(pk=check_id)
            if locked.status == CheckStatus.DONE:
                return locked.status
            Finding.objects.filter(check_run=locked).delete()
            Finding.objects.bulk_create(
                [
                    Finding(
                        check_run=locked,
                        geom=GEOSGeometry(memoryview(o.ewkb)),
                        overlap_area_m2=round(o.area_m2, 2),
                        subject_layer=subject_layer,
                        subject_id=o.subject_id,
                        object_layer="parcels",
                        object_id=o.object_id,
                        division_code=o.division_code,
                        details=o.details,
                    )
                    for subject_layer, o in found
                ],
                batch_size=1000,
            )
            locked.status = CheckStatus.DONE
            locked.progress = 100
            locked.finding_count = len(found)
            locked.examined_count = examined
            locked.finished_at = timezone.now()
            locked.save()
        return CheckStatus.DONE
    except Exception as exc:
        log.exception("overlay check %s failed", check_id)
        OverlayCheck.objects.filter(pk=check_id).update(
            status=CheckStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now()
        )
        return CheckStatus.FAILED
