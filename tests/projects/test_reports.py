"""The project reports and KPIs: numbers worked out by hand from known projects, the scope of every
report, the watermarked and audited exports, large exports as jobs, and bad input."""

from __future__ import annotations

import io
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from accounts.roles import Role
from audit.models import Entry
from jobs.runner import run
from projects import workflow
from projects.models import CountyTarget, EventKind, Project, ProjectEvent
from tests.builders import assert_error, make_record

TZ = ZoneInfo("Asia/Shanghai")
OFFICE = "驻深圳招商联络处"
REPORT_NAMES = ["new_projects", "started_completed", "transfers", "filings", "negotiating", "offices"]


def _at(day: tuple[int, int, int]) -> datetime:
    return datetime(*day, 10, 0, tzinfo=TZ)


def _project(city, county: int, name: str, moments: dict[str, tuple[int, int, int]], **fields) -> Project:
    """A project of county ``county`` that entered each stage of ``moments`` in order (one event
    each, after its creation event), now at the last of them."""
    stage = list(moments)[-1] if moments else "lead"
    found = Project.objects.create(
        name=name,
        division=city.counties[county],
        owner=city.users[Role.CITY_OFFICER],
        stage=stage,
        stage_entered_at=_at(moments[stage]) if moments else _at((2026, 1, 1)),
        **fields,
    )
    ProjectEvent.objects.create(
        project=found, kind=EventKind.CREATE, from_stage="lead", to_stage="lead", at=_at((2025, 1, 1))
    )
    before = "lead"
    for entered, day in moments.items():
        ProjectEvent.objects.create(
            project=found, kind=EventKind.ADVANCE, from_stage=before, to_stage=entered, at=_at(day)
        )
        # A later review at the same stage is not an entry into it.
        ProjectEvent.objects.create(
            project=found, kind=EventKind.SUBMIT, from_stage=entered, to_stage=entered, at=_at(day)
        )
        before = entered
    return found


@pytest.fixture
def pipeline(city):
    """County 0: A (producing, ¥1.2 bn, foreign), B (completed, registered enterprise, signed this
    November), C (negotiating, in the reserve pool), D (target output, signed November 2025), E
    (ended), F (signed in October), G (transferred in from county 1), H (asking to leave for county
    1). County 1: K (signed in November, asking to move to county 0). Targets for 2026 in both."""
    officer, city_officer = city.users[Role.DISTRICT_OFFICER], city.users[Role.CITY_OFFICER]
    enterprise = make_record("enterprises", city, city.inside(0), registered_on=date(2026, 3, 1))
    a = _project(
        city,
        0,
        "甲项目",
        {
            "negotiating": (2025, 12, 1),
            "review": (2026, 1, 15),
            "signed": (2026, 3, 12),
            "started": (2026, 4, 1),
            "construction": (2026, 5, 1),
            "completed": (2026, 8, 1),
            "production": (2026, 10, 1),
        },
        signing_date=date(2026, 3, 10),  # the city's re-check set the contract's date
        investment_wan=120000,
        annual_investment_wan=30000,
        foreign_capital=True,
        expected_output_wan=50000,
        expected_tax_wan=3000,
        office=OFFICE,
        industry="新材料",
    )
    b = _project(
        city,
        0,
        "乙项目",
        {
            "signed": (2026, 11, 5),
            "started": (2026, 11, 8),
            "construction": (2026, 11, 10),
            "completed": (2026, 11, 20),
        },
        investment_wan=50000,
        annual_investment_wan=10000,
        expected_output_wan=20000,
        expected_tax_wan=1000,
        office=OFFICE,
        industry="新材料",
        enterprise=enterprise,
    )
    c = _project(city, 0, "丙项目", {"negotiating": (2026, 6, 1)}, investment_wan=8000, industry="食品")
    c.in_reserve = True
    c.save()
    d = _project(
        city,
        0,
        "丁项目",
        {
            "review": (2025, 10, 1),
            "signed": (2025, 11, 16),
            "started": (2025, 12, 1),
            "construction": (2025, 12, 20),
            "completed": (2026, 1, 10),
            "production": (2026, 2, 10),
            "target_output": (2026, 9, 8),
        },
        signing_date=date(2025, 11, 15),
        investment_wan=200000,
        annual_investment_wan=5000,
        industry="电子信息",
    )
    e = _project(city, 0, "戊项目", {"signed": (2026, 11, 20)}, investment_wan=70000, industry="食品")
    e.ended_at = _at((2026, 11, 25))
    e.save()
    _project(city, 0, "己项目", {"signed": (2026, 10, 15)}, investment_wan=30000, industry="食品")
    g = Project.objects.create(
        name="庚项目", division=city.counties[1], owner=city_officer, stage="negotiating"
    )
    workflow.transfer(g, city_officer, city.counties[0], "邻县用地更合适")
    workflow.approve(g, city_officer)
    workflow.approve(g, officer)  # the receiving county confirms
    h = Project.objects.create(name="辛项目", division=city.counties[0], owner=officer, stage="first_talk")
    workflow.transfer(h, officer, city.counties[1], "本县用地不足")
    k = _project(
        city,
        1,
        "邻县项目",
        {"signed": (2026, 11, 3)},
        investment_wan=999999,
        foreign_capital=True,
        office=OFFICE,
        industry="新材料",
    )
    workflow.transfer(k, city_officer, city.counties[0], "邻县想要")
    CountyTarget.objects.create(division=city.counties[0], year=2026, new_projects=4, investment_wan=400000)
    CountyTarget.objects.create(division=city.counties[1], year=2026, new_projects=2, investment_wan=100000)
    return {"a": a, "b": b, "c": c, "d": d, "g": g, "h": h, "k": k}


def _kpis(api, user, **params):
    response = api.as_user(user).get("/api/projects/kpis/", {"year": 2026, "month": 11, **params})
    assert response.status_code == 200, response.content
    return response.json()


def _report(api, user, name, **params):
    response = api.as_user(user).get(f"/api/projects/reports/{name}/", params)
    assert response.status_code == 200, response.content
    return response.json()


def _sheet(response) -> list[tuple]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_the_kpis_of_a_county(api, city, pipeline):
    kpis = _kpis(api, city.users[Role.DISTRICT_OFFICER])
    # Live projects of county 0: A B C D F G H (E ended, K is county 1's).
    assert kpis["counts"] == {
        "projects": 7,
        "in_reserve": 1,
        "by_stage": {
            "lead": 0,
            "first_talk": 1,
            "negotiating": 2,
            "review": 0,
            "signed": 1,
            "started": 0,
            "construction": 0,
            "completed": 1,
            "production": 1,
            "target_output": 1,
        },
        "introduced": 3,  # A (its signing date), B and F (their entry into 签约); D signed in 2025
    }
    assert kpis["investment"] == {"planned_wan": 200000.0, "annual_wan": 45000.0}
    assert kpis["billion_projects"] == {"count": 1, "investment_wan": 120000.0}
    assert kpis["foreign_capital"] == {"count": 1, "investment_wan": 120000.0}
    assert kpis["expected"] == {"output_wan": 70000.0, "tax_wan": 4000.0}
    assert kpis["signed_not_registered"] == 3  # A, D and F; B's enterprise is registered
    assert kpis["completed_not_producing"] == 1
    assert kpis["producing_below_target"] == 1
    a_signed_to_production = (date(2026, 10, 1) - date(2026, 3, 10)).days
    d_signed_to_production = (date(2026, 2, 10) - date(2025, 11, 15)).days
    assert kpis["median_days"] == {
        "signed_to_production": {
            "days": (a_signed_to_production + d_signed_to_production) / 2,
            "projects": 2,
        },
        "completed_to_production": {"days": (61 + 31) / 2, "projects": 2},
        "production_to_target": {"days": float((date(2026, 9, 8) - date(2026, 2, 10)).days), "projects": 1},
    }
    assert kpis["target"] == {"new_projects": 4, "investment_wan": 400000.0}
    assert kpis["completion"] == {"new_projects": 0.75, "investment": 0.5}
    assert kpis["by_county"] == [
        {
            "division": city.counties[0].code,
            "name": "测试区0",
            "introduced": 3,
            "investment_wan": 200000.0,
            "target": {"new_projects": 4, "investment_wan": 400000.0},
            "completion": {"new_projects": 0.75, "investment": 0.5},
        }
    ]
    assert kpis["by_industry"] == [
        {
            "industry": "新材料",
            "label": "新材料",
            "introduced": 2,
            "investment_wan": 170000.0,
            "completion": {"new_projects": 0.5, "investment": 0.425},
        },
        {
            "industry": "食品",
            "label": "食品",
            "introduced": 1,
            "investment_wan": 30000.0,
            "completion": {"new_projects": 0.25, "investment": 0.075},
        },
    ]
    assert kpis["periods"] == {
        "this_month": {"introduced": 1, "investment_wan": 50000.0},  # B
        "last_month": {"introduced": 1, "investment_wan": 30000.0},  # F
        "same_month_last_year": {"introduced": 1, "investment_wan": 200000.0},  # D
        "month_on_month": {"introduced": 0.0, "investment_wan": 0.6667},
        "year_on_year": {"introduced": 0.0, "investment_wan": -0.75},
    }


def test_the_city_sees_every_county_against_its_target_and_filters_narrow_it(api, city, pipeline):
    city_officer = city.users[Role.CITY_OFFICER]
    kpis = _kpis(api, city_officer)
    assert kpis["counts"]["projects"] == 8
    assert [(c["division"], c["introduced"], c["completion"]) for c in kpis["by_county"]] == [
        (city.counties[0].code, 3, {"new_projects": 0.75, "investment": 0.5}),
        (city.counties[1].code, 1, {"new_projects": 0.5, "investment": 10.0}),  # 9.99999, to 4 places
    ]
    assert kpis["target"] == {"new_projects": 6, "investment_wan": 500000.0}
    one = _kpis(api, city_officer, division=city.counties[1].code)
    assert one["division"] == city.counties[1].code
    assert one["counts"]["projects"] == 1
    assert [c["division"] for c in one["by_county"]] == [city.counties[1].code]
    food = _kpis(api, city_officer, industry="食品")
    assert food["counts"]["introduced"] == 1 and food["investment"]["planned_wan"] == 30000.0
    with_ended = _kpis(api, city_officer, status="all")
    assert with_ended["periods"]["this_month"]["introduced"] == 3  # B, K and the ended E


def test_a_district_officer_never_sees_the_neighbouring_county(api, city, pipeline):
    officer = city.users[Role.DISTRICT_OFFICER]
    neighbour = _kpis(api, officer, division=city.counties[1].code)
    assert neighbour["counts"]["projects"] == 0
    assert neighbour["by_county"] == [] and neighbour["target"] is None
    assert neighbour["investment"]["planned_wan"] == 0.0
    for name in REPORT_NAMES:
        body = _report(api, officer, name, status="all")
        assert "邻县项目" not in str(body["rows"]), name
        assert "测试区1" not in str(body["rows"]) or name == "transfers", name
        export = api.as_user(officer).get(f"/api/projects/reports/{name}/export.xlsx", {"status": "all"})
        assert "邻县项目" not in str(_sheet(export)), name
    transfers = _report(api, officer, "transfers")["rows"]
    assert {r["name"] for r in transfers} == {"庚项目", "辛项目"}  # K's request: still county 1's


def test_the_new_projects_list(api, city, pipeline):
    officer = city.users[Role.DISTRICT_OFFICER]
    body = _report(api, officer, "new_projects", **{"from": "2026-01-01", "to": "2026-12-31"})
    assert body["name"] == "new_projects" and body["title"] == "新引进项目清单"
    assert body["count"] == 3
    assert [r["name"] for r in body["rows"]] == ["乙项目", "己项目", "甲项目"]  # newest first
    columns = {c["key"]: c for c in body["columns"]}
    assert (
        columns["investment_wan"]["label"] == "计划投资（万元）"
        and columns["introduced_on"]["type"] == "date"
    )
    a = body["rows"][2]
    assert a["code"] == pipeline["a"].code
    assert (a["investment_wan"], a["foreign_capital"], a["introduced_on"]) == (120000.0, True, "2026-03-10")
    assert (a["stage"], a["division"], a["office"], a["registered_on"]) == ("投产", "测试区0", OFFICE, None)
    assert body["rows"][0]["registered_on"] == "2026-03-01"
    everything = _report(api, officer, "new_projects")
    assert everything["count"] == 4  # D, introduced in 2025, too
    second = _report(api, officer, "new_projects", page=2, page_size=3)
    assert (second["count"], second["page"], len(second["rows"])) == (4, 2, 1)
    assert _report(api, city.users[Role.CITY_OFFICER], "new_projects")["count"] == 5  # and K


def test_started_completed_transfers_filings_negotiating_and_offices(api, city, pipeline):
    officer = city.users[Role.DISTRICT_OFFICER]
    works = _report(api, officer, "started_completed")
    assert [r["name"] for r in works["rows"]] == ["乙项目", "甲项目", "丁项目"]
    d = works["rows"][2]
    assert (d["started_on"], d["completed_on"], d["production_on"]) == (
        "2025-12-01",
        "2026-01-10",
        "2026-02-10",
    )
    november = _report(api, officer, "started_completed", **{"from": "2026-11-01", "to": "2026-11-30"})
    assert [r["name"] for r in november["rows"]] == ["乙项目"]

    transfers = _report(api, officer, "transfers")["rows"]
    assert [r["name"] for r in transfers] == ["辛项目", "庚项目"]
    leaving, arrived = transfers
    assert (leaving["from_division"], leaving["to_division"], leaving["status"]) == (
        "测试区0",
        "测试区1",
        "待市级审核",
    )
    assert leaving["reason"] == "本县用地不足" and leaving["decided_at"] is None
    assert (arrived["from_division"], arrived["to_division"], arrived["status"]) == (
        "测试区1",
        "测试区0",
        "已流转",
    )
    assert arrived["decided_at"] and arrived["stage"] == "在谈"
    city_view = _report(api, city.users[Role.CITY_OFFICER], "transfers")
    assert city_view["count"] == 3

    filings = _report(api, officer, "filings")["rows"]
    assert [(r["name"], r["filed_on"]) for r in filings] == [
        ("甲项目", "2026-01-15"),
        ("丁项目", "2025-10-01"),
    ]

    negotiating = _report(api, officer, "negotiating")
    assert negotiating["rows"] == [
        {
            "division": "测试区0",
            "projects": 2,  # C and G
            "in_reserve": 1,
            "city_direct": 0,
            "foreign_capital": 0,
            "billion": 0,
            "investment_wan": 8000.0,
        }
    ]
    offices = _report(api, officer, "offices")["rows"]
    assert offices == [
        {
            "office": OFFICE,
            "projects": 2,
            "investment_wan": 170000.0,
            "billion": 1,
            "foreign_capital": 1,
            "expected_output_wan": 70000.0,
            "expected_tax_wan": 4000.0,
        }
    ]
    city_offices = _report(api, city.users[Role.CITY_OFFICER], "offices")["rows"]
    assert (city_offices[0]["projects"], city_offices[0]["investment_wan"]) == (3, 1169999.0)


def test_the_catalogue_names_every_report_and_links_the_ledger(api, city):
    body = api.as_user(city.users[Role.DISTRICT_OFFICER]).get("/api/projects/reports/").json()
    assert [r["name"] for r in body["reports"]] == [*REPORT_NAMES, "inspections"]
    assert body["reports"][0] == {
        "name": "new_projects",
        "title": "新引进项目清单",
        "url": "/api/projects/reports/new_projects/",
        "export": "/api/projects/reports/new_projects/export.xlsx",
    }
    assert body["reports"][-1]["export"] == "/api/inspections/export.xlsx"
    assert body["kpis"] == "/api/projects/kpis/"
    # Park managers read the projects on their park, not the problem ledger.
    park = api.as_user(city.users[Role.PARK_MANAGER]).get("/api/projects/reports/").json()
    assert "inspections" not in [r["name"] for r in park["reports"]]


def test_an_export_is_watermarked_and_audited_once(api, city, pipeline):
    response = api.as_user(city.users[Role.DISTRICT_OFFICER]).get(
        "/api/projects/reports/new_projects/export.xlsx", {"from": "2026-01-01"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="new_projects-')
    rows = _sheet(response)
    assert "看数水印" in rows[0][0] and "u-district_officer" in rows[0][0]
    assert rows[2][:3] == ("项目编号", "项目名称", "所属区县")
    assert [row[1] for row in rows[3:]] == ["乙项目", "己项目", "甲项目"]
    assert rows[5][6] == "是" and rows[5][4] == 120000  # 外资项目, 计划投资
    entries = Entry.objects.filter(action="export", object_type="projects.report")
    assert entries.count() == 1
    assert entries.get().object_id == "new_projects" and entries.get().detail["rows"] == 3


def test_a_large_export_is_a_job_only_its_submitter_downloads(api, city, pipeline, settings):
    settings.PROJECT_REPORT_INLINE_ROWS = 2
    officer, leader = city.users[Role.DISTRICT_OFFICER], city.users[Role.DISTRICT_LEADER]
    url = "/api/projects/reports/new_projects/export.xlsx"
    queued = api.as_user(officer).get(url)
    assert queued.status_code == 202, queued.content
    job = queued.json()["job"]
    assert job["status"] == "queued" and job["progress"] == 0
    assert queued["Location"] == job["url"] == f"/api/projects/report-jobs/{job['id']}/"
    assert api.as_user(officer).get(url).json()["job"]["id"] == job["id"]  # asked twice: one job
    polled = api.as_user(officer).get(job["url"]).json()
    assert polled["download"] is None and polled["rows"] == 4
    assert_error(api.as_user(officer).get(f"{job['url']}file"), 409)

    assert run("projects.ReportJob", job["id"]) == "succeeded"
    done = api.as_user(officer).get(job["url"]).json()
    assert (done["status"], done["progress"], done["rows"]) == ("succeeded", 100, 4)
    assert done["download"] == f"/api/projects/report-jobs/{job['id']}/file"
    assert Entry.objects.filter(action="export", object_type="projects.report").count() == 0

    # The district leader reads the same county's projects, but the job is not theirs.
    assert_error(api.as_user(leader).get(job["url"]), 404)
    assert_error(api.as_user(leader).get(done["download"]), 404)
    response = api.as_user(officer).get(done["download"])
    assert response.status_code == 200
    rows = _sheet(response)
    assert "u-district_officer" in rows[0][0]
    assert len(rows[3:]) == 4 and "邻县项目" not in str(rows)
    entry = Entry.objects.get(action="export", object_type="projects.report")
    assert entry.user_id == officer.pk and entry.detail["job"] == job["id"]


@pytest.mark.parametrize(
    ("url", "status", "field"),
    [
        ("/api/projects/reports/nothing/", 404, None),
        ("/api/projects/reports/nothing/export.xlsx", 404, None),
        ("/api/projects/reports/inspections/", 404, None),  # the ledger has its own address
        ("/api/projects/reports/new_projects/?from=2026-13-01", 400, "from"),
        ("/api/projects/reports/new_projects/?from=2026-05-01&to=2026-04-01", 400, "to"),
        ("/api/projects/reports/new_projects/?page=0", 400, "page"),
        ("/api/projects/reports/new_projects/?page_size=5000", 400, "page_size"),
        ("/api/projects/reports/new_projects/export.xlsx?stage=nowhere", 400, "stage"),
        ("/api/projects/kpis/?year=twenty", 400, "year"),
        ("/api/projects/kpis/?month=13", 400, "month"),
        ("/api/projects/kpis/?division=999999999999", 400, "division"),
        ("/api/projects/report-jobs/999999/", 404, None),
    ],
)
def test_bad_input_is_refused_saying_what_to_do(api, city, url, status, field):
    assert_error(api.as_user(city.users[Role.CITY_OFFICER]).get(url), status, field)


@pytest.mark.parametrize(
    "url", ["/api/projects/reports/", "/api/projects/reports/new_projects/", "/api/projects/kpis/"]
)
def test_only_roles_that_read_projects_get_reports(api, city, url):
    assert_error(api.get(url), 401)
    for role in (Role.INVESTOR, Role.GRID_WORKER, Role.AUDITOR, Role.DISPLAY):
        assert_error(api.as_user(city.users[role]).get(url), 403)
    for role in (Role.PARK_MANAGER, Role.DISTRICT_LEADER, Role.CITY_LEADER):
        assert api.as_user(city.users[role]).get(url).status_code == 200, role


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_large_export_runs_in_the_worker(celery_worker, api, city, pipeline, settings):
    settings.PROJECT_REPORT_INLINE_ROWS = 1
    officer = api.as_user(city.users[Role.DISTRICT_OFFICER])
    job = officer.get("/api/projects/reports/started_completed/export.xlsx").json()["job"]
    deadline = time.monotonic() + 60
    while (polled := officer.get(job["url"]).json())["status"] not in {"succeeded", "failed"}:
        assert time.monotonic() < deadline, polled
        time.sleep(0.2)
    assert polled["status"] == "succeeded", polled["error"]
    rows = _sheet(officer.get(polled["download"]))
    assert [row[1] for row in rows[3:]] == ["乙项目", "甲项目", "丁项目"]
