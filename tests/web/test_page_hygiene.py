"""Page hygiene in a real browser (Debian's Chromium): no Content-Security-Policy violation on the
map, the wall, the admin and the API docs, and the 看数水印 on every internal page — with the
viewer's name, and back again after a script removes it. Screenshots go to test-artifacts/web/."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from django.test import Client

from accounts import tokens
from accounts.models import TokenKind, User
from accounts.roles import Role
from tests.builders import build_city, make_record

from .conftest import not_blank

pytestmark = [pytest.mark.django_db(transaction=True)]

# Every violation, whether the console reports it or not (a report-only one, a blocked style).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""
WATERMARK_LAYERS = "[...document.querySelectorAll('[data-watermark]')]"


@pytest.fixture
def city():
    city = build_city()
    make_record("parcels", city, city.inside(0, 0.03, 0.03), is_public=True, name="水印地块")
    make_record("field_points", city, city.inside(0, 0.02, 0.03), note="旧事件")
    return city


@pytest.fixture
def checked_page(open_page):
    """A page that records CSP violations from the first script on, in both of the ways they show."""

    def make(width: int = 1280, height: int = 800):
        p = open_page(width, height)
        p.page.add_init_script(RECORD_VIOLATIONS)
        p.console_csp = []
        p.page.on(
            "console",
            lambda msg: p.console_csp.append(msg.text) if "Content Security Policy" in msg.text else None,
        )
        return p

    return make


def _log_in(p, base: str, user: User) -> None:
    client = Client()
    client.force_login(user)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}
    p.page.context.add_cookies([cookie])


def _violations(p) -> list[str]:
    return p.page.evaluate("window.__csp") + p.console_csp


def _watermark_texts(page) -> list[str]:
    return page.evaluate(f"{WATERMARK_LAYERS}.map((el) => el.dataset.watermark)")


def _assert_watermark_survives(page, name: str) -> None:
    """Named on every layer; removing the overlays, hiding them or clearing the body's background
    each comes back (the MutationObserver), and the page's background carries it meanwhile."""
    texts = _watermark_texts(page)
    assert texts and all(name in t for t in texts), texts
    assert name in unquote(page.evaluate("getComputedStyle(document.body).backgroundImage"))
    before = len(texts)
    page.evaluate(f"{WATERMARK_LAYERS}.forEach((el) => el.remove())")
    page.wait_for_function(f"() => {WATERMARK_LAYERS}.filter((el) => el.isConnected).length === {before}")
    page.evaluate(f"{WATERMARK_LAYERS}.forEach((el) => {{ el.style.display = 'none'; el.hidden = true; }})")
    page.wait_for_function(
        f"() => {WATERMARK_LAYERS}.every((el) => getComputedStyle(el).display === 'block' && !el.hidden)"
    )
    page.evaluate("document.body.style.backgroundImage = 'none'")
    page.wait_for_function("() => getComputedStyle(document.body).backgroundImage.includes('data:image/svg')")
    overlay = page.evaluate(
        f"""(() => {{ const el = {WATERMARK_LAYERS}.find((e) => getComputedStyle(e).position === 'fixed');
            const s = getComputedStyle(el); return [s.pointerEvents, s.backgroundImage]; }})()"""
    )
    assert overlay[0] == "none" and name in unquote(overlay[1])


def test_public_map_has_no_csp_violation_and_no_watermark(live_server, checked_page, city):
    p = checked_page()
    p.page.goto(f"{live_server.url}/?map=12.5/22.93/112.03")
    p.page.wait_for_function("() => window.__geoportal && window.__geoportal.firstDataRender", timeout=20000)
    p.page.click('[data-panel="layers"]')  # the swatches and legend, coloured through the CSSOM
    p.page.wait_for_selector("#legend [data-swatch]")
    assert p.page.evaluate("document.querySelector('#legend [data-swatch]').style.background") != ""
    assert _watermark_texts(p.page) == []  # the public sees no watermark: nobody is named
    assert _violations(p) == []
    assert p.errors == []


def test_map_for_signed_in_staff_carries_the_watermark(live_server, checked_page, city):
    officer = city.users[Role.CITY_OFFICER]
    p = checked_page()
    _log_in(p, live_server.url, officer)
    p.page.goto(f"{live_server.url}/?map=12.5/22.93/112.03")
    p.page.wait_for_function("() => window.__geoportal && window.__geoportal.firstDataRender", timeout=20000)
    _assert_watermark_survives(p.page, officer.get_username())
    assert not_blank(p.shot("hygiene-map-staff"))
    assert _violations(p) == []
    assert p.errors == []


def test_wall_has_no_csp_violation_and_a_watermark_that_comes_back(live_server, checked_page, city):
    display = city.users[Role.DISPLAY]
    _, token = tokens.issue(display, TokenKind.DISPLAY, name="wall")
    p = checked_page(1920, 1080)
    page = p.page
    page.goto(f"{live_server.url}/wall/?token={token}")
    page.wait_for_function("() => window.__geoportal && window.__geoportal.firstDataRender", timeout=20000)
    page.wait_for_function(
        "() => window.__geoportal.charts && document.querySelectorAll('#kpis .kpi').length === 4"
    )
    # One layer over the page, one inside the map's canvas container.
    assert page.evaluate(
        f"{WATERMARK_LAYERS}.some((el) => el.parentElement.classList.contains('maplibregl-canvas-container'))"
    )
    assert not_blank(p.shot("hygiene-wall"))
    _assert_watermark_survives(page, display.get_username())
    p.shot("hygiene-wall-after-removal")
    assert _violations(p) == []
    assert p.errors == []


def test_wall_refusal_page_has_no_csp_violation(live_server, checked_page, city):
    p = checked_page()
    p.page.goto(f"{live_server.url}/wall/")
    assert p.page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(7, 20, 38)"
    assert _violations(p) == []


def test_admin_has_no_csp_violation_and_carries_the_watermark(live_server, checked_page, city):
    root = User.objects.create_superuser("root9", password="x-Strong-pass-9", first_name="管理员")
    parcel = make_record("parcels", city, city.inside(0, 0.05, 0.05), name="后台地块")
    p = checked_page()
    _log_in(p, live_server.url, root)
    page = p.page
    page.goto(f"{live_server.url}/admin/")
    _assert_watermark_survives(page, "root9")
    assert "管理员" in _watermark_texts(page)[0]
    assert not_blank(p.shot("hygiene-admin-index"))
    # The change form's map widget starts from data attributes (frontend/src/admin/main.js).
    page.goto(f"{live_server.url}/admin/layers/landparcel/{parcel.pk}/change/")
    page.wait_for_selector(".dj_map .ol-viewport canvas")
    p.shot("hygiene-admin-parcel")
    page.goto(f"{live_server.url}/admin/layers/landparcel/{parcel.pk}/history/")
    page.wait_for_selector("#change-history")
    assert _violations(p) == []
    assert p.errors == []


def test_api_docs_have_no_csp_violation(live_server, checked_page, city):
    p = checked_page()
    p.page.goto(f"{live_server.url}/api/docs/")
    p.page.wait_for_selector(".swagger-ui .opblock", timeout=20000)
    p.shot("hygiene-api-docs")
    assert _violations(p) == []
    assert p.errors == []


def test_audit_page_lists_filters_and_carries_the_watermark(live_server, checked_page, city):
    from audit.models import AuditAction, Outcome
    from audit.writer import record

    auditor = city.users[Role.AUDITOR]
    record(AuditAction.LOGIN_FAILED, outcome=Outcome.FAILURE, detail={"username": "guess"})
    record(
        AuditAction.CREATE, object_type="layers.landparcel", object_id=7, user=city.users[Role.CITY_OFFICER]
    )
    p = checked_page(1400, 800)
    _log_in(p, live_server.url, auditor)
    page = p.page
    page.goto(f"{live_server.url}/audit/")
    page.wait_for_selector("table.data tbody tr")
    assert page.locator("table.data tbody tr").count() == 3  # and the auditor's own login
    assert page.locator("h1").inner_text() == "审计日志"
    page.select_option("#f-action", "create")
    page.click("button.primary")
    page.wait_for_function("() => document.querySelectorAll('table.data tbody tr').length === 1")
    assert "action=create" in page.url  # the filter is in the address, so a link reproduces it
    assert "layers.landparcel" in page.locator("table.data tbody").inner_text()
    assert "action=create" in page.locator("a.button").first.get_attribute("href")
    _assert_watermark_survives(page, auditor.get_username())
    assert not_blank(p.shot("audit-page"))
    assert _violations(p) == []
    assert p.errors == []


def test_workspace_board_shows_stages_counts_and_cards(live_server, checked_page, city):
    from projects.models import Card, Project

    officer = city.users[Role.DISTRICT_OFFICER]
    Project.objects.create(
        name="红牌项目", division=city.counties[0], owner=officer, stage="negotiating", card=Card.RED
    )
    Project.objects.create(name="正常项目", division=city.counties[0], owner=officer, stage="negotiating")
    Project.objects.create(name="邻县项目", division=city.counties[1], owner=officer, stage="signed")
    p = checked_page(1600, 900)
    _log_in(p, live_server.url, officer)
    page = p.page
    page.goto(f"{live_server.url}/staff/")
    page.wait_for_selector('.board-column[data-stage="negotiating"] .project-card')
    column = page.locator('.board-column[data-stage="negotiating"]')
    assert column.locator(".project-card").count() == 2
    assert "共 2 个" in column.locator("h2").inner_text()
    assert column.locator(".card-red .flag-red").inner_text() == "红牌"
    assert page.locator('.board-column[data-stage="signed"] .project-card').count() == 0, "not their county"
    _assert_watermark_survives(page, officer.get_username())
    assert not_blank(p.shot("workspace-board"))
    assert _violations(p) == []
    assert p.errors == []


@pytest.mark.parametrize("path", ["/audit/", "/staff/", "/login/"])
def test_staff_pages_in_english_on_a_phone(live_server, checked_page, city, path):
    """Leaders approve on the move (001 L541–L578): the staff pages fit a phone, in English too."""
    user = city.users[Role.ADMIN]
    p = checked_page(390, 844)
    if path != "/login/":
        _log_in(p, live_server.url, user)
    page = p.page
    page.goto(f"{live_server.url}{path}?lang=en")
    page.wait_for_selector("h1")
    title = page.locator("h1").inner_text()
    assert title in {"Audit log", "Investment workspace", "Yunfu investment and grid governance platform"}, (
        title
    )
    # Nothing wider than the screen but the board, which scrolls within itself.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not_blank(p.shot(f"phone-en{path.strip('/').replace('/', '-')}"))
    assert _violations(p) == []
    assert p.errors == []
