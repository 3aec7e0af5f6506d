"""补充签约: an addition to a signed project, with its agreement, reviewed by the city."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.roles import Role
from projects.models import Project, Supplement, SupplementStatus
from tests.builders import assert_error, attach

pytestmark = pytest.mark.django_db


def act(api, user, pk, name, **body):
    return api.as_user(user).post(f"/api/projects/{pk}/actions/{name}/", body, format="json")


@pytest.fixture
def signed(city):
    return Project.objects.create(
        name="签约项目",
        division=city.counties[0],
        owner=city.users[Role.DISTRICT_OFFICER],
        stage="signed",
        investment_wan=Decimal("10000"),
    )


def test_a_supplement_needs_its_agreement_and_the_city_approves_it(api, city, signed):
    officer, city_officer = city.users[Role.DISTRICT_OFFICER], city.users[Role.CITY_OFFICER]
    body = {"content": "追加二期厂房", "signed_on": "2026-11-20", "added_investment_wan": "5000"}
    error = assert_error(act(api, officer, signed.pk, "supplement", **body), 400)
    assert set(error["fields"]) == {"attachments.supplementary_contract"}
    attach(api, officer, signed.pk, "supplementary_contract")
    assert act(api, officer, signed.pk, "supplement", **body).json()["pending"] == "city"
    assert act(api, officer, signed.pk, "submit").status_code == 409, "the project waits for the city"
    assert act(api, city.users[Role.DISTRICT_LEADER], signed.pk, "approve").status_code == 403
    approved = act(api, city_officer, signed.pk, "approve", comment="同意")
    assert approved.json()["pending"] == "" and Decimal(approved.json()["investment_wan"]) == 15000
    assert Supplement.objects.get().status == SupplementStatus.APPROVED


def test_a_returned_supplement_goes_back_with_its_reason(api, city, signed):
    officer = city.users[Role.DISTRICT_OFFICER]
    attach(api, officer, signed.pk, "supplementary_contract")
    act(api, officer, signed.pk, "supplement", content="变更建设内容", signed_on="2026-11-20")
    back = act(api, city.users[Role.CITY_OFFICER], signed.pk, "send_back", reason="协议未盖章")
    assert back.json()["returned_reason"] == "协议未盖章" and back.json()["stage"] == "signed"
    assert Supplement.objects.get().status == SupplementStatus.RETURNED
    # A new supplement needs a new agreement, uploaded after the returned one.
    error = assert_error(
        act(api, officer, signed.pk, "supplement", content="再次", signed_on="2026-11-25"), 400
    )
    assert "attachments.supplementary_contract" in error["fields"]


def test_only_signed_projects_take_supplements_and_bad_amounts_are_named(api, city, signed):
    officer = city.users[Role.DISTRICT_OFFICER]
    early = Project.objects.create(name="在谈", division=city.counties[0], owner=officer, stage="negotiating")
    assert "supplement" not in assert_error(act(api, officer, early.pk, "supplement"), 409)["allowed"]
    assert_error(
        act(api, officer, signed.pk, "supplement", added_investment_wan="很多"), 400, "added_investment_wan"
    )
    assert_error(act(api, officer, signed.pk, "supplement", signed_on="20/11/2026"), 400, "signed_on")
