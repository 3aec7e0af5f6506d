"""The editor's topology checks in PostGIS: overlaps above the tolerance, plots outside the park,
self-intersections with their location, and a group saved together checked against itself."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Polygon
from django.db import connection

from accounts.roles import Role
from editing.topology import check_many
from tests.builders import X0, Y0, edit, park_parcel, polygon, rect, save_edits

pytestmark = pytest.mark.django_db

A = (X0 + 0.010, Y0 + 0.010, X0 + 0.012, Y0 + 0.012)


def geodesic_area(geom) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_Area(ST_GeomFromEWKB(%s)::geography)", [bytes(geom.ewkb)])
        return cursor.fetchone()[0]


def test_an_overlap_above_the_tolerance_is_a_warning_with_its_area(city):
    neighbour = park_parcel(city, *A)
    drawn = rect(X0 + 0.0118, Y0 + 0.010, X0 + 0.014, Y0 + 0.012)
    issues = check_many(
        "parcels", [{"index": 0, "record": None, "geom": drawn}], park=city.park, user=city.users[Role.ADMIN]
    )
    assert [i["kind"] for i in issues] == ["overlap"]
    issue = issues[0]
    expected = geodesic_area(rect(X0 + 0.0118, Y0 + 0.010, X0 + 0.012, Y0 + 0.012))
    assert issue["severity"] == "warning" and issue["other"] == neighbour.pk
    assert issue["area_m2"] == pytest.approx(expected, rel=0.01)
    assert 4000 < issue["area_m2"] < 5000  # 0.0002° × 0.002° near 23° N: about 20 m × 220 m
    assert issue["other_label"] == neighbour.code
    assert issue["geometry"]["type"] in {"Polygon", "MultiPolygon"}


def test_a_neighbour_the_caller_may_not_read_is_not_named(city):
    # Unpublished and outside every park: a park manager does not read it.
    outside = park_parcel(city, X0 + 0.039, Y0 + 0.010, X0 + 0.041, Y0 + 0.012, is_public=False)
    outside.park = None
    type(outside).objects.filter(pk=outside.pk).update(park=None, division_code="")
    drawn = rect(X0 + 0.0385, Y0 + 0.010, X0 + 0.0395, Y0 + 0.012)
    manager = city.users[Role.PARK_MANAGER]
    issues = check_many(
        "parcels", [{"index": 0, "record": None, "geom": drawn}], park=city.park, user=manager
    )
    overlap = next(i for i in issues if i["kind"] == "overlap")
    assert overlap["other_label"] == "相邻图斑" and outside.code not in str(issues)


def test_an_overlap_under_the_tolerance_is_ignored(city):
    park_parcel(city, *A)
    # A corner of about 0.5 m × 0.55 m: the rounding of a shared boundary, not an overlap.
    drawn = rect(X0 + 0.011995, Y0 + 0.011995, X0 + 0.014, Y0 + 0.014)
    assert check_many("parcels", [{"index": 0, "record": None, "geom": drawn}], park=city.park) == []


def test_a_plot_outside_the_park_is_an_error_with_the_part_outside(city):
    drawn = rect(X0 + 0.039, Y0 + 0.010, X0 + 0.041, Y0 + 0.012)
    issues = check_many("parcels", [{"index": 0, "record": None, "geom": drawn}], park=city.park)
    assert [(i["kind"], i["severity"]) for i in issues] == [("outside_park", "error")]
    expected = geodesic_area(rect(X0 + 0.04, Y0 + 0.010, X0 + 0.041, Y0 + 0.012))
    assert issues[0]["area_m2"] == pytest.approx(expected, rel=0.01)
    assert "测试园区" in issues[0]["message"]


def test_a_bowtie_is_a_self_intersection_error_with_its_location(api, city):
    x, y = X0 + 0.010, Y0 + 0.010
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + 0.002, y + 0.002], [x + 0.002, y], [x, y + 0.002], [x, y]]],
    }
    issues = check_many(
        "parcels",
        [{"index": 0, "record": None, "geom": Polygon(*bowtie["coordinates"], srid=4326)}],
        park=city.park,
    )
    assert [(i["kind"], i["severity"]) for i in issues] == [("self_intersection", "error")]
    where = issues[0]["geometry"]
    assert where["type"] == "Point"
    assert where["coordinates"] == pytest.approx([x + 0.001, y + 0.001], abs=1e-7)
    # Through the API: 422 topology, nothing written.
    manager = city.users[Role.PARK_MANAGER]
    response = save_edits(
        api, manager, city.park, edit(action="create", code="BT-1", land_use="industrial", geometry=bowtie)
    )
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "topology"
    assert error["issues"][0]["kind"] == "self_intersection"
    assert error["issues"][0]["geometry"]["type"] == "Point"
    from editing.models import ChangeItem

    assert not ChangeItem.objects.exists()


def test_a_pair_saved_together_does_not_overlap_its_own_old_shapes(api, city):
    """Moving a shared boundary east moves it in both parcels, in one save: no overlap."""
    left = park_parcel(city, X0 + 0.010, Y0 + 0.010, X0 + 0.012, Y0 + 0.012)
    right = park_parcel(city, X0 + 0.012, Y0 + 0.010, X0 + 0.014, Y0 + 0.012)
    officer = city.users[Role.DISTRICT_OFFICER]
    grown = polygon(X0 + 0.010, Y0 + 0.010, X0 + 0.013, Y0 + 0.012)
    shrunk = polygon(X0 + 0.013, Y0 + 0.010, X0 + 0.014, Y0 + 0.012)
    # Alone, the grown parcel overlaps its neighbour's live shape.
    alone = save_edits(api, officer, city.park, edit(record=left, geometry=grown), dry_run=True)
    assert alone.status_code == 200, alone.content
    assert [(i["kind"], i["other"]) for i in alone.json()["issues"]] == [("overlap", right.pk)]
    # Together with the neighbour's new shape: nothing to warn about.
    together = save_edits(
        api, officer, city.park, edit(record=left, geometry=grown), edit(record=right, geometry=shrunk)
    )
    assert together.status_code == 200, together.content
    assert together.json()["issues"] == []
    # Two new plots of one save that overlap each other are checked against each other.
    a = polygon(X0 + 0.020, Y0 + 0.020, X0 + 0.022, Y0 + 0.022)
    b = polygon(X0 + 0.021, Y0 + 0.020, X0 + 0.023, Y0 + 0.022)
    pair = save_edits(
        api,
        officer,
        city.park,
        edit(action="create", code="P-A", land_use="industrial", geometry=a),
        edit(action="create", code="P-B", land_use="industrial", geometry=b),
        dry_run=True,
    )
    assert [(i["kind"], i["index"]) for i in pair.json()["issues"]] == [("overlap", 1)]
    assert pair.json()["issues"][0]["other_label"] == "本次保存的第1项"
