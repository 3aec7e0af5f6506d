"""The jobs API: submission, idempotency, transactions, permission cuts, cancel, schema."""

from __future__ import annotations

import json

import pytest

from accounts.roles import Role
from fixtures import ingest_inputs as fx
from ingest.models import IngestJob
from jobs.models import JobStatus
from layers.models import LandParcel
from tests.builders import PASSWORD

from .conftest import URL
from .helpers import layer_counts


def test_submission_returns_the_job_at_once_and_detail_shows_the_report(ingest):
    response = ingest.submit(fx.parcels_geojson(2), "p.geojson", kind="vector", layer="parcels")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["progress"] == 0
    assert response["Location"].endswith(f"/api/ingest/jobs/{body['id']}/")
    assert body["detected_type"] == "geojson"
    ingest.run(response)
    detail = ingest.client().get(f"{URL}{body['id']}/").json()
    assert detail["status"] == "succeeded" and detail["progress"] == 100
    assert detail["report"]["counts"]["created"] == 2
    assert detail["links"]["parcels"][0].startswith("/api/parcels/")


def test_kind_and_layer_are_inferred_from_the_content(ingest):
    response = ingest.submit(fx.gpx([fx.walk(5)]), "walk.dat")
    assert response.status_code == 202, response.json()
    assert (response.json()["kind"], response.json()["layer"]) == ("gps", "patrol_tracks")


def test_the_same_file_for_the_same_target_gives_one_result(ingest):
    data = fx.parcels_geojson(3)
    first = ingest.submit(data, "p.geojson", kind="vector", layer="parcels")
    job = ingest.run(first)
    second = ingest.submit(data, "again.geojson", kind="vector", layer="parcels")
    assert second.status_code == 200
    assert second.json()["id"] == job.pk and second.json()["duplicate"] is True
    ingest.run(second)  # even a redelivered run changes nothing
    assert LandParcel.objects.count() == 3
    assert IngestJob.objects.count() == 1
    # Another user sending the same file to the same layer is told, not given a second import.
    other = ingest.submit(data, "p.geojson", role=Role.CITY_OFFICER, kind="vector", layer="parcels")
    assert other.status_code == 200
    assert LandParcel.objects.count() == 3


def test_someone_who_may_not_see_the_earlier_job_gets_a_409(ingest):
    data = fx.parcels_geojson(1)
    ingest.run(ingest.submit(data, "p.geojson", role=Role.PARK_MANAGER, kind="vector", layer="parcels"))
    response = ingest.submit(data, "p.geojson", role=Role.DISTRICT_OFFICER, kind="vector", layer="parcels")
    # The district officer sees the park's jobs (their division), so this is the same job again...
    assert response.status_code == 200
    # ...while an officer of the other county may not see it.
    from accounts.models import User

    city = ingest.city
    stranger = User.objects.create_user(
        "u-other", password=PASSWORD, role=Role.DISTRICT_OFFICER, division=city.counties[1]
    )
    from .conftest import upload

    response = upload(ingest.api.as_user(stranger), data, "p.geojson", kind="vector", layer="parcels")
    assert response.status_code == 409
    assert "already imported" in response.json()["error"]["message"]


def test_a_failed_job_sent_again_runs_again_as_the_same_job(ingest):
    doc = {
        "type": "FeatureCollection",
        "features": [
            fx.feature(
                {"type": "Polygon", "coordinates": fx.square(112.01, 22.91)}, code="X-1", land_use="nope"
            )
        ],
    }
    data = json.dumps(doc).encode()
    job = ingest.job(data, "p.geojson", kind="vector", layer="parcels")
    assert job.status == "failed"
    again = ingest.submit(data, "p.geojson", kind="vector", layer="parcels")
    assert again.status_code == 202 and again.json()["id"] == job.pk and again.json()["status"] == "queued"


def test_different_options_are_a_different_job(ingest):
    data = fx.parcels_geojson(1)
    a = ingest.submit(data, "p.geojson", kind="vector", layer="parcels")
    b = ingest.submit(data, "p.geojson", kind="vector", layer="parcels", options={"is_public": True})
    assert a.json()["id"] != b.json()["id"]


def test_a_failing_job_leaves_nothing_half_written(ingest):
    """The last feature fails after 499 good ones were converted: the transaction writes none."""
    doc = json.loads(fx.parcels_geojson(500))
    doc["features"][-1]["properties"]["land_use"] = "not-a-land-use"
    before = layer_counts()
    job = ingest.job(json.dumps(doc).encode(), "p.geojson", kind="vector", layer="parcels")
    assert job.status == "failed"
    assert job.report["errors"][0]["where"] == "feature 500"
    assert job.report["counts"]["read"] == 500
    assert layer_counts() == before


def test_a_database_error_while_writing_rolls_everything_back(ingest, monkeypatch):
    from ingest import writer

    real = writer.insert
    calls = []

    def insert_then_break(spec, records, user):
        ids = real(spec, records, user)
        calls.append(ids)
        raise RuntimeError("disk full")

    monkeypatch.setattr(writer, "insert", insert_then_break)
    job = ingest.job(fx.parcels_geojson(3), "p.geojson", kind="vector", layer="parcels")
    assert calls and len(calls[0]) == 3, "the rows were inserted..."
    assert job.status == "failed" and "disk full" in job.error
    assert not LandParcel.objects.exists(), "...and rolled back"


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.ADMIN, {"grid", "park", "district", "county1"}),
        (Role.CITY_OFFICER, {"grid", "park", "district", "county1", "own"}),
        (Role.DISTRICT_OFFICER, {"grid", "park", "district"}),
        (Role.PARK_MANAGER, {"park"}),
        (Role.GRID_WORKER, {"grid"}),
        (Role.INVESTOR, set()),
        (Role.DISPLAY, set()),
    ],
)
def test_job_listing_is_cut_by_role_and_division(ingest, role, sees):
    from accounts.models import User

    city = ingest.city
    other = User.objects.create_user(
        "u-c1", password=PASSWORD, role=Role.DISTRICT_OFFICER, division=city.counties[1]
    )
    submitters = {
        "grid": city.users[Role.GRID_WORKER],
        "park": city.users[Role.PARK_MANAGER],
        "district": city.users[Role.DISTRICT_OFFICER],
        "county1": other,
    }
    ids = {}
    for label, user in submitters.items():
        from policy.predicates import home_division_code as scope_division_code

        job = IngestJob.objects.create(
            kind="vector",
            layer="parcels",
            sha256=label * 4,
            options_hash="x",
            created_by=user,
            division_code=scope_division_code(user),
            file="x",
        )
        ids[label] = job.pk
    ids["own"] = IngestJob.objects.create(
        kind="vector",
        layer="parcels",
        sha256="own",
        options_hash="x",
        created_by=city.users[Role.CITY_OFFICER],
        division_code=city.city.code,
        file="x",
    ).pk
    if role == Role.ADMIN:
        sees = sees | {"own"}
    client = ingest.client(role)
    listed = {j["id"] for j in client.get(URL).json()["results"]}
    assert listed == {ids[label] for label in sees}
    hidden = set(ids.values()) - listed
    for pk in hidden:
        assert client.get(f"{URL}{pk}/").status_code == 404


def test_listing_filters_and_anonymous_is_401(ingest, client):
    ingest.submit(fx.parcels_geojson(1), "p.geojson", kind="vector", layer="parcels")
    c = ingest.client()
    assert c.get(URL + "?status=queued").json()["count"] == 1
    assert c.get(URL + "?status=succeeded").json()["count"] == 0
    assert c.get(URL + "?kind=gps").json()["count"] == 0
    assert c.get(URL + "?status=bogus").status_code == 400
    assert client.get(URL).status_code == 401


def test_a_job_finished_by_the_data_is_visible_to_the_officer_of_that_district(ingest):
    """A city officer imports parcels that all lie in county 0: that county's officer sees the job."""
    job = ingest.job(
        fx.parcels_geojson(1), "p.geojson", role=Role.CITY_OFFICER, kind="vector", layer="parcels"
    )
    assert job.division_code == "445302001001"
    listed = {j["id"] for j in ingest.client(Role.DISTRICT_OFFICER).get(URL).json()["results"]}
    assert job.pk in listed


def test_cancel_a_queued_job_and_a_finished_one(ingest):
    response = ingest.submit(fx.parcels_geojson(1), "p.geojson", kind="vector", layer="parcels")
    pk = response.json()["id"]
    cancelled = ingest.client().post(f"{URL}{pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    from .conftest import run_job

    assert run_job(pk).status == JobStatus.CANCELLED
    assert not LandParcel.objects.exists()
    again = ingest.client().post(f"{URL}{pk}/cancel/")
    assert again.status_code == 409


def test_only_the_submitter_or_an_admin_may_cancel(ingest):
    response = ingest.submit(
        fx.parcels_geojson(1), "p.geojson", role=Role.PARK_MANAGER, kind="vector", layer="parcels"
    )
    pk = response.json()["id"]
    assert ingest.client(Role.DISTRICT_OFFICER).post(f"{URL}{pk}/cancel/").status_code == 403


def test_a_running_job_asked_to_cancel_stops_without_writing(ingest, monkeypatch):
    from ingest.processors import Import

    response = ingest.submit(fx.parcels_geojson(2), "p.geojson", kind="vector", layer="parcels")
    pk = response.json()["id"]
    real = Import.prepare

    def prepare_then_cancel(self, job, ctx):
        out = real(self, job, ctx)
        ctx.heartbeat.cancelled = True  # what the heartbeat reads from cancel_requested
        return out

    monkeypatch.setattr(Import, "prepare", prepare_then_cancel)
    from .conftest import run_job

    job = run_job(pk)
    assert job.status == "cancelled"
    assert not LandParcel.objects.exists()


def test_the_openapi_schema_documents_the_ingest_endpoints(client):
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/ingest/jobs/" in schema["paths"]
    assert "post" in schema["paths"]["/api/ingest/jobs/"]
    assert "/api/ingest/jobs/{id}/cancel/" in schema["paths"]
    assert "/api/ingest/jobs/preview/" in schema["paths"]
