"""One project's journey through the pipeline, its reviews, returns, carriers, transfer and end."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from audit.models import Entry
from layers.models import LandParcel, SupplyStatus
from projects import carriers
from projects.models import Project, ProjectEvent
from tests.builders import assert_error, attach, attach_required, make_record


def act(api, user, project_id, name, **body):
    return api.as_user(user).post(f"/api/projects/{project_id}/actions/{name}/", body, format="json")


def patch(api, user, project, **fields):
    version = Project.objects.get(pk=project).version
    return api.as_user(user).patch(
        f"/api/projects/{project}/", fields, format="json", HTTP_IF_MATCH=f'"{version}"'
    )


@pytest.fixture
def started(api, city):
    """A district officer's new project in county 0, on a parcel there."""
    parcel = make_record("parcels", city, city.inside(0), supply_status=SupplyStatus.AVAILABLE)
    officer = city.users[Role.DISTRICT_OFFICER]
    response = api.as_user(officer).post(
        "/api/projects/",
        {"name": "新能源电池项目", "division": city.counties[0].pk, "parcels": [parcel.pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"], parcel


def _stage(pk):
    project = Project.objects.get(pk=pk)
    return project.stage, project.pending


def test_the_whole_journey_with_reviews_a_return_and_the_carrier_following(api, city, started):
    pk, parcel = started
    officer, leader, city_officer = (
        city.users[r] for r in (Role.DISTRICT_OFFICER, Role.DISTRICT_LEADER, Role.CITY_OFFICER)
    )
    lacking = assert_error(act(api, officer, pk, "submit"), 400)
    assert set(lacking["fields"]) == {"attachments.first_talk_form"}, "首谈 asks for its form"
    attach_required(api, officer, pk)
    assert act(api, officer, pk, "submit").status_code == 200
    assert _stage(pk) == ("first_talk", "")

    missing = act(api, officer, pk, "submit")
    error = assert_error(missing, 400)
    assert set(error["fields"]) == {"industry", "investment_wan"}
    assert patch(api, officer, pk, industry="新能源", investment_wan="50000").status_code == 200

    assert act(api, officer, pk, "submit").json()["pending"] == "county"
    assert act(api, officer, pk, "approve").status_code == 403, "the county leader reviews, not the officer"
    assert "approve" in api.as_user(leader).get(f"/api/projects/{pk}/").json()["actions"]
    assert act(api, leader, pk, "approve").status_code == 200
    assert _stage(pk) == ("negotiating", "")

    attach_required(api, officer, pk)
    act(api, officer, pk, "submit")  # to 评审备案: county, then city
    act(api, leader, pk, "approve")
    assert _stage(pk) == ("negotiating", "city")
    assert_error(act(api, city_officer, pk, "send_back"), 400, "reason")
    back = act(api, city_officer, pk, "send_back", reason="缺少环评意见")
    assert back.json()["returned_reason"] == "缺少环评意见" and _stage(pk) == ("negotiating", "")
    act(api, officer, pk, "submit")
    act(api, leader, pk, "approve")
    act(api, city_officer, pk, "approve")
    assert _stage(pk) == ("review", "")

    attach_required(api, officer, pk)
    act(api, officer, pk, "submit")  # to 签约: the parcel is held while in review
    parcel.refresh_from_db()
    assert parcel.supply_status == SupplyStatus.RESERVED
    act(api, leader, pk, "approve")
    signed = act(api, city_officer, pk, "approve", signing_date="2026-11-30")
    assert signed.json()["stage"] == "signed" and signed.json()["signing_date"] == "2026-11-30"
    parcel.refresh_from_db()
    assert (parcel.supply_status, parcel.occupant_enterprise) == (SupplyStatus.SOLD, "新能源电池项目")

    for stage in ("started", "construction", "completed", "production", "target_output"):
        attach_required(api, officer, pk)
        assert act(api, officer, pk, "submit").json()["stage"] == stage
    assert act(api, officer, pk, "submit").status_code == 409, "nothing after 达产"

    kinds = list(ProjectEvent.objects.filter(project_id=pk).values_list("kind", flat=True))
    assert kinds[:5] == ["create", "attach", "advance", "submit", "approve"] and "return" in kinds
    assert Entry.objects.filter(object_type="projects.project", object_id=str(pk)).exists()


def test_an_action_the_stage_does_not_allow_is_409_listing_the_allowed(api, city, started):
    pk, _parcel = started
    response = act(api, city.users[Role.DISTRICT_OFFICER], pk, "approve")
    error = assert_error(response, 409)
    assert set(error["allowed"]) == {"submit", "end", "transfer"}


def test_a_stale_edit_is_412(api, city, started):
    pk, _parcel = started
    officer = city.users[Role.DISTRICT_OFFICER]
    response = api.as_user(officer).patch(
        f"/api/projects/{pk}/", {"name": "x"}, format="json", HTTP_IF_MATCH='"99"'
    )
    assert_error(response, 412)


def test_two_live_projects_cannot_hold_one_carrier(api, city, started):
    pk, parcel = started
    officer = city.users[Role.DISTRICT_OFFICER]
    first = Project.objects.get(pk=pk)
    first.stage, first.industry, first.investment_wan = "review", "x", 1
    first.save()
    attach(api, officer, pk, "contract")
    act(api, officer, pk, "submit")
    other = (
        api.as_user(officer)
        .post(
            "/api/projects/",
            {
                "name": "第二个项目",
                "division": city.counties[0].pk,
                "parcels": [parcel.pk],
                "industry": "x",
                "investment_wan": "1",
            },
            format="json",
        )
        .json()["id"]
    )
    second = Project.objects.get(pk=other)
    second.stage = "review"
    second.save()
    attach(api, officer, other, "contract")
    error = assert_error(act(api, officer, other, "submit"), 409)
    assert first.code in error["message"]


def test_ending_releases_the_carrier(api, city, started):
    pk, parcel = started
    officer = city.users[Role.DISTRICT_OFFICER]
    project = Project.objects.get(pk=pk)
    project.stage = "signed"
    project.save()
    carriers.follow(project)
    parcel.refresh_from_db()
    assert parcel.supply_status == SupplyStatus.SOLD
    assert_error(act(api, officer, pk, "end"), 400, "reason")
    assert act(api, officer, pk, "end", reason="企业撤资").status_code == 200
    parcel.refresh_from_db()
    assert parcel.supply_status == SupplyStatus.AVAILABLE
    assert LandParcel.history.filter(id=parcel.pk).count() == 3, "each change is in the carrier's history"


def test_reserve_pool_and_transfer_between_counties(api, city, started):
    pk, _parcel = started
    officer, city_officer = city.users[Role.DISTRICT_OFFICER], city.users[Role.CITY_OFFICER]
    project = Project.objects.get(pk=pk)
    project.stage = "negotiating"
    project.save()
    assert act(api, officer, pk, "to_reserve").json()["in_reserve"] is True
    assert_error(act(api, officer, pk, "submit"), 409)
    assert act(api, officer, pk, "from_reserve").json()["in_reserve"] is False

    assert_error(act(api, officer, pk, "transfer", to=city.counties[1].pk), 400, "comment")
    act(api, officer, pk, "transfer", to=city.counties[1].pk, comment="本县无合适用地")
    assert _stage(pk) == ("negotiating", "city")
    act(api, city_officer, pk, "approve")
    assert _stage(pk) == ("negotiating", "receiving")
    assert act(api, officer, pk, "approve").status_code == 403, "the receiving county confirms"
    act(api, city_officer, pk, "approve")
    assert Project.objects.get(pk=pk).division == city.counties[1]


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.DISTRICT_OFFICER, True),
        (Role.DISTRICT_LEADER, True),
        (Role.CITY_OFFICER, True),
        (Role.CITY_LEADER, True),
        (Role.INVESTOR, False),
        (Role.GRID_WORKER, False),
        (Role.AUDITOR, False),
    ],
)
def test_who_reads_the_projects(api, city, started, role, sees):
    pk, _parcel = started
    response = api.as_user(city.users[role]).get("/api/projects/")
    if sees:
        assert [p["id"] for p in response.json()["results"]] == [pk]
    else:
        assert response.status_code == 403


def test_anonymous_callers_must_log_in(api, started):
    api.force_authenticate(None)
    assert api.get("/api/projects/").status_code == 401


def test_an_officer_creates_only_in_their_county(api, city):
    response = api.as_user(city.users[Role.DISTRICT_OFFICER]).post(
        "/api/projects/", {"name": "越界", "division": city.counties[1].pk}, format="json"
    )
    assert_error(response, 403)


def test_a_lead_converts_into_a_project_keeping_the_carriers_viewed(api, city):
    from pipeline.models import Lead, LeadStatus

    parcel = make_record("parcels", city, city.inside(0), is_public=True)
    lead = Lead.objects.create(investor_name="张三", phone="13812345678", division_code=city.villages[0].code)
    lead.parcels.add(parcel)
    officer = city.users[Role.DISTRICT_OFFICER]
    body = {"name": "张三的项目", "division": city.counties[0].pk, "lead": lead.pk}
    response = api.as_user(officer).post("/api/projects/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["parcels"] == [parcel.pk]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    again = api.as_user(officer).post("/api/projects/", {**body, "name": "再转一次"}, format="json")
    assert_error(again, 400, "lead")


def test_the_change_log_keeps_every_field_change_and_the_owner(api, city, started):
    pk, _parcel = started
    officer, city_officer = city.users[Role.DISTRICT_OFFICER], city.users[Role.CITY_OFFICER]
    patch(api, officer, pk, name="新能源电池二期项目")
    assert_error(patch(api, officer, pk, owner=city.users[Role.PARK_MANAGER].pk), 400, "owner")
    assert patch(api, officer, pk, owner=city_officer.pk).status_code == 200, "项目负责人变更"
    log = api.as_user(officer).get(f"/api/projects/{pk}/changes/").json()
    fields = [c["field"] for entry in log for c in entry["changes"]]
    assert fields[:2] == ["owner", "name"], "newest first, the owner change kept"
    named = next(c for entry in log for c in entry["changes"] if c["field"] == "name")
    assert (named["old"], named["new"], named["label"]) == (
        "新能源电池项目",
        "新能源电池二期项目",
        "项目名称",
    )


def test_amounts_are_not_negative(api, city, started):
    pk, _parcel = started
    officer = city.users[Role.DISTRICT_OFFICER]
    for field in ("investment_wan", "annual_investment_wan", "expected_output_wan", "expected_tax_wan"):
        assert_error(patch(api, officer, pk, **{field: "-1"}), 400, field)
