"""The grid worker's phone app (/m/) in Chromium with a Pixel-class screen, touch and a scripted
position, against a live server: signed in once, it works with the network off — 20 points with
photos, a 2 km patrol with a gap where the screen locked, its checklist — starts again from a
reload with no network, and once online sends everything exactly once. Also: replays and a
network cut mid-batch and mid-photo, a conflict with an officer's change resolved on the phone,
and an operation the server refuses shown with its reason. Screenshots: test-artifacts/web/m-*.png.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.gis.geos import Point
from django.core.files.storage import default_storage
from PIL import Image

from accounts import tokens
from accounts.models import AuthToken, TokenKind
from accounts.roles import Role
from grid import workflow
from grid.models import EventCategory, GridEvent
from grid.opening import open_event
from layers.models import EventStatus, FieldPoint, FieldPointCategory
from patrols.models import ChecklistTemplate, PatrolRun
from sync.models import Operation, PhotoUpload
from tests.builders import PASSWORD, build_city, patrol_task

from .conftest import ARTIFACTS, not_blank
from .phone import op_states, phone_context, photo, ready_offline, sign_in, tab, tag_point, wait_synced, walk

pytestmark = [pytest.mark.django_db(transaction=True)]
HAN = re.compile(r"[\u4e00-\u9fff]")

ITEMS = [
    {"key": "extinguisher", "label": "灭火器有效", "type": "yes_no", "required": True},
    {"key": "exits", "label": "安全出口数", "type": "number", "required": True},
    {"key": "wiring", "label": "电线状况", "type": "choice", "required": True, "choices": ["良好", "老化"]},
]


@pytest.fixture
def city():
    return build_city()


@pytest.fixture
def setup(city):
    FieldPointCategory.objects.get_or_create(
        key="hazard", defaults={"name_zh": "安全隐患", "name_en": "Hazard"}
    )
    EventCategory.objects.filter(opens_from__key="hazard").update(opens_from=None)
    category, _ = EventCategory.objects.get_or_create(
        key="road", defaults={"name_zh": "道路破损", "name_en": "Damaged road"}
    )
    template = ChecklistTemplate.objects.create(key="fire", name="消防安全检查", items=ITEMS)
    worker = city.users[Role.GRID_WORKER]
    task = patrol_task(city, template)
    return {"worker": worker, "task": task, "category": category}


def start_point(city) -> tuple[float, float]:
    where = city.inside(0, dx=0.01, dy=0.02)
    return where.x, where.y


def open_phone(browser, live_server, city, user):
    lon, lat = start_point(city)
    context = phone_context(browser, lon=lon, lat=lat)
    page = context.new_page()
    page.set_default_timeout(20000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server.url, user.username, PASSWORD)
    return context, page, errors


def lock_screen(page) -> None:
    """What the browser does when the screen locks: the page is hidden, positions stop."""
    page.evaluate(
        "() => { Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});"
        " document.dispatchEvent(new Event('visibilitychange'));"
        " Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});"
        " document.dispatchEvent(new Event('visibilitychange')); }"
    )


def record_patrol(page, context, lon: float, lat: float, metres: float) -> None:
    # At the path's start before the patrol starts (the phone's first fix is where it stands).
    context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 7})
    tab(page, "tag")
    page.wait_for_selector('.m-tag [data-acc="7"]')
    tab(page, "patrol")
    page.click(".m-tasks [data-task] button.primary")
    page.wait_for_selector(".m-recording")
    path = list(walk(lon, lat, metres=metres))
    half = len(path) // 2
    for n, (x, y) in enumerate(path):
        if n == half:
            lock_screen(page)
        context.set_geolocation({"longitude": x, "latitude": y, "accuracy": 6})
        page.wait_for_function(f"() => Number(document.querySelector('.m-stats').dataset.points) >= {n + 1}")
    page.select_option("#item-extinguisher", "true")
    page.fill("#item-exits", "2")
    page.select_option("#item-wiring", "良好")


def test_a_day_offline_syncs_exactly_once(browser, live_server, city, setup):
    worker, task = setup["worker"], setup["task"]
    context, page, errors = open_phone(browser, live_server, city, worker)
    ready_offline(page)
    page.wait_for_selector(".m-map .map-box[data-ready='true']", timeout=60000)
    assert not_blank(shot(page, "m-home"))
    lon, lat = start_point(city)

    # Offline: 20 points with photos, a 2 km patrol with its checklist.
    context.set_offline(True)
    page.wait_for_selector(".net.is-off")
    for n in range(20):
        context.set_geolocation({"longitude": lon + n * 0.0002, "latitude": lat, "accuracy": 5 + n})
        tag_point(page, "hazard", f"隐患{n}", photo(n), accuracy=5 + n)
    record_patrol(page, context, lon, lat, metres=2000)
    shot(page, "m-patrol")
    page.click(".m-recording button.primary")
    page.wait_for_selector(".m-tasks")

    # A reload with no network starts the app, draws the cell and shows the queue.
    page.reload()
    page.wait_for_selector(".m-tabs")
    tab(page, "home")
    page.wait_for_selector(".m-map .map-box[data-ready='true']", timeout=60000)
    shot(page, "m-home-offline")
    tab(page, "queue")
    page.wait_for_selector("[data-op-state]")
    assert sorted(op_states(page)) == ["pending"] * 22
    shot(page, "m-queue-offline")
    assert FieldPoint.objects.filter(reporter=worker).count() == 0

    # Online again: everything goes up, once.
    context.set_offline(False)
    wait_synced(page)
    assert set(op_states(page)) == {"applied"}
    shot(page, "m-queue-synced")
    points = FieldPoint.objects.filter(reporter=worker)
    assert points.count() == 20
    assert all(p.photos for p in points) and {p.accuracy_m for p in points} == {
        float(5 + n) for n in range(20)
    }
    run = PatrolRun.objects.get(task=task)
    assert run.finished_at is not None and run.results == {"extinguisher": True, "exits": 2, "wiring": "良好"}
    # The locked screen is a gap in the track, not a straight line; the walked length is ~2 km.
    assert run.track.geom.num_geom == 2
    assert 1800 < run.track.length_m < 2100
    assert Operation.objects.filter(user=worker).count() == 22
    assert not errors, errors
    context.close()


def replay(page) -> None:
    """Sends every operation again, as a phone that never heard the answers would."""
    page.evaluate(
        """async () => {
          const req = indexedDB.open('geoportal-mobile');
          const db = await new Promise((ok) => (req.onsuccess = () => ok(req.result)));
          const tx = db.transaction('ops', 'readwrite');
          const all = await new Promise((ok) => {
            const r = tx.objectStore('ops').getAll();
            r.onsuccess = () => ok(r.result);
          });
          for (const op of all) { op.state = 'pending'; tx.objectStore('ops').put(op); }
          await new Promise((ok) => (tx.oncomplete = ok));
        }"""
    )
    page.reload()
    page.wait_for_selector(".m-tabs")


def test_replays_and_cut_connections_neither_duplicate_nor_lose(browser, live_server, city, setup, settings):
    worker = setup["worker"]
    context, page, errors = open_phone(browser, live_server, city, worker)
    page.wait_for_selector(".m-home [data-tiles]", timeout=60000)
    lon, lat = start_point(city)
    context.set_offline(True)
    for n in range(3):
        tag_point(page, "hazard", f"断网{n}", photo(100 + n))
    # A photo large enough for several chunks (the phone downscales it to 2048 px).
    tag_point(page, "hazard", "大照片", photo(7, (2600, 1950), noise=True))

    # The first answer to a batch is lost on the way back (the server applied it), and the big
    # photo's connection drops after its second chunk.
    cut = {"batch": 1, "chunks": 2}
    ranges: list[str] = []

    def batch(route):
        response = route.fetch()
        if cut["batch"]:
            cut["batch"] -= 1
            route.abort()
        else:
            route.fulfill(response=response)

    def chunk(route):
        ranges.append(route.request.headers.get("content-range", "") if route.request.method == "PUT" else "")
        if route.request.method == "PUT" and cut["chunks"] == 0:
            cut["chunks"] = -1
            route.abort()
            return
        if route.request.method == "PUT":
            cut["chunks"] -= 1
        route.continue_()

    page.route("**/api/sync/", batch)
    page.route("**/api/sync/photos/**", chunk)
    context.set_offline(False)
    wait_synced(page, timeout=180000)
    assert FieldPoint.objects.filter(reporter=worker).count() == 4
    big = max(PhotoUpload.objects.all(), key=lambda u: u.total)
    puts = [r for r in ranges if r]
    starts = [int(r.split(" ")[1].split("-")[0]) for r in puts if r.endswith(f"/{big.total}")]
    # Resumed where the server's copy ended, not from byte 0 again.
    assert starts == sorted(starts) and starts.count(0) == 1, starts
    assert big.received == big.total
    # Downscaled on the phone to MOBILE_PHOTO_MAX_PX on its long side, as a JPEG.
    with default_storage.open(big.path) as stored, Image.open(stored) as image:
        assert image.format == "JPEG" and max(image.size) == settings.MOBILE_PHOTO_MAX_PX

    # The whole queue sent again, three times: nothing new on the server.
    for _ in range(3):
        replay(page)
        wait_synced(page)
    assert FieldPoint.objects.filter(reporter=worker).count() == 4
    assert Operation.objects.filter(user=worker).count() == 4
    assert set(op_states(page)) == {"applied"}
    assert not errors, errors
    context.close()


def test_a_conflict_with_an_officer_is_resolved_on_the_phone(browser, live_server, city, setup):
    worker, category = setup["worker"], setup["category"]
    staff = city.users[Role.GRID_STAFF]
    event, _new = open_event(
        reporter=staff, category=category, title="路面塌陷", geom=Point(*start_point(city), srid=4326)
    )
    for step, given in (("accept", {}), ("dispatch", {"handler": worker.pk}), ("start", {})):
        event = workflow.take(event, staff if step != "start" else worker, step, given)
    assert event.state == EventStatus.HANDLING
    context, page, errors = open_phone(browser, live_server, city, worker)
    tab(page, "events")
    page.wait_for_selector(f'[data-event="{event.pk}"] [data-step="feedback"]', timeout=30000)

    # Offline, the worker reports back; meanwhile the officer chases the event (a new version).
    context.set_offline(True)
    page.click(f'[data-event="{event.pk}"] [data-step="feedback"]')
    page.fill(f"#step-{event.pk}-feedback", "已回填路面")
    page.click(f'[data-event="{event.pk}"] .m-step-form button.primary')
    workflow.take(GridEvent.objects.get(pk=event.pk), staff, "chase", {"comment": "请尽快处理"})
    context.set_offline(False)
    tab(page, "queue")
    page.wait_for_selector('[data-op-state="conflict"]', timeout=60000)
    shot(page, "m-conflict")
    assert GridEvent.objects.get(pk=event.pk).state == EventStatus.HANDLING

    # Keep mine: sent again on top of the officer's version, and applied.
    page.click('[data-op-state="conflict"] [data-choice="mine"]')
    page.wait_for_selector('[data-op-state="resolved"]')
    wait_synced(page)
    event.refresh_from_db()
    assert event.state == EventStatus.REPLIED and event.feedback == "已回填路面"
    assert not errors, errors
    context.close()


def test_an_operation_the_server_refuses_shows_its_reason(browser, live_server, city, setup):
    worker = setup["worker"]
    context, page, errors = open_phone(browser, live_server, city, worker)
    page.wait_for_selector(".m-home [data-tiles]", timeout=60000)
    # Another county's cell: outside this worker's scope (403 for this one operation).
    far = city.inside(1)
    context.set_geolocation({"longitude": far.x, "latitude": far.y, "accuracy": 5})
    tag_point(page, "hazard", "别人的网格", photo(1), accuracy=5)
    here = start_point(city)
    context.set_geolocation({"longitude": here[0], "latitude": here[1], "accuracy": 6})
    tag_point(page, "hazard", "我的网格", photo(2), accuracy=6)
    tab(page, "queue")
    page.click(".m-queue button.primary")
    page.wait_for_selector('[data-op-state="rejected"]', timeout=60000)
    page.wait_for_selector('[data-op-state="applied"]', timeout=60000)
    reason = page.inner_text('[data-op-state="rejected"] .m-reason')
    assert reason.strip(), "a refusal says why"
    shot(page, "m-rejected")
    assert FieldPoint.objects.filter(reporter=worker).count() == 1
    assert not errors, errors
    context.close()


def test_the_shell_is_chinese_first_and_english_on_request(client):
    zh = client.get("/m/")
    assert zh.status_code == 200 and "网格员" in zh.content.decode()
    en = client.get("/m/?lang=en")
    assert "Grid worker" in en.content.decode()
    worker = client.get("/m/sw.js")
    assert worker.status_code == 200 and worker["Service-Worker-Allowed"] == "/m/"
    assert "/static/web/mobile.js" in worker.content.decode()


def shot(page, name: str):
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def test_a_revoked_phone_signs_in_again_and_keeps_its_queue(browser, live_server, city, setup):
    worker = setup["worker"]
    context, page, errors = open_phone(browser, live_server, city, worker)
    page.wait_for_selector(".m-home [data-tiles]", timeout=60000)
    token = AuthToken.objects.get(user=worker, kind=TokenKind.DEVICE, revoked_at__isnull=True)
    assert token.digest != token.prefix and len(token.digest) == 64  # kept hashed
    context.set_offline(True)
    tag_point(page, "hazard", "撤销前", photo(3), accuracy=8)
    # The administrator revokes the lost phone's token meanwhile.
    tokens.revoke(token)
    context.set_offline(False)
    page.wait_for_selector(".m-login [role=alert]", timeout=60000)
    assert FieldPoint.objects.filter(reporter=worker).count() == 0
    shot(page, "m-signed-out")
    page.fill("#login-username", worker.username)
    page.fill("#login-password", PASSWORD)
    page.click(".m-login button.primary")
    wait_synced(page)
    assert FieldPoint.objects.filter(reporter=worker, note="撤销前").count() == 1
    assert not errors, errors
    context.close()


def test_the_app_in_english(browser, live_server, city, setup):
    lon, lat = start_point(city)
    context = phone_context(browser, lon=lon, lat=lat, lang="en-GB")
    page = context.new_page()
    sign_in(page, live_server.url, setup["worker"].username, PASSWORD, lang="en")
    labels = page.locator(".m-tabs [data-tab]").all_inner_texts()
    assert labels[:5] == ["Home", "Tag", "Patrol", "Events", "Sync"]
    page.wait_for_selector(".m-home [data-tiles]", timeout=60000)
    # The words are English; the data (the cell's and the task's names) stays as it was entered.
    titles = page.locator(".m-home h2").all_inner_texts()[1:]
    assert titles == ["Around me", "My patrol tasks", "My events", "My messages"], titles
    assert not HAN.search(page.inner_text(".m-head .net") + page.inner_text(".m-around"))
    shot(page, "m-home-en")
    context.close()
