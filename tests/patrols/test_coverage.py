"""Coverage on constructed geometry: a straight track across the first cell, places at known
distances from it, and a cell with no places covered by the track's 100 m wide strip; the gap in a
track whose phone stopped recording covers nothing."""

from __future__ import annotations

import math
import time
import uuid
from datetime import timedelta

import pytest
import shapely
from django.contrib.gis.geos import LineString, MultiLineString, Point
from django.db import connection
from django.utils import timezone
from pyproj import Geod

from accounts.roles import Role
from layers.models import PatrolTrack
from patrols import coverage
from patrols.models import AreaKind, CoverageBasis, PatrolRun, PlaceVisit
from tests.builders import X0, Y0, make_record

pytestmark = pytest.mark.django_db
GEOD = Geod(ellps="WGS84")
LAT = Y0 + 0.05


def _north(metres: float) -> float:
    """The latitude ``metres`` north of the track."""
    _lon, lat, _back = GEOD.fwd(X0 + 0.02, LAT, 0, metres)
    return lat


def _run(city, task, coords, t0, *more):
    """A run whose track walks ``coords`` (then each of ``more``, after a gap), a vertex a minute."""
    parts = [coords, *more]
    vertices = sum(len(part) for part in parts)
    track = PatrolTrack(
        worker=city.users[Role.GRID_WORKER],
        started_at=t0,
        ended_at=t0 + timedelta(minutes=vertices - 1),
        timestamps=[t0 + timedelta(minutes=i) for i in range(vertices)],
        geom=MultiLineString(*(LineString(part) for part in parts), srid=4326),
    )
    track.save()
    return PatrolRun.objects.create(
        task=task,
        uuid=uuid.uuid4(),
        worker=city.users[Role.GRID_WORKER],
        template=task.template,
        track=track,
        finished_at=t0 + timedelta(hours=1),
    )


def test_the_share_of_places_within_the_distance_and_when_each_was_reached(city, make_task, settings):
    settings.PATROL_COVERAGE_METRES = 50
    task = make_task()
    t0 = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    # Vertices every 0.005° eastwards, one minute apart.
    run = _run(city, task, [(X0 + 0.01 + 0.005 * i, LAT) for i in range(7)], t0)
    near = make_record("places", city, Point(X0 + 0.02, _north(30), srid=4326))  # at vertex 2
    edge = make_record("places", city, Point(X0 + 0.0225, _north(45), srid=4326))  # between 2 and 3
    make_record("places", city, Point(X0 + 0.02, _north(70), srid=4326))
    make_record("places", city, Point(X0 + 0.03, _north(200), srid=4326))
    make_record("places", city, Point(X0 + 0.02, _north(-20) - 0.2, srid=4326))  # outside the city's cells
    make_record("places", city, city.inside(1))  # in the next county's cell: not this area
    found = coverage.record(run)
    run.refresh_from_db()
    assert (run.coverage, run.covered_places, run.total_places) == (0.5, 2, 4)
    assert run.coverage_basis == CoverageBasis.PLACES and run.coverage_radius_m == 50
    visits = dict(PlaceVisit.objects.filter(run=run).values_list("place_id", "visited_at"))
    assert visits == {near.pk: t0 + timedelta(minutes=2), edge.pk: t0 + timedelta(minutes=2, seconds=30)}
    assert found.reached.keys() == visits.keys()
    # A wider distance reaches the third; measuring again replaces the visits.
    coverage.record(run, radius_m=80)
    assert PlaceVisit.objects.filter(run=run).count() == 3


def test_a_list_of_places_counts_only_those(city, make_task):
    listed = [make_record("places", city, Point(X0 + 0.02, _north(m), srid=4326)) for m in (10, 500)]
    make_record("places", city, Point(X0 + 0.03, _north(10), srid=4326))  # near, but not listed
    task = make_task(area_kind=AreaKind.PLACES, grid_cell=None, places=listed)
    run = _run(city, task, [(X0 + 0.01, LAT), (X0 + 0.04, LAT)], timezone.now())
    found = coverage.measure(run)
    assert (found.fraction, found.total, list(found.reached)) == (0.5, 2, [listed[0].pk])


def test_an_area_without_places_is_covered_by_the_tracks_strip(city, make_task, settings):
    settings.PATROL_COVERAGE_METRES = 50
    cell = city.cells[1]  # X0+0.05 .. X0+0.10, Y0 .. Y0+0.10, no places
    task = make_task(grid_cell=cell)
    # Straight across the cell from one side to the other, and beyond both.
    run = _run(city, task, [(X0 + 0.04, LAT), (X0 + 0.11, LAT)], timezone.now())
    found = coverage.measure(run)
    assert found.basis == CoverageBasis.AREA and found.total == 0
    cell_area, _perimeter = GEOD.geometry_area_perimeter(shapely.from_wkb(bytes(cell.geom.wkb)))
    width = GEOD.inv(X0 + 0.05, LAT, X0 + 0.10, LAT)[2]
    assert found.fraction == pytest.approx(100 * width / abs(cell_area), rel=0.02)
    assert found.fraction == pytest.approx(0.009, abs=0.0005), "a 100 m strip across an 11 km tall cell"


def test_the_gap_between_two_parts_reaches_no_place(city, make_task, settings):
    settings.PATROL_COVERAGE_METRES = 50
    t0 = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    walked = [(X0 + 0.01 + 0.005 * i, LAT) for i in range(3)]  # vertices 0-2, to X0+0.02
    after_gap = [(X0 + 0.04 + 0.005 * i, LAT) for i in range(3)]  # vertices 3-5, from X0+0.04
    run = _run(city, make_task(), walked, t0, after_gap)
    in_the_gap = make_record("places", city, Point(X0 + 0.03, _north(10), srid=4326))
    past_it = make_record("places", city, Point(X0 + 0.045, _north(10), srid=4326))  # at vertex 4
    found = coverage.record(run)
    assert (found.fraction, found.total) == (0.5, 2)
    assert in_the_gap.pk not in found.reached, "the straight line across the gap was not walked"
    assert found.reached == {past_it.pk: t0 + timedelta(minutes=4)}, "the 5th time, counted over the parts"


def test_the_gap_covers_none_of_an_area_without_places(city, make_task, settings):
    settings.PATROL_COVERAGE_METRES = 50
    task = make_task(grid_cell=city.cells[1])  # X0+0.05 .. X0+0.10, no places
    whole = coverage.measure(_run(city, task, [(X0 + 0.04, LAT), (X0 + 0.11, LAT)], timezone.now()))
    gapped = _run(
        city, task, [(X0 + 0.04, LAT), (X0 + 0.07, LAT)], timezone.now(), [(X0 + 0.08, LAT), (X0 + 0.11, LAT)]
    )
    found = coverage.measure(gapped)
    assert found.basis == CoverageBasis.AREA
    assert found.fraction == pytest.approx(whole.fraction * 0.04 / 0.05, rel=0.02), "4 of the 5 km walked"


def test_a_five_kilometre_patrol_is_measured_quickly(city, make_task):
    """Not the lead engineer's benchmark, a guard against losing the index: 200 places in the cell,
    a 5 km wandering track of 500 vertices."""
    for i in range(200):
        make_record("places", city, Point(X0 + 0.002 + (i % 20) * 0.0023, Y0 + 0.002 + (i // 20) * 0.0095))
    coords = [(X0 + 0.005 + 0.04 * i / 499, LAT + 0.01 * math.sin(i / 25)) for i in range(500)]
    task = make_task()
    run = _run(city, task, coords, timezone.now())
    assert run.track.length_m > 4000
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE layers_place")
    coverage.measure(run)  # warm
    started = time.perf_counter()
    found = coverage.measure(run)
    assert time.perf_counter() - started < 0.25
    assert found.total == 200 and 0 < found.fraction < 1
