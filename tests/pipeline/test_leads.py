"""Expressions of interest become leads: validation, carriers, assignment, rate limit, scope."""

from __future__ import annotations

import ipaddress
import uuid

import pytest

from accounts.roles import Role
from core.client import client_address as client_ip
from pipeline.models import Lead, LeadStatus
from pipeline.ratelimit import RateLimit
from pipeline.serializers import LeadSerializer, normalise_phone
from pipeline.views import LEAD_RATE
from tests.builders import make_record

URL = "/api/pipeline/leads/"


@pytest.fixture
def ip():
    """A client address of this test alone, so the rate limit never carries over between tests."""
    address = str(ipaddress.ip_address(f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"))
    yield address
    from django.core.cache import cache

    cache.delete_many(LEAD_RATE._keys(address))


def post(api, body, ip, **extra):
    return api.post(URL, body, format="json", REMOTE_ADDR=ip, **extra)


def form(**overrides):
    body = {
        "investor_name": "张先生",
        "company": "广东某新材料有限公司",
        "phone": "138 1234 5678",
        "email": "zhang@example.com",
        "industry": "新材料",
        "investment_wan": "5000",
        "message": "需要50亩工业用地",
        "consent": True,
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("0766-1234567", "0766-1234567"),
        ("010 12345678", "010-12345678"),
        ("(020)87654321", "020-87654321"),
        ("+44 20 7946 0958", "+442079460958"),
        ("0044 7911 123456", "+447911123456"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("+123", None),
        ("+4420794609581234", None),
        ("12812345678", None),
        ("1381234567", None),
        ("0766-123", None),
        ("hello", None),
    ],
)
def test_phone_numbers_of_mainland_china_and_abroad(raw, expected):
    assert normalise_phone(raw) == expected


def test_anonymous_investor_creates_a_lead_linked_to_the_carriers_viewed(api, city, ip):
    parcel = make_record("parcels", city, city.inside(1), is_public=True, name="二号地块")
    building = make_record("buildings", city, city.inside(0), is_public=True)
    res = post(api, form(carriers=[f"parcels:{parcel.pk}", {"layer": "buildings", "id": building.pk}]), ip)
    assert res.status_code == 201, res.content
    data = res.json()
    assert data["reference"].startswith("XS")
    assert data["reference"] in data["message"]
    assert [c["ref"] for c in data["carriers"]] == [f"parcels:{parcel.pk}", f"buildings:{building.pk}"]
    lead = Lead.objects.get(reference=data["reference"])
    assert lead.phone == "13812345678"
    assert lead.status == LeadStatus.NEW and lead.source == "investment_map"
    assert list(lead.parcels.all()) == [parcel] and list(lead.buildings.all()) == [building]
    # The county of the first carrier takes the lead.
    assert lead.division == city.counties[1]
    assert lead.division_code == parcel.division_code
    assert str(lead.client_ip) == ip
    assert lead.consented_at is not None
    assert res["Location"] == f"/api/pipeline/leads/{lead.pk}/"


def test_interest_in_a_whole_park_goes_to_the_parks_county(api, city, ip):
    res = post(api, form(carriers=[f"parks:{city.park.pk}"]), ip)
    assert res.status_code == 201, res.content
    lead = Lead.objects.get(reference=res.json()["reference"])
    assert list(lead.parks.all()) == [city.park] and lead.carriers == [f"parks:{city.park.pk}"]
    assert lead.division_code[:6] == city.park.division_code[:6]
    assert post(api, form(carriers=["field_points:1"]), ip).status_code == 400


def test_an_investor_abroad_gives_an_international_number(api, city, ip):
    res = post(api, form(phone="+44 20 7946 0958"), ip)
    assert res.status_code == 201, res.content
    assert Lead.objects.get(reference=res.json()["reference"]).phone == "+442079460958"


def test_a_lead_without_carriers_goes_to_the_city(api, city, ip):
    res = post(api, form(), ip)
    assert res.status_code == 201
    lead = Lead.objects.get(reference=res.json()["reference"])
    assert lead.division == city.city and lead.division_code == city.city.code


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"consent": False}, "consent"),
        ({"consent": None}, "consent"),
        ({"email": "not-an-email"}, "email"),
        ({"investor_name": "   "}, "investor_name"),
        ({"investment_wan": "-3"}, "investment_wan"),
        ({"carriers": ["parcels:abc"]}, "carriers"),
        ({"carriers": ["grid_cells:1"]}, "carriers"),
        ({"website": "http://spam.example"}, "website"),
    ],
)
def test_invalid_input_is_refused_with_the_field_named(api, city, ip, overrides, field):
    res = post(api, form(**overrides), ip)
    assert res.status_code == 400
    error = res.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert Lead.objects.count() == 0


def test_carriers_must_exist_and_be_published(api, city, ip):
    hidden = make_record("parcels", city, city.inside(0), is_public=False)
    res = post(api, form(carriers=[f"parcels:{hidden.pk}", "parcels:999999"]), ip)
    assert res.status_code == 400
    message = res.json()["error"]["fields"]["carriers"][0]
    assert f"parcels:{hidden.pk}" in message and "parcels:999999" in message


def test_too_many_carriers(api, city, ip):
    res = post(api, form(carriers=[f"parcels:{i}" for i in range(1, 30)]), ip)
    assert res.status_code == 400 and "carriers" in res.json()["error"]["fields"]


def test_rate_limit_per_address_with_a_retry_hint(api, city, ip):
    for _ in range(5):
        assert post(api, form(), ip).status_code == 201
    res = post(api, form(), ip)
    assert res.status_code == 429
    error = res.json()["error"]
    assert error["code"] == "rate_limited"
    assert 0 < error["retry_after"] <= 600
    assert int(res["Retry-After"]) == error["retry_after"]
    assert Lead.objects.count() == 5
    # Another address is not affected; invalid attempts are not counted against anyone.
    other = f"2001:db8::ff:{uuid.uuid4().hex[:4]}"
    assert post(api, form(phone="1"), other).status_code == 400
    assert post(api, form(), other).status_code == 201
    from django.core.cache import cache

    cache.delete_many(LEAD_RATE._keys(other))


def test_parallel_requests_cannot_slip_past_the_limit(ip):
    from concurrent.futures import ThreadPoolExecutor

    limit = RateLimit("lead-race", limit=5, window=60)
    with ThreadPoolExecutor(max_workers=12) as pool:
        waits = list(pool.map(lambda _i: limit.take(ip), range(24)))
    assert waits.count(0) == 5 and all(0 < w <= 60 for w in waits if w)
    from django.core.cache import cache

    cache.delete_many(limit._keys(ip))
    assert [limit.take(ip) for _ in range(5)] == [0] * 5
    limit.give_back(ip)  # a form refused for bad input hands its hit back
    assert limit.take(ip) == 0 and limit.take(ip) > 0
    cache.delete_many(limit._keys(ip))


def test_client_address_behind_our_proxy(rf):
    direct = rf.get("/", REMOTE_ADDR="8.8.4.4", HTTP_X_FORWARDED_FOR="1.1.1.1")
    assert client_ip(direct) == "8.8.4.4"  # a public client cannot choose its address
    proxied = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.7")
    assert client_ip(proxied) == "198.51.100.7"  # the entry our nginx appended
    compose = rf.get("/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="garbage")
    assert client_ip(compose) == "172.18.0.5"


def _lead(city, county: int | None, name: str) -> Lead:
    lead = Lead(investor_name=name, phone="13812345678", email="a.person@example.com")
    lead.assign(
        make_record("parcels", city, city.inside(county), is_public=True) if county is not None else None
    )
    lead.save()
    return lead


def test_officers_read_the_leads_of_their_area(api, city):
    first = _lead(city, 0, "甲")
    second = _lead(city, 1, "乙")
    citywide = _lead(city, None, "丙")

    def names(role):
        res = api.as_user(city.users[role]).get(URL)
        assert res.status_code == 200, res.content
        return sorted(r["investor_name"] for r in res.json()["results"])

    assert names(Role.DISTRICT_OFFICER) == ["甲"]
    assert names(Role.DISTRICT_LEADER) == ["甲"]
    assert names(Role.CITY_OFFICER) == ["丙", "乙", "甲"]
    assert names(Role.ADMIN) == ["丙", "乙", "甲"]
    officer = api.as_user(city.users[Role.DISTRICT_OFFICER])
    assert officer.get(f"{URL}{second.pk}/").status_code == 404
    detail = officer.get(f"{URL}{first.pk}/").json()
    assert detail["phone"] == "13812345678"  # officers may see personal data
    assert detail["division"]["code"] == city.counties[0].code
    assert citywide.division == city.city


@pytest.mark.parametrize("role", [Role.INVESTOR, Role.GRID_WORKER, Role.PARK_MANAGER, Role.DISPLAY])
def test_other_roles_may_not_list_leads(api, city, role):
    _lead(city, 0, "甲")
    assert api.as_user(city.users[role]).get(URL).status_code == 403


def test_anonymous_may_not_list_leads(api, city):
    res = api.get(URL)
    assert res.status_code == 401
    assert res.json()["error"]["code"] == "not_authenticated"


def test_personal_data_is_masked_for_roles_without_the_right(rf, city):
    lead = _lead(city, 0, "甲")

    def shown_to(role):
        request = rf.get(URL)
        request.user = city.users[role]
        return LeadSerializer(lead, context={"request": request}).data

    masked = shown_to(Role.DISPLAY)  # a role without the right to personal data
    assert masked["phone"] == "138****5678"
    assert masked["email"] == "a***@example.com"
    assert shown_to(Role.CITY_OFFICER)["phone"] == "13812345678"


def test_status_filter(api, city):
    _lead(city, 0, "甲")
    officer = api.as_user(city.users[Role.CITY_OFFICER])
    assert officer.get(URL, {"status": "new"}).json()["count"] == 1
    assert officer.get(URL, {"status": "dropped"}).json()["count"] == 0
    assert officer.get(URL, {"status": "nonsense"}).status_code == 400


def test_without_consent_nothing_is_kept(api, city, ip):
    body = form()
    del body["consent"]
    res = post(api, body, ip)
    assert res.status_code == 400
    assert "consent" in res.json()["error"]["fields"]
    assert not Lead.objects.exists()
