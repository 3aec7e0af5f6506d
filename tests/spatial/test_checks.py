"""Overlay checks (/api/spatial/checks/): jobs in a real Celery worker, stored reports, reviews."""

from __future__ import annotations

import time

import pytest

from accounts.roles import Role
from jobs.models import JobStatus
from spatial.models import Finding, OverlayCheck
from tests.builders import assert_error

from .builders import farmland_with_buildings, offset, parcel, run_check


def wait_done(client, url: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["status"] in {JobStatus.SUCCEEDED, JobStatus.FAILED}:
            return body
        time.sleep(0.2)
    raise AssertionError(f"check did not finish: {body}")


def start(client, **body):
    response = client.post("/api/spatial/checks/", body, format="json")
    assert response.status_code == 202, response.content
    assert response["Location"] == response.json()["url"]
    return response.json()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_illegal_land_use_check_runs_in_the_worker_and_reports_overlaps(celery_worker, city, as_role):
    farm, whole, edge, _site, other_farm, other = farmland_with_buildings(city)
    officer = as_role(Role.CITY_OFFICER)
    queued = start(officer, kind="illegal_land_use")
    assert queued["division"]["code"] == city.city.code
    done = wait_done(officer, queued["url"])
    assert done["status"] == "succeeded", done
    assert done["progress"] == 100 and done["finding_count"] == 3 and done["examined_count"] == 4
    assert done["started_at"] and done["finished_at"]
    report = done["findings"]
    assert report["type"] == "FeatureCollection" and report["count"] == 3
    by_building = {f["properties"]["subject_id"]: f for f in report["features"]}
    assert set(by_building) == {whole.pk, edge.pk, other.pk}
    full = by_building[whole.pk]["properties"]
    assert full["object_id"] == farm.pk and full["object_layer"] == "parcels"
    assert full["overlap_area_m2"] == pytest.approx(1600, rel=0.01), "a 40 m square, geodesic"
    assert by_building[edge.pk]["properties"]["overlap_area_m2"] == pytest.approx(800, rel=0.03)
    assert full["details"]["land_use"] == "agricultural" and full["verdict"] == "pending"
    assert by_building[whole.pk]["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    assert by_building[other.pk]["properties"]["object_id"] == other_farm.pk

    # A district officer's check is cut to their county.
    district = as_role(Role.DISTRICT_OFFICER)
    mine = wait_done(district, start(district, kind="illegal_land_use")["url"])
    assert {f["properties"]["subject_id"] for f in mine["findings"]["features"]} == {whole.pk, edge.pk}
    listed = {c["id"] for c in district.get("/api/spatial/checks/").json()["results"]}
    assert listed == {mine["id"]}, "the city-wide check is not the district officer's to see"
    assert_error(district.get(queued["url"]), 404)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_parcel_overlap_check_finds_overlaps_inside_a_park_only(celery_worker, city, as_role):
    base = city.inside(dx=0.01, dy=0.01)  # inside the park
    a = parcel(city, base, side_m=200)
    b = parcel(city, offset(base, 100, 90), side_m=200)  # overlaps a by ~100 m x 200 m
    parcel(city, offset(base, 300, 0), side_m=200)  # 100 m gap: no overlap
    outside = city.inside(county=1, dx=0.05, dy=0.05)  # two overlapping parcels outside any park
    parcel(city, outside, side_m=200)
    parcel(city, offset(outside, 100, 90), side_m=200)
    admin = as_role(Role.ADMIN)
    done = wait_done(admin, start(admin, kind="parcel_overlap", min_area_m2=10)["url"])
    assert done["status"] == "succeeded" and done["finding_count"] == 1
    [finding] = done["findings"]["features"]
    props = finding["properties"]
    assert (props["subject_id"], props["object_id"]) == (a.pk, b.pk)
    assert props["overlap_area_m2"] == pytest.approx(20_000, rel=0.02)
    assert props["details"]["park_id"] == city.park.pk


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_findings_are_reviewed_verified_or_false_positive(celery_worker, city, as_role):
    farmland_with_buildings(city)
    officer = as_role(Role.CITY_OFFICER)
    done = wait_done(officer, start(officer, kind="illegal_land_use")["url"])
    first, second = (f["id"] for f in done["findings"]["features"][:2])
    url = f"/api/spatial/checks/{done['id']}/findings/"
    verified = officer.patch(f"{url}{first}/", {"verdict": "verified", "note": "现场核实属实"}, format="json")
    assert verified.status_code == 200, verified.content
    props = verified.json()["properties"]
    assert (
        props["verdict"] == "verified" and props["reviewed_by"] == "u-city_officer" and props["reviewed_at"]
    )
    cleared = officer.patch(f"{url}{second}/", {"verdict": "false_positive"}, format="json").json()
    assert cleared["properties"]["verdict"] == "false_positive"
    assert officer.get(f"{url}?verdict=pending").json()["count"] == 1
    summary = officer.get(f"/api/spatial/checks/{done['id']}/").json()["verdicts"]
    assert summary == {"pending": 1, "verified": 1, "false_positive": 1}
    assert_error(officer.patch(f"{url}{first}/", {"verdict": "maybe"}, format="json"), 400, "verdict")
    leader = as_role(Role.CITY_LEADER)
    assert leader.get(url).status_code == 200
    assert_error(leader.patch(f"{url}{first}/", {"verdict": "pending"}, format="json"), 403)
    paged = officer.get(f"{url}?page_size=2").json()
    assert paged["count"] == 3 and len(paged["features"]) == 2 and paged["next"]


@pytest.mark.django_db
def test_run_check_is_idempotent(city):
    farmland_with_buildings(city)
    check = OverlayCheck.objects.create(kind="illegal_land_use", division=city.city)
    assert run_check(check.pk) == "succeeded"
    first = sorted(Finding.objects.filter(check_run=check).values_list("subject_id", "object_id"))
    assert run_check(check.pk) == "nothing to do", "a redelivered job leaves a finished check alone"
    OverlayCheck.objects.filter(pk=check.pk).update(status=JobStatus.RUNNING)  # as if a worker died
    assert run_check(check.pk) == "succeeded"
    assert sorted(Finding.objects.filter(check_run=check).values_list("subject_id", "object_id")) == first
    assert len(first) == 3


@pytest.mark.django_db
def test_who_may_start_and_see_checks(api, city, as_role):
    assert_error(api.get("/api/spatial/checks/"), 401)
    for role in (Role.INVESTOR, Role.GRID_WORKER, Role.PARK_MANAGER, Role.DISPLAY):
        assert_error(as_role(role).get("/api/spatial/checks/"), 403)
        assert_error(
            as_role(role).post("/api/spatial/checks/", {"kind": "parcel_overlap"}, format="json"), 403
        )
    leader = as_role(Role.DISTRICT_LEADER)
    assert leader.get("/api/spatial/checks/").status_code == 200
    assert_error(leader.post("/api/spatial/checks/", {"kind": "parcel_overlap"}, format="json"), 403)
    district = as_role(Role.DISTRICT_OFFICER)
    other_county = {"kind": "parcel_overlap", "division": city.counties[1].code}
    assert_error(district.post("/api/spatial/checks/", other_county, format="json"), 403)
    assert_error(district.post("/api/spatial/checks/", {"kind": "overlapping"}, format="json"), 400, "kind")
    bad_division = {"kind": "parcel_overlap", "division": "445399999999"}
    assert_error(district.post("/api/spatial/checks/", bad_division, format="json"), 400, "division")
    assert not OverlayCheck.objects.exists()


@pytest.mark.django_db
def test_admin_lists_checks_and_findings(city):
    from django.test import Client

    farmland_with_buildings(city)
    check = OverlayCheck.objects.create(kind="illegal_land_use", division=city.city)
    run_check(check.pk)
    admin = city.users[Role.ADMIN]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    finding = Finding.objects.filter(check_run=check).first()
    for url in (
        "/admin/spatial/overlaycheck/",
        f"/admin/spatial/overlaycheck/{check.pk}/change/",
        "/admin/spatial/finding/",
        f"/admin/spatial/finding/{finding.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
