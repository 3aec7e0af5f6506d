"""The auditor's API: read and filter the log, export it (an export is itself an entry)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from accounts.roles import Role
from audit.models import AuditAction, Entry, Outcome
from audit.writer import record


@pytest.fixture
def logged(city):
    with_user = city.users[Role.DISTRICT_OFFICER]
    record(AuditAction.CREATE, object_type="layers.landparcel", object_id=1, user=with_user)
    record(AuditAction.LOGIN_FAILED, outcome=Outcome.FAILURE, detail={"username": "who"})
    record(AuditAction.UPDATE, object_type="layers.park", object_id=2, division=city.counties[1].code)
    return city


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_auditors_read_the_log_newest_first(api, logged, role):
    response = api.as_user(logged.users[role]).get("/api/audit/entries/")
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [r["action"] for r in rows] == ["update", "login_failed", "create"]


@pytest.mark.parametrize("role", [Role.CITY_OFFICER, Role.CITY_LEADER, Role.DISPLAY])
def test_nobody_else_reads_it(api, logged, role):
    response = api.as_user(logged.users[role]).get("/api/audit/entries/")
    assert response.status_code == 403
    assert "审计员" in response.json()["error"]["message"]


def test_anonymous_callers_must_log_in(api, logged):
    assert api.get("/api/audit/entries/").status_code == 401


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=create", ["create"]),
        ("outcome=failure", ["login_failed"]),
        ("user=u-district_officer", ["create"]),
        ("object_type=layers.park&object_id=2", ["update"]),
        ("division=445303", ["update"]),
        ("since=2000-01-01&until=2000-01-02", []),
    ],
)
def test_filters(api, logged, query, expected):
    response = api.as_user(logged.users[Role.AUDITOR]).get(f"/api/audit/entries/?{query}")
    assert [r["action"] for r in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("query", "field"), [("action=nope", "action"), ("since=yesterday", "since"), ("division=x", "division")]
)
def test_a_bad_filter_names_itself(api, logged, query, field):
    response = api.as_user(logged.users[Role.AUDITOR]).get(f"/api/audit/entries/?{query}")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_export_csv_is_every_filtered_row_and_is_audited(api, logged):
    auditor = logged.users[Role.AUDITOR]
    response = api.as_user(auditor).get("/api/audit/entries/export.csv?action=create")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0].startswith("看数水印") and auditor.username in rows[0][0]
    assert rows[1][:2] == ["seq", "at"] and len(rows) == 3
    export = Entry.objects.filter(action=AuditAction.EXPORT).get()
    assert (export.username, export.object_type, export.detail["action"]) == (
        auditor.username,
        "audit.entry",
        "create",
    )


def test_export_xlsx(api, logged):
    response = api.as_user(logged.users[Role.AUDITOR]).get("/api/audit/entries/export.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert "u-auditor" in values[0][0]
    assert values[2][:2] == ("seq", "at")
    # Newest first, the export's own entry (4) included: it is recorded before the rows are read.
    assert [row[0] for row in values[3:]] == [4, 3, 2, 1]
