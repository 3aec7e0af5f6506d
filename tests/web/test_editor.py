"""The park editor (园区数据编辑, /editor/) in Debian's Chromium against a live server and real
PostGIS: a plot drawn snapped to two neighbours shares their vertices exactly; a shared boundary
moved once moves in both plots, the union's area unchanged; two editors of one plot meet in the
conflict dialog and both changes survive; a revert shows its geometry diff and asks twice; a park
manager's edit stays off the public tile until an officer approves it. Screenshots:
test-artifacts/web/editor-*.png."""

from __future__ import annotations

import gzip
import json
import re

import mapbox_vector_tile
import mercantile
import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.test import Client

from accounts.roles import Role
from editing.models import Changeset, ChangesetState
from layers.models import LandParcel
from tests.builders import X0, Y0, build_city, rect, survey_parcels, survey_shapefile

from .conftest import log_in, not_blank

pytestmark = [pytest.mark.django_db(transaction=True)]

# Two plots side by side in the park's south-west corner, 400 m × 400 m each.
S = 0.004
A_BOX = (X0 + 0.01, Y0 + 0.01, X0 + 0.01 + S, Y0 + 0.01 + S)
B_BOX = (X0 + 0.01 + S, Y0 + 0.01, X0 + 0.01 + 2 * S, Y0 + 0.01 + S)


@pytest.fixture
def city():
    c = build_city()
    c.park.edits_need_approval = True
    c.park.save()
    return c


def plot(code: str, box: tuple[float, float, float, float], **fields) -> LandParcel:
    record = LandParcel(code=code, land_use="industrial", geom=rect(*box), is_public=True, **fields)
    record.save()
    return record


@pytest.fixture
def pair(city):
    return plot("A-1", A_BOX, name="甲地块"), plot("B-1", B_BOX, name="乙地块")


def open_editor(open_page, base: str, user, query: str = ""):
    p = open_page(1400, 900)
    log_in(p, base, user)
    p.page.goto(f"{base}/editor/{query}")
    p.page.wait_for_selector(".editor-map[data-ready='true'][data-features]")
    return p


SCREEN_POSITION = """(el, [x, y]) => {
    const p = el.editor.project(x, y);
    const r = el.getBoundingClientRect();
    return [r.left + p.x, r.top + p.y];
}"""


def at(page, lng: float, lat: float) -> tuple[float, float]:
    """Where a coordinate is on the screen."""
    return tuple(page.eval_on_selector(".editor-map", SCREEN_POSITION, [lng, lat]))


def click_at(page, lng: float, lat: float, dx: float = 0, dy: float = 0) -> None:
    x, y = at(page, lng, lat)
    page.mouse.click(x + dx, y + dy)
    page.wait_for_timeout(120)


def select_plot(page, box) -> None:
    click_at(page, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    page.wait_for_selector(".feature-form")


def save(page) -> None:
    with page.expect_response(lambda r: "/api/editing/edits/" in r.url) as answer:
        page.click("button.save")
    assert answer.value.status == 200, (answer.value.text(), answer.value.request.post_data)
    page.wait_for_selector(".toast")


def test_a_plot_drawn_snapped_to_two_neighbours_shares_their_vertices(live_server, open_page, city, pair):
    a, b = pair
    p = open_editor(open_page, live_server.url, city.users[Role.DISTRICT_OFFICER])
    page = p.page
    page.click(".maplibregl-ctrl-zoom-out")  # room above the two plots for the new one
    page.wait_for_timeout(600)
    page.click("[data-mode='draw']")
    top = A_BOX[3]
    # Along the neighbours' top edges, each click a few pixels off their corners (snapping puts it on
    # them), then up and back to the start, which closes the ring.
    corners = [(A_BOX[0], top), (A_BOX[2], top), (B_BOX[2], top)]
    click_at(page, A_BOX[0], top + S / 2)
    for lng, lat in corners:
        click_at(page, lng, lat, dx=3, dy=-2)
    click_at(page, B_BOX[2], top + S / 2)
    click_at(page, A_BOX[0], top + S / 2)
    page.wait_for_selector(".feature-form")
    page.fill("#attr-code", "C-1")
    page.select_option("#attr-land_use", "industrial")
    save(page)
    p.shot("editor-drawn")
    c = LandParcel.objects.get(code="C-1")
    ring = [tuple(pt) for pt in c.geom[0][0]]
    # The three snapped corners are the neighbours' own vertices, to the last bit.
    held = {tuple(pt) for record in (a, b) for pt in LandParcel.objects.get(pk=record.pk).geom[0][0]}
    snapped = [min(held, key=lambda v: abs(v[0] - x) + abs(v[1] - y)) for x, y in corners]
    for vertex in snapped:
        assert vertex in ring, f"{vertex} not a vertex of {ring}"
    # Shares an edge with each neighbour: no gap, no overlap.
    for neighbour in (a, b):
        neighbour.refresh_from_db()
        assert c.geom.intersection(neighbour.geom).area == 0
        assert c.geom.touches(neighbour.geom)
        assert c.geom.boundary.intersection(neighbour.geom.boundary).length == pytest.approx(S, rel=1e-9)
    assert not p.errors, p.errors


def test_moving_a_shared_vertex_moves_it_in_both_plots(live_server, open_page, city, pair):
    a, b = pair
    union_before = a.geom.union(b.geom)
    p = open_editor(open_page, live_server.url, city.users[Role.DISTRICT_OFFICER])
    page = p.page
    select_plot(page, A_BOX)
    shared = (A_BOX[2], A_BOX[3])  # the top of the boundary the plots share
    x, y = at(page, *shared)
    tx, ty = at(page, shared[0] + S / 4, shared[1])
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(tx, ty, steps=8)
    page.mouse.up()
    page.wait_for_selector("button.save:not([disabled])")
    assert "2" in page.inner_text("button.save")  # both plots are to be saved
    save(page)
    p.shot("editor-shared-boundary")
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.version == 2 and b.version == 2
    assert a.geom.area > union_before.area / 2 > b.geom.area
    assert a.geom.intersection(b.geom).area == pytest.approx(0, abs=1e-14)
    assert a.geom.union(b.geom).area == pytest.approx(union_before.area, rel=1e-9)
    # Undo after a save has nothing left to undo; the page reloaded the saved shapes.
    assert page.is_disabled("button.undo")
    assert not p.errors, p.errors


def test_two_editors_of_one_plot_meet_in_the_conflict_dialog(live_server, open_page, city, pair):
    a, _ = pair
    officer = city.users[Role.DISTRICT_OFFICER]
    first = open_editor(open_page, live_server.url, officer)
    second = open_editor(open_page, live_server.url, officer)
    for p in (first, second):
        select_plot(p.page, A_BOX)
    first.page.fill("#attr-name", "甲地块（东）")
    save(first.page)
    second.page.fill("#attr-price_wan_per_mu", "42")
    with second.page.expect_response(lambda r: "/api/editing/edits/" in r.url) as answer:
        second.page.click("button.save")
    assert answer.value.status == 409
    dialog = second.page.wait_for_selector(".conflict-dialog")
    assert "甲地块（东）" not in dialog.inner_text()  # the name was not changed here: not offered
    assert second.page.is_checked("input[name='keep-price_wan_per_mu']")
    second.shot("editor-conflict")
    second.page.click("button.reapply")
    save(second.page)
    a.refresh_from_db()
    assert a.name == "甲地块（东）" and float(a.price_wan_per_mu) == 42
    assert a.version == 3
    # The 409 is the page's to answer, not an error.
    assert [e for e in second.errors if "409" not in e] == []


def test_revert_shows_the_geometry_diff_and_asks_twice(live_server, open_page, city, pair):
    a, _ = pair
    officer = city.users[Role.DISTRICT_OFFICER]
    api = Client()
    api.force_login(officer)
    bigger = rect(A_BOX[0], A_BOX[1], A_BOX[2], A_BOX[3] + S / 2)
    answer = api.post(
        "/api/editing/edits/",
        {
            "park": city.park.pk,
            "items": [
                {
                    "layer": "parcels",
                    "id": a.pk,
                    "action": "update",
                    "version": 1,
                    "geometry": json.loads(GEOSGeometry(bigger).json),
                }
            ],
        },
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    p = open_editor(open_page, live_server.url, officer)
    page = p.page
    select_plot(page, A_BOX)
    page.click("[data-tab='history']")
    page.wait_for_selector(".history li")
    page.click(".history li:first-child button.show-diff")
    page.wait_for_timeout(300)
    assert "added" in page.get_attribute(".editor-map", "data-diff")
    p.shot("editor-history-diff")
    page.click(".history li:nth-child(2) button.danger")  # 恢复到此版本
    page.wait_for_selector("dialog.confirm[open]")
    a.refresh_from_db()
    assert a.version == 2  # nothing yet: the second confirmation is still open
    with page.expect_response(lambda r: "/api/editing/edits/" in r.url) as answer:
        page.click("dialog.confirm[open] button.danger")
    assert answer.value.status == 200
    page.wait_for_selector(".toast")
    a.refresh_from_db()
    assert a.version == 3
    assert a.geom.equals_exact(rect(*A_BOX), tolerance=1e-12)
    assert not p.errors, p.errors


def public_statuses(lng: float, lat: float) -> dict[str, str]:
    """The supply status of each parcel on the public tile at this point, by code (anonymous)."""
    tile = mercantile.tile(lng, lat, 16)
    response = Client().get(f"/tiles/parcels/{tile.z}/{tile.x}/{tile.y}.mvt")
    assert response.status_code in (200, 204)
    if response.status_code == 204:
        return {}
    body = response.content
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    layer = mapbox_vector_tile.decode(body).get("parcels", {"features": []})
    return {f["properties"]["code"]: f["properties"]["supply_status"] for f in layer["features"]}


def test_a_park_managers_edit_reaches_the_public_tile_only_after_approval(live_server, open_page, city, pair):
    manager, officer = city.users[Role.PARK_MANAGER], city.users[Role.DISTRICT_OFFICER]
    centre = ((A_BOX[0] + A_BOX[2]) / 2, (A_BOX[1] + A_BOX[3]) / 2)
    assert public_statuses(*centre)["A-1"] == "available"
    p = open_editor(open_page, live_server.url, manager)
    page = p.page
    assert page.is_visible(".review-note")
    select_plot(page, A_BOX)
    page.select_option("#attr-supply_status", "reserved")
    save(page)
    assert public_statuses(*centre)["A-1"] == "available"
    page.click("[data-tab='changesets']")
    page.click(".changesets li button.link")
    page.fill(".submit-box input[name='title']", "甲地块预留")
    page.click(".submit-box button.submit")
    page.wait_for_selector(".changeset[data-state='submitted']")
    p.shot("editor-submitted")
    changeset = Changeset.objects.get(park=city.park)
    review = open_editor(open_page, live_server.url, officer, f"?changeset={changeset.pk}")
    rpage = review.page
    rpage.wait_for_selector(".changeset[data-state='submitted'] .items li")
    assert "预留" in rpage.inner_text(".changeset .items")
    rpage.click(".changeset .items li button.show-diff")
    review.shot("editor-review")
    rpage.click(".review-box button.danger")
    rpage.click("dialog.confirm[open] button.danger")
    rpage.wait_for_selector(".changeset[data-state='approved']")
    changeset.refresh_from_db()
    assert changeset.state == ChangesetState.APPROVED
    assert public_statuses(*centre)["A-1"] == "reserved"
    assert not_blank(review.shot("editor-approved"))
    assert not p.errors and not review.errors, (p.errors, review.errors)


def test_the_editor_is_refused_to_roles_that_keep_no_plots(live_server, open_page, city):
    p = open_page()
    log_in(p, live_server.url, city.users[Role.GRID_WORKER])
    response = p.page.goto(f"{live_server.url}/editor/")
    assert response.status == 403
    assert "园区管理员" in p.page.inner_text("body")


@pytest.mark.worker
def test_a_corrected_survey_previews_as_three_updates_two_creates_one_unchanged(
    live_server, open_page, city, celery_worker, tmp_path
):
    from fixtures import ingest_inputs as fx

    stored = survey_parcels(city)
    rows, geoms = fx.parcel_rows(6)
    # Columns named as the layer names its fields, so the preview maps them by itself.
    rows = [{"code": r["DKBH"], "land_use": r["YDXZ"], "name": r["DKMC"]} for r in rows]
    survey = tmp_path / "survey.zip"
    survey.write_bytes(survey_shapefile(tmp_path, rows=rows, geoms=geoms))
    p = open_editor(open_page, live_server.url, city.users[Role.PARK_MANAGER])
    page = p.page
    page.click("[data-tab='import']")
    with page.expect_response(lambda r: "/preview/" in r.url) as answer:
        page.set_input_files(".import input[type='file']", str(survey))
    assert answer.value.status == 200, answer.value.text()
    counts = page.wait_for_selector(".import-counts")
    assert (counts.get_attribute("data-update"), counts.get_attribute("data-create")) == ("3", "2")
    assert counts.get_attribute("data-unchanged") == "1"
    p.shot("editor-import-preview")
    assert LandParcel.objects.filter(code__in=["SHP-5", "SHP-6"]).count() == 0
    page.click(".import button.commit")
    page.wait_for_selector(".job[data-status='succeeded']", timeout=60000)
    changeset = Changeset.objects.get(park=city.park, source="import")
    assert sorted(changeset.items.values_list("action", flat=True)) == ["create"] * 2 + ["update"] * 3
    assert LandParcel.objects.get(code="SHP-1").name == "旧名称"  # nothing live before approval
    # The officer approves it; then the corrected survey is what the layer holds.
    officer = Client()
    officer.force_login(city.users[Role.DISTRICT_OFFICER])
    manager = Client()
    manager.force_login(city.users[Role.PARK_MANAGER])
    url = f"/api/editing/changesets/{changeset.pk}/"
    assert manager.post(url + "submit/", {}, content_type="application/json").status_code == 200
    assert officer.post(url + "approve/", {}, content_type="application/json").status_code == 200
    assert LandParcel.objects.get(code="SHP-1").name == "地块1"
    assert LandParcel.objects.get(code="SHP-3").land_use == "industrial"
    assert LandParcel.objects.filter(code__in=["SHP-5", "SHP-6"]).count() == 2
    assert LandParcel.objects.get(code="SHP-4").version == stored["SHP-4"].version  # unchanged: not written
    assert not p.errors, p.errors


def test_the_editor_in_english_on_a_phone(live_server, open_page, city, pair):
    p = open_page(390, 844)
    log_in(p, live_server.url, city.users[Role.PARK_MANAGER])
    page = p.page
    page.goto(f"{live_server.url}/editor/?lang=en")
    page.wait_for_selector(".editor-map[data-ready='true'][data-features]")
    select_plot(page, A_BOX)
    # Every word of the page's own (the park's name is data, and stays as it is).
    chrome = " ".join(
        page.locator(".editor-toolbar button, .editor-toolbar label, .editor-side .tabs").all_inner_texts()
    )
    chrome = chrome.replace(city.park.name, "")
    assert not re.findall(r"[\u4e00-\u9fff]", chrome), chrome
    assert "Land use" in page.inner_text(".feature-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not_blank(p.shot("editor-phone-en"))
    assert not p.errors, p.errors
