"""The overlay checks as processors of the jobs engine: compute the findings chunk by chunk,
then store them in the runner's final transaction.

Exactly once (``jobs.runner``): a finished check is never run again, and a re-run after a dead
worker starts from nothing, so one check never holds duplicate findings. Progress is published
after every chunk (a town for the land-use check, a park for the overlap check), so clients polling
the check see it move.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.gis.geos import GEOSGeometry

from jobs.registry import Processor, register
from jobs.runner import Context
from layers.models import NON_CONSTRUCTION_USES, Division, DivisionLevel

from . import queries
from .models import CheckKind, Finding, OverlayCheck

Found = tuple[list[tuple[str, queries.Overlap]], int]


def _chunks(division: Division) -> list[str]:
    """Town prefixes under a city or county; the division itself below that."""
    if division.level in {DivisionLevel.CITY, DivisionLevel.COUNTY}:
        towns = Division.objects.filter(level=DivisionLevel.TOWN, code__startswith=division.prefix)
        prefixes = sorted({t.prefix for t in towns})
        if prefixes:
            return prefixes
    return [division.prefix]


def _illegal_land_use(check: OverlayCheck, progress: Callable[[int, int], None]) -> Found:
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


def _parcel_overlap(check: OverlayCheck, progress: Callable[[int, int], None]) -> Found:
    scope = check.division.prefix
    parks = queries.parks_with_parcels(scope)
    found: list[tuple[str, queries.Overlap]] = []
    for i, (park_id, park_name, _n) in enumerate(parks, 1):
        for overlap in queries.overlapping_parcels_in_park(scope, park_id, check.min_area_m2):
            overlap.details.update(park_id=park_id, park_name=park_name)
            found.append(("parcels", overlap))
        progress(i, len(parks))
    return found, sum(n for _id, _name, n in parks)


class Check(Processor):
    """Both checks: find (per kind), then replace the check's findings with what was found."""

    find: Callable[[OverlayCheck, Callable[[int, int], None]], Found]

    def prepare(self, job: OverlayCheck, ctx: Context) -> Found:
        def progress(done: int, total: int) -> None:
            ctx.progress(done / max(total, 1), "checking", 0, 99)

        check = OverlayCheck.objects.select_related("division").get(pk=job.pk)
        return type(self).find(check, progress)

    def commit(self, job: OverlayCheck, ctx: Context, prepared: Found) -> dict[str, Any]:
        found, examined = prepared
        Finding.objects.filter(check_run_id=job.pk).delete()
        Finding.objects.bulk_create(
            [
                Finding(
                    check_run_id=job.pk,
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
        ctx.report.counts.update(examined=examined, findings=len(found))
        return {"finding_count": len(found), "examined_count": examined}


@register(model=OverlayCheck, kind=CheckKind.ILLEGAL_LAND_USE)
class IllegalLandUse(Check):
    find = staticmethod(_illegal_land_use)


@register(model=OverlayCheck, kind=CheckKind.PARCEL_OVERLAP)
class ParcelOverlap(Check):
    find = staticmethod(_parcel_overlap)
