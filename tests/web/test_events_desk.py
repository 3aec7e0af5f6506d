"""The dispatcher's desk (事件调度台, /staff/events/) in Debian's Chromium against a live server: a
grid worker's field point becomes an event; the town's grid staff accept it and dispatch it to a
department on the event page; its handling deadline passes (the sweep run for a later day, as in
tests/grid/test_deadlines.py) and it escalates — on the overdue board and, escalated again by
hand with a reason, in the timeline; the department's member starts it (a 409 from a step taken
meanwhile reads as what to do) and reports back, the grid worker verifies it, the staff close it;
and each step's message is in the inbox of the people concerned. Also: the page in English, and a
role without access refused. Screenshots: test-artifacts/web/desk-*.png."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import Role
from grid.deadlines import division_at, sweep
from grid.models import Department, EventCategory, GridEvent
from layers.models import Division
from tests.builders import build_city, make_record
from workdays.calendar import add_workdays

from .conftest import log_in, not_blank
from .test_workspace import expected_errors

pytestmark = [pytest.mark.django_db(transaction=True)]
HANDLE_DAYS, ESCALATE_AFTER = 2, 2
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def city():
    return build_city()


@pytest.fixture
def category():
    return EventCategory.objects.create(
        key="streetlight",
        name_zh="路灯损坏",
        name_en="Broken street light",
        deadlines={"accept": 1, "dispatch": 1, "handle": HANDLE_DAYS, "verify": 1},
        escalate_after_days=ESCALATE_AFTER,
    )


@pytest.fixture
def people(city):
    """The department the event goes to (its member handles it) and the control centres of the
    town and the county above it, each with one member."""
    handler = User.objects.create_user(
        username="u-handler",
        password="x",
        role=Role.GRID_WORKER,
        grid_cell=city.cells[1],
        first_name="李队长",
    )
    department = Department.objects.create(name="镇城管中队", division=city.towns[0])
    department.members.add(handler)
    centres = {}
    for level, role in (("town", Role.DISTRICT_LEADER), ("county", Role.CITY_LEADER)):
        code = division_at(city.villages[0].code, level)
        centre = Department.objects.create(
            name=f"{level}控制中心", division=Division.objects.get(code=code), is_control_centre=True
        )
        centre.members.add(city.users[role])
        centres[level] = city.users[role]
    return {"handler": handler, "department": department, **centres}


def open_as(open_page, base: str, user: User):
    p = open_page(1400, 1000)
    log_in(p, base, user)
    return p


def open_event(page, base: str, pk: int) -> None:
    page.goto(f"{base}/staff/events/{pk}/")
    page.wait_for_selector(".action-bar")


def state_label(page) -> str:
    return page.inner_text(".event-summary .flag.state")


def steps(page) -> list[str]:
    return page.locator(".action-bar [data-step]").evaluate_all("els => els.map((e) => e.dataset.step)")


def take(page, step: str, fill: dict[str, str] | None = None, select: dict[str, str] | None = None) -> None:
    """Takes a step from the action bar through its dialog and waits for the timeline to grow."""
    before = page.locator("#timeline .event").count()
    page.click(f'.action-bar [data-step="{step}"]')
    for field, value in (select or {}).items():
        page.select_option(f"#step-{step}-{field}", value)
    for field, value in (fill or {}).items():
        page.fill(f"#step-{step}-{field}", value)
    page.click(f'[data-confirm="{step}"]')
    page.wait_for_selector(".staff-dialog[open]", state="detached")
    page.wait_for_function(f"() => document.querySelectorAll('#timeline .event').length > {before}")


def inbox(user: User) -> list[str]:
    client = APIClient()
    client.force_authenticate(user)
    answer = client.get("/api/inbox/", {"page_size": 100})
    assert answer.status_code == 200, answer.content
    return [m["title"] for m in answer.json()["results"]]


def test_an_event_from_field_point_to_close_on_the_desk(live_server, open_page, city, category, people):
    base = live_server.url
    worker, staff = city.users[Role.GRID_WORKER], city.users[Role.GRID_STAFF]
    handler, department = people["handler"], people["department"]

    # (1) The grid worker's field point becomes an event (上报为事件).
    point = make_record("field_points", city, city.inside(0), note="路灯倒伏", reporter=worker)
    client = APIClient()
    client.force_authenticate(worker)
    answer = client.post("/api/events/", {"field_point": point.pk, "category": category.key}, format="json")
    assert answer.status_code == 201, answer.content
    event = GridEvent.objects.get(pk=answer.json()["id"])
    assert event.source == "field_point" and event.title == "路灯倒伏"

    # (2) The town's grid staff find it on the desk (map and list), accept it and dispatch it.
    desk = open_as(open_page, base, staff)
    page = desk.page
    page.goto(f"{base}/staff/events/")
    page.wait_for_selector(f'table.data tr[data-row="{event.pk}"]')
    assert page.locator("h1").inner_text() == "事件调度台"
    assert page.locator('.staff-nav a[aria-current="page"]').count() in (0, 1)
    assert "已上报" in page.inner_text(f'table.data tr[data-row="{event.pk}"] .col-state')
    page.click('.chip[data-view="待受理"] .chip-pick')
    page.wait_for_function("() => location.search.includes('state=reported')")
    page.wait_for_selector('#events-map .map-box[data-ready="true"]', timeout=20000)
    assert page.get_attribute("#events-map .map-box", "data-count") == "1"
    assert not_blank(desk.shot("desk-events"))
    page.click(f'table.data tr[data-row="{event.pk}"] a.event-link')
    page.wait_for_selector("#event-title")
    assert page.inner_text("#event-title") == "路灯倒伏" and state_label(page) == "已上报"
    assert steps(page) == ["accept", "reject", "chase", "escalate"]
    take(page, "accept", {"comment": "属实，受理"})
    assert state_label(page) == "已受理"
    page.click('.action-bar [data-step="dispatch"]')
    page.click('[data-confirm="dispatch"]')  # neither a department nor a person: say so
    page.wait_for_selector('.staff-dialog[open] [data-field="department"] .error')
    page.select_option("#step-dispatch-department", str(department.pk))
    page.fill("#step-dispatch-comment", "请两天内修复")
    desk.shot("desk-dispatch")
    page.click('[data-confirm="dispatch"]')
    page.wait_for_selector(".staff-dialog[open]", state="detached")
    page.wait_for_function(
        "() => document.querySelector('.event-summary .flag.state').textContent === '已派遣'"
    )
    assert "镇城管中队" in page.inner_text('#timeline .event[data-step="dispatch"]')
    assert "镇城管中队" in page.inner_text('.facts [data-fact="department"]')

    # (3) The handling deadline passes: the sweep, run for the day two working days past it.
    today = timezone.localdate()
    due = add_workdays(today, HANDLE_DAYS)
    late_day = add_workdays(due, ESCALATE_AFTER)
    assert sweep(late_day)["escalated"] == 1
    event.refresh_from_db()
    assert (event.card, event.escalation, event.due_on) == ("overdue", 1, due)

    # (4) It escalates: on the overdue board, and (by hand, with the reason) in the timeline.
    page.goto(f"{base}/staff/events/?tab=board")
    card = page.locator(f'.board-column[data-group="1"] .event-card[data-event="{event.pk}"]')
    card.wait_for()
    assert "镇级办理" in page.inner_text('.board-column[data-group="1"] h2')
    assert "已逾期" in card.inner_text() and "已升级 1 次" in card.inner_text()
    page.select_option("#board-group", "division")
    page.wait_for_selector(f'.board-column[data-group="{city.towns[0].code}"] [data-event="{event.pk}"]')
    assert city.towns[0].name in page.inner_text(f'.board-column[data-group="{city.towns[0].code}"] h2')
    assert not_blank(desk.shot("desk-overdue-board"))
    card = page.locator(f'.event-card[data-event="{event.pk}"] a')
    card.click()
    page.wait_for_selector("#deadline")
    assert "已逾期" in page.inner_text("#deadline") and "镇级办理" in page.inner_text("#escalation")
    take(page, "escalate", {"comment": "涉及供电线路，需县里协调"})
    assert "县级办理" in page.inner_text("#escalation")
    assert "涉及供电线路" in page.inner_text('#timeline .event[data-step="escalate"]')

    # (5) The department's member handles it; a step taken meanwhile elsewhere is a 409 that says so.
    member = open_as(open_page, base, handler)
    hpage = member.page
    open_event(hpage, base, event.pk)
    assert steps(hpage) == ["start"]
    phone = APIClient()  # the phone app starts it first

    phone.force_authenticate(handler)
    assert phone.post(f"/api/events/{event.pk}/actions/start/", {}, format="json").status_code == 200
    hpage.click('.action-bar [data-step="start"]')
    hpage.click('[data-confirm="start"]')
    hpage.wait_for_selector(".error-note")
    assert "页面已刷新" in hpage.inner_text(".error-note")
    hpage.wait_for_selector('.action-bar [data-step="feedback"]')
    assert state_label(hpage) == "处置中"
    take(hpage, "feedback", {"feedback": "已更换灯杆和灯具，恢复照明"})
    assert state_label(hpage) == "已反馈"
    assert "恢复照明" in hpage.inner_text("#feedback")
    assert not_blank(member.shot("desk-feedback"))
    assert expected_errors(member, 409, r"/api/events/\d+/actions/start/$") == []

    # The grid worker verifies on site; the staff close it.
    checker = open_as(open_page, base, worker)
    open_event(checker.page, base, event.pk)
    take(checker.page, "verify", {"comment": "现场已亮灯"})
    assert state_label(checker.page) == "已核查"
    open_event(page, base, event.pk)
    take(page, "close", {"comment": "办结"})
    assert state_label(page) == "已结案"
    timeline = page.locator("#timeline .event").evaluate_all("els => els.map((e) => e.dataset.step)")
    assert timeline == [
        "close",
        "verify",
        "feedback",
        "start",
        "escalate",  # by hand, with its reason
        "escalate",  # by the sweep, two working days late
        "dispatch",
        "accept",
        "report",
    ], "newest first"
    heads = page.locator("#timeline .event-head strong").all_inner_texts()
    assert heads[-1] == "上报" and heads[0] == "结案" and heads[4] == "升级"
    assert not_blank(desk.shot("desk-event-closed"))
    point.refresh_from_db()
    assert point.status == "closed", "the field point follows its event"

    # (6) Each step's message, in the inbox of whom it concerns.
    assert "新派事件：路灯倒伏" in inbox(handler)
    assert "逾期升级：路灯倒伏" in inbox(people["town"])
    assert {"已逾期：路灯倒伏", "升级办理：路灯倒伏"} <= set(inbox(people["county"]))
    assert "已结案：路灯倒伏" in inbox(worker)
    for p in (desk, checker):
        assert p.errors == []


def test_the_desk_in_english_and_for_whom(live_server, open_page, city, category, people, client):
    officer = city.users[Role.DISTRICT_OFFICER]
    event = GridEvent(
        category=category, title="路灯倒伏", geom=city.inside(0), reporter=city.users[Role.GRID_WORKER]
    )
    event.locate()
    event.save()
    p = open_as(open_page, live_server.url, officer)
    page = p.page
    for name, path, ready in [
        ("list", "/staff/events/", "table.data tbody tr"),
        ("event", f"/staff/events/{event.pk}/", "#timeline"),
    ]:
        page.goto(f"{live_server.url}{path}?lang=en")
        page.wait_for_selector(ready)
        assert page.evaluate("document.documentElement.lang") == "en"
        chrome = page.evaluate(
            """() => { const copy = document.querySelector('#app').cloneNode(true);
              copy.querySelectorAll('.event-title, #event-title, .col-code, .col-division_code,'
                + ' .col-department, [data-fact="division_code"] dd, [data-fact="code"] dd,'
                + ' .event-meta, .who, option')
                .forEach((el) => el.remove());
              return copy.innerText; }"""
        )
        assert not HAN.findall(chrome.replace("中文", "")), chrome
        p.shot(f"desk-en-{name}")
    assert p.errors == []

    # Who may open it: the roles that read grid events; an investor or park manager is refused.
    for role in (Role.INVESTOR, Role.PARK_MANAGER, Role.AUDITOR):
        client.force_login(city.users[role])
        refused = client.get("/staff/events/")
        assert refused.status_code == 403, role
        assert "事件调度台" in refused.content.decode()
        assert client.get(f"/staff/events/{event.pk}/").status_code == 403
    client.force_login(officer)
    config = client.get("/staff/events/").context["config"]
    assert "事件调度台" in [item["label"] for item in config["nav"]]
    neighbour = GridEvent(category=category, title="邻县", geom=city.inside(1), reporter=officer)
    neighbour.locate()
    neighbour.save()
    assert client.get(f"/staff/events/{neighbour.pk}/").status_code == 404, "outside the area"


def test_the_desk_and_an_event_fit_a_phone_in_both_languages(live_server, open_page, city, category):
    event = GridEvent(
        category=category, title="路灯倒伏", geom=city.inside(0), reporter=city.users[Role.GRID_WORKER]
    )
    event.locate()
    event.save()
    # Late and escalated, as the sweep leaves it: on the board too.
    GridEvent.objects.filter(pk=event.pk).update(
        card="overdue", escalation=1, due_on=timezone.localdate() - timedelta(days=1)
    )
    p = open_page(390, 844, is_mobile=True, has_touch=True)
    log_in(p, live_server.url, city.users[Role.GRID_STAFF])
    page = p.page
    for lang in ("zh", "en"):
        for name, path, ready in [
            ("list", "/staff/events/", "table.data"),
            ("board", "/staff/events/?tab=board", ".event-card"),
            ("event", f"/staff/events/{event.pk}/", "#timeline"),
        ]:
            page.goto(f"{live_server.url}{path}{'&' if '?' in path else '?'}lang={lang}")
            page.wait_for_selector(ready)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, (lang, name)
            assert not_blank(p.shot(f"desk-phone-{lang}-{name}"))
    assert p.errors == []


def test_checklist_templates_and_patrol_tracks_on_the_desk(live_server, open_page, city):
    """A city officer makes a template and revises it (each save the next version); a grid worker
    walks a task of it, and the desk draws the run's track with its coverage."""
    officer, worker = city.users[Role.CITY_OFFICER], city.users[Role.GRID_WORKER]
    p = open_as(open_page, live_server.url, officer)
    page = p.page
    page.goto(f"{live_server.url}/staff/events/?tab=templates")
    page.click("#new-template")
    page.fill("#template-key", "fire_safety")
    page.fill("#template-name", "消防安全检查")
    page.fill("#item-0-key", "exit")
    page.fill("#item-0-label", "安全出口畅通")
    page.click('[data-save="template"]')
    page.wait_for_selector('tr:has-text("消防安全检查") .version:text("v1")')
    page.click('[data-revise="fire_safety"]')
    page.click("#add-item")
    page.fill("#item-1-key", "Bad Key")
    page.fill("#item-1-label", "灭火器数量")
    page.select_option("#item-1-type", "number")
    page.click('[data-save="template"]')  # a key the server refuses: said beside its row
    page.wait_for_selector(".item-error .error")
    page.fill("#item-1-key", "extinguishers")
    page.click('[data-save="template"]')
    page.wait_for_selector('tr:has-text("消防安全检查") .version:text("v2")')
    page.click('[data-history="fire_safety"]')
    page.wait_for_selector(".staff-dialog[open] table.data tbody tr >> nth=1")
    assert not_blank(p.shot("desk-templates-history"))
    page.keyboard.press("Escape")

    from patrols.models import ChecklistTemplate

    template = ChecklistTemplate.objects.get(key="fire_safety", version=2)
    staff = APIClient()
    staff.force_authenticate(city.users[Role.DISTRICT_OFFICER])
    now = timezone.now()
    made = staff.post(
        "/api/patrols/tasks/",
        {
            "title": "第1网格消防巡查",
            "worker": worker.pk,
            "template": template.pk,
            "area_kind": "cell",
            "grid_cell": city.cells[0].pk,
            "due_from": now.isoformat(),
            "due_until": (now + timezone.timedelta(hours=4)).isoformat(),
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    task = made.json()["id"]
    phone = APIClient()
    phone.force_authenticate(worker)
    run = phone.post(
        f"/api/patrols/tasks/{task}/runs/", {"uuid": "8d0c3f4e-1b2a-4c5d-9e6f-7a8b9c0d1e2f"}, format="json"
    )
    assert run.status_code in (200, 201), run.content
    centre = city.cells[0].geom.centroid  # across the patrolled cell
    x, y = centre.x, centre.y
    line = {"type": "LineString", "coordinates": [[x - 0.02, y - 0.04], [x, y], [x + 0.02, y + 0.04]]}
    stamps = [(now + timezone.timedelta(minutes=m)).isoformat() for m in (0, 20, 40)]
    finished = phone.post(
        f"/api/patrols/runs/{run.json()['id']}/finish/",
        {"geometry": line, "timestamps": stamps, "results": {"exit": True, "extinguishers": 4}},
        format="json",
    )
    assert finished.status_code == 200, finished.content

    page.goto(f"{live_server.url}/staff/events/?tab=patrols")
    page.click(f'[data-task="{task}"]')
    page.wait_for_selector('#patrol-map .map-box[data-ready="true"]', timeout=20000)
    assert page.locator("#patrol-map .run-list li").count() == 1
    assert "%" in page.inner_text("#patrol-map .run-list .coverage")
    assert "消防安全检查 v2" in page.inner_text(f'tr[data-row="{task}"]')
    assert not_blank(p.shot("desk-patrols"))
    assert expected_errors(p, 400, r"/api/patrols/templates/\d+/revise/$") == []
