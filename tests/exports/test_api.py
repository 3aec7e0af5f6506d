"""The exports API: the same rules as reads (scope, masking, audit), owner-only downloads through
signed links that expire, 410 once a file is gone, the purge, cancelling, and every source."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import timedelta

import openpyxl
import pyogrio
import pytest
from django.core import signing
from django.utils import timezone

from accounts.roles import Role
from audit.models import Entry
from exports import storage
from exports.models import ExportJob
from exports.tasks import purge_expired
from layers.models import LandParcel
from tests.builders import make_record

from .conftest import URL, run_job

pytestmark = pytest.mark.django_db


def _csv_rows(job) -> list[list[str]]:
    return list(csv.reader(io.StringIO(storage.path_of(job).read_text(encoding="utf-8-sig"))))


def test_submit_then_detail_with_progress_manifest_and_a_signed_link(exporter, parcels, city):
    response = exporter.submit("gpkg", layer="parcels", params={"land_use": "industrial"})
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["download"] is None
    assert response["Location"].endswith(f"{URL}{body['id']}/")
    job = run_job(body["id"])
    detail = exporter.detail(job.pk).json()
    assert detail["status"] == "succeeded" and detail["progress"] == 100
    manifest = detail["manifest"]
    assert manifest["rows"] == LandParcel.objects.filter(land_use="industrial").count() == detail["rows"]
    assert manifest["filters"] == {"land_use": "industrial"}
    assert manifest["exported_by"]["username"] == city.users[Role.ADMIN].get_username()
    assert manifest["sha256"] == job.sha256 and len(job.sha256) == 64
    assert manifest["format"] == "gpkg" and manifest["crs"] == "EPSG:4326"
    assert manifest["scope"] == job.scope and manifest["scope"]["role"] == Role.ADMIN
    assert "signature=" in detail["download"]
    # The manifest is also written next to the file.
    beside = storage.path_of(job).with_name(job.filename + ".manifest.json")
    assert json.loads(beside.read_text(encoding="utf-8"))["sha256"] == job.sha256
    download = exporter.client().get(detail["download"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    content = b"".join(download.streaming_content)
    import hashlib

    assert hashlib.sha256(content).hexdigest() == job.sha256


def test_exports_are_audited_at_submit_and_at_download(exporter, parcels):
    before = Entry.objects.filter(action="export").count()
    job = exporter.job("csv", layer="parcels")
    submitted = Entry.objects.filter(action="export", object_type="exports.exportjob", object_id=str(job.pk))
    assert submitted.count() == 1 and submitted.get().detail["step"] == "submitted"
    assert exporter.download(job.pk).status_code == 200
    entries = Entry.objects.filter(action="export").order_by("seq")
    assert entries.count() == before + 2
    assert entries.last().detail["step"] == "downloaded" and entries.last().detail["rows"] == job.rows


def test_a_county_officer_exports_only_their_countys_rows(exporter, parcels, city):
    job = exporter.job("csv", Role.DISTRICT_OFFICER, layer="parcels")
    county0 = city.counties[0].code[:6]
    mine = LandParcel.objects.filter(division_code__startswith=county0).count()
    published = LandParcel.objects.filter(is_public=True).exclude(division_code__startswith=county0).count()
    assert job.rows == mine + published == 4
    rows = _csv_rows(job)
    assert len(rows) == 1 + job.rows
    code_title = str(LandParcel._meta.get_field("code").verbose_name)
    exported = LandParcel.objects.filter(code__in=[row[rows[0].index(code_title)] for row in rows[1:]])
    assert exported.count() == job.rows
    assert all(p.is_public or p.division_code.startswith(county0) for p in exported)
    assert job.manifest["scope"]["reach"].startswith(f"d{county0}")


def test_personal_fields_are_masked_for_roles_that_may_not_see_them(exporter, city):
    manager = exporter.job("geojson", Role.PARK_MANAGER, layer="parks")
    officer = exporter.job("geojson", Role.DISTRICT_OFFICER, layer="parks")

    def phones(job):
        body = json.loads(storage.path_of(job).read_text(encoding="utf-8"))
        return {f["properties"]["contact_phone"] for f in body["features"]}

    assert phones(manager) == {"138****5678"}
    assert phones(officer) == {"13812345678"}
    assert manager.manifest["personal_data"] == "masked"
    assert officer.manifest["personal_data"] == "unmasked"
    # The same in every writer that goes through batches (here: the workbook).
    book = openpyxl.load_workbook(storage.path_of(exporter.job("xlsx", Role.PARK_MANAGER, layer="parks")))
    cells = {c.value for row in book.worksheets[0].iter_rows() for c in row}
    assert "138****5678" in cells and "13812345678" not in cells


def test_another_user_cannot_see_or_download_a_job(exporter, parcels, city, api):
    job = exporter.job("csv", Role.DISTRICT_OFFICER, layer="parcels")
    link = exporter.detail(job.pk, Role.DISTRICT_OFFICER).json()["download"]
    other = api.as_user(city.users[Role.CITY_OFFICER])
    assert other.get(f"{URL}{job.pk}/").status_code == 404
    assert other.get(link).status_code == 404  # a forwarded link opens nothing for someone else
    assert job.pk not in [j["id"] for j in other.get(URL).json()["results"]]
    api.force_authenticate(None)
    assert api.get(link).status_code == 401
    # Administrators see and download every export.
    assert exporter.client(Role.ADMIN).get(link).status_code == 200


def test_an_expired_link_is_a_410_and_the_job_gives_a_new_one(exporter, parcels, monkeypatch, settings):
    job = exporter.job("csv", layer="parcels")
    real = time.time
    with monkeypatch.context() as m:
        m.setattr(signing.time, "time", lambda: real() - settings.EXPORT_LINK_MAX_AGE - 5)
        old = exporter.detail(job.pk).json()["download"]
    response = exporter.client().get(old)
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "link_expired"
    assert exporter.download(job.pk).status_code == 200
    tampered = old.split("signature=")[0] + "signature=" + signing.TimestampSigner(salt="x").sign("1:2")
    assert exporter.client().get(tampered).status_code == 403


def test_files_past_retention_are_purged_once_and_then_answer_410(exporter, parcels):
    job = exporter.job("gpkg", layer="parcels")
    keep = exporter.job("csv", layer="parcels")
    link = exporter.detail(job.pk).json()["download"]
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert purge_expired() == [job.pk]
    assert purge_expired() == []  # running twice does no harm
    assert not storage.folder(job).exists() and storage.path_of(keep).exists()
    response = exporter.client().get(link)
    assert response.status_code == 410 and response.json()["error"]["code"] == "export_removed"
    detail = exporter.detail(job.pk).json()
    assert detail["expired"] is True and detail["download"] is None


def test_anonymous_callers_and_display_accounts_cannot_export(api, city, exporter):
    assert api.post(URL, {"format": "csv", "layer": "parcels"}, format="json").status_code == 401
    assert exporter.submit("csv", Role.DISPLAY, layer="parcels").status_code == 403


def test_a_source_the_caller_may_not_read_is_refused_at_once(exporter, city):
    response = exporter.submit("csv", Role.INVESTOR, layer="grid_cells")
    assert response.status_code == 403
    response = exporter.submit("csv", Role.INVESTOR, source="report", report="projects.new_projects")
    assert response.status_code == 403


def test_bad_parameters_are_a_400_naming_them(exporter, city):
    response = exporter.submit("csv", layer="parcels", params={"colour": "red"})
    assert response.status_code == 400 and "colour" in response.json()["error"]["fields"]
    response = exporter.submit("csv", layer="nowhere")
    assert response.status_code == 400 and response.json()["error"]["code"] == "unknown_layer"
    response = exporter.submit("shapefile", layer="parcels", options={"encoding": "latin1"})
    assert response.status_code == 400 and "encoding" in response.json()["error"]["fields"]
    response = exporter.submit("csv", layer="parcels", options={"crs": "gcj02"})
    assert response.status_code == 400 and "crs" in response.json()["error"]["fields"]


def test_reports_have_no_geometry_so_map_formats_get_a_specific_400(exporter, city):
    for fmt in ("geojson", "gpkg", "kml", "shapefile"):
        response = exporter.submit(fmt, source="report", report="grid.event_stats")
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "format_not_available" and "format" in error["fields"]


def test_a_workflow_report_exports_as_csv_and_xlsx(exporter, city):
    job = exporter.job("xlsx", Role.CITY_OFFICER, source="report", report="projects.new_projects")
    assert job.status == "succeeded", job.error
    book = openpyxl.load_workbook(storage.path_of(job))
    assert book.worksheets[0]["A1"].value.startswith("看数水印")
    job = exporter.job("csv", Role.CITY_OFFICER, source="report", report="grid.event_stats")
    assert job.status == "succeeded", job.error
    assert job.rows >= 1 and len(_csv_rows(job)) == 1 + job.rows
    job = exporter.job("csv", Role.CITY_OFFICER, source="report", report="patrols.places")
    assert job.status == "succeeded", job.error


def test_spatial_results_export_like_their_api(exporter, parcels, city):
    x, y = city.inside(0).x, city.inside(0).y
    polygon = {"type": "Polygon", "coordinates": [[[x, y], [x + 0.02, y], [x + 0.02, y + 0.02], [x, y]]]}
    query = exporter.job(
        "gpkg", source="query", params={"layer": "parcels", "shape": "polygon", "geometry": polygon}
    )
    assert query.status == "succeeded", query.error
    assert 0 < query.rows < LandParcel.objects.count()
    assert pyogrio.read_info(str(storage.path_of(query)))["features"] == query.rows
    nearby = exporter.job(
        "geojson",
        source="nearby",
        params={"layer": "parcels", "lon": x, "lat": y, "radius": 50000, "limit": 3},
    )
    assert nearby.status == "succeeded", nearby.error
    features = json.loads(storage.path_of(nearby).read_text(encoding="utf-8"))["features"]
    distances = [f["properties"]["distance_m"] for f in features]
    assert len(features) == 3 and distances == sorted(distances)
    rollup = exporter.job("csv", source="rollup", params={"layer": "parcels", "level": "county"})
    assert rollup.status == "succeeded", rollup.error
    rows = _csv_rows(rollup)
    assert rows[-1][1] == "合计" and int(rows[-1][3]) == LandParcel.objects.count()
    assert (
        exporter.submit("gpkg", source="rollup", params={"layer": "parcels", "level": "county"}).status_code
        == 400
    )


def test_the_job_fails_when_the_owners_access_changed_since_submit(exporter, parcels, city):
    response = exporter.submit("csv", Role.DISTRICT_OFFICER, layer="parcels")
    officer = city.users[Role.DISTRICT_OFFICER]
    officer.division = city.counties[1]
    officer.save()
    job = run_job(response.json()["id"])
    assert job.status == "failed"
    assert "again" in job.error or "重新申请" in job.error  # it says what to do, in either language
    assert not storage.folder(job).exists()


def test_cancel_a_queued_export(exporter, parcels):
    response = exporter.submit("csv", layer="parcels")
    job_id = response.json()["id"]
    cancelled = exporter.client().post(f"{URL}{job_id}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert exporter.client().post(f"{URL}{job_id}/cancel/").status_code == 409


def test_list_shows_your_own_jobs_and_sources_lists_what_you_may_export(exporter, parcels, city):
    mine = exporter.job("csv", Role.DISTRICT_OFFICER, layer="parcels")
    exporter.job("csv", Role.ADMIN, layer="parcels")
    listed = exporter.client(Role.DISTRICT_OFFICER).get(URL).json()["results"]
    assert [j["id"] for j in listed] == [mine.pk]
    assert len(exporter.client(Role.ADMIN).get(URL + "?all=true").json()["results"]) == 2
    assert len(exporter.client(Role.ADMIN).get(URL).json()["results"]) == 1
    catalogue = exporter.client(Role.GRID_WORKER).get(URL + "sources/").json()
    names = {r["name"] for r in catalogue["reports"]}
    assert "grid.event_stats" in names and not any(n.startswith("projects.") for n in names)


def test_no_row_cap(exporter, city):
    for i in range(120):
        make_record(
            "amenities", city, city.inside(0, dx=0.001 * (i % 90) + 0.001, dy=0.001 * (i // 90) + 0.001)
        )
    job = exporter.job("geojson", layer="amenities")
    features = json.loads(storage.path_of(job).read_text(encoding="utf-8"))["features"]
    assert len(features) == job.rows == 120
