"""layers.derivation: the one derivation of division, park, grid cell, area and length."""

from __future__ import annotations

import pytest
import shapely
from django.contrib.gis.geos import LineString, MultiLineString, Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pyproj import Geod

from layers import derivation
from layers import models as m
from tests.builders import X0, Y0, rect

GEOD = Geod(ellps="WGS84")


@pytest.mark.parametrize(
    "make",
    [
        lambda city: m.LandParcel(code="Q", land_use="industrial", geom=rect(X0, Y0, X0 + 0.002, Y0 + 0.002)),
        lambda city: m.FieldPoint(category=m.FieldPointCategory.objects.first(), geom=city.inside()),
    ],
    ids=["parcel", "field_point"],
)
def test_a_save_derives_in_one_query(city, make) -> None:
    record = make(city)
    with CaptureQueriesContext(connection) as queries:
        record.derive()
    assert len(queries) == 1
    assert record.division_code == city.villages[0].code


def test_areas_and_lengths_are_geodesic_on_wgs84_and_rounded(city) -> None:
    parcel = m.LandParcel(code="Q", land_use="industrial", geom=rect(X0, Y0, X0 + 0.01, Y0 + 0.01))
    now = timezone.now()
    track = m.PatrolTrack(
        started_at=now,
        ended_at=now,
        timestamps=[now, now, now],
        geom=MultiLineString(
            LineString((X0 + 0.01, Y0 + 0.01), (X0 + 0.05, Y0 + 0.01), (X0 + 0.05, Y0 + 0.08)), srid=4326
        ),
    )
    derivation.derive_many([parcel])
    derivation.derive_many([track])
    expected_area = abs(GEOD.geometry_area_perimeter(shapely.from_wkb(bytes(parcel.geom.wkb)))[0])
    expected_length = GEOD.geometry_length(shapely.from_wkb(bytes(track.geom.wkb)))
    assert parcel.area_m2 == pytest.approx(expected_area, abs=0.01)
    assert parcel.area_m2 == round(parcel.area_m2, 2)
    assert parcel.area_mu == round(parcel.area_m2 / m.base.MU_M2, 4)
    assert track.length_m == pytest.approx(expected_length, abs=0.01)
    assert track.length_m == round(track.length_m, 2)
    assert track.grid_cell_id == city.cells[0].id, "a track is filed by its start point"


def test_a_track_with_a_gap_is_as_long_as_its_parts(city) -> None:
    """The phone stopped recording between the parts (a locked screen): the gap was not walked."""
    now = timezone.now()
    first = LineString((X0 + 0.07, Y0 + 0.01), (X0 + 0.07, Y0 + 0.02))
    second = LineString((X0 + 0.01, Y0 + 0.05), (X0 + 0.02, Y0 + 0.05))
    track = m.PatrolTrack(
        started_at=now, ended_at=now, timestamps=[now] * 4, geom=MultiLineString(first, second, srid=4326)
    )
    derivation.derive_many([track])
    parts = [GEOD.geometry_length(shapely.from_wkb(bytes(part.wkb))) for part in (first, second)]
    gap = GEOD.inv(X0 + 0.07, Y0 + 0.02, X0 + 0.01, Y0 + 0.05)[2]
    assert track.length_m == pytest.approx(sum(parts), abs=0.01)
    assert gap > 6000 and track.length_m < 3000
    assert track.grid_cell_id == city.cells[1].id, "filed by the start of its first part"


def test_chunks_keep_every_record_with_its_own_answer(city, monkeypatch) -> None:
    monkeypatch.setattr(derivation, "CHUNK", 3)
    points = [city.inside(county=i % 2) for i in range(10)] + [Point(120, 30, srid=4326)]
    records = [m.Amenity(category="bank", name=str(i), geom=p) for i, p in enumerate(points)]
    with CaptureQueriesContext(connection) as queries:
        derivation.derive_many(records)
    assert len(queries) == 4
    assert [r.division_code for r in records] == [city.villages[i % 2].code for i in range(10)] + [""]


def test_geometries_in_another_crs_are_derived_where_they_are(city) -> None:
    point = city.inside(county=1)
    point.transform(3857)
    record = m.Amenity(category="bank", name="x", geom=point)
    record.derive()
    assert record.division_code == city.villages[1].code


def test_records_of_several_layers_and_divisions_at_once(city) -> None:
    village = m.Division(
        code="445303001009", name="v", level="village", geom=rect(X0, Y0, X0 + 0.01, Y0 + 0.01)
    )
    amenity = m.Amenity(category="bank", name="a", geom=city.inside())
    derivation.derive_many([village, amenity])
    assert village.division_code == "445303001009", "a division's code is its own"
    assert amenity.division_code == city.villages[0].code
