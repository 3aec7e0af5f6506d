"""The two pages in a real browser (Debian's Chromium through Playwright), against a live server.

Each test seeds a small city (tests/builders.py), opens the page, and checks what a person would:
features on the map, a filter changing them, the detail drawer with nearby amenities, its panorama
and orthophoto, matching, the expression-of-interest form, a phone-sized screen, and the wall's live
feed. Every page must load without a console error or a failed request. Screenshots go to
test-artifacts/web/.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from django.contrib.gis.geos import LineString, MultiLineString, Point
from django.core.cache import cache
from django.core.files.base import ContentFile
from rasterio.transform import from_bounds

from accounts import tokens
from accounts.models import TokenKind
from accounts.roles import Role
from layers import models as m
from layers.demo.images import panorama_jpeg
from pipeline.models import Lead
from tests.builders import build_city, make_record, rect

from .conftest import ARTIFACTS, log_in, not_blank

pytestmark = [pytest.mark.django_db(transaction=True)]
VIEW = "map=12.05/22.948/112.090"


@pytest.fixture
def seeded():
    cache.delete("tiles:city-bounds")  # the style's bounds must be this city's, not a stale one
    city = build_city()
    parcels = []
    for i in range(4):
        for j in range(4):
            where = Point(112.012 + i * 0.05, 22.912 + j * 0.022, srid=4326)
            parcels.append(
                make_record(
                    "parcels",
                    city,
                    where,
                    is_public=True,
                    name=f"测试地块{i}-{j}",
                    code=f"T-{i}{j}",
                    land_use="industrial" if (i + j) % 2 == 0 else "commercial",
                    supply_status="available",
                    price_wan_per_mu=10 + i,
                )
            )
    make_record("buildings", city, Point(112.16, 22.96, srid=4326), is_public=True, name="一号标准厂房")
    for k, category in enumerate(["hospital", "highway_exit", "school"]):
        make_record(
            "amenities",
            city,
            Point(112.016 + k * 0.004, 22.918, srid=4326),
            category=category,
            name=f"配套{k}",
            address=f"测试路{k}号",
        )
    for k, stage in enumerate(["lead", "negotiating", "signed", "production"]):
        make_record("project_sites", city, Point(112.03 + k * 0.04, 22.95, srid=4326), stage=stage)
    make_record("field_points", city, city.inside(0, 0.02, 0.03), note="旧事件")
    return city, parcels


def geotiff(path: Path, bounds: tuple[float, float, float, float]) -> bytes:
    """A small tiled RGB GeoTIFF over ``bounds`` (lon/lat), as the raster tiles read a COG; stripes,
    so its tiles are not blank."""
    size = 256
    band = np.tile((np.arange(size) % 64 * 4).astype("uint8"), (size, 1))
    profile = {
        "driver": "GTiff",
        "tiled": True,
        "blockxsize": size,
        "blockysize": size,
        "width": size,
        "height": size,
        "count": 3,
        "dtype": "uint8",
        "crs": "EPSG:4326",
        "transform": from_bounds(*bounds, size, size),
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.stack([band, band.T, np.full_like(band, 90)]))
    return path.read_bytes()


def _chain_in_park(city) -> None:
    """The demo chains, the test park leading food, and one firm on its food-production link."""
    from industries.demo import load_industries
    from industries.models import ChainLink

    load_industries()
    m.Park.objects.filter(pk=city.park.pk).update(industries=["food"])
    link = ChainLink.objects.get(industry__code="food", code="processing")
    make_record(
        "enterprises",
        city,
        city.inside(dx=0.02, dy=0.02),
        chain_link=link,
        name="禾恒食品",
        chain_leader=True,
    )


def _wait_ready(page):
    page.wait_for_function("() => window.__geoportal && window.__geoportal.firstDataRender", timeout=20000)


def _open_map_with_parcels(page, base: str) -> None:
    """The seeded city's view, once at least 12 of its 16 parcels are drawn."""
    page.goto(f"{base}/?{VIEW}")
    _wait_ready(page)
    page.wait_for_function(
        "() => window.__geoportal.map.queryRenderedFeatures({layers: ['parcels-fill']}).length >= 12"
    )


def _rendered(page, layer: str) -> list[dict]:
    return page.evaluate(
        f"""() => window.__geoportal.map.queryRenderedFeatures({{layers: ['{layer}']}})
            .map(f => ({{id: f.id, ...f.properties}}))"""
    )


def _click_lonlat(page, lon: float, lat: float) -> None:
    x, y = page.evaluate(
        f"""() => {{ const m = window.__geoportal.map; const p = m.project([{lon}, {lat}]);
            const r = m.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }}"""
    )
    page.mouse.click(x, y)


def test_map_shows_carriers_and_a_filter_changes_them(live_server, open_page, seeded):
    city, parcels = seeded
    p = open_page()
    page = p.page
    _open_map_with_parcels(page, live_server.url)
    shown = _rendered(page, "parcels-fill")
    assert {f["land_use"] for f in shown} == {"industrial", "commercial"}
    assert not_blank(p.shot("map-start"))

    page.click('[data-panel="filters"]')
    page.click('#f-land-use input[value="commercial"]')
    page.wait_for_function(
        """() => { const f = window.__geoportal.map.queryRenderedFeatures({layers: ['parcels-fill']});
                  return f.length > 0 && f.every(x => x.properties.land_use === 'commercial'); }"""
    )
    after = _rendered(page, "parcels-fill")
    assert 0 < len(after) < len(shown)
    page.wait_for_function("() => location.search.includes('lu=commercial')")  # the view is in the URL
    p.shot("map-filtered")
    assert p.errors == []

    # The URL reproduces the view: a fresh page on it shows the same filter.
    q = p.page.evaluate("location.search")
    other = open_page()
    other.page.goto(f"{live_server.url}/{q}")
    _wait_ready(other.page)
    other.page.wait_for_function(
        "() => window.__geoportal.map.queryRenderedFeatures({layers: ['parcels-fill']}).length > 0"
    )
    assert {f["land_use"] for f in _rendered(other.page, "parcels-fill")} == {"commercial"}
    assert other.page.is_checked('#f-land-use input[value="commercial"]')


def test_the_legend_lists_exactly_what_is_drawn_and_a_plot_has_a_hover_card(live_server, open_page, seeded):
    city, parcels = seeded
    p = open_page(1440, 900)
    page = p.page
    _open_map_with_parcels(page, live_server.url)
    legend = page.locator("#map-legend")

    def drawn() -> set[str]:
        return {f["land_use"] for f in _rendered(page, "parcels-fill")}

    page.wait_for_function("() => document.getElementById('map-legend').dataset.landUses")
    assert set(legend.get_attribute("data-land-uses").split(",")) == drawn() == {"industrial", "commercial"}
    assert "工业用地" in legend.inner_text() and "可供" in legend.inner_text()

    target = parcels[5]
    centre = target.geom.point_on_surface
    x, y = page.evaluate(
        f"""() => {{ const m = window.__geoportal.map; const p = m.project([{centre.x}, {centre.y}]);
            const r = m.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }}"""
    )
    page.mouse.move(x, y)
    card = page.locator(".hover-card")
    card.wait_for()
    assert target.name in card.inner_text() and "亩" in card.inner_text() and "万元/亩" in card.inner_text()
    p.shot("map-legend-hover-card")

    page.goto(f"{live_server.url}/?{VIEW}&lu=commercial")
    _wait_ready(page)
    page.wait_for_function("() => document.getElementById('map-legend').dataset.landUses === 'commercial'")
    assert drawn() == {"commercial"}
    assert "工业用地" not in legend.inner_text()
    assert p.errors == []


def test_an_anonymous_map_asks_for_versioned_parcel_tiles(live_server, open_page, seeded):
    """The style's versioned URLs (?v=, immutable behind a CDN) are the ones the map requests,
    with the filters added to them."""
    p = open_page()
    page = p.page
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/tiles/parcels/" in r.url else None)
    page.goto(f"{live_server.url}/?{VIEW}&lu=industrial")
    _wait_ready(page)
    assert asked and all("v=" in url and "land_use__in=industrial" in url for url in asked), asked[:3]
    assert p.errors == []


CLUSTER_BOXES = """() => [...document.querySelectorAll('.cluster:not(.covered)')].map((el) => {
  const r = el.getBoundingClientRect();
  return {code: el.dataset.code, x0: r.left, x1: r.right, y0: r.top, y1: r.bottom,
          pills: [...el.querySelectorAll('.pill')].map((b) => [b.dataset.layer, b.textContent])};
})"""


def test_low_zoom_clusters_follow_the_filters_never_overlap_and_fit_their_members(
    live_server, open_page, seeded
):
    city, parcels = seeded
    p = open_page()
    page = p.page
    page.goto(f"{live_server.url}/?map=8.5/22.95/112.10")
    _wait_ready(page)
    page.wait_for_function(
        "() => window.__geoportal.map.queryRenderedFeatures({layers: ['parcels-aggregates']}).length > 0"
    )
    counts = [f["count"] for f in _rendered(page, "parcels-aggregates")]
    assert sum(counts) == 16
    page.wait_for_selector(".cluster .pill")
    boxes = page.evaluate(CLUSTER_BOXES)
    # One label per division, a pill per layer, and no label on another.
    assert len({b["code"] for b in boxes}) == len(boxes)
    for a, b in ((a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :]):
        assert a["x1"] <= b["x0"] or b["x1"] <= a["x0"] or a["y1"] <= b["y0"] or b["y1"] <= a["y0"], (a, b)
    shown = sum(int(n) for b in boxes for layer, n in b["pills"] if layer == "parcels")
    assert shown == 16
    assert {layer for b in boxes for layer, _n in b["pills"]} == {"parcels", "buildings"}
    p.shot("map-clusters")

    # A condition only land has: the parcel counts follow it, and the buildings are set aside.
    page.goto(f"{live_server.url}/?map=8.5/22.95/112.10&lu=industrial")
    _wait_ready(page)
    page.wait_for_selector('.cluster .pill[data-layer="parcels"]')
    page.wait_for_selector('#map-legend [data-note="buildings-set-aside"]')
    industrial = sum(1 for parcel in parcels if parcel.land_use == "industrial")
    page.wait_for_function(
        f"""() => [...document.querySelectorAll('.cluster .pill[data-layer="parcels"]')]
            .reduce((n, b) => n + Number(b.textContent), 0) === {industrial}"""
    )
    assert page.locator('.cluster .pill[data-layer="buildings"]').count() == 0

    # A click on a count fits the map to its members: every one of them is then in view.
    pill = page.locator('.cluster .pill[data-layer="parcels"]').first
    code = pill.evaluate("b => b.closest('.cluster').dataset.code")
    pill.click()
    page.wait_for_function("() => window.__geoportal.lastFit")
    # At z8.5 the counts are per county: its members share the first six digits of its code.
    members = [x for x in parcels if x.land_use == "industrial" and x.division_code.startswith(code[:6])]
    view = page.evaluate("() => window.__geoportal.map.getBounds().toArray().flat()")
    for member in members:
        west, south, east, north = member.geom.extent
        assert view[0] <= west and east <= view[2] and view[1] <= south and north <= view[3]
    assert page.evaluate("window.__geoportal.map.getZoom()") > 8.5
    assert p.errors == []


def test_detail_drawer_opens_with_nearby_amenities(live_server, open_page, seeded):
    city, parcels = seeded
    target = parcels[0]  # next to the amenities
    # The investment officer the park (or, outside parks, the county) publishes.
    for model in (m.Park, m.Division):
        model.objects.update(investment_contact_name="王芳", investment_contact_phone="0766-8888888")
    p = open_page()
    page = p.page
    _open_map_with_parcels(page, live_server.url)
    centre = target.geom.point_on_surface
    _click_lonlat(page, centre.x, centre.y)
    page.wait_for_selector("#drawer:not([hidden])")
    page.wait_for_selector("#drawer .nearby-list li")
    assert page.inner_text("#drawer-title") == target.name
    attrs = page.inner_text("#drawer .attrs")
    assert "m²" in attrs and "亩" in attrs  # area in both units
    items = page.locator("#drawer .nearby-list li").all_inner_texts()
    assert len(items) == 3 and any("医院" in item for item in items)
    assert all(("m" in item) for item in items)
    page.wait_for_function(f"() => location.search.includes('sel=parcels:{target.pk}')")
    page.wait_for_selector("#drawer .contact-card")
    assert "王芳" in page.inner_text("#drawer .contact-card")
    assert page.get_attribute("#drawer .contact-card a", "href") == "tel:07668888888"
    p.shot("map-drawer")
    # 分享: the link that reopens the record and its QR code; 名片 PDF: the printable brochure.
    page.click('#drawer [data-act="share"]')
    page.wait_for_function("() => document.querySelector('#drawer .share-qr').naturalWidth > 0")
    link = page.input_value("#drawer .share-url")
    assert link.endswith(f"/?sel=parcels:{target.pk}&lang=zh")
    href = page.get_attribute('#drawer [data-act="brochure"]', "href")
    pdf = page.request.get(f"{live_server.url}{href}")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    p.shot("map-drawer-share")
    assert p.errors == []


def test_matching_returns_ranked_sites(live_server, open_page, seeded):
    p = open_page()
    page = p.page
    page.goto(f"{live_server.url}/?{VIEW}&panel=match")
    _wait_ready(page)
    page.fill('#match-form input[name="area_min"]', "1")
    page.fill('#match-form input[name="area_max"]', "200")
    page.fill('#match-form input[name="max_price_wan_per_mu"]', "11")
    page.click("#m-add-amenity")  # highway exit within 10 km
    page.click('#match-form button[type="submit"]')
    page.wait_for_selector(".match-list li.match")
    ranks = [int(x) for x in page.locator(".match-list .rank").all_inner_texts()]
    assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) >= 3
    scores = [
        float(x.split()[0].replace(",", "")) for x in page.locator(".match-list .score").all_inner_texts()
    ]
    assert scores == sorted(scores, reverse=True)
    # Drawn on the map with their rank; the budget is a hard constraint, so none is over it.
    assert page.locator(".match-rank").all_inner_texts() == [str(r) for r in ranks]
    assert "硬性条件" in page.inner_text(".match-hard")
    page.locator(".match-list details").first.click()
    assert page.locator(".match-list .reason").count() >= 3
    assert page.locator(".match-list .reason .hard").count() >= 2  # area and price: musts
    price = [r for r in page.locator(".match-list .reason").all_inner_texts() if "价格" in r]
    assert price and all("✓" in r for r in price)
    p.shot("map-match")

    # Nothing that large: the answer says which need set them aside, and offers to rank instead.
    page.fill('#match-form input[name="area_min"]', "5000")
    page.fill('#match-form input[name="area_max"]', "6000")
    page.click('#match-form button[type="submit"]')
    page.wait_for_selector(".match-excluded li")
    assert "面积" in page.inner_text(".match-excluded") and page.locator(".match-rank").count() == 0
    page.click("#match-soften")
    page.wait_for_selector(".match-list li.match")
    assert page.locator(".match-rank").count() >= 1
    assert p.errors == []


def test_expression_of_interest_creates_a_lead(live_server, open_page, seeded):
    city, parcels = seeded
    target = parcels[5]
    p = open_page()
    page = p.page
    page.goto(f"{live_server.url}/?{VIEW}&sel=parcels:{target.pk}")
    _wait_ready(page)
    page.wait_for_selector('#drawer [data-act="interest"]')
    page.click('#drawer [data-act="interest"]')
    page.wait_for_selector("#interest:not([hidden])")
    assert page.is_checked(f'#interest-carriers input[value="parcels:{target.pk}"]')
    page.fill('#interest-form input[name="investor_name"]', "李女士")
    page.fill('#interest-form input[name="phone"]', "12345")
    page.click('#interest-form button[type="submit"]')
    page.wait_for_selector("#interest-errors div")  # checked in the page before anything is sent
    assert "个人信息" in page.inner_text("#interest-errors"), "the consent is asked for too"
    assert Lead.objects.count() == 0
    page.fill('#interest-form input[name="phone"]', "139-0000-1234")
    page.fill('#interest-form input[name="company"]', "测试科技有限公司")
    page.fill('#interest-form textarea[name="message"]', "需要20亩工业用地")
    assert page.get_attribute("#privacy-link", "href") == "/privacy/?lang=zh"
    p.shot("map-interest-form")
    page.check('#interest-form input[name="consent"]')
    page.click('#interest-form button[type="submit"]')
    page.wait_for_selector("#lead-reference")
    reference = page.inner_text("#lead-reference")
    lead = Lead.objects.get(reference=reference)
    assert lead.phone == "13900001234" and lead.company == "测试科技有限公司"
    assert lead.consented_at is not None
    assert list(lead.parcels.values_list("pk", flat=True)) == [target.pk]
    county = city.counties[1] if target.geom.centroid.x > 112.1 else city.counties[0]
    assert lead.division_id == county.pk
    p.shot("map-interest-done")
    assert p.errors == []


def _phone_with_details(open_page, base: str, parcel, width: int, height: int, query: str = ""):
    """A phone-sized touch page on the seeded view, with ``parcel``'s details open."""
    p = open_page(width, height, is_mobile=True, has_touch=True, device_scale_factor=2)
    p.page.goto(f"{base}/?{VIEW}{query}&sel=parcels:{parcel.pk}")
    _wait_ready(p.page)
    p.page.wait_for_selector("#drawer:not([hidden])")
    return p


def test_phone_sized_screen_stays_usable(live_server, open_page, seeded):
    city, parcels = seeded
    p = _phone_with_details(open_page, live_server.url, parcels[0], 390, 844)
    page = p.page
    page.wait_for_selector("#drawer .nearby-list li")
    box = page.locator("#drawer").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] > 300  # a bottom sheet
    for selector in ["#search-input", '[data-panel="filters"]', "#interest-open"]:
        b = page.locator(selector).bounding_box()
        assert b and b["x"] >= 0 and b["y"] >= 0 and b["height"] >= 28, selector
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    p.shot("map-phone")
    page.click("#drawer-close")
    page.click("#interest-open")
    page.wait_for_selector("#interest:not([hidden])")
    assert page.locator("#interest-form").bounding_box()["width"] <= 390
    p.shot("map-phone-interest")
    assert p.errors == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_phone_toolbar_fits_360_px_and_one_sheet_opens_at_a_time(live_server, open_page, seeded, lang):
    city, parcels = seeded
    p = _phone_with_details(open_page, live_server.url, parcels[0], 360, 740, f"&lang={lang}")
    page = p.page
    actions = page.evaluate(
        "() => { const a = document.querySelector('.topbar .actions');"
        " return [a.scrollWidth, a.clientWidth]; }"
    )
    assert actions[0] <= actions[1], f"the toolbar fits: {actions}"
    for b in page.locator(".topbar .btn, #search-input, #drawer-close").all():
        box = b.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, b.evaluate("e => e.outerHTML.slice(0, 80)")
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    p.shot(f"map-phone-toolbar-{lang}")

    # The details are open; 筛选 opens the filters in their place, not beneath them.
    page.click('[data-panel="filters"]')
    page.wait_for_selector("#panel:not([hidden])")
    assert page.is_hidden("#drawer")
    page.click("#compare-open")
    page.wait_for_selector("#compare:not([hidden])")
    assert page.is_hidden("#panel")
    p.shot(f"map-phone-one-sheet-{lang}")

    # The sheet is dragged by its handle and comes to rest at a snap point: up to all the room below
    # the top bar (which stays usable), down to a peek at the map.
    below_bar = 740 - page.locator(".topbar").bounding_box()["height"]
    handle = page.locator("#compare .sheet-handle").bounding_box()
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    for to, snap, expected in ((60, "2", below_bar), (700, "0", 0.3 * 740)):
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x, (y + to) / 2, steps=4)
        page.mouse.move(x, to, steps=4)
        page.mouse.up()
        page.wait_for_function(f"() => document.getElementById('compare').dataset.snap === '{snap}'")
        page.wait_for_timeout(300)  # the settling transition
        height = page.locator("#compare").bounding_box()["height"]
        assert abs(height - expected) <= 2, (snap, height)
        handle = page.locator("#compare .sheet-handle").bounding_box()
        y = handle["y"] + handle["height"] / 2
    assert p.errors == []


CJK_OUTSIDE_PROPER_NAMES = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    // The brand mark, the switch to Chinese and amenities' names (no English form) are Chinese.
    if (!el.getClientRects().length || el.closest('.brand-mark, .btn-lang, .nearby-list')) continue;
    const text = walker.currentNode.textContent;
    if (/[\u4e00-\u9fff]/.test(text)) out.push(text.trim());
  }
  return out;
}"""


def test_english_page(live_server, open_page, seeded):
    city, parcels = seeded
    p = open_page()
    p.page.goto(f"{live_server.url}/?{VIEW}&lang=en&sel=parcels:{parcels[0].pk}")
    _wait_ready(p.page)
    assert "Yunfu Investment Map" in p.page.inner_text(".brand")
    # The plot's details in English: its name and place names too (made in pinyin on save).
    p.page.wait_for_function("() => (document.getElementById('drawer-place') || {}).textContent")
    p.page.wait_for_selector("#drawer .nearby-list li")
    assert p.page.inner_text("#drawer-title") == parcels[0].name_en
    assert p.page.evaluate(CJK_OUTSIDE_PROPER_NAMES) == []
    p.shot("map-english-drawer")
    p.page.click("#lang-switch")
    p.page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
    assert "云浮招商地图" in p.page.inner_text(".brand")
    assert p.errors == []


def test_wall_shows_a_new_field_point_pushed_by_the_server(live_server, open_page, seeded):
    city, parcels = seeded
    _record, token = tokens.issue(city.users[Role.DISPLAY], TokenKind.DISPLAY)
    p = open_page(1920, 1080)
    page = p.page
    page.goto(f"{live_server.url}/wall/?token={token}&rotate=3600")
    _wait_ready(page)
    page.wait_for_selector("#live-status.on")
    page.wait_for_selector("#feed li")  # the recent points
    page.wait_for_function("() => document.querySelectorAll('#kpis .kpi').length === 4")
    page.wait_for_selector(".cluster-label")  # counts on the cluster bubbles
    page.wait_for_selector(".district-label")
    assert not_blank(p.shot("wall-start"))
    _assert_wall_legible(page)
    # The legend is what the carriers theme draws: the counts of parcels and buildings, the parks.
    legend = page.eval_on_selector_all("#legend [data-legend]", "els => els.map(e => e.dataset.legend)")
    assert legend == ["parcels", "buildings", "parks"]
    for layer in ("parcels-aggregates", "buildings-aggregates", "parks-fill"):
        assert (
            page.evaluate(f"window.__geoportal.map.queryRenderedFeatures({{layers: ['{layer}']}}).length") > 0
        )
    # Feed items carry their date, not only the time: "12/03 14:05".
    stamps = page.eval_on_selector_all("#feed time", "els => els.map(e => e.textContent)")
    assert stamps and all(re.match(r"^\d{2}/\d{2} \d{2}:\d{2}$", s) for s in stamps), stamps

    page.evaluate("window.__sameDocument = true")
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    category = m.FieldPointCategory.objects.get(key="hazard")
    started = time.monotonic()
    point = m.FieldPoint.objects.create(category=category, geom=city.inside(1, 0.03, 0.04), note="井盖缺失")
    item = f'#feed li[data-id="{point.pk}"]'
    page.wait_for_selector(item)
    latency_ms = round((time.monotonic() - started) * 1000)
    # Pushed over the open event stream: no page reload, and nothing asked the server for points.
    assert page.evaluate("window.__sameDocument") is True
    assert not [url for url in requests if "/api/field_points" in url or "/api/wall/" in url]
    assert "井盖缺失" in page.inner_text(item)
    assert page.evaluate("window.__geoportal.events") == 1
    # The issue asks for under two seconds; this records the figure instead of failing a busy
    # machine on it. scripts/bench/frontend.py measures it as a benchmark.
    (ARTIFACTS / "wall-live-latency.json").write_text(json.dumps({"create_to_feed_ms": latency_ms}))

    # Themes rotate by themselves (every 5 s here).
    page.goto(f"{live_server.url}/wall/?token={token}&rotate=5")
    _wait_ready(page)
    page.wait_for_function("() => window.__geoportal.theme === 'governance'", timeout=20000)
    page.wait_for_function("() => window.__geoportal.map.areTilesLoaded()")
    p.shot("wall-governance")
    assert p.errors == []


# Every visible text node of the wall, and every font size its charts are given: none under 14 px
# (the issue's floor at 1920 × 1080).
SMALL_TEXT = """() => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el.getClientRects().length || el.closest('script')) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 14) small.push([el.className || el.tagName, node.textContent.slice(0, 24), size]);
  }
  const sizes = (o, at) => (o && typeof o === 'object' && o.show !== false
    ? Object.entries(o).flatMap(([k, v]) => (k === 'fontSize' ? [[at, v]] : sizes(v, `${at}.${k}`))) : []);
  // What a chart is told to draw: hidden parts (show: false) keep ECharts' defaults and draw nothing.
  for (const [name, chart] of Object.entries(window.__geoportal.charts || {})) {
    for (const [at, size] of sizes(chart.getOption() || {}, name)) if (size < 14) small.push([at, size]);
  }
  return small;
}"""


def _assert_wall_legible(page) -> None:
    assert page.evaluate(SMALL_TEXT) == []
    # Nothing in a panel runs past its card.
    spill = page.evaluate(
        """() => [...document.querySelectorAll('.card *, .kpi *')].filter((el) => {
          const card = el.closest('.card, .kpi').getBoundingClientRect();
          const r = el.getBoundingClientRect();
          return r.width && getComputedStyle(el).overflow !== 'hidden' && r.right > card.right + 1;
        }).map((el) => el.className + ': ' + el.textContent.slice(0, 30))"""
    )
    assert spill == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_wall_themes_at_1080p_and_4k(live_server, open_page, seeded, lang):
    """Each theme's numbers, breakdown and trend with 环比/同比, the funnel and the target gauge, in
    both languages at 1920 × 1080 (type ≥ 14 px, nothing overflowing), and the layout at 4K."""
    city, _parcels = seeded
    from projects.models import CountyTarget

    CountyTarget.objects.create(division=city.counties[0], year=time.localtime().tm_year, investment_wan=5000)
    _chain_in_park(city)
    _record, token = tokens.issue(city.users[Role.DISPLAY], TokenKind.DISPLAY)
    width, height = (1920, 1080) if lang == "en" else (3840, 2160)
    p = open_page(width, height)
    page = p.page
    page.goto(f"{live_server.url}/wall/?token={token}&rotate=3600&lang={lang}")
    _wait_ready(page)
    page.wait_for_function(
        "() => window.__geoportal.charts && document.querySelectorAll('#kpis .kpi').length === 4"
    )
    if lang == "en":
        # The county names in English (pinyin, made on save), on the map and on the county chart.
        page.wait_for_function("() => (window.__geoportal.charts.county.getOption().yAxis || [{}])[0].data")
        labels = page.eval_on_selector_all(".district-label", "els => els.map(e => e.textContent)")
        axis = page.evaluate("window.__geoportal.charts.county.getOption().yAxis[0].data")
        assert labels and axis and not any(re.search(r"[\u4e00-\u9fff]", x) for x in [*labels, *axis])
    for theme in ("governance", "projects", "events"):
        page.evaluate(f"window.__geoportal.showTheme('{theme}')")
        page.wait_for_function(
            f"() => document.body.dataset.theme === '{theme}' && document.querySelector('#kpis .kpi')"
        )
        if theme == "projects":
            page.wait_for_selector("#funnel .stage")
            assert page.locator("#funnel .stage").count() == 10
            assert "%" in page.inner_text("#target-figures")
        else:
            page.wait_for_function("() => document.querySelector('#trend-changes').textContent.length > 0")
        series = page.evaluate("window.__geoportal.charts.trend.getOption().series[0].data.length")
        assert series == 12
        page.wait_for_timeout(900)  # the charts' entry animation
        if lang == "en":
            _assert_wall_legible(page)
        else:
            # At 4K the type doubles with the width (1 rem = 1/160 of it).
            assert (
                page.evaluate("parseFloat(getComputedStyle(document.querySelector('.kpi-label')).fontSize)")
                >= 28
            )
        p.shot(f"wall-{theme}-{lang}-{width}")
    # 重点产业: the chains' numbers, and the county whose park leads food lacks five of its six links.
    page.evaluate("window.__geoportal.showTheme('industries')")
    page.wait_for_selector("#gaps li b")
    assert page.inner_text("#kpis [data-kpi=chain_gaps] .kpi-value") == "5"
    gaps = page.inner_text("#gaps")
    assert (
        ("Food packaging" in gaps and "Food production" not in gaps) if lang == "en" else "食品包装" in gaps
    )
    assert page.evaluate("document.body.dataset.trend") == "off"
    page.wait_for_timeout(900)
    if lang == "en":
        _assert_wall_legible(page)
    p.shot(f"wall-industries-{lang}-{width}")
    page.evaluate("window.__geoportal.showTheme('events')")
    words = page.inner_text("#trend-changes")
    assert ("MoM" in words and "YoY" in words) if lang == "en" else ("环比" in words and "同比" in words)
    assert p.errors == []


def test_drawer_media_panorama_and_orthophoto(live_server, open_page, seeded, tmp_path):
    city, parcels = seeded
    target = parcels[5]
    centre = target.geom.point_on_surface
    image, thumb = panorama_jpeg(3)
    pano = m.Panorama(title="测试全景", geom=centre, parcel=target, is_public=True)
    pano.image.save("test-pano.jpg", ContentFile(image), save=False)
    pano.thumbnail.save("test-pano-thumb.jpg", ContentFile(thumb), save=False)
    pano.save()
    x, y = centre.x, centre.y
    footprint = (x - 0.004, y - 0.004, x + 0.004, y + 0.004)
    ortho = m.Orthophoto(title="测试航飞", geom=rect(*footprint), is_public=True, resolution_m=3)
    ortho.cog.save("test-ortho.tif", ContentFile(geotiff(tmp_path / "ortho.tif", footprint)), save=False)
    ortho.save()

    p = open_page()
    page = p.page
    raster = []
    page.on("response", lambda res: raster.append(res.status) if "/tiles/raster/" in res.url else None)
    page.goto(f"{live_server.url}/?sel=parcels:{target.pk}")  # no view in the URL: flies to the parcel
    _wait_ready(page)
    page.click('#drawer [data-act="pano"]')
    page.wait_for_function(
        """() => { const v = document.querySelector('#drawer .pano-view');
                  const box = v && v.querySelector('.pnlm-load-box');
                  return v && v.getBoundingClientRect().height > 200 && v.querySelector('canvas')
                         && box && getComputedStyle(box).display === 'none'; }"""
    )
    page.click('#drawer [data-act="ortho"]')
    page.wait_for_function(
        "() => (m => m.getLayer('ortho-raster') && m.isSourceLoaded('ortho-raster'))(window.__geoportal.map)"
    )
    page.wait_for_function("() => window.__geoportal.map.areTilesLoaded()")
    assert raster and set(raster) <= {200, 204} and 200 in raster
    assert "测试航飞" in page.inner_text("#drawer")
    p.shot("map-drawer-media")
    page.click("#drawer-close")  # the viewer and the overlay go with the drawer
    assert page.evaluate("window.__geoportal.map.getLayer('ortho-raster')") is None
    assert page.locator(".pnlm-container").count() == 0
    assert p.errors == []


def test_compare_up_to_three_sites_and_search(live_server, open_page, seeded):
    city, parcels = seeded
    p = open_page()
    page = p.page
    refs = ",".join(f"parcels:{x.pk}" for x in parcels[:2])
    page.goto(f"{live_server.url}/?{VIEW}&cmp={refs}&sel=parcels:{parcels[2].pk}")
    _wait_ready(page)
    page.wait_for_selector('#drawer [data-act="compare"]')
    page.click('#drawer [data-act="compare"]')  # the third
    assert page.inner_text("#compare-count") == "3"
    page.click("#compare-open")
    page.wait_for_selector(".compare-table")
    heads = page.locator(".compare-table thead th").count()
    assert heads == 4  # the label column and three sites
    body = page.inner_text(".compare-table")
    assert "亩" in body and parcels[0].name in body
    assert "总价（估算）" in body and "万元/亩" in body
    cells = page.locator(".compare-table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].slice(1).map(c => c.textContent))"
    )
    assert cells and all(any(c != "—" for c in row) for row in cells), "only rows some site has a value for"
    page.wait_for_function("() => (location.search.match(/cmp=([^&]*)/) || [,''])[1].split(',').length === 3")
    p.shot("map-compare")

    page.fill("#search-input", "T-3")
    page.wait_for_selector("#search-results .hit")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.getElementById('drawer-title').textContent.startsWith('测试地块3-')"
    )
    assert p.errors == []


def test_wall_event_theme_shows_open_events_by_status_and_blinks_the_late(live_server, open_page, seeded):
    from grid.models import EventCategory, EventWarning, GridEvent

    city, _parcels = seeded
    road = EventCategory.objects.create(key="road", name_zh="道路破损", name_en="Road")
    for k, (state, late) in enumerate(
        [
            ("reported", True),
            ("accepted", False),
            ("dispatched", False),
            ("handling", True),
            ("replied", False),
        ]
    ):
        event = GridEvent(
            category=road,
            title=f"测试事件{k}",
            geom=city.inside(k % 2, 0.01 + k * 0.012, 0.02 + k * 0.01),
            reporter=city.users[Role.GRID_WORKER],
            state=state,
            escalation=1 if k == 3 else 0,
        )
        event.locate()
        event.save()
        if late:
            EventWarning.objects.create(event=event, kind="overdue", state_entered_at=event.state_entered_at)
    _record, token = tokens.issue(city.users[Role.DISPLAY], TokenKind.DISPLAY)
    p = open_page(1920, 1080)
    page = p.page
    page.goto(f"{live_server.url}/wall/?token={token}&rotate=10")
    _wait_ready(page)
    page.wait_for_function("() => window.__geoportal.theme === 'events'", timeout=60000)
    drawn = "() => window.__geoportal.map.queryRenderedFeatures({layers: ['events-points']}).length"
    page.wait_for_function(f"{drawn} === 5")
    shot = p.shot("wall-events")
    late = page.evaluate(
        "() => window.__geoportal.map.queryRenderedFeatures({layers: ['events-late']}).length"
    )
    assert page.evaluate("[window.__geoportal.theme, window.__geoportal.blinking]") == ["events", True]
    assert not_blank(shot)
    assert late == 2, "the two late events are drawn again, to blink"
    assert page.locator("#alerts li").count() == 2
    assert "测试事件0" in page.inner_text("#alerts") and "已逾期" in page.inner_text("#alerts")
    assert p.errors == []


def test_wall_event_theme_does_not_blink_for_reduced_motion(live_server, open_page, seeded):
    city, _parcels = seeded
    _record, token = tokens.issue(city.users[Role.DISPLAY], TokenKind.DISPLAY)
    p = open_page(1920, 1080, reduced_motion="reduce")
    page = p.page
    page.goto(f"{live_server.url}/wall/?token={token}&rotate=5")
    _wait_ready(page)
    page.wait_for_function("() => window.__geoportal.theme === 'events'", timeout=30000)
    assert page.evaluate("window.__geoportal.blinking") is False
    assert p.errors == []


def test_results_list_counts_what_the_api_counts_and_offers_near_misses(live_server, open_page, seeded, api):
    """The results list beside the map (frontend/src/map/results.js): the API's count and order for
    the same filters, rows and plots lit together, the sort in the URL, and near misses when
    nothing matches."""
    p = open_page(1440, 900)
    page = p.page
    page.goto(f"{live_server.url}/?{VIEW}&panel=filters&lu=industrial&st=available")
    _wait_ready(page)
    page.wait_for_function("() => document.getElementById('results-count').dataset.count !== undefined")
    filters = {"land_use__in": "industrial", "supply_status__in": "available"}
    expected = api.get("/api/parcels/", {**filters, "ordering": "price_wan_per_mu", "page_size": 10}).json()
    assert int(page.get_attribute("#results-count", "data-count")) == expected["count"] == 8
    rows = page.locator("#results-items .result")
    assert [int(i) for i in rows.evaluate_all("rs => rs.map(r => r.dataset.id)")] == [
        f["id"] for f in expected["features"]
    ]
    assert "万元/亩" in rows.first.inner_text() and "总价约" in rows.first.inner_text()

    first = int(rows.first.get_attribute("data-id"))
    rows.first.hover()
    page.wait_for_function(
        f"""() => window.__geoportal.map.getFeatureState(
            {{source: 'parcels', sourceLayer: 'parcels', id: {first}}}).hover === true"""
    )
    p.shot("map-results")

    page.select_option("#results-sort", "price_desc")
    page.wait_for_function("() => location.search.includes('sort=price_desc')")
    dearest = api.get("/api/parcels/", {**filters, "ordering": "-price_wan_per_mu", "page_size": 1}).json()
    top = dearest["features"][0]["id"]
    page.wait_for_function(f"() => document.querySelector('#results-items .result').dataset.id === '{top}'")

    # Nothing at ≤ 5 万元/亩: the list says which condition keeps them out, and lifts it on a click.
    page.fill('#filter-form input[name="price_max"]', "5")
    page.wait_for_function("() => document.getElementById('results-count').dataset.count === '0'")
    near = page.locator('#results-near [data-relax="price"]')
    near.wait_for()
    assert "8" in near.inner_text() and "10" in near.inner_text()  # 8 plots, from 10 万元/亩
    p.shot("map-results-near-misses")
    near.click()
    page.wait_for_function("() => document.getElementById('results-count').dataset.count === '8'")
    assert page.input_value('#filter-form input[name="price_max"]') == ""

    # Saved searches: named, kept in the browser, each a link that brings the search back.
    page.fill("#saved-name", "工业可供")
    page.press("#saved-name", "Enter")
    saved = page.locator("#saved-list a")
    assert saved.all_inner_texts() == ["工业可供"]
    href = saved.first.get_attribute("href")
    assert (
        "lu=industrial" in href
        and "st=available" in href
        and "sort=price_desc" in href
        and "map=" not in href
    )
    page.goto(f"{live_server.url}/?{VIEW}&panel=filters")
    _wait_ready(page)
    page.click("#saved-list a")
    page.wait_for_function("() => document.getElementById('results-count').dataset.count === '8'")
    page.click("#saved-list [data-forget]")
    assert page.locator("#saved-list a").count() == 0
    assert p.errors == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_base_map_draws_names_roads_and_rivers_from_our_own_data(live_server, open_page, seeded, lang):
    """Division and park names, a road with its number and a river, in the page's language: the
    Latin from the glyphs built into the static files, Chinese from the browser's font."""
    city, _parcels = seeded
    line = MultiLineString(LineString((112.0, 22.95), (112.2, 22.95)), srid=4326)
    make_record(
        "transport", city, city.inside(), name="国道324线", ref="G324", kind="national_road", geom=line
    )
    river = MultiLineString(LineString((112.0, 22.99), (112.2, 22.97)), srid=4326)
    make_record("transport", city, city.inside(), name="西江", kind="waterway", geom=river)
    p = open_page(1440, 900)
    page = p.page
    glyphs = []
    page.on("response", lambda r: glyphs.append((r.url, r.status)) if "/static/glyphs/" in r.url else None)
    page.goto(f"{live_server.url}/?{VIEW}&lang={lang}")
    _wait_ready(page)
    page.wait_for_function(
        "() => ['divisions-labels', 'transport-labels', 'transport-waterway']"
        ".every((id) => window.__geoportal.map.queryRenderedFeatures({layers: [id]}).length)"
    )
    names = {f["name"] for f in _rendered(page, "divisions-labels")}
    assert names <= {d.name for d in m.Division.objects.all()} and names
    assert {f["ref"] for f in _rendered(page, "transport-labels")} >= {"G324"}
    assert glyphs and all(status == 200 for _url, status in glyphs), glyphs
    text_field = page.evaluate(
        "JSON.stringify(window.__geoportal.map.getLayoutProperty('divisions-labels', 'text-field'))"
    )
    assert ("name_en" in text_field) == (lang == "en")
    page.wait_for_selector("#map-legend [data-transport]")
    drawn = {
        f["kind"] for id in ("transport-national_road", "transport-waterway") for f in _rendered(page, id)
    }
    listed = set(
        page.eval_on_selector_all("#map-legend [data-transport]", "els => els.map(e => e.dataset.transport)")
    )
    assert listed == drawn == {"national_road", "waterway"}
    p.shot(f"map-base-{lang}")
    assert p.errors == []


def test_the_industry_chain_panel_and_the_supply_chain_near_a_site(live_server, open_page, seeded, api):
    city, parcels = seeded
    _chain_in_park(city)
    p = open_page(1440, 900)
    page = p.page
    page.goto(f"{live_server.url}/?{VIEW}&panel=chains&industry=food")
    _wait_ready(page)
    page.wait_for_selector("#industry-body .chain-link")
    catalogue = next(i for i in api.get("/api/industries/").json()["industries"] if i["code"] == "food")
    counts = page.eval_on_selector_all(
        "#industry-body .chain-link .count", "els => els.map(e => e.textContent)"
    )
    assert counts == [f"{link['enterprises']} 家" for link in catalogue["links"]]
    assert page.locator("#industry-body .chain-link.is-gap").count() == 5
    assert "链主 · 禾恒食品" in page.inner_text("#industry-body")
    page.wait_for_function(
        "() => window.__geoportal.map.queryRenderedFeatures({layers: ['industry-parks']}).length"
    )
    assert "主导该产业的园区" in page.inner_text("#map-legend")
    p.shot("map-industry-chains")
    # The drawer of a plot in the park: the chain within 30 km, the empty links said in words.
    target = parcels[0]
    page.goto(f"{live_server.url}/?{VIEW}&sel=parcels:{target.pk}")
    page.wait_for_selector("#drawer .chain-near .gap-list .gap")
    gaps = page.locator("#drawer .chain-near .gap").all_inner_texts()
    assert len(gaps) == 5 and "30 公里内没有“食品包装”企业" in gaps
    page.locator("#drawer .chain-near").scroll_into_view_if_needed()
    p.shot("map-drawer-supply-chain")
    # 招商靶向: an officer's panel lists the missing links of their county too; the public's does not.
    assert page.locator("#industry-body .targets").count() == 0
    log_in(p, live_server.url, city.users[Role.DISTRICT_OFFICER])
    page.goto(f"{live_server.url}/?{VIEW}&panel=chains&industry=food")
    page.wait_for_selector("#industry-body .targets .tag-gap")
    targets = page.inner_text("#industry-body .targets")
    assert city.counties[0].name in targets and "食品包装" in targets and city.counties[1].name not in targets
    p.shot("map-industry-targets-officer")
    assert p.errors == []
