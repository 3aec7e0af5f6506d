"""``layers.api.features``: the SQL-built GeoJSON is what the layer's serializer writes, for every layer."""

from __future__ import annotations

import json
import math
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIRequestFactory

from accounts.roles import Role
from layers.api.features import FeatureSource, readable
from layers.api.serializers import build_serializer
from layers.crs import parse_crs
from layers.registry import LAYERS
from tests.builders import make_record

pytestmark = pytest.mark.django_db


def _same(a: Any, b: Any, path: str = "") -> None:
    """Equal as JSON values; numbers within float noise and times as instants (DRF and SQL may
    write the same moment differently only in the digits they drop)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), (path, sorted(set(a) ^ set(b)))
        for key in a:
            _same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-9), (path, a, b)
    else:
        assert a == b, (path, a, b)


def _serialized(user: Any, spec: Any, records: list[Any], crs: str = "EPSG:4326") -> list[dict]:
    request = APIRequestFactory().get("/")
    request.user = user
    serializer = build_serializer(spec)(
        records, many=True, context={"request": request, "output_crs": parse_crs(crs)}
    )
    return json.loads(json.dumps(serializer.data["features"], default=str))


@pytest.mark.parametrize("layer", sorted(LAYERS))
@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3857"])
def test_every_layer_reads_the_same_from_sql_as_from_its_serializer(city, layer, crs):
    spec = LAYERS[layer]
    officer = city.users[Role.ADMIN]
    make_record(layer, city, city.inside())
    make_record(layer, city, city.inside(dx=0.01))
    queryset = readable(officer, spec).order_by("id")
    source = FeatureSource(officer, spec, queryset, crs=parse_crs(crs), media_base="http://testserver/media/")
    page = source.page(queryset, 1000, count=True)
    ours = json.loads(f"[{page.text}]")
    theirs = _serialized(officer, spec, list(queryset), crs)
    assert page.matched == len(theirs) == len(ours) >= 2
    for mine, expected in zip(ours, theirs, strict=True):
        _same(mine, expected, layer)


def test_times_and_decimals_are_written_as_drf_writes_them(city):
    spec = LAYERS["parcels"]
    admin = city.users[Role.ADMIN]
    parcel = make_record("parcels", city, city.inside(), price_wan_per_mu=Decimal("66.2"))
    queryset = readable(admin, spec).filter(pk=parcel.pk)
    ours = json.loads(f"[{FeatureSource(admin, spec, queryset).page(queryset, 10).text}]")[0]
    theirs = _serialized(admin, spec, [parcel])[0]
    assert ours["properties"]["price_wan_per_mu"] == theirs["properties"]["price_wan_per_mu"] == "66.20"
    assert ours["properties"]["created_at"] == theirs["properties"]["created_at"]
    assert ours["properties"]["created_at"].endswith("+08:00")
    datetime.fromisoformat(ours["properties"]["created_at"])


def test_personal_fields_are_masked_for_roles_that_may_not_see_them(city):
    spec = LAYERS["parks"]
    city.park.contact_phone = "13812345678"
    city.park.is_public = True
    city.park.save()
    for role, expected in ((None, "138****5678"), (Role.CITY_OFFICER, "13812345678")):
        user = city.users[role] if role else city.users[Role.INVESTOR]
        queryset = readable(user, spec).filter(pk=city.park.pk)
        text = FeatureSource(user, spec, queryset).page(queryset, 10).text
        assert json.loads(text)["properties"]["contact_phone"] == expected


def test_pages_carry_keys_more_and_reverse_order(city):
    spec = LAYERS["parcels"]
    admin = city.users[Role.ADMIN]
    ids = [make_record("parcels", city, city.inside(dx=0.001 * i)).pk for i in range(5)]
    queryset = readable(admin, spec).filter(pk__in=ids).order_by("id")
    source = FeatureSource(admin, spec, queryset)
    page = source.page(queryset, 3, key_sql='json_build_array("layers_landparcel"."id")::text')
    assert page.returned == 3 and page.more
    assert json.loads(page.first_key) == [ids[0]] and json.loads(page.last_key) == [ids[2]]
    backwards = source.page(
        queryset.order_by("-id"), 2, reverse=True, key_sql='json_build_array("layers_landparcel"."id")::text'
    )
    assert [f["id"] for f in json.loads(f"[{backwards.text}]")] == [ids[3], ids[4]]
    assert json.loads(backwards.first_key) == [ids[3]] and json.loads(backwards.last_key) == [ids[4]]


def test_chunks_and_batches_cover_every_row_in_order(city):
    spec = LAYERS["parcels"]
    admin = city.users[Role.ADMIN]
    ids = [make_record("parcels", city, city.inside(dx=0.001 * i)).pk for i in range(7)]
    queryset = readable(admin, spec).filter(pk__in=ids).order_by("id")
    source = FeatureSource(admin, spec, queryset, crs=parse_crs("EPSG:4490"))
    chunks = list(source.chunks(size=3))
    assert len(chunks) == 3
    assert [f["id"] for f in json.loads("[" + ", ".join(chunks) + "]")] == ids
    batches = list(source.batches(size=4))
    assert [len(b.ids) for b in batches] == [4, 3]
    assert sum((b.ids for b in batches), []) == ids
    assert all(isinstance(g, bytes) for b in batches for g in b.wkb)
    assert batches[0].values["code"][0] == LAYERS["parcels"].model.objects.get(pk=ids[0]).code
