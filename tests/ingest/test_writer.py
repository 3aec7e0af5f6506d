"""Bulk writes derive exactly what LayerFeature.save() derives, and refresh the vector tiles."""

from __future__ import annotations

import copy

import pytest
from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Point, Polygon
from django.utils import timezone

from ingest.writer import derive_many, insert
from layers import models as m
from layers.registry import LAYERS
from tests.builders import X0, Y0, rect


def _records(city):
    category, _ = m.FieldPointCategory.objects.get_or_create(
        key="hazard", defaults={"name_zh": "隐患", "name_en": "H"}
    )
    # A sub-cell (组) inside cell 0 and a soft-deleted park: both tie-breaking rules are exercised.
    m.GridCell.objects.create(
        code="SUB1", name="组", parent=city.cells[0], geom=rect(X0, Y0, X0 + 0.02, Y0 + 0.02)
    )
    m.Park.objects.create(
        name="旧园区", level="county", geom=rect(X0, Y0, X0 + 0.01, Y0 + 0.01), deleted_at=timezone.now()
    )
    m.Park.objects.create(name="小园区", level="county", geom=rect(X0, Y0, X0 + 0.02, Y0 + 0.02))
    now = timezone.now()
    poly = MultiPolygon(Polygon.from_bbox((X0 + 0.005, Y0 + 0.005, X0 + 0.006, Y0 + 0.006)), srid=4326)
    lshape = MultiPolygon(
        Polygon(
            (
                (X0 + 0.03, Y0 + 0.03),
                (X0 + 0.09, Y0 + 0.03),
                (X0 + 0.09, Y0 + 0.04),
                (X0 + 0.04, Y0 + 0.04),
                (X0 + 0.04, Y0 + 0.09),
                (X0 + 0.03, Y0 + 0.09),
                (X0 + 0.03, Y0 + 0.03),
            )
        ),
        srid=4326,
    )
    return [
        m.LandParcel(code="A", land_use="industrial", geom=poly),
        m.LandParcel(code="L", land_use="industrial", geom=lshape),
        m.LandParcel(code="OUT", land_use="industrial", geom=rect(120, 30, 120.001, 30.001)),
        m.Building(kind="office", name="b", geom=Point(X0 + 0.015, Y0 + 0.015, srid=4326)),
        m.Amenity(category="bank", name="a", geom=Point(X0 + 0.15, Y0 + 0.05, srid=4326)),
        m.FieldPoint(category=category, geom=Point(X0 + 0.01, Y0 + 0.01, srid=4326)),
        m.PatrolTrack(
            started_at=now,
            ended_at=now,
            timestamps=[now, now],
            geom=MultiLineString(LineString((X0 + 0.06, Y0 + 0.01), (X0 + 0.01, Y0 + 0.01)), srid=4326),
        ),
        m.Panorama(title="p", geom=Point(X0 + 0.005, Y0 + 0.005, srid=4326)),
        m.GridCell(code="G9", name="g", geom=rect(X0 + 0.11, Y0 + 0.01, X0 + 0.12, Y0 + 0.02)),
        m.Division(
            code="445303001009", name="v", level="village", geom=rect(X0 + 0.11, Y0, X0 + 0.12, Y0 + 0.01)
        ),
    ]


DERIVED = ("division_code", "park_id", "grid_cell_id", "area_m2", "area_mu", "length_m")


def test_derive_many_equals_save_for_every_kind_of_record(city):
    records = _records(city)
    one_by_one = [copy.deepcopy(r) for r in records]
    for r in one_by_one:
        r.derive()
    for model in {type(r) for r in records}:
        derive_many([r for r in records if type(r) is model])
    for bulk, single in zip(records, one_by_one, strict=True):
        for name in DERIVED:
            if hasattr(single, name):
                assert getattr(bulk, name) == getattr(single, name), (type(single).__name__, name)
    parcel = records[0]
    assert parcel.park.name == "小园区", "the smallest live park wins"
    assert records[5].grid_cell.code == "SUB1", "the sub-cell wins over its parent"
    assert records[2].division_code == "", "outside every village"


def test_insert_refreshes_the_layers_tiles_after_commit(
    city, django_capture_on_commit_callbacks, monkeypatch
):
    import tiles.cache

    bumped = []
    monkeypatch.setattr(tiles.cache, "bump", lambda *names: bumped.append(names))
    record = m.Amenity(category="bank", name="a", geom=Point(X0 + 0.01, Y0 + 0.01, srid=4326))
    derive_many([record])
    with django_capture_on_commit_callbacks(execute=True):
        ids = insert(LAYERS["amenities"], [record], None)
    assert bumped == [("amenities",)]
    assert m.Amenity.objects.filter(pk__in=ids).count() == 1


@pytest.mark.parametrize("layer", ["divisions"])
def test_division_imports_refresh_every_layer(city, django_capture_on_commit_callbacks, monkeypatch, layer):
    import tiles.cache

    bumped = []
    monkeypatch.setattr(tiles.cache, "bump", lambda *names: bumped.append(names))
    record = m.Division(
        code="445303001008", name="v", level="village", geom=rect(X0 + 0.11, Y0, X0 + 0.12, Y0 + 0.01)
    )
    derive_many([record])
    with django_capture_on_commit_callbacks(execute=True):
        insert(LAYERS[layer], [record], None)
    assert bumped == [()]
