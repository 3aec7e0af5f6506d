"""The investment workspace's pages (/staff/…): the list with its filters, quick and saved views and
the leads; the project page with exactly the caller's actions, its checklist uploads, a stale edit's
412 and the phone layout; the reports page's charts and export. Debian's Chromium against a live
server; screenshots go to test-artifacts/web/ (workspace-*.png)."""

from __future__ import annotations

import importlib
import re

import pytest

from accounts.roles import Role
from layers.models import SupplyStatus
from projects.models import Card, Project, SavedView
from tests.builders import PDF, build_city, make_record

from .conftest import log_in, not_blank

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def city():
    restore_stage_rules()
    return build_city()


def restore_stage_rules() -> None:
    """The stage rules the migrations ship: a live-server test's database is flushed after each
    test, data migrations' rows included, and the checklist is those rules."""
    from django.apps import apps

    for name in ("0002_default_stage_rules", "0006_default_attachments"):
        migration = importlib.import_module(f"projects.migrations.{name}")
        (migration.add if hasattr(migration, "add") else migration.apply)(apps, None)


def project(city, name: str = "新能源电池项目", county: int = 0, **fields) -> Project:
    owner = fields.pop("owner", city.users[Role.DISTRICT_OFFICER])
    return Project.objects.create(name=name, division=city.counties[county], owner=owner, **fields)


# The list shows exactly these project names (the rows of the answer the page is waiting for).
ROWS_ARE = """(names) => JSON.stringify([...document.querySelectorAll('table.data tbody .project-link')]
    .map((a) => a.textContent)) === JSON.stringify(names)"""


def expected_errors(p, status: int, url: str) -> list[str]:
    """The page's errors but the answers the test provoked on purpose (a 412, a refused upload):
    ``status`` from a URL matching ``url``, and the console's note of each."""
    provoked = re.compile(
        rf"^{status} https?://[^/]+{url}|^console: Failed to load resource: .* status of {status} "
    )
    return [e for e in p.errors if not provoked.search(e)]


# --- the pages' gates and configs (no browser) -----------------------------------------------------


@pytest.mark.parametrize("path", ["/staff/projects/", "/staff/reports/"])
def test_workspace_pages_are_for_project_staff(client, city, path):
    client.force_login(city.users[Role.INVESTOR])
    assert client.get(path).status_code == 403
    client.force_login(city.users[Role.PARK_MANAGER])
    assert client.get(path).status_code == 200


def test_a_project_page_outside_the_area_is_not_found(client, city):
    theirs = project(city, "邻县项目", county=1)
    client.force_login(city.users[Role.DISTRICT_LEADER])
    response = client.get(f"/staff/projects/{theirs.pk}/")
    assert response.status_code == 404
    assert "范围" in response.content.decode()
    client.force_login(city.users[Role.CITY_LEADER])
    assert client.get(f"/staff/projects/{theirs.pk}/").status_code == 200


def test_the_list_page_config_follows_the_role(client, city):
    client.force_login(city.users[Role.DISTRICT_LEADER])
    config = client.get("/staff/projects/").context["config"]
    assert {"name": "待我审核", "query": {"pending": "county"}} in config["presets"]
    assert config["createDivisions"] == [], "leaders read and review, they do not create"
    assert [f["name"] for f in config["filters"]] == [
        "q",
        "stage",
        "card",
        "pending",
        "division",
        "industry",
        "reserve",
        "status",
        "order",
    ], "no 项目负责人 filter for a role that owns no projects"
    assert [o["value"] for o in next(f for f in config["filters"] if f["name"] == "division")["options"]] == [
        city.counties[0].code
    ], "their own county only"
    assert [item["label"] for item in config["nav"]] == [
        "看板",
        "项目",
        "报表",
        "事件调度台",
        "园区数据编辑",
        "数据导出",
    ]
    client.force_login(city.users[Role.DISTRICT_OFFICER])
    config = client.get("/staff/projects/").context["config"]
    assert [d["value"] for d in config["createDivisions"]] == [city.counties[0].pk]
    assert config["leadsApi"] == "/api/pipeline/leads/"


# --- the list ------------------------------------------------------------------------------------


def test_the_list_filters_keeps_saved_views_and_puts_the_filter_in_the_address(live_server, open_page, city):
    leader = city.users[Role.DISTRICT_LEADER]
    project(city, "红牌项目", stage="negotiating", card=Card.RED)
    project(city, "待审项目", stage="first_talk", pending="county", pending_stage="negotiating")
    project(city, "普通项目", stage="signed", industry="新材料")
    project(city, "邻县项目", county=1)
    p = open_page(1400, 900)
    log_in(p, live_server.url, leader)
    page = p.page
    page.goto(f"{live_server.url}/staff/projects/")
    page.wait_for_selector("table.data tbody tr")
    assert page.locator("table.data tbody tr").count() == 3, "not the neighbouring county's"
    assert page.locator("h1").inner_text() == "项目列表"
    assert page.locator('.staff-nav a[aria-current="page"]').inner_text() == "项目"

    page.click('.chip[data-view="待我审核"] .chip-pick')
    page.wait_for_function(ROWS_ARE, arg=["待审项目"])
    assert "pending=county" in page.url

    page.click(".filters button[type=button]")  # 重置
    page.select_option("#f-card", "any")
    page.click(".filters button.primary")
    page.wait_for_function(ROWS_ARE, arg=["红牌项目"])
    assert page.locator("table.data .flag-red").inner_text() == "红牌"

    page.click(".save-view")
    page.fill("#view-name", "红牌跟踪")
    page.click(".staff-dialog[open] button.primary")
    page.wait_for_selector('.chip[data-view="红牌跟踪"].current')
    assert SavedView.objects.get(owner=leader).query == {"card": "any"}
    page.click(".save-view")  # the same name again: the API's 409 says pick another
    page.fill("#view-name", "红牌跟踪")
    page.click(".staff-dialog[open] button.primary")
    page.wait_for_selector(".staff-dialog[open] .error-note")
    assert "红牌跟踪" in page.locator(".staff-dialog[open] .error-note").inner_text()
    page.click(".staff-dialog[open] .dialog-actions button:not(.primary)")
    p.shot("workspace-list")

    page.goto(f"{live_server.url}/staff/projects/?stage=signed")  # a link reproduces the view
    page.wait_for_function(ROWS_ARE, arg=["普通项目"])
    assert page.locator("#f-stage").input_value() == "signed"
    page.click('.chip[data-view="红牌跟踪"] .chip-remove')
    page.click(".staff-dialog[open] button.danger")
    page.wait_for_selector('.chip[data-view="红牌跟踪"]', state="detached")
    assert not SavedView.objects.filter(owner=leader).exists()
    assert expected_errors(p, 409, "/api/projects/views/$") == []


def test_the_board_links_to_the_project_and_the_list(live_server, open_page, city):
    officer = city.users[Role.DISTRICT_OFFICER]
    mine = project(city, "看板项目", stage="negotiating")
    p = open_page(1600, 900)
    log_in(p, live_server.url, officer)
    page = p.page
    page.goto(f"{live_server.url}/staff/?lang=en")
    page.wait_for_selector(f'.project-card[data-project="{mine.pk}"] a')
    assert page.locator('.board-column[data-stage="negotiating"] h2 a').get_attribute("href") == (
        "/staff/projects/?stage=negotiating&lang=en"
    )
    page.click(f'.project-card[data-project="{mine.pk}"] a')
    page.wait_for_selector("#project-name")
    assert page.url.endswith(f"/staff/projects/{mine.pk}/?lang=en"), "the language travels with the link"
    assert page.evaluate("document.documentElement.lang") == "en"
    assert p.errors == []


# --- the project page ----------------------------------------------------------------------------


@pytest.fixture
def signing(city):
    """A project in 评审备案 that the officer has asked to sign, on a parcel, waiting for the county."""
    parcel = make_record("parcels", city, city.inside(0), code="P-001", supply_status=SupplyStatus.RESERVED)
    p = project(
        city,
        stage="review",
        park=city.park,  # the park manager reads it
        industry="新能源",
        investment_wan=50000,
        pending="county",
        pending_stage="signed",
        submitted_by=city.users[Role.DISTRICT_OFFICER],
    )
    p.parcels.add(parcel)
    make_record("project_sites", city, city.inside(0, 0.012, 0.012), project_code=p.code, project_name=p.name)
    return p


def _actions(page) -> list[str]:
    return page.locator(".action-bar [data-action]").evaluate_all("els => els.map((e) => e.dataset.action)")


def test_the_project_page_shows_exactly_the_actions_the_api_gives(live_server, open_page, city, api, signing):
    for role, blank in [
        (Role.DISTRICT_OFFICER, True),
        (Role.DISTRICT_LEADER, False),
        (Role.PARK_MANAGER, True),
    ]:
        user = city.users[role]
        expected = api.as_user(user).get(f"/api/projects/{signing.pk}/").json()["actions"]
        p = open_page(1400, 1000)
        log_in(p, live_server.url, user)
        page = p.page
        page.goto(f"{live_server.url}/staff/projects/{signing.pk}/")
        page.wait_for_selector(".action-bar")
        assert _actions(page) == expected, role
        assert (expected == []) == blank, role
        if not blank:
            assert _actions(page) == ["approve", "send_back"]
        assert "等待「区县领导审核」" in page.inner_text("#waiting")
        page.wait_for_selector('.map-box[data-ready="true"]', timeout=20000)
        assert page.locator(".carrier-list li").count() == 2  # its site and its parcel
        assert "预留" in page.inner_text('.carrier-list [data-carrier^="parcels."]')
        p.shot(f"workspace-project-{role}")
        assert p.errors == [], role


def test_returning_a_signing_needs_a_reason_and_shows_it_in_the_timeline(
    live_server, open_page, city, signing
):
    leader = city.users[Role.DISTRICT_LEADER]
    p = open_page(1400, 1000)
    log_in(p, live_server.url, leader)
    page = p.page
    page.goto(f"{live_server.url}/staff/projects/{signing.pk}/")
    page.click('[data-action="send_back"]')
    page.click('[data-confirm="send_back"]')  # no reason: the API's 400 names the field
    page.wait_for_selector('.staff-dialog[open] [data-field="reason"] .error')
    page.fill("#act-send_back-reason", "投资协议缺少违约条款")
    page.click('[data-confirm="send_back"]')
    page.wait_for_selector(".staff-dialog[open]", state="detached")
    page.wait_for_selector(".toast")
    page.wait_for_selector("#returned")
    assert _actions(page) == [], "the leader has nothing left to do"
    assert "投资协议缺少违约条款" in page.inner_text("#returned")
    assert "投资协议缺少违约条款" in page.inner_text("#timeline .event-return")
    signing.refresh_from_db()
    assert signing.pending == "" and signing.returned_reason == "投资协议缺少违约条款"
    assert expected_errors(p, 400, r"/api/projects/\d+/actions/send_back/$") == []


def test_a_double_click_sends_an_action_once(live_server, open_page, city, signing):
    leader = city.users[Role.DISTRICT_LEADER]
    p = open_page(1400, 1000)
    log_in(p, live_server.url, leader)
    page = p.page
    page.goto(f"{live_server.url}/staff/projects/{signing.pk}/")
    page.click('[data-action="approve"]')
    page.locator('[data-confirm="approve"]').dblclick()
    page.wait_for_selector(".staff-dialog[open]", state="detached")
    page.wait_for_selector(".action-bar .muted")
    assert signing.events.filter(kind="approve").count() == 1
    signing.refresh_from_db()
    assert signing.pending == "city", "one approval: on to the city, not past it"
    assert p.errors == []


def test_a_stale_edit_says_reload_and_keeps_what_was_typed(live_server, open_page, city):
    mine = project(city, stage="first_talk")
    officer = city.users[Role.DISTRICT_OFFICER]
    p = open_page(1400, 1000)
    log_in(p, live_server.url, officer)
    page = p.page
    page.goto(f"{live_server.url}/staff/projects/{mine.pk}/")
    page.wait_for_selector("#edit-investment_wan")
    assert page.locator('#checklist [data-check="investment_wan"].todo').count() == 1
    page.fill("#edit-investment_wan", "80000")
    # Someone else saves first.
    Project.objects.filter(pk=mine.pk).update(industry="新材料", version=mine.version + 1)
    page.click('[data-save="details"]')
    page.wait_for_selector("#details .error-note")
    assert "reload" in page.inner_text("#details .error-note").lower() or "重新" in page.inner_text(
        "#details .error-note"
    )
    page.click("#details .error-note button")
    page.wait_for_function("() => document.querySelector('#edit-industry').value === '新材料'")
    assert page.locator("#edit-investment_wan").input_value() == "80000", "the edit is still there"
    page.click('[data-save="details"]')
    page.wait_for_selector('#checklist [data-check="investment_wan"].done')
    mine.refresh_from_db()
    assert (mine.industry, mine.investment_wan, mine.version) == ("新材料", 80000, 3)
    assert expected_errors(p, 412, r"/api/projects/\d+/$") == []


def test_checklist_uploads_a_version_ignores_a_replay_and_refuses_a_wrong_type(live_server, open_page, city):
    mine = project(city)  # 线索 → 首谈 asks for the 项目首接信息表
    officer = city.users[Role.DISTRICT_OFFICER]
    p = open_page(1400, 1000)
    log_in(p, live_server.url, officer)
    page = p.page
    page.goto(f"{live_server.url}/staff/projects/{mine.pk}/")
    row = '#checklist [data-check="attachments.first_talk_form"]'
    page.wait_for_selector(f"{row}.todo")
    page.click('[data-action="submit"]')
    assert "项目首接信息表" in page.inner_text(".staff-dialog[open] .notice"), (
        "the dialog says what is missing"
    )
    page.click(".staff-dialog[open] .dialog-actions button:not(.primary)")

    page.set_input_files(
        f"{row} input[type=file]",
        files=[{"name": "首接表.txt", "mimeType": "text/plain", "buffer": b"hello"}],
    )
    page.wait_for_selector(f"{row} .error-note")
    assert "PDF" in page.inner_text(f"{row} .error-note")
    upload = {"name": "首接表.pdf", "mimeType": "application/pdf", "buffer": PDF}
    page.set_input_files(f"{row} input[type=file]", files=[upload])
    page.wait_for_selector(f"{row}.done")
    assert "v1" in page.inner_text(row)
    page.set_input_files(f"{row} input[type=file]", files=[upload])  # the same bytes again
    page.wait_for_function("() => (document.querySelector('.toast') || {}).textContent?.includes('相同')")
    assert mine.attachments.count() == 1
    assert page.locator("#attachments tbody tr").count() == 1
    page.click('[data-action="submit"]')
    page.click('[data-confirm="submit"]')
    page.wait_for_selector('.stage-steps li.current:text("首谈")')
    p.shot("workspace-project-uploaded")
    assert expected_errors(p, 400, r"/api/projects/\d+/attachments/$") == []


def test_the_project_page_on_a_phone_keeps_the_actions_at_hand(live_server, open_page, city, signing):
    leader = city.users[Role.DISTRICT_LEADER]
    for lang in ("zh", "en"):
        p = open_page(390, 844, is_mobile=True, has_touch=True, device_scale_factor=2)
        log_in(p, live_server.url, leader)
        page = p.page
        page.goto(f"{live_server.url}/staff/projects/{signing.pk}/?lang={lang}")
        page.wait_for_selector('[data-action="approve"]')
        page.wait_for_selector('.map-box[data-ready="true"]', timeout=20000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        bar = page.locator(".action-bar").bounding_box()
        assert bar["y"] + bar["height"] <= 844 and bar["y"] > 844 - 120, "pinned to the bottom of the screen"
        for action in ("approve", "send_back"):
            box = page.locator(f'[data-action="{action}"]').bounding_box()
            assert box["height"] >= 40 and box["width"] >= 120, action  # a thumb's target
        assert not_blank(p.shot(f"workspace-project-phone-{lang}"))
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        p.shot(f"workspace-project-phone-{lang}-end")
        page.tap('[data-action="approve"]')
        page.wait_for_selector('.staff-dialog[open] [data-confirm="approve"]')
        p.shot(f"workspace-project-phone-{lang}-dialog")
        page.keyboard.press("Escape")
        page.wait_for_selector(".staff-dialog[open]", state="detached")
        assert p.errors == []


def test_the_list_and_board_fit_a_phone(live_server, open_page, city):
    project(city, "红牌项目", stage="negotiating", card=Card.RED, industry="新能源", investment_wan=12000)
    project(city, "另一个项目", stage="signed")
    p = open_page(390, 844, is_mobile=True, has_touch=True)
    log_in(p, live_server.url, city.users[Role.DISTRICT_LEADER])
    page = p.page
    page.goto(f"{live_server.url}/staff/projects/")
    page.wait_for_selector("table.data tbody tr")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Rows are cards: the cells stack, each with its column's label.
    cells = page.locator("table.data tbody tr").first.locator("td")
    assert cells.nth(0).bounding_box()["y"] < cells.nth(1).bounding_box()["y"]
    assert not_blank(p.shot("workspace-list-phone"))
    page.goto(f"{live_server.url}/staff/")
    page.wait_for_selector(".project-card")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    p.shot("workspace-board-phone")
    assert p.errors == []


def take(page, name: str, fill: dict[str, str] | None = None, select: dict[str, str] | None = None) -> None:
    """Takes an action from the action bar through its dialog and waits for the timeline to grow."""
    before = page.locator("#timeline .event").count()
    page.click(f'.action-bar [data-action="{name}"]')
    for field, value in (select or {}).items():
        page.select_option(f"#act-{name}-{field}", value)
    for field, value in (fill or {}).items():
        page.fill(f"#act-{name}-{field}", value)
    page.click(f'[data-confirm="{name}"]')
    page.wait_for_selector(".staff-dialog[open]", state="detached")
    page.wait_for_function(f"() => document.querySelectorAll('#timeline .event').length > {before}")


def test_the_reserve_pool_a_transfer_and_a_supplementary_signing(live_server, open_page, city):
    officer, city_officer = city.users[Role.DISTRICT_OFFICER], city.users[Role.CITY_OFFICER]
    talks = project(city, "在谈项目", stage="negotiating")
    p = open_page(1400, 1000)
    log_in(p, live_server.url, officer)
    page = p.page
    page.goto(f"{live_server.url}/staff/projects/{talks.pk}/")
    page.wait_for_selector('[data-action="to_reserve"]')
    take(page, "to_reserve", {"comment": "企业暂缓投资计划"})
    assert page.locator(".title-row .flag-reserve").count() == 1
    assert "from_reserve" in _actions(page) and "submit" not in _actions(page)
    take(page, "from_reserve")
    assert page.locator(".title-row .flag-reserve").count() == 0
    options = page.locator('.action-bar [data-action="transfer"]')
    options.click()
    choices = page.locator("#act-transfer-to option").evaluate_all("els => els.map((e) => e.textContent)")
    assert choices == ["测试区1"], "another county, never its own"
    page.click(".staff-dialog[open] .dialog-actions button:not(.primary)")
    take(page, "transfer", {"comment": "本县用地指标不足"}, {"to": str(city.counties[1].pk)})
    assert "流转" in page.inner_text("#waiting")
    assert "本县用地指标不足" in page.inner_text("#timeline .event-submit")

    signed = project(city, "已签约项目", stage="signed", investment_wan=1000, signing_date="2026-10-01")
    page.goto(f"{live_server.url}/staff/projects/{signed.pk}/")
    page.click('[data-action="supplement"]')
    page.set_input_files(
        '.staff-dialog[open] input[name="supplementary_contract"]',
        files=[{"name": "补充协议.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.wait_for_selector("#attachments tbody tr[data-row]")
    page.fill("#act-supplement-content", "追加二期厂房")
    page.fill("#act-supplement-signed_on", "2026-11-30")
    page.fill("#act-supplement-added_investment_wan", "500")
    page.click('[data-confirm="supplement"]')
    page.wait_for_selector("#waiting")
    assert "补充签约" in page.inner_text("#waiting")

    reviewer = open_page(1400, 1000)
    log_in(reviewer, live_server.url, city_officer)
    for pk, waiting in [(talks.pk, "接收区县确认"), (signed.pk, None)]:
        reviewer.page.goto(f"{live_server.url}/staff/projects/{pk}/")
        reviewer.page.wait_for_selector('[data-action="approve"]')
        take(reviewer.page, "approve")
        if waiting:
            assert waiting in reviewer.page.inner_text("#waiting")
    signed.refresh_from_db()
    assert signed.investment_wan == 1500, "the approved supplement adds its investment"
    assert p.errors == [] and reviewer.errors == []


# --- the reports ---------------------------------------------------------------------------------


@pytest.fixture
def introduced(city):
    """Three projects of county 0 signed this year (two in November 2026), one negotiating, and the
    county's target: 2 of 4 introduced."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from projects.models import CountyTarget, EventKind, ProjectEvent

    def entered(p: Project, stage: str, day: tuple[int, int, int]) -> None:
        at = datetime(*day, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
        ProjectEvent.objects.create(
            project=p, kind=EventKind.ADVANCE, from_stage="review", to_stage=stage, at=at
        )

    for name, day, industry, wan in [
        ("甲项目", (2026, 11, 5), "新材料", 120000),
        ("乙项目", (2026, 11, 20), "食品", 30000),
        ("丙项目", (2026, 10, 8), "新材料", 50000),
    ]:
        p = project(
            city, name, stage="signed", industry=industry, investment_wan=wan, signing_date=date(*day)
        )
        entered(p, "signed", day)
    project(city, "在谈项目", stage="negotiating")
    CountyTarget.objects.create(division=city.counties[0], year=2026, new_projects=4, investment_wan=400000)


def test_the_reports_page_draws_the_kpis_and_exports_a_report(live_server, open_page, city, introduced):
    leader = city.users[Role.DISTRICT_LEADER]
    p = open_page(1400, 1200)
    log_in(p, live_server.url, leader)
    page = p.page
    page.goto(f"{live_server.url}/staff/reports/?year=2026&month=11")
    page.wait_for_selector('.kpi-tile[data-kpi="introduced"]')
    assert page.inner_text('.kpi-tile[data-kpi="introduced"] .kpi-value') == "3"
    assert page.inner_text('.kpi-tile[data-kpi="completion"] .kpi-value') == "75.0%"
    for chart in ("stages", "county", "industry", "periods"):
        page.wait_for_selector(f'[data-chart="{chart}"] .chart-box[data-ready="true"] canvas', timeout=20000)
    assert "环比 +100.0%" in page.inner_text('[data-chart="periods"]'), "2 in November, 1 in October"
    assert not_blank(p.shot("workspace-reports-kpis"))
    page.wait_for_selector('[data-report="new_projects"][aria-selected="true"]')
    page.wait_for_selector("table.data tbody tr")
    assert page.locator("table.data tbody tr").count() == 3
    page.fill("#f-from", "2026-11-01")
    page.locator(".reports .filters button.primary").click()
    page.wait_for_function("() => (document.querySelector('#report-count') || {}).textContent === '共 2 行'")
    assert "from=2026-11-01" in page.url, "the period is in the address"
    assert not_blank(p.shot("workspace-reports"))
    with page.expect_download() as download:
        page.click('[data-export="xlsx"]')
    assert download.value.suggested_filename.startswith("new_projects-")
    assert download.value.suggested_filename.endswith(".xlsx")
    page.click('[data-report="negotiating"]')
    page.wait_for_selector('[data-report="negotiating"][aria-selected="true"]')
    page.wait_for_selector("#report-count")
    assert p.errors == []


def test_the_reports_fit_a_phone(live_server, open_page, city, introduced):
    p = open_page(390, 844, is_mobile=True, has_touch=True)
    log_in(p, live_server.url, city.users[Role.CITY_LEADER])
    page = p.page
    page.goto(f"{live_server.url}/staff/reports/?year=2026&month=11&lang=en")
    page.wait_for_selector('[data-chart="county"] .chart-box[data-ready="true"] canvas', timeout=20000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not_blank(p.shot("workspace-reports-phone-en"))
    assert p.errors == []


@pytest.mark.worker
def test_a_large_export_follows_its_job_to_the_download(
    live_server, open_page, city, introduced, celery_worker, settings
):
    settings.PROJECT_REPORT_INLINE_ROWS = 1  # three rows: a job in the worker, not the request
    p = open_page(1400, 1000)
    log_in(p, live_server.url, city.users[Role.DISTRICT_OFFICER])
    page = p.page
    page.goto(f"{live_server.url}/staff/reports/?year=2026&month=11")
    page.wait_for_selector("table.data tbody tr")
    with page.expect_download(timeout=60000) as download:
        page.click('[data-export="xlsx"]')
    assert download.value.suggested_filename.startswith("new_projects-")
    page.wait_for_selector(".export .muted")  # 已生成
    assert p.errors == []
