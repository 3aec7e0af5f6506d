"""OGC API – Features at /ogc/: Core, CRS, filtering, sorting, keyset paging and Part 4 writes,
under the same rules as the REST API."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import quote

import pytest
from openapi_spec_validator import validate

from accounts.roles import Role
from layers.models import LandParcel
from tests.builders import assert_error, box, feature, make_record

pytestmark = pytest.mark.django_db

ITEMS = "/ogc/collections/parcels/items"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
TIME_FOR_AREA = "area_mu > TIMESTAMP('2000-01-01T00:00:00Z')"


def _walk(api, url: str) -> tuple[list[int], list[dict]]:
    """Every feature id along the next links, and each page's body."""
    ids, pages = [], []
    while url:
        body = api.get(url).json()
        pages.append(body)
        ids += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    return ids, pages


@pytest.fixture
def parcels(city):
    """Seven published parcels in the first county, with areas that tie and prices that are null."""
    made = []
    for i in range(7):
        made.append(
            make_record(
                "parcels",
                city,
                city.inside(dx=0.002 * i),
                is_public=True,
                land_use="industrial" if i % 2 == 0 else "commercial",
                price_wan_per_mu=None if i % 3 == 0 else Decimal(40 + i),
            )
        )
    return made


def test_the_landing_page_links_the_api_document_conformance_and_collections(api):
    body = api.get("/ogc/").json()
    rels = {link["rel"] for link in body["links"]}
    assert {"self", "alternate", "service-desc", "service-doc", "conformance", "data"} <= rels
    conforms = api.get("/ogc/conformance").json()["conformsTo"]
    for claim in (
        "features-1/1.0/conf/core",
        "features-2/1.0/conf/crs",
        "features-3/1.0/conf/filter",
        "cql2/1.0/conf/cql2-text",
        "features-4/1.0/conf/create-replace-delete",
    ):
        assert any(uri.endswith(claim) for uri in conforms), claim


def test_collections_are_the_layers_the_caller_may_read(api, city, parcels):
    public = {c["id"] for c in api.get("/ogc/collections").json()["collections"]}
    assert "parcels" in public and "field_points" not in public
    assert api.get("/ogc/collections/field_points/items").status_code == 404
    staff = api.as_user(city.users[Role.CITY_OFFICER]).get("/ogc/collections").json()["collections"]
    assert "field_points" in {c["id"] for c in staff}
    parcel = next(c for c in staff if c["id"] == "parcels")
    minx, miny, maxx, maxy = parcel["extent"]["spatial"]["bbox"][0]
    assert 111.99 < minx < maxx < 112.03 and 22.9 < miny < maxy < 22.92
    assert {"http://www.opengis.net/def/crs/OGC/1.3/CRS84", EPSG_4326} <= set(parcel["crs"])
    assert {link["rel"] for link in parcel["links"]} >= {
        "items",
        "describedby",
        "http://www.opengis.net/def/rel/ogc/1.0/queryables",
    }


def test_next_links_walk_every_feature_once_and_prev_walks_back(api, parcels):
    ids, pages = _walk(api, f"{ITEMS}?limit=3")
    assert ids == sorted(p.pk for p in parcels)
    assert [p["numberReturned"] for p in pages] == [3, 3, 1]
    assert {p["numberMatched"] for p in pages} == {7}
    last = pages[-1]
    prev = next(link["href"] for link in last["links"] if link["rel"] == "prev")
    back = api.get(prev).json()
    assert [f["id"] for f in back["features"]] == ids[3:6]
    first = api.get(next(link["href"] for link in back["links"] if link["rel"] == "prev")).json()
    assert [f["id"] for f in first["features"]] == ids[:3]
    assert "prev" not in {link["rel"] for link in first["links"]}


def test_sortby_pages_through_nulls_and_ties_without_gaps_or_repeats(api, parcels):
    ids, _pages = _walk(api, f"{ITEMS}?limit=2&sortby=-price_wan_per_mu,land_use")
    expected = list(
        LandParcel.objects.filter(pk__in=[p.pk for p in parcels])
        .order_by("-price_wan_per_mu", "land_use", "id")
        .values_list("id", flat=True)
    )
    assert ids == expected
    assert_error(api.get(f"{ITEMS}?sortby=nope"), 400, "sortby")
    assert_error(api.get(f"{ITEMS}?cursor=garbage"), 400, "cursor")


def test_bbox_in_crs84_and_in_lat_lon_epsg_4326_select_the_same_features(api, city, parcels):
    make_record("parcels", city, city.inside(county=1), is_public=True)
    west = api.get(f"{ITEMS}?bbox=111.99,22.9,112.05,22.95").json()
    flipped = api.get(f"{ITEMS}?bbox=22.9,111.99,22.95,112.05&bbox-crs={EPSG_4326}").json()
    assert west["numberMatched"] == flipped["numberMatched"] == 7
    assert_error(api.get(f"{ITEMS}?bbox=1,2,3"), 400, "bbox")


def test_features_come_in_the_crs_asked_for_in_its_axis_order(api, parcels):
    plain = api.get(f"{ITEMS}?limit=1").json()["features"][0]["geometry"]["coordinates"][0][0][0]
    response = api.get(f"{ITEMS}?limit=1&crs={EPSG_4326}")
    assert response["Content-Crs"] == f"<{EPSG_4326}>"
    lat_lon = response.json()["features"][0]["geometry"]["coordinates"][0][0][0]
    assert lat_lon == [plain[1], plain[0]]
    cgcs = api.get(f"{ITEMS}?limit=1&crs=http://www.opengis.net/def/crs/EPSG/0/4490").json()
    assert cgcs["features"][0]["geometry"]["coordinates"][0][0][0] == pytest.approx(
        [plain[1], plain[0]], abs=1e-6
    )
    # A Gauss-Krüger zone (3-degree zone 38 holds 112°E): metres, northing first.
    zone = api.get(f"{ITEMS}?limit=1&crs=http://www.opengis.net/def/crs/EPSG/0/4526").json()
    north, east = zone["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 2_400_000 < north < 2_600_000 and 38_200_000 < east < 38_500_000
    assert_error(api.get(f"{ITEMS}?crs=EPSG:9999"), 400, "crs")


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("land_use = 'industrial'", {0, 2, 4, 6}),
        ("land_use IN ('commercial')", {1, 3, 5}),
        ("code LIKE 'T-%' AND price_wan_per_mu > 43", {4, 5}),
        ("price_wan_per_mu BETWEEN 41 AND 42", {1, 2}),
        ("price_wan_per_mu IS NULL", {0, 3, 6}),
        ("NOT (land_use = 'industrial') AND price_wan_per_mu < 44", {1}),
        ("S_INTERSECTS(geometry, POINT(112.0005 22.91))", {0}),
        (
            "S_WITHIN(geometry, POLYGON((111.99 22.9, 112.0055 22.9, 112.0055 22.92, 111.99 22.92, "
            "111.99 22.9)))",
            {0, 1, 2},
        ),
        ("T_AFTER(updated_at, TIMESTAMP('2000-01-01T00:00:00Z'))", set(range(7))),
        ("T_INTERSECTS(updated_at, INTERVAL('1990-01-01T00:00:00Z', '2000-01-01T00:00:00Z'))", set()),
    ],
)
def test_cql2_text_filters(api, parcels, expression, expected):
    response = api.get(f"{ITEMS}?limit=100&filter={quote(expression)}")
    assert response.status_code == 200, response.content
    index = {p.pk: i for i, p in enumerate(parcels)}
    assert {index[f["id"]] for f in response.json()["features"]} == expected


def test_cql2_json_filters(api, parcels):
    expression = {
        "op": "and",
        "args": [
            {"op": "=", "args": [{"property": "land_use"}, "industrial"]},
            {
                "op": "s_intersects",
                "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [112.004, 22.91]}],
            },
        ],
    }
    response = api.get(f"{ITEMS}?filter-lang=cql2-json&filter={quote(json.dumps(expression))}")
    assert [f["id"] for f in response.json()["features"]] == [parcels[2].pk]


def test_a_bad_filter_is_a_400_that_names_the_problem(api, parcels):
    unknown = assert_error(api.get(f"{ITEMS}?filter={quote('owner_phone = 1')}"), 400, "filter")
    assert "owner_phone" in json.dumps(unknown, ensure_ascii=False)
    assert_error(api.get(f"{ITEMS}?filter={quote('land_use = ')}"), 400, "filter")
    assert_error(api.get(f"{ITEMS}?filter-lang=ecql&filter=a"), 400, "filter")
    assert_error(api.get(f"{ITEMS}?filter={quote(TIME_FOR_AREA)}"), 400, "filter")


def test_datetime_and_property_parameters(api, parcels):
    assert api.get(f"{ITEMS}?datetime=2000-01-01T00:00:00Z/..").json()["numberMatched"] == 7
    assert api.get(f"{ITEMS}?datetime=../2000-01-01T00:00:00Z").json()["numberMatched"] == 0
    assert api.get(f"{ITEMS}?land_use=commercial").json()["numberMatched"] == 3
    assert_error(api.get(f"{ITEMS}?colour=red"), 400, "colour")
    assert_error(api.get(f"{ITEMS}?datetime=yesterday"), 400, "datetime")


def test_anonymous_clients_see_only_published_features_and_staff_their_scope(api, city, parcels):
    hidden = make_record("parcels", city, city.inside(dx=0.05), is_public=False)
    other = make_record("parcels", city, city.inside(county=1), is_public=False)
    assert api.get(f"{ITEMS}/{hidden.pk}").status_code == 404
    assert hidden.pk not in [f["id"] for f in api.get(f"{ITEMS}?limit=100").json()["features"]]
    officer = api.as_user(city.users[Role.DISTRICT_OFFICER])
    seen = {f["id"] for f in officer.get(f"{ITEMS}?limit=100").json()["features"]}
    assert hidden.pk in seen and other.pk not in seen


def test_personal_data_is_masked_as_in_the_rest_api(api, city):
    park = api.get(f"/ogc/collections/parks/items/{city.park.pk}").json()
    assert park["properties"]["contact_phone"] == "138****5678"
    officer = api.as_user(city.users[Role.CITY_OFFICER])
    assert (
        officer.get(f"/ogc/collections/parks/items/{city.park.pk}").json()["properties"]["contact_phone"]
        == "13812345678"
    )


def test_a_part_4_round_trip_under_the_rest_apis_locking_and_history(api, city):
    officer = api.as_user(city.users[Role.DISTRICT_OFFICER])
    # Outside the park, whose managers' edits are reviewed: a plain parcel of the county.
    body = feature(box(112.06, 22.95), code="OGC-1", land_use="industrial")
    created = officer.post(ITEMS, json.dumps(body), content_type="application/geo+json")
    assert created.status_code == 201, created.content
    location = created["Location"]
    assert location.endswith(f"{ITEMS}/{created.json()['id']}")
    read = officer.get(location)
    assert read["ETag"] == '"1"'
    replacement = feature(box(112.061, 22.95), code="OGC-1", land_use="commercial")
    assert_error(officer.put(location, json.dumps(replacement), content_type="application/geo+json"), 428)
    stale = officer.put(
        location, json.dumps(replacement), content_type="application/geo+json", HTTP_IF_MATCH='"7"'
    )
    assert stale.status_code == 412
    done = officer.put(
        location, json.dumps(replacement), content_type="application/geo+json", HTTP_IF_MATCH='"1"'
    )
    assert done.status_code == 200 and done["ETag"] == '"2"'
    patched = officer.patch(
        location,
        json.dumps({"properties": {"name": "新名"}}),
        content_type="application/merge-patch+json",
        HTTP_IF_MATCH='"2"',
    )
    assert patched.status_code == 200 and patched.json()["properties"]["name"] == "新名"
    pk = created.json()["id"]
    history = officer.get(f"/api/parcels/{pk}/history/").json()["history"]
    assert len(history) >= 3
    assert officer.delete(location, HTTP_IF_MATCH='"3"').status_code == 204
    assert officer.get(location).status_code == 404


def test_a_body_in_lat_lon_epsg_4326_is_stored_as_lon_lat(api, city):
    officer = api.as_user(city.users[Role.DISTRICT_OFFICER])
    geometry = box(112.06, 22.95)
    swapped = {"type": "Polygon", "coordinates": [[[y, x] for x, y in geometry["coordinates"][0]]]}
    body = feature(swapped, code="OGC-2", land_use="industrial")
    created = officer.post(
        ITEMS, json.dumps(body), content_type="application/geo+json", HTTP_CONTENT_CRS=f"<{EPSG_4326}>"
    )
    assert created.status_code == 201, created.content
    stored = LandParcel.objects.get(pk=created.json()["id"]).geom
    assert 112.05 < stored.extent[0] < 112.07 and 22.94 < stored.extent[1] < 22.96


def test_writes_need_the_rights_the_rest_api_asks_for(api, city):
    body = json.dumps(feature(box(112.06, 22.95), code="OGC-3", land_use="industrial"))
    assert api.post(ITEMS, body, content_type="application/geo+json").status_code == 401
    investor = api.as_user(city.users[Role.INVESTOR])
    assert investor.post(ITEMS, body, content_type="application/geo+json").status_code == 403


def test_the_openapi_document_validates_and_declares_the_page_limit(api, city):
    document = api.get("/ogc/api").json()
    validate(document)
    limit = next(
        p
        for p in document["paths"]["/collections/parcels/items"]["get"]["parameters"]
        if p["name"] == "limit"
    )
    assert limit["schema"]["maximum"] == 10_000


def test_queryables_and_schema(api):
    queryables = api.get("/ogc/collections/parks/queryables").json()
    assert {"geometry", "name", "level", "updated_at"} <= set(queryables["properties"])
    assert "contact_phone" not in queryables["properties"]
    schema = api.get("/ogc/collections/parcels/schema").json()
    assert schema["properties"]["land_use"]["enum"][0] == "industrial"


def test_people_get_html(api, parcels):
    for url in ("/ogc/", "/ogc/collections", f"{ITEMS}?limit=2", f"{ITEMS}/{parcels[0].pk}"):
        response = api.get(url, {"f": "html"})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html"), url
    page = api.get(f"{ITEMS}?limit=2", HTTP_ACCEPT="text/html,application/xhtml+xml").content.decode()
    assert parcels[0].code in page and "共 7 个" in page
