"""企业 as a layer: the credit code checked, the contact masked, and the carriers it signs for."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from layers.models import Enterprise, SupplyStatus
from layers.models.enterprises import credit_check_character
from projects import carriers
from projects.models import Project
from tests.builders import assert_error, feature, make_record

pytestmark = pytest.mark.django_db


def _code(first17: str = "91445302MA4UX1234") -> str:
    return first17 + credit_check_character(first17)


def _point(city) -> dict:
    where = city.inside(0)
    return {"type": "Point", "coordinates": [where.x, where.y]}


def test_an_officer_adds_an_enterprise_with_a_valid_credit_code(api, city):
    client = api.as_user(city.users[Role.DISTRICT_OFFICER])
    body = feature(_point(city), name="云浮新材料有限公司", credit_code=_code(), tags=["specialised"])
    response = client.post("/api/enterprises/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["properties"]["tags"] == ["specialised"]


def _wrong_check() -> str:
    right = _code()
    return right[:17] + ("0" if right[17] != "0" else "1")


@pytest.mark.parametrize("code", ["91445302MA4UX123", "91445302MA4UX1234I", _wrong_check()])
def test_a_wrong_credit_code_is_named(api, city, code):
    """Too short, a letter the standard leaves out (I), and a wrong check character."""
    client = api.as_user(city.users[Role.DISTRICT_OFFICER])
    response = client.post(
        "/api/enterprises/", feature(_point(city), name="企业", credit_code=code), format="json"
    )
    assert_error(response, 400, "credit_code")


def test_the_contact_is_masked_for_those_without_personal_data(api, city):
    enterprise = make_record("enterprises", city, city.inside(0), contact_phone="13812345678")
    url = f"/api/enterprises/{enterprise.pk}/"
    assert api.as_user(city.users[Role.CITY_OFFICER]).get(url).json()["properties"]["contact_phone"] == (
        "13812345678"
    )
    assert (
        api.as_user(city.users[Role.DISPLAY]).get(url).json()["properties"]["contact_phone"] == "138****5678"
    )
    assert APIClient().get(url).status_code in {401, 404}, "never published"


def test_signing_makes_the_enterprise_the_occupant_and_ending_releases_it(city):
    parcel = make_record("parcels", city, city.inside(0), supply_status=SupplyStatus.AVAILABLE)
    enterprise = make_record("enterprises", city, city.inside(0), name="云浮新材料有限公司")
    project = Project.objects.create(
        name="新材料项目",
        division=city.counties[0],
        owner=city.users[Role.DISTRICT_OFFICER],
        stage="signed",
        enterprise=enterprise,
    )
    project.parcels.add(parcel)
    carriers.follow(project)
    parcel.refresh_from_db()
    assert (parcel.supply_status, parcel.occupant_enterprise) == (SupplyStatus.SOLD, "云浮新材料有限公司")
    assert list(parcel.enterprises.all()) == [enterprise], "the plot → the enterprises it carries"
    project.ended_at = project.updated_at
    carriers.follow(project)
    parcel.refresh_from_db()
    assert parcel.supply_status == SupplyStatus.AVAILABLE and not Enterprise.objects.filter(parcels=parcel)


def test_codes_are_kept_in_capitals_and_a_missing_one_is_none(api, city):
    client = api.as_user(city.users[Role.DISTRICT_OFFICER])
    typed = client.post(
        "/api/enterprises/", feature(_point(city), name="甲", credit_code=_code().lower()), format="json"
    )
    assert typed.status_code == 201, typed.content
    assert Enterprise.objects.get(pk=typed.json()["id"]).credit_code == _code()
    for name in ("乙", "丙"):  # two without a code do not collide on the unique code
        response = client.post(
            "/api/enterprises/", feature(_point(city), name=name, credit_code=""), format="json"
        )
        assert response.status_code == 201, response.content
    assert Enterprise.objects.filter(credit_code__isnull=True).count() == 2
