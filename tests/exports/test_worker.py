"""An export run end to end by a real Celery worker: submitted through the API, queued on commit,
written by the worker process, downloaded through its signed link."""

from __future__ import annotations

import time

import pyogrio
import pytest

from accounts.roles import Role
from exports import storage
from exports.models import ExportJob
from layers.models import LandParcel
from tests.builders import make_record

from .conftest import URL

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait(job_id: int, timeout: float = 120) -> ExportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ExportJob.objects.get(pk=job_id)
        if job.finished:
            return job
        time.sleep(0.05)
    raise AssertionError(f"export {job_id} did not finish in {timeout} s")


def test_an_export_is_written_by_a_real_worker_and_downloaded(celery_worker, city, api):
    for i in range(5):
        make_record("parcels", city, city.inside(0, dx=0.01 + i * 0.004), is_public=False)
    client = api.as_user(city.users[Role.DISTRICT_OFFICER])
    response = client.post(URL, {"format": "gpkg", "layer": "parcels"}, format="json")
    assert response.status_code == 202, response.json()
    job = _wait(response.json()["id"])
    try:
        assert job.status == "succeeded", job.error
        assert job.task_id and job.attempts == 1 and job.progress == 100
        assert job.rows == LandParcel.objects.count() == 5
        assert pyogrio.read_info(str(storage.path_of(job)))["features"] == 5
        detail = client.get(f"{URL}{job.pk}/").json()
        download = client.get(detail["download"])
        assert download.status_code == 200
        assert b"".join(download.streaming_content)[:16] == b"SQLite format 3\x00"
    finally:
        storage.remove(job)
