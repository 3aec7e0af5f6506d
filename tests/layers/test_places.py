"""组织场所: classes and their attribute schemas, tags, and a place checked on every write."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from accounts.roles import Role
from layers.models import Place, PlaceClass
from tests.builders import assert_error, feature, make_record

pytestmark = pytest.mark.django_db


def _point(city, county=0) -> dict:
    where = city.inside(county)
    return {"type": "Point", "coordinates": [where.x, where.y]}


def _hotel() -> int:
    return PlaceClass.objects.get(key="hotel").pk  # from migration 0009


def test_a_place_is_checked_against_its_class_schema(api, city):
    client = api.as_user(city.users[Role.DISTRICT_OFFICER])
    good = feature(
        _point(city), name="迎宾酒店", place_class=_hotel(), attributes={"beds": 80}, tags=["fire_risk"]
    )
    response = client.post("/api/places/", good, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["properties"]["grid_cell"] is not None, "derived from where it is"
    for attributes in ({"beds": "很多"}, {"beds": -1}, {"stars": 5}):
        bad = feature(_point(city), name="酒店", place_class=_hotel(), attributes=attributes)
        assert_error(client.post("/api/places/", bad, format="json"), 400, "attributes")
    unknown_tag = feature(_point(city), name="酒店", place_class=_hotel(), tags=["no_such_tag"])
    assert_error(client.post("/api/places/", unknown_tag, format="json"), 400, "tags")
    assert Place.objects.count() == 1, "nothing half-written"


def test_a_subclass_without_a_schema_uses_its_classes():
    market = PlaceClass.objects.get(key="market")
    assert market.attributes_schema == {} and market.schema() == market.parent.attributes_schema


def test_classes_have_two_levels_and_a_valid_schema():
    hotel = PlaceClass.objects.get(key="hotel")
    with pytest.raises(ValidationError) as caught:
        PlaceClass(key="deep", name_zh="三级", name_en="Deep", parent=hotel).full_clean()
    assert "parent" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        PlaceClass(
            key="odd", name_zh="错", name_en="Odd", attributes_schema={"type": "nonsense"}
        ).full_clean()
    assert "attributes_schema" in caught.value.message_dict


def test_the_responsible_person_is_masked_and_places_are_never_public(api, city):
    place = make_record("places", city, city.inside(0), responsible_phone="13812345678")
    url = f"/api/places/{place.pk}/"
    assert api.as_user(city.users[Role.CITY_OFFICER]).get(url).json()["properties"]["responsible_phone"] == (
        "13812345678"
    )
    shown = api.as_user(city.users[Role.DISPLAY]).get(url).json()["properties"]["responsible_phone"]
    assert shown == "138****5678"
    assert APIClient().get(url).status_code in {401, 404}


def test_search_finds_places_for_those_who_may_read_them(api, city):
    make_record("places", city, city.inside(0), name="东风加油站", address="东风路1号")
    hits = api.as_user(city.users[Role.DISTRICT_OFFICER]).get("/api/search/", {"q": "东风"}).json()["results"]
    assert [h["layer"] for h in hits] == ["places"]
    assert APIClient().get("/api/search/", {"q": "东风"}).json()["results"] == []
