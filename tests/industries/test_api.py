"""The industry theme: chains with their counts, the gaps around a site, the counties' targets."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point

from accounts.roles import Role
from industries.demo import load_industries
from industries.models import ChainLink
from layers import models as m
from tests.builders import assert_error, make_record


@pytest.fixture
def chains(city):
    load_industries()
    m.Park.objects.filter(pk=city.park.pk).update(industries=["food"])
    return {link.code: link for link in ChainLink.objects.filter(industry__code="food")}


def firm(city, chains, link: str, where: Point, **fields) -> m.Enterprise:
    return make_record("enterprises", city, where, chain_link=chains[link], **fields)


def test_catalogue_counts_links_and_names_leaders_only(api, city, chains):
    firm(city, chains, "processing", city.inside(), name="禾恒食品", chain_leader=True)
    firm(city, chains, "processing", city.inside(dx=0.02), name="小作坊")
    hidden = make_record("parks", city, city.inside(county=1), industries=["food"], is_public=False)
    body = api.get("/api/industries/").json()
    food = next(i for i in body["industries"] if i["code"] == "food")
    processing = next(link for link in food["links"] if link["code"] == "processing")
    assert processing["enterprises"] == 2 and food["enterprises"] == 2
    assert processing["leaders"] == [{"name": "禾恒食品", "division_code": city.villages[0].code}]
    assert "小作坊" not in str(body), "only chain leaders are named in public"
    assert [s["value"] for s in body["stages"]] == ["upstream", "midstream", "downstream"]
    assert food["parks"] == [city.park.pk], "an unpublished park is not listed to the public"
    api.force_authenticate(city.users[Role.CITY_OFFICER])
    assert (
        hidden.pk
        in next(i for i in api.get("/api/industries/").json()["industries"] if i["code"] == "food")["parks"]
    )


def test_gaps_around_a_site_name_the_missing_links_in_the_readers_language(api, city, chains):
    site = make_record("parcels", city, city.inside(), is_public=True)
    for link in chains:
        if link != "packaging":
            firm(city, chains, link, city.inside(dx=0.012))
    far = firm(city, chains, "packaging", Point(city.inside().x + 0.5, city.inside().y, srid=4326))
    body = api.get(f"/api/industries/gaps/?layer=parcels&id={site.pk}").json()
    assert [i["code"] for i in body["industries"]] == ["food"], "the site's park leads food"
    food = body["industries"][0]
    assert food["led_by_park"] and food["gaps"] == ["packaging"]
    assert food["messages"] == ["30 公里内没有“食品包装”企业"]
    packaging = next(link for link in food["links"] if link["code"] == "packaging")
    assert packaging["count"] == 0 and 45 < packaging["nearest_km"] < 60, far.pk
    english = api.get(
        f"/api/industries/gaps/?layer=parcels&id={site.pk}&radius_km=80", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert english["industries"][0]["gaps"] == []
    narrow = api.get(
        f"/api/industries/gaps/?layer=parcels&id={site.pk}&radius_km=0.5", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert "No “Food packaging” supplier within 0.5 km" in narrow["industries"][0]["messages"]


def test_gaps_refuse_what_they_cannot_answer(api, city, chains):
    hidden = make_record("parcels", city, city.inside(), is_public=False)
    assert_error(api.get(f"/api/industries/gaps/?layer=parcels&id={hidden.pk}"), 404)
    assert_error(api.get("/api/industries/gaps/?lon=112.1"), 400)
    assert_error(api.get("/api/industries/gaps/"), 400)
    assert_error(api.get("/api/industries/gaps/?lon=112.1&lat=22.9&industry=textiles"), 400, "industry")
    assert_error(api.get("/api/industries/gaps/?lon=112.1&lat=22.9&radius_km=900"), 400, "radius_km")
    point = api.get("/api/industries/gaps/?lon=112.1&lat=22.9&industry=food&industry=stone").json()
    assert [i["code"] for i in point["industries"]] == ["stone", "food"], "in the catalogue's order"


def test_targets_list_each_countys_missing_links_within_the_readers_scope(api, city, chains):
    firm(city, chains, "processing", city.inside())
    make_record("parks", city, city.inside(county=1), industries=["food"], is_public=True)
    assert_error(api.get("/api/industries/targets/"), 401)
    api.force_authenticate(city.users[Role.INVESTOR])
    assert_error(api.get("/api/industries/targets/"), 403)
    api.force_authenticate(city.users[Role.DISTRICT_OFFICER])
    mine = api.get("/api/industries/targets/").json()["counties"]
    assert [c["code"] for c in mine] == [city.counties[0].code], "a district officer sees their county"
    food = mine[0]["industries"][0]
    assert food["code"] == "food" and food["enterprises"] == 1
    assert "processing" not in [link["code"] for link in food["missing"]]
    assert [link["code"] for link in food["thin"]] == ["processing"]
    assert mine[0]["missing"] == len(chains) - 1
    api.force_authenticate(city.users[Role.CITY_OFFICER])
    every = api.get("/api/industries/targets/").json()["counties"]
    assert [c["code"] for c in every] == [c.code for c in city.counties]
    assert every[1]["missing"] == len(chains), "nobody works the chain in the second county"
