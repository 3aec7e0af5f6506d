"""项目巡查督导: a problem from report to 销号, each step by its role, and the exported ledger."""

from __future__ import annotations

import io

import openpyxl
import pytest

from accounts.roles import Role
from audit.models import Entry
from projects.models import Inspection, Project
from tests.builders import assert_error


@pytest.fixture
def project(city):
    return Project.objects.create(
        name="巡查项目", division=city.counties[0], owner=city.users[Role.DISTRICT_OFFICER]
    )


def _advance(api, user, pk, text=""):
    return api.as_user(user).post(f"/api/inspections/{pk}/advance/", {"text": text}, format="json")


def test_the_loop_from_report_to_sign_off(api, city, project):
    officer, leader, city_officer = (
        city.users[r] for r in (Role.DISTRICT_OFFICER, Role.DISTRICT_LEADER, Role.CITY_OFFICER)
    )
    reported = api.as_user(city_officer).post(
        "/api/inspections/", {"project": project.pk, "problem": "未按期开工"}, format="json"
    )
    assert reported.status_code == 201, reported.content
    pk = reported.json()["id"]
    assert_error(_advance(api, officer, pk), 403)  # the county's patrol lead reviews first
    assert _advance(api, leader, pk).json()["step"] == "reviewed"
    assert_error(_advance(api, city_officer, pk), 400, "measures")
    assert _advance(api, city_officer, pk, "两个月内开工").json()["step"] == "measures_confirmed"
    assert _advance(api, officer, pk, "已进场施工").json()["step"] == "rectified"
    assert _advance(api, leader, pk).json()["step"] == "rectification_reviewed"
    closed = _advance(api, city_officer, pk).json()
    assert closed["step"] == "closed" and closed["closed_at"]
    assert_error(_advance(api, city_officer, pk), 409)
    inspection = Inspection.objects.get(pk=pk)
    assert (inspection.measures, inspection.rectification) == ("两个月内开工", "已进场施工")
    assert inspection.history.count() == 6


def test_problems_are_reported_by_officers_of_the_area(api, city, project):
    other = Project.objects.create(
        name="邻县", division=city.counties[1], owner=city.users[Role.CITY_OFFICER]
    )
    officer = city.users[Role.DISTRICT_OFFICER]
    assert (
        api.as_user(officer)
        .post("/api/inspections/", {"project": other.pk, "problem": "x"}, format="json")
        .status_code
        == 404
    )
    assert_error(
        api.as_user(city.users[Role.DISTRICT_LEADER]).post(
            "/api/inspections/", {"project": project.pk, "problem": "x"}, format="json"
        ),
        403,
    )
    assert_error(
        api.as_user(officer).post(
            "/api/inspections/", {"project": project.pk, "problem": " "}, format="json"
        ),
        400,
        "problem",
    )


def test_the_ledger_exports_with_the_watermark_and_is_audited(api, city, project):
    officer = city.users[Role.DISTRICT_OFFICER]
    api.as_user(officer).post(
        "/api/inspections/", {"project": project.pk, "problem": "手续不全"}, format="json"
    )
    response = api.as_user(city.users[Role.CITY_LEADER]).get("/api/inspections/export.xlsx")
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert "u-city_leader" in rows[0][0]
    assert rows[3][3] == "手续不全" and rows[3][2] == "已上报"
    assert Entry.objects.filter(action="export", object_type="projects.inspection").count() == 1
