"""POST /api/spatial/match: public carriers ranked against an investor's needs, with reasons."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from layers.models import MU_M2
from spatial import matching
from tests.builders import assert_error

from .builders import amenity, building, offset, parcel

pytestmark = pytest.mark.django_db


def match(client, page: str = "", **body):
    response = client.post(f"/api/spatial/match{page}", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def reasons(feature) -> dict[str, dict]:
    return {r["criterion"]: r for r in feature["properties"]["reasons"]}


@pytest.fixture
def sites(city):
    """Three industrial parcels of ~40,000 m² (60 mu): one cheap near a highway exit, one dear and
    near, one cheap and far; plus a non-public parcel and a sold one, which never appear."""
    exit_point = city.inside(dx=0.05, dy=0.05)
    amenity(city, exit_point, category="highway_exit", name="云浮东出口")
    near = offset(exit_point, 2000, 90)
    cheap_near = parcel(city, near, side_m=200, price_wan_per_mu=20, name="甲")
    dear_near = parcel(city, offset(near, 400, 0), side_m=200, price_wan_per_mu=40, name="乙")
    cheap_far = parcel(city, offset(exit_point, 8000, 180), side_m=200, price_wan_per_mu=20, name="丙")
    parcel(city, offset(near, 800, 0), side_m=200, price_wan_per_mu=10, is_public=False)
    parcel(city, offset(near, 1200, 0), side_m=200, price_wan_per_mu=10, supply_status="sold")
    return cheap_near, dear_near, cheap_far


# Every need a weighted preference (hard: []), so the scores show the formula; the hard constraints
# have their own test below.
NEEDS = {
    "hard": [],
    "carrier": "parcels",
    "land_use": ["industrial"],
    "area_min": 50,
    "area_max": 70,
    "area_unit": "mu",
    "max_price_wan_per_mu": 30,
    "amenities": [{"category": "highway_exit", "max_distance_m": 5000}],
}


def test_carriers_are_ranked_with_reasons_for_each_need(api, city, sites):
    cheap_near, dear_near, cheap_far = sites
    body = match(api, **NEEDS)
    order = [f["properties"]["record_id"] for f in body["features"]]
    # dear_near: 40 万元/亩 is 33 % over 30, beyond the 30 % tolerance: no price credit -> 5/7 = 71.4.
    # cheap_far: the exit at 7.9 km, 2.9 km beyond 5 km with a 100 % tolerance -> 0.42 -> 83.4.
    assert order == [cheap_near.pk, cheap_far.pk, dear_near.pk]
    assert [f["properties"]["score"] for f in body["features"]] == [100.0, pytest.approx(83.4, abs=0.2), 71.4]
    assert body["count"] == 3, "non-public and sold parcels never take part"
    best = body["features"][0]
    assert best["properties"]["score"] == 100.0 and best["properties"]["rank"] == 1
    why = reasons(best)
    assert why["area"]["status"] == "met" and why["area"]["actual_mu"] == pytest.approx(
        cheap_near.area_mu, abs=0.01
    )
    assert why["price"]["status"] == "met" and why["price"]["by"] == pytest.approx(10)
    exit_reason = why["amenity:highway_exit"]
    assert exit_reason["status"] == "met" and exit_reason["actual"] == pytest.approx(1900, abs=5)
    assert exit_reason["amenity_name"] == "云浮东出口" and "1.90 km" in exit_reason["message"]

    far = reasons(next(f for f in body["features"] if f["properties"]["record_id"] == cheap_far.pk))
    assert far["amenity:highway_exit"]["status"] == "partial"
    assert far["amenity:highway_exit"]["satisfaction"] == pytest.approx(1 - 2900 / 5000, abs=0.005)
    assert far["amenity:highway_exit"]["by"] == pytest.approx(5000 - 7900, abs=5), "2.9 km too far"
    dear = reasons(next(f for f in body["features"] if f["properties"]["record_id"] == dear_near.pk))
    assert dear["price"]["status"] == "missed" and dear["price"]["by"] == pytest.approx(-10)


def test_weights_are_adjustable_and_change_the_ranking(api, city, sites):
    cheap_near, dear_near, cheap_far = sites
    price_first = match(api, **NEEDS, weights={"price": 10, "amenity": 1})
    assert [f["properties"]["record_id"] for f in price_first["features"]] == [
        cheap_near.pk,
        cheap_far.pk,
        dear_near.pk,
    ]
    access_first = match(api, **NEEDS, weights={"price": 0.5, "amenity": 10})
    assert [f["properties"]["record_id"] for f in access_first["features"]][:2] == [
        cheap_near.pk,
        dear_near.pk,
    ]
    assert access_first["weights"]["amenity"] == 10 and access_first["weights"]["area"] == 3.0
    own_weight = dict(NEEDS, amenities=[{"category": "highway_exit", "max_distance_m": 5000, "weight": 10}])
    body = match(api, **own_weight, weights={"price": 0.5})
    assert reasons(body["features"][0])["amenity:highway_exit"]["weight"] == 10


def test_partial_credit_and_score_formula(api, city, sites):
    cheap_near, *_ = sites
    # Wanting at least 80 mu: a 60 mu parcel is 25 % short, with a 50 % tolerance -> half credit.
    body = match(api, carrier="parcels", area_min=80, area_unit="mu", hard=[])
    why = reasons(body["features"][0])["area"]
    assert why["status"] == "partial" and why["satisfaction"] == pytest.approx(
        1 - (80 - 60) / 80 / 0.5, abs=0.02
    )
    assert body["features"][0]["properties"]["score"] == pytest.approx(100 * why["satisfaction"], abs=0.2)
    assert why["by"] == pytest.approx(cheap_near.area_m2 - 80 * MU_M2, abs=0.5)


def test_buildings_with_factory_needs_and_not_applicable_criteria(api, city):
    where = city.inside(dx=0.03, dy=0.03)
    strong = building(
        city,
        where,
        kind="standard_factory",
        floor_load_kg_m2=1500,
        clear_height_m=9,
        vacant_area_m2=3000,
        rent_yuan_m2_month=18,
    )
    weak = building(
        city,
        offset(where, 300, 90),
        kind="standard_factory",
        floor_load_kg_m2=500,
        clear_height_m=6,
        vacant_area_m2=3000,
        rent_yuan_m2_month=15,
    )
    land = parcel(city, offset(where, 600, 90), side_m=100)
    body = match(
        api,
        building_kind=["standard_factory"],
        min_floor_load_kg_m2=1000,
        min_clear_height_m=8,
        max_rent_yuan_m2_month=20,
        area_min=2000,
        hard=[],
    )
    by_id = {(f["properties"]["layer"], f["properties"]["record_id"]): f for f in body["features"]}
    assert body["features"][0]["properties"]["record_id"] == strong.pk
    assert reasons(by_id[("buildings", weak.pk)])["floor_load"]["status"] == "missed"
    assert reasons(by_id[("buildings", weak.pk)])["floor_load"]["by"] == -500
    land_reasons = reasons(by_id[("parcels", land.pk)])
    assert land_reasons["floor_load"]["status"] == "not_applicable"
    assert land_reasons["price"]["status"] == "unknown", "the parcel publishes no rent"


def test_preferred_districts_and_industry(api, city):
    from industries.demo import load_industries
    from layers.models import Park

    load_industries()
    Park.objects.filter(pk=city.park.pk).update(industries=["new_materials", "equipment"])
    in_park = parcel(city, city.inside(dx=0.01, dy=0.01))
    elsewhere = parcel(city, city.inside(county=1, dx=0.05, dy=0.05))
    body = match(api, carrier="parcels", districts=[city.counties[1].code], industry="new_materials", hard=[])
    by_id = {f["properties"]["record_id"]: reasons(f) for f in body["features"]}
    assert (
        by_id[in_park.pk]["industry"]["status"] == "met"
        and by_id[in_park.pk]["district"]["status"] == "missed"
    )
    assert by_id[in_park.pk]["industry"]["wanted"] == {
        "code": "new_materials",
        "name": "新材料",
        "name_en": "New materials",
    }
    assert by_id[elsewhere.pk]["district"]["status"] == "met"


def test_industry_matches_by_code_in_either_language(api, city):
    from industries.demo import load_industries
    from layers.models import Park

    load_industries()
    Park.objects.filter(pk=city.park.pk).update(industries=["food"])
    parcel(city, city.inside(dx=0.01, dy=0.01))
    parcel(city, city.inside(county=1, dx=0.05, dy=0.05))
    ranked = {}
    for lang in ("zh-hans", "en"):
        response = api.post(
            "/api/spatial/match",
            {"carrier": "parcels", "industry": "food", "hard": []},
            format="json",
            HTTP_ACCEPT_LANGUAGE=lang,
        )
        body = response.json()
        ranked[lang] = [(f["properties"]["record_id"], f["properties"]["score"]) for f in body["features"]]
    assert ranked["zh-hans"] == ranked["en"] and len(ranked["en"]) == 2
    refused = api.post("/api/spatial/match", {"carrier": "parcels", "industry": "食品加工"}, format="json")
    assert refused.status_code == 400 and "/api/industries/" in str(refused.json())


def test_paged_with_count(api, city):
    for i in range(5):
        parcel(city, offset(city.inside(dx=0.05, dy=0.05), 300 * i, 90), side_m=100)
    first = match(api, "?page_size=2", carrier="parcels")
    assert first["count"] == 5 and len(first["features"]) == 2 and first["next"]
    assert [f["properties"]["rank"] for f in first["features"]] == [1, 2]
    second = match(api, "?page_size=2&page=2", carrier="parcels")
    assert [f["properties"]["rank"] for f in second["features"]] == [3, 4]


def test_only_public_carriers_whoever_asks(city, sites, as_role):
    assert match(as_role(Role.ADMIN), **NEEDS)["count"] == 3


def test_hard_constraints_set_aside_what_misses_them_and_say_how_many(api, city, sites):
    cheap_near, dear_near, cheap_far = sites
    body = match(api, **dict(NEEDS, hard=["area", "price", "district"]))
    # dear_near is over budget: not listed at all, and counted under price.
    assert [f["properties"]["record_id"] for f in body["features"]] == [cheap_near.pk, cheap_far.pk]
    assert body["count"] == 2 and body["hard"] == ["area", "price"]
    assert body["excluded"] == {"area": 0, "price": 1}
    # Only the preferences score: the exit within 5 km, and 7.9 km -> 0.42.
    assert [f["properties"]["score"] for f in body["features"]] == [100.0, pytest.approx(42.0, abs=0.5)]
    why = reasons(body["features"][0])
    assert why["area"]["hard"] and why["price"]["hard"] and not why["amenity:highway_exit"]["hard"]
    # Out of range: nothing left, and the count says it was the area.
    narrow = match(api, carrier="parcels", area_min=80, area_max=90, area_unit="mu")
    assert narrow["count"] == 0 and narrow["excluded"]["area"] == 3
    elsewhere = match(api, carrier="parcels", districts=[city.counties[1].code])
    assert elsewhere["count"] == 0 and elsewhere["excluded"] == {"district": 3}


def test_equal_scores_are_broken_by_price_then_area_fit_and_shown(api, city, sites):
    cheap_near, dear_near, cheap_far = sites
    body = match(api, carrier="parcels", area_min=50, area_max=70, area_unit="mu")
    assert body["tie_breaks"] == ["layer", "price", "area_fit", "id"]
    features = [f["properties"] for f in body["features"]]
    assert {p["score"] for p in features} == {100.0} and all(p["tied"] == 2 for p in features)
    # Equal area: the cheaper two (20 万元/亩) first, by id; then the dearer one.
    assert [p["record_id"] for p in features] == [cheap_near.pk, cheap_far.pk, dear_near.pk]


def test_documented_defaults():
    assert set(matching.DEFAULT_WEIGHTS) >= {"area", "price", "amenity", "district"}
    assert "score = 100" in matching.__doc__


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weights": {"area": 11}}, "weights"),
        ({"weights": {"area": -1}}, "weights"),
        ({"weights": {"beauty": 1}}, "weights"),
        ({"area_min": 10, "area_max": 5}, "area_max"),
        ({"area_min": -1}, "area_min"),
        ({"land_use": ["moon"]}, "land_use"),
        ({"carrier": "boats"}, "carrier"),
        ({"districts": ["445399999999"]}, "districts"),
        ({"amenities": [{"category": "volcano", "max_distance_m": 10}]}, "amenities"),
        ({"amenities": [{"category": "hospital", "max_distance_m": 1e7}]}, "amenities"),
        ({"max_price_wan_per_mu": "cheap"}, "max_price_wan_per_mu"),
    ],
)
def test_bad_input_is_400_naming_the_field(api, city, body, field):
    assert_error(api.post("/api/spatial/match", body, format="json"), 400, field)
