"""数据导出 (/exports/) in Debian's Chromium against a live server and real PostGIS: an officer asks
for a CSV of parcels, a real Celery worker writes it while the page polls, the officer downloads it
(UTF-8 with a BOM, so Excel opens it) and reads its manifest; a running job shows its percent and
stage and the page stops polling once nothing runs; a queued job is cancelled; a failed one says
what to do; the page in English and on a 390 px phone; a display account is refused the page.
Screenshots: test-artifacts/web/exports-*.png."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.roles import Role
from exports import storage
from exports.models import ExportJob
from layers.models import LandParcel
from tests.builders import make_record

from .conftest import log_in, not_blank

pytestmark = [pytest.mark.django_db(transaction=True)]

JOB_ROW = ".export-jobs tr[data-row='{id}']"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def parcels(city):
    """Three parcels in the officer's county (one with a formula-like name, one a warehouse plot),
    one in the other county."""
    made = [
        make_record("parcels", city, city.inside(0, dx=0.01 + i * 0.005), is_public=False, name=f"地块{i}")
        for i in range(3)
    ]
    made[0].name = "=1+1"
    made[0].save()
    made[2].land_use = "warehouse"  # left out by the land-use filter
    made[2].save()
    made.append(make_record("parcels", city, city.inside(1, dx=0.01), is_public=False, name="邻县地块"))
    return made


def open_exports(open_page, base: str, user, query: str = "", width: int = 1400, height: int = 900):
    p = open_page(width, height)
    log_in(p, base, user)
    p.page.goto(f"{base}/exports/{query}")
    p.page.wait_for_selector(".export-form button.start-export")
    p.page.wait_for_selector(".export-jobs table.data, .export-jobs .empty")
    return p


def posted(r) -> bool:
    return r.url.endswith("/api/exports/jobs/") and r.request.method == "POST"


def a_job(user, **fields) -> ExportJob:
    """A job as the page lists it, without running anything (no worker is asked)."""
    values = {"kind": "csv", "source": "layer", "layer": "parcels", "created_by": user, **fields}
    return ExportJob.objects.create(**values)


@pytest.mark.worker
def test_an_officer_exports_parcels_to_csv_downloads_it_and_reads_the_manifest(
    celery_worker, live_server, open_page, city, parcels
):
    officer = city.users[Role.DISTRICT_OFFICER]
    p = open_exports(open_page, live_server.url, officer)
    page = p.page
    assert "数据导出" in page.inner_text(".staff-nav")
    assert page.locator(".staff-nav a[aria-current='page']").inner_text() == "数据导出"
    page.select_option("#export-layer", "parcels")
    page.select_option("#export-format", "csv")
    assert page.locator("#export-encoding").count() == 0  # a Shapefile option only
    page.select_option("#export-format", "shapefile")
    assert page.locator("#export-encoding option").all_inner_texts() == ["UTF-8", "GBK"]
    page.select_option("#export-format", "csv")
    page.select_option("#export-division", city.counties[0].code)
    page.select_option("#attr-land_use", "industrial")
    p.shot("exports-form")
    with page.expect_response(posted) as answer:
        page.click("button.start-export")
    assert answer.value.status == 202, answer.value.text()
    job_id = answer.value.json()["id"]
    row = JOB_ROW.format(id=job_id)
    page.wait_for_selector(f"{row} [data-status]")
    try:
        # The worker finishes it; the page, polling, shows it done with its rows and size.
        page.wait_for_selector(f"{row} [data-status='succeeded']", timeout=60000)
        job = ExportJob.objects.get(pk=job_id)
        assert job.status == "succeeded", job.error
        assert job.params == {"division": city.counties[0].code, "land_use": "industrial"}
        expected = LandParcel.objects.filter(
            division_code__startswith=city.counties[0].code[:6], land_use="industrial"
        ).count()
        assert job.rows == expected > 0
        assert page.inner_text(f"{row} td.col-rows") == str(expected)
        assert page.inner_text(f"{row} td.col-size") != "—"
        assert page.inner_text(f"{row} .job-filters") == "区划：测试区0；用地性质：工业用地"
        page.wait_for_selector(".export-jobs[data-polling='false']")
        p.shot("exports-done")
        # The download: a fresh signed link, the file as the worker wrote it, BOM first.
        with page.expect_download() as download:
            page.click(f"{row} button.download")
        content = download.value.path().read_bytes()
        assert content.startswith(b"\xef\xbb\xbf"), content[:20]
        assert download.value.suggested_filename == job.filename
        # The manifest: filter, rows, checksum, who and when.
        page.click(f"{row} button.show-manifest")
        dialog = page.wait_for_selector(".manifest-dialog[open]")
        facts = dialog.inner_text()
        assert job.sha256 in facts and officer.get_username() in facts
        assert "land_use = industrial" in facts and f"division = {city.counties[0].code}" in facts
        assert page.inner_text(".manifest-dialog [data-fact='rows'] dd") == str(expected)
        assert page.locator(".manifest-dialog [data-fact='created'] dd").inner_text().startswith("20")
        p.shot("exports-manifest")
        page.click(".manifest-dialog .dialog-actions button")
        assert not p.errors, p.errors
    finally:
        storage.remove(ExportJob.objects.get(pk=job_id))


def test_a_running_job_shows_percent_and_stage_and_polling_stops_when_none_runs(live_server, open_page, city):
    officer = city.users[Role.DISTRICT_OFFICER]
    running = a_job(officer, status="running", progress=42, stage="writing")
    queued = a_job(officer, kind="xlsx")
    p = open_exports(open_page, live_server.url, officer)
    page = p.page
    row = JOB_ROW.format(id=running.pk)
    assert page.get_attribute(f"{row} .job-progress", "data-progress") == "42"
    assert "42%" in page.inner_text(f"{row} .job-progress") and "写入文件" in page.inner_text(row)
    assert page.get_attribute(".export-jobs", "data-polling") == "true"
    # Newest first.
    assert page.locator(".export-jobs tbody tr").first.get_attribute("data-row") == str(queued.pk)
    p.shot("exports-running")
    # The next poll (2 s) picks up the worker's progress.
    ExportJob.objects.filter(pk=running.pk).update(progress=80, stage="checksum")
    page.wait_for_selector(f"{row} .job-progress[data-progress='80']", timeout=6000)
    assert "计算校验和" in page.inner_text(row)
    # Cancel the queued one, asked twice.
    queued_row = JOB_ROW.format(id=queued.pk)
    page.click(f"{queued_row} .cancel-job button.danger")
    with page.expect_response(lambda r: r.url.endswith(f"/{queued.pk}/cancel/")) as answer:
        page.click(f"{queued_row} dialog.confirm[open] .actions button.danger")
    assert answer.value.status == 200, answer.value.text()
    page.wait_for_selector(f"{queued_row} [data-status='cancelled']")
    assert ExportJob.objects.get(pk=queued.pk).status == "cancelled"
    # The running one fails: the page says why and what to do, offers to export again, and stops
    # polling.
    ExportJob.objects.filter(pk=running.pk).update(
        status="failed", error="导出没有完成：筛选条件有误。请修改后重新导出。", stage="failed"
    )
    page.wait_for_selector(f"{row} [data-status='failed']", timeout=6000)
    assert "请修改后重新导出" in page.inner_text(f"{row} .job-error")
    assert page.locator(f"{row} .job-hint").count() == 1 and page.locator(f"{row} button.again").count() == 1
    page.wait_for_selector(".export-jobs[data-polling='false']")
    polls = []
    page.on("request", lambda r: polls.append(r.url) if "/api/exports/jobs/" in r.url else None)
    page.wait_for_timeout(4500)
    assert polls == [], "no polling while nothing is queued or running"
    # Export again: the same request, a new job at the top.
    with page.expect_response(posted) as answer:
        page.click(f"{row} button.again")
    assert answer.value.status == 202, answer.value.text()
    again = ExportJob.objects.get(pk=answer.value.json()["id"])
    assert (again.kind, again.layer, again.created_by) == ("csv", "parcels", officer)
    page.wait_for_selector(f"{JOB_ROW.format(id=again.pk)} [data-status='queued']")
    assert not p.errors, p.errors


def _own_words(page) -> str:
    """Every word of the page's own: header, form labels and options, table headings and states
    (layer titles and attribute values come from the catalogue, already tested in English)."""
    return " ".join(
        page.locator(
            ".staff-head, .export-new h2, .export-form label, .export-form summary, #export-format option,"
            " .export-form button, .export-jobs h2, .export-jobs .retention, .export-jobs th,"
            " .export-jobs .flag, .export-jobs button, .export-jobs .job-hint"
        ).all_inner_texts()
    )


def test_the_page_in_english(live_server, open_page, city):
    officer = city.users[Role.DISTRICT_OFFICER]
    a_job(officer, status="failed", error="The export could not be made. Ask for it again.")
    a_job(officer, status="running", progress=10, stage="reading")
    p = open_exports(open_page, live_server.url, officer, "?lang=en")
    page = p.page
    assert page.get_attribute("html", "lang") == "en"
    words = _own_words(page).replace(officer.get_full_name(), "").replace("中文", "")  # the switch back
    words = re.sub(r"测试\S*", "", words)  # the county names in the division select are data
    assert not CJK.findall(words), words
    assert page.locator("h1").inner_text() == "Exports"
    assert "Land parcels" in page.locator("#export-layer").inner_text()
    assert not_blank(p.shot("exports-en"))
    assert not p.errors, p.errors


def test_the_page_on_a_phone_has_no_horizontal_overflow(live_server, open_page, city):
    officer = city.users[Role.DISTRICT_OFFICER]
    a_job(officer, status="failed", error="导出没有完成：你的权限范围已变化，请重新导出。")
    a_job(officer, status="running", progress=63, stage="writing", kind="shapefile")
    a_job(
        officer,
        status="succeeded",
        progress=100,
        rows=1234567,
        size_bytes=48_300_000,
        params={"division": city.counties[0].code, "land_use": "industrial"},
        manifest={"sha256": "ab" * 32, "rows": 1234567},
    )
    for lang in ("", "?lang=en"):
        p = open_exports(open_page, live_server.url, officer, lang, width=390, height=844)
        page = p.page
        page.select_option("#export-format", "shapefile")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, lang
        assert page.locator(".export-attrs-box[open]").count() == 0  # folded on a phone
        page.click(".export-attrs-box > summary")
        page.select_option("#attr-land_use", "industrial")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, lang
        suffix = "-en" if lang else ""
        assert not_blank(p.shot(f"exports-phone{suffix}"))
        page.locator(".export-jobs").scroll_into_view_if_needed()
        assert not_blank(p.shot(f"exports-phone-jobs{suffix}"))
        assert not p.errors, p.errors


def test_a_display_account_is_refused_the_page_and_anonymous_visitors_log_in(live_server, open_page, city):
    p = open_page()
    log_in(p, live_server.url, city.users[Role.DISPLAY])
    response = p.page.goto(f"{live_server.url}/exports/")
    assert response.status == 403
    assert "大屏展示账号不能导出" in p.page.inner_text("body")
    client = Client()
    assert client.get("/exports/").status_code == 302  # to the login page
    client.force_login(city.users[Role.AUDITOR])
    assert client.get("/exports/").status_code == 200  # a person's account may export
