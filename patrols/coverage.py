"""How much of its area a patrol covered, computed in PostGIS.

**The figure.** When the task's area holds places (``layers.Place``: in the grid cell, in the drawn
polygon, or the listed places), coverage is the share of those places that came within
``PATROL_COVERAGE_METRES`` of the track: what a patrol is for is to pass by the places it keeps
watch on. An area with no places (there is no street layer in this product to walk along) is
covered by the share of its surface within that distance of the track (the track's buffer
intersected with the area, over the area). ``PatrolRun.coverage_basis`` says which was used.

**Distances** are geodesic (``geography``): ``ST_DWithin`` for each place, ``ST_Buffer`` on the
geography (PostGIS buffers in a suitable metric projection) for the surface. Both measure from the
track's parts: the gap between two parts (the phone stopped recording) covers nothing. The candidate
places come from the GiST index on ``layers_place.geom`` (intersecting the area) or by id (a list).

**When a place was reached**: the track is rebuilt as one measured line whose M is each vertex's
time, and ``ST_InterpolatePoint`` reads the time at the track's point closest to the place; a track
without one time per vertex gives the run's finish time instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from layers.models import GridCell, PatrolTrack, Place

from .models import AreaKind, CoverageBasis, PatrolRun, PlaceVisit

# The track (its parts: what was walked), and one line through all its vertices in order with each
# vertex's time (epoch seconds) as its measure, the n-th time for the n-th vertex over all parts.
# The timed line crosses the gaps, but it is only read at points of the track itself.
TRACK_SQL = """
    SELECT t.geom, t.geom::geography AS geog,
           CASE WHEN cardinality(t.timestamps) = ST_NPoints(t.geom) THEN (
               SELECT ST_SetSRID(ST_MakeLine(
                   ST_MakePointM(ST_X(d.geom), ST_Y(d.geom), extract(epoch FROM t.timestamps[d.n]))
                   ORDER BY d.n), 4326)
               FROM ST_DumpPoints(t.geom) WITH ORDINALITY AS d(path, geom, n)
           ) END AS timed
    FROM {track_table} t WHERE t.id = %(track)s
"""

PLACES_SQL = """
WITH track AS ({track}),
     area AS ({area}),
     candidates AS (
         SELECT p.id, p.geom FROM {place_table} p, area
         WHERE p.deleted_at IS NULL AND {candidates}
     ),
     judged AS (
         SELECT c.id, c.geom, ST_DWithin(c.geom::geography, track.geog, %(radius)s) AS reached
         FROM candidates c, track
     )
SELECT j.id, j.reached,
       CASE WHEN j.reached THEN
           to_timestamp(ST_InterpolatePoint(track.timed, ST_ClosestPoint(j.geom, track.geom)))
       END AS visited_at
FROM judged j, track
"""

SURFACE_SQL = """
WITH track AS ({track}), area AS ({area})
SELECT ST_Area(ST_Intersection(area.geom, ST_Buffer(track.geog, %(radius)s)::geometry)::geography)
       / NULLIF(ST_Area(area.geom::geography), 0)
FROM area, track
"""


@dataclass
class Coverage:
    basis: str = ""
    fraction: float | None = None
    total: int = 0
    # place id -> when the track passed closest to it (None: the track has no times)
    reached: dict[int, datetime | None] = field(default_factory=dict)


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def measure(run: PatrolRun, radius_m: float | None = None) -> Coverage:
    """The coverage of ``run``'s track over its task's area, within ``radius_m`` (default
    ``settings.PATROL_COVERAGE_METRES``); two queries at most, and nothing written."""
    if run.track_id is None:
        return Coverage()
    radius = float(radius_m if radius_m is not None else settings.PATROL_COVERAGE_METRES)
    task = run.task
    params: dict[str, Any] = {"track": run.track_id, "radius": radius}
    if task.area_kind == AreaKind.PLACES:
        area, candidates = "SELECT NULL::geometry AS geom", "p.id = ANY(%(places)s)"
        params["places"] = list(task.places.values_list("pk", flat=True))
    elif task.area_kind == AreaKind.POLYGON:
        area, candidates = "SELECT ST_GeomFromEWKB(%(area)s) AS geom", "ST_Intersects(p.geom, area.geom)"
        params["area"] = bytes(task.area.ewkb) if task.area is not None else None
    else:
        area = f"SELECT g.geom FROM {_table(GridCell)} g WHERE g.id = %(cell)s"
        candidates = "ST_Intersects(p.geom, area.geom)"
        params["cell"] = task.grid_cell_id
    track = TRACK_SQL.format(track_table=_table(PatrolTrack))
    with connection.cursor() as cursor:
        cursor.execute(
            PLACES_SQL.format(track=track, area=area, place_table=_table(Place), candidates=candidates),
            params,
        )
        rows = cursor.fetchall()
        if rows:
            reached = {pk: at for pk, hit, at in rows if hit}
            return Coverage(CoverageBasis.PLACES, len(reached) / len(rows), len(rows), reached)
        if task.area_kind == AreaKind.PLACES:
            return Coverage()  # the listed places are gone: nothing to cover
        cursor.execute(SURFACE_SQL.format(track=track, area=area), params)
        (share,) = cursor.fetchone() or (None,)
    return Coverage(CoverageBasis.AREA, None if share is None else min(float(share), 1.0))


def record(run: PatrolRun, radius_m: float | None = None) -> Coverage:
    """Measure ``run`` and keep the figure on it, with a ``PlaceVisit`` per place reached."""
    found = measure(run, radius_m)
    run.coverage, run.coverage_basis = found.fraction, found.basis
    run.coverage_radius_m = float(radius_m if radius_m is not None else settings.PATROL_COVERAGE_METRES)
    run.total_places, run.covered_places = found.total, len(found.reached)
    fallback = run.finished_at or timezone.now()
    with transaction.atomic():
        run.save(
            update_fields=[
                "coverage",
                "coverage_basis",
                "coverage_radius_m",
                "total_places",
                "covered_places",
            ]
        )
        PlaceVisit.objects.filter(run=run).delete()
        PlaceVisit.objects.bulk_create(
            [PlaceVisit(run=run, place_id=pk, visited_at=at or fallback) for pk, at in found.reached.items()]
        )
    return found
