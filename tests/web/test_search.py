"""Search ranking (web/search.py): exact and prefix matches first, places before carriers before
amenities, categories by their names, and the limit over the whole list."""

from __future__ import annotations

from layers.models import Division, DivisionLevel
from tests.builders import make_record, rect


def _search(api, q: str, **params: str) -> list[dict]:
    response = api.get("/api/search/", {"q": q, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_the_exact_park_name_comes_before_its_many_plots(api, city):
    for n in range(12):
        make_record("parcels", city, city.inside(0, 0.002 * n), is_public=True, name=f"测试园区{n}号地块")
    hits = _search(api, "测试园区")
    assert (hits[0]["layer"], hits[0]["name"], hits[0]["match"]) == ("parks", "测试园区", "exact")
    assert [h["match"] for h in hits[1:]] == ["prefix"] * (len(hits) - 1)
    assert len(hits) == 8, "the limit is over the whole list"


def test_a_county_comes_before_the_restaurants_in_it(api, city):
    Division.objects.create(
        code="445321000000",
        name="新兴县",
        level=DivisionLevel.COUNTY,
        parent=city.city,
        geom=rect(112, 22, 112.1, 22.1),
    )
    for n in range(3):
        make_record(
            "amenities",
            city,
            city.inside(1),
            category="restaurant",
            name=f"饭店{n}",
            address=f"新兴县城东路{n}号",
        )
    hits = _search(api, "新兴县")
    assert hits[0]["layer"] == "divisions" and hits[0]["name"] == "新兴县"
    assert {h["match"] for h in hits[1:]} == {"description"}
    # In English too, by the name made in pinyin: "Xinxing" is the start of "Xinxing County".
    english = _search(api, "xinxing")
    assert (english[0]["name"], english[0]["name_en"], english[0]["match"]) == (
        "新兴县",
        "Xinxing County",
        "prefix",
    )
    assert _search(api, "Xinxing County")[0]["match"] == "exact"


def test_a_category_name_finds_what_it_names(api, city):
    make_record("amenities", city, city.inside(1), category="highway_exit", name="云浮东出口", address="")
    make_record("amenities", city, city.inside(1), category="hospital", name="人民医院", address="")
    assert [h["name"] for h in _search(api, "高速")] == ["云浮东出口"]
    assert [h["name"] for h in _search(api, "Expressway")] == ["云浮东出口"]  # its English name


def test_a_shorter_name_is_the_closer_match_and_the_order_is_stable(api, city):
    long = make_record("parcels", city, city.inside(0), is_public=True, name="凤凰工业园扩展区地块")
    short = make_record("parcels", city, city.inside(0, 0.02), is_public=True, name="凤凰工业园地块")
    first = [h["id"] for h in _search(api, "凤凰", layers="parcels")]
    assert first == [short.pk, long.pk]
    assert [h["id"] for h in _search(api, "凤凰", layers="parcels")] == first
